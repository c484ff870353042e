"""The Journeys page: each journey's settings (brand managers edit them), live step counts
and exits by reason. Delivery owns the rows; the studio reads them and edits through
delivery's service."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from delivery.journey_selectors import journey_overview
from delivery.services.journeys import set_personal_send_time, update_journey
from delivery.services.journeys.context import personal_send_time_on
from studio.journey_forms import JourneySettingsForm, SendTimeForm
from studio.permissions import get_brand_access
from studio.views.common import page_context


@login_required
@require_GET
def journeys(request, slug: str):
    access = get_brand_access(request.user, slug, "view")
    rows = [(row, JourneySettingsForm(instance=row.journey)) for row in
            journey_overview(access.brand)]
    return render(request, "studio/journeys.html", page_context(
        access, "journeys", rows=rows, send_time_form=_send_time_form(access.brand)))


def _send_time_form(brand) -> SendTimeForm:
    return SendTimeForm(initial={"personal_send_time": personal_send_time_on(brand.pk)})


@login_required
@require_POST
def edit_send_time(request, slug: str):
    access = get_brand_access(request.user, slug, "manage_journeys")
    form = SendTimeForm(request.POST)
    form.is_valid()  # one optional checkbox: always valid
    set_personal_send_time(access.brand, enabled=form.cleaned_data["personal_send_time"])
    return redirect("studio:journeys", slug=access.brand.slug)


@login_required
@require_POST
def edit_journey(request, slug: str, intent: str):
    access = get_brand_access(request.user, slug, "manage_journeys")
    row = next((r for r in journey_overview(access.brand) if r.journey.intent == intent), None)
    if row is None:
        raise Http404("No such journey")
    form = JourneySettingsForm(request.POST, instance=row.journey)
    saved = form.is_valid()
    if saved:
        update_journey(row.journey, **{k: form.cleaned_data[k] for k in form.Meta.fields})
        if not request.htmx:
            return redirect("studio:journeys", slug=access.brand.slug)
        form = JourneySettingsForm(instance=row.journey)
    if request.htmx:  # just this journey's card, saved or with its field errors
        return render(request, "studio/journeys.html#journey",
                      page_context(access, "journeys", row=row, form=form, saved=saved))
    rows = [(r, form if r.journey.pk == row.journey.pk
             else JourneySettingsForm(instance=r.journey)) for r in journey_overview(access.brand)]
    return render(request, "studio/journeys.html", page_context(
        access, "journeys", rows=rows, send_time_form=_send_time_form(access.brand)))
