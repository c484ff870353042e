"""Helpers every studio view shares: the variant lookup, the safe "back" URL and the
variant cards (text, findings, meter, tone, citations and what this user may do)."""

from __future__ import annotations

from typing import NamedTuple

from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils.cache import patch_vary_headers
from django.utils.http import url_has_allowed_host_and_scheme

from brandguard.models import Brand, BrandPolicy
from copygen.models import GuidelineChunk, Variant
from delivery.services.rendering import CODE_LENGTH, short_link_base
from studio import presenters
from studio.permissions import BrandAccess
from studio.phone_preview import PreviewSettings, phone_preview
from studio.selectors import chain_author_ids, review_notes
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


def wants_fragment(request) -> bool:
    """htmx asked for a swap. On Back, htmx re-requests a page it has no snapshot of with
    HX-Request too, plus HX-History-Restore-Request: that one needs the whole page."""
    return bool(request.htmx) and not request.htmx.history_restore_request


def render_swappable(request, template: str, partial: str, context: dict) -> HttpResponse:
    """The page, or its ``partial`` for an htmx swap. Both answer the same URL, so the
    response varies on HX-Request: a browser cache must not hand the fragment to Back."""
    name = f"{template}#{partial}" if wants_fragment(request) else template
    response = render(request, name, context)
    patch_vary_headers(response, ("HX-Request", "HX-History-Restore-Request"))
    return response


def page_context(access: BrandAccess, nav: str, **extra) -> dict:
    return {"access": access, "brand": access.brand, "nav": nav, **extra}


class PolicyFacts(NamedTuple):
    """What the meters, staleness badges and phone previews need from a policy."""

    max_segments: int
    version: int | None
    preview: PreviewSettings


def facts_from_rules(brand: Brand, rules: dict, version: int | None) -> PolicyFacts:
    preview = PreviewSettings(
        samples=dict(rules.get("sample_values") or {}), website_domain=brand.website_domain,
        short_link_prefix=f"{short_link_base()}/l/", code_length=CODE_LENGTH,
        smart_encoding=bool(rules.get("smart_encoding")))
    return PolicyFacts(int(rules.get("max_segments", 2)), version, preview)


def policy_facts(access: BrandAccess) -> PolicyFacts:
    """The current policy's facts (the engine's defaults when none is saved)."""
    row = BrandPolicy.objects.current_for(access.brand)
    if row is None:
        return facts_from_rules(access.brand, {}, None)
    return facts_from_rules(access.brand, row.rules, row.version)


def report_view(report: dict, text: str, facts: PolicyFacts) -> dict:
    """Everything the shared report fragment draws for one checked text."""
    return {
        "pieces": presenters.highlight(text, report.get("findings", [])),
        "phone": phone_preview(text, facts.preview),
        "findings": presenters.findings_view(report),
        "meter": presenters.meter(report, max_segments=facts.max_segments),
        "tone": presenters.tone_rows(report),
        "passed": report.get("passed", True),
        "fixed_text": report.get("fixed_text"),
        "fix_diff": report.get("fix_diff", []),
        "fixed_findings": report.get("fixed_findings", []),
        # A fix that leaves a block is not a fix: the page says a person must rewrite it.
        "fix_blocked": [f for f in report.get("fixed_findings", []) if f["severity"] == "block"],
        "blocking": [f for f in report.get("findings", []) if f["severity"] == "block"],
        "policy_version": report.get("policy_version"),
    }


def _actions(variant: Variant, access: BrandAccess, authored: bool) -> set[str]:
    rules = {
        "edit": variant.status in EDITABLE,
        "submit": variant.status in SUBMITTABLE,
        "approve": variant.status == Status.IN_REVIEW and not authored,
        "reject": variant.status == Status.IN_REVIEW and not authored,
        "request_changes": variant.status == Status.IN_REVIEW and not authored,
        "retire": variant.status == Status.APPROVED,
        "comment": True,
    }
    return {action for action, ok in rules.items() if ok and access.can(action)}


def _visible_notes(variant: Variant, notes: dict) -> dict:
    """The decision worth repeating on the card (not on approved or retired text, where an
    old change request is history) and the latest comment unless it says the same."""
    decision, comment = notes["decision"], notes["comment"]
    if variant.status in (Status.APPROVED, Status.RETIRED):
        decision = None
    if comment is not None and decision is not None and comment.body == decision.reason:
        comment = None
    return {"decision": decision, "comment": comment}


def build_cards(variants, access: BrandAccess, user) -> list[dict]:
    variants = list(variants)
    authors = chain_author_ids(variants)
    notes = review_notes(variants)
    facts = policy_facts(access)
    version = facts.version
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
        failing = not stale and not v.guard_report.get("passed", True)
        blocked = "approve" in actions and failing
        cards.append({
            "variant": v,
            "report": report_view(v.guard_report, v.text, facts),
            "stale": stale,
            "approve_blocked": blocked,
            "current_policy": version,
            "citations": [(chunks[pk], scores.get(pk)) for pk in v.cited_chunk_ids
                          if pk in chunks],
            "actions": actions - {"approve"} if blocked else actions,
            # Submit would only be refused: the button stays, switched off, with the reason.
            "submit_blocked": "submit" in actions and failing,
            "four_eyes": authored and access.can("approve") and v.status == Status.IN_REVIEW,
            "notes": _visible_notes(v, notes[v.chain_root_id]),
            "pickable": bool(actions & {"approve", "reject", "request_changes"}),
        })
    return cards
