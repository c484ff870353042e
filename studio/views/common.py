"""Helpers every studio view shares: the variant lookup, the safe "back" URL and the
variant cards (text, findings, meter, tone, citations and what this user may do)."""

from __future__ import annotations

from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from django.utils.http import url_has_allowed_host_and_scheme

from brandguard.models import BrandPolicy
from copygen.models import GuidelineChunk, Variant
from studio import presenters
from studio.permissions import BrandAccess
from studio.selectors import chain_author_ids
from studio.services import EDITABLE, SUBMITTABLE

Status = Variant.Status


def get_variant(access: BrandAccess, pk: int) -> Variant:
    """A variant of the brand the access was granted for; 404 for any other brand's."""
    return get_object_or_404(Variant.objects.select_related("author", "approved_by"),
                             pk=pk, brand=access.brand)


def safe_next(request: HttpRequest, default: str) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return target
    return default


def page_context(access: BrandAccess, nav: str, **extra) -> dict:
    return {"access": access, "brand": access.brand, "nav": nav, **extra}


def policy_facts(access: BrandAccess) -> tuple[int, int | None]:
    """(max segments, version) of the current policy, for meters and staleness badges."""
    row = BrandPolicy.objects.current_for(access.brand)
    if row is None:
        return 2, None
    return int(row.rules.get("max_segments", 2)), row.version


def report_view(report: dict, text: str, max_segments: int) -> dict:
    """Everything the shared report fragment draws for one checked text."""
    return {
        "pieces": presenters.highlight(text, report.get("findings", [])),
        "findings": presenters.findings_view(report),
        "meter": presenters.meter(report, max_segments=max_segments),
        "tone": presenters.tone_rows(report),
        "passed": report.get("passed", True),
        "fixed_text": report.get("fixed_text"),
        "fix_diff": report.get("fix_diff", []),
        "fixed_findings": report.get("fixed_findings", []),
        "policy_version": report.get("policy_version"),
    }


def _actions(variant: Variant, access: BrandAccess, authored: bool) -> set[str]:
    rules = {
        "edit": variant.status in EDITABLE,
        "submit": variant.status in SUBMITTABLE,
        "approve": variant.status == Status.IN_REVIEW and not authored,
        "reject": variant.status == Status.IN_REVIEW,
        "request_changes": variant.status == Status.IN_REVIEW,
        "retire": variant.status == Status.APPROVED,
        "comment": True,
    }
    return {action for action, ok in rules.items() if ok and access.can(action)}


def build_cards(variants, access: BrandAccess, user) -> list[dict]:
    variants = list(variants)
    authors = chain_author_ids(variants)
    max_segments, version = policy_facts(access)
    cited = {pk for v in variants for pk in v.cited_chunk_ids}
    chunks = GuidelineChunk.objects.filter(pk__in=cited).select_related("document").defer(
        "embedding", "document__content").in_bulk()
    cards = []
    for v in variants:
        authored = user.pk in authors.get(v.chain_root_id, set())
        scores = {r["chunk_id"]: r["score"] for r in v.retrieved}
        stale = version is not None and v.policy_version != version
        actions = _actions(v, access, authored)
        # A report from the current policy that blocks would only earn a refusal; a stale
        # one keeps the button, because approval re-checks under today's policy anyway.
        blocked = "approve" in actions and not stale and not v.guard_report.get("passed", True)
        cards.append({
            "variant": v,
            "report": report_view(v.guard_report, v.text, max_segments),
            "stale": stale,
            "approve_blocked": blocked,
            "current_policy": version,
            "citations": [(chunks[pk], scores.get(pk)) for pk in v.cited_chunk_ids
                          if pk in chunks],
            "actions": actions - {"approve"} if blocked else actions,
            "four_eyes": authored and access.can("approve") and v.status == Status.IN_REVIEW,
        })
    return cards
