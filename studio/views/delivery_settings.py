"""Delivery settings (brand managers): caps, the send window, how the bandit learns."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods
from django_htmx.http import HttpResponseClientRedirect

from delivery.selectors import delivery_settings
from delivery.services import save_delivery_settings
from studio.delivery_forms import DeliverySettingsForm
from studio.permissions import get_brand_access
from studio.views.common import page_context


@login_required
@require_http_methods(["GET", "POST"])
def delivery_settings_page(request, slug: str):
    access = get_brand_access(request.user, slug, "manage_delivery")
    current = delivery_settings(access.brand)
    form = DeliverySettingsForm(request.POST or None, instance=current)
    if request.method == "POST" and form.is_valid():
        save_delivery_settings(access.brand, values={
            name: form.cleaned_data[name] for name in DeliverySettingsForm.Meta.fields})
        messages.success(request, "Saved. The next decision uses these settings; texts "
                         "already queued are checked against them when they go out.")
        if request.htmx:  # a full page load, so the flash shows where it belongs
            return HttpResponseClientRedirect(request.path)
        return redirect("studio:delivery-settings", slug=slug)
    template = ("studio/delivery_settings.html#settings-form" if request.htmx
                else "studio/delivery_settings.html")
    return render(request, template, page_context(access, "delivery-settings", form=form,
                                                  saved=current.pk is not None))
