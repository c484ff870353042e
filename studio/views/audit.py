"""Audit: every state change, filterable and exportable, and the per-variant evidence
(versions, checks, decisions, sends and bandit stats)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_GET

from copygen.models import VariantEvent
from delivery.selectors import delivery_settings
from studio import presenters
from studio.csv_export import SafeWriter
from studio.forms import AuditFilterForm, CommentForm, ReasonForm
from studio.models import Comment
from studio.permissions import get_brand_access
from studio.selectors import (
    brand_events,
    brand_members,
    chain_of,
    event_actions,
    variant_decisions,
)
from studio.views.common import (
    build_cards,
    get_variant,
    page_context,
    policy_facts,
    render_swappable,
    report_view,
)
from studio.views.delivery import summarized_pools

SENDS_SHOWN = 50  # the newest; the count says how many more exist
CSV_COLUMNS = ("time", "variant", "version", "action", "from_status", "to_status", "actor",
               "policy_version", "reason")


def _filtered(request, access):
    form = AuditFilterForm(request.GET or None, members=brand_members(access.brand),
                           actions=event_actions(access.brand))
    data = form.cleaned_data if form.is_valid() else {}
    events = brand_events(access.brand, action=data.get("action", ""), actor=data.get("actor"),
                          date_from=data.get("date_from"), date_to=data.get("date_to"))
    return form, events


@login_required
@require_GET
def audit(request, slug: str):
    access = get_brand_access(request.user, slug, "view_audit")
    form, events = _filtered(request, access)
    page = Paginator(events, 50).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render_swappable(request, "studio/audit.html", "events", page_context(
        access, "audit", form=form, page=page, query=query.urlencode()))


@login_required
@require_GET
def audit_csv(request, slug: str):
    access = get_brand_access(request.user, slug, "view_audit")
    _form, events = _filtered(request, access)
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{slug}-audit.csv"'
    writer = SafeWriter(response)
    writer.writerow(CSV_COLUMNS)
    for e in events.iterator(chunk_size=500):
        writer.writerow([e.created_at.isoformat(), e.variant_id, e.version, e.action,
                         e.from_status, e.to_status, e.actor.username if e.actor else "",
                         e.policy_version or "", e.reason])
    return response


def _evidence(variant, facts) -> list[dict]:
    rows, previous = [], None
    for row in chain_of(variant).select_related("author", "approved_by"):
        rows.append({"row": row, "check": report_view(row.guard_report, row.text, facts),
                     "diff": presenters.word_diff(previous.text, row.text) if previous else []})
        previous = row
    return list(reversed(rows))


def _delivery_evidence(access, variant, chain) -> dict:
    """The chain's latest decisions (with their sends) and each version's bandit stats in
    its pool, computed as the performance page does."""
    decisions = variant_decisions(chain)
    ids = {v.pk for v in chain}
    settings = delivery_settings(access.brand)
    arms = [arm for pool in summarized_pools(access.brand, settings, intent=variant.intent,
                                             stage=variant.stage)
            for arm in pool.arms if arm.counts.variant_id in ids]
    return {"decisions": decisions[:SENDS_SHOWN], "decision_count": decisions.count(),
            "arms": arms, "delivery_settings": settings}


@login_required
@require_GET
def variant_detail(request, slug: str, pk: int):
    """The evidence page: every version with its checks, citations, events, comments, the
    sends that used it and what the bandit believes about it."""
    access = get_brand_access(request.user, slug, "view")
    return render(request, "studio/variant.html",
                  detail_context(request, access, get_variant(access, pk)))


def detail_context(request, access, variant, **card_extra) -> dict:
    """The evidence page's context; ``card_extra`` carries a refused decision's bound form
    so the page shows it with its error."""
    chain = chain_of(variant)
    facts = policy_facts(access)
    return page_context(
        access, "queue", variant=variant, card=build_cards([variant], access, request.user)[0],
        versions=_evidence(variant, facts),
        events=VariantEvent.objects.filter(variant__in=chain).select_related("actor"),
        comments=Comment.objects.filter(variant__in=chain).select_related("author", "variant"),
        comment_form=CommentForm(), reason_form=ReasonForm(),
        here=reverse("studio:variant", args=[access.brand.slug, variant.pk]),
        **_delivery_evidence(access, variant, chain), **card_extra)
