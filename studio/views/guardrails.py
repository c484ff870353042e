"""Guardrails (brand managers): edit the policy, test text against it, see its history."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST
from django_htmx.http import HttpResponseClientRedirect

from brandguard.models import BrandPolicy
from brandguard.services import current_offers, draft_policy
from studio import presenters, services
from studio.forms import TextForm
from studio.guardrail_forms import GuardrailsForm, initial_from
from studio.permissions import get_brand_access
from studio.selectors import approved_failing, check_text
from studio.views.common import facts_from_rules, page_context, policy_facts, report_view


def _history(brand) -> list[dict]:
    rows = list(BrandPolicy.objects.filter(brand=brand).select_related("created_by")
                .order_by("version"))
    history, previous = [], None
    for row in rows:
        before: dict | None = ({"rules": previous.rules, "offers": previous.offers}
                               if previous else None)
        changes = presenters.policy_changes(before, {"rules": row.rules, "offers": row.offers})
        history.append({"row": row, "changes": changes, "first": previous is None})
        previous = row
    return list(reversed(history))


def _context(access, form, test_form, test_report=None) -> dict:
    return page_context(access, "guardrails", form=form, test_form=test_form,
                        test=test_report, history=_history(access.brand))


@login_required
@require_http_methods(["GET", "POST"])
def guardrails(request, slug: str):
    access = get_brand_access(request.user, slug, "manage_policy")
    form = GuardrailsForm(request.POST or None, initial=_saved_initial(access))
    if request.method == "POST" and form.is_valid():
        saved = services.save_guardrails(access.brand, by=request.user, rules=form.rules(),
                                         offers=form.offers(), note=form.cleaned_data["note"])
        messages.success(request, f"Saved policy v{saved.policy.version}. {saved.sent_back} "
                         "approved variant(s) failed the new policy and went back to review.")
        if request.htmx:  # a full page load, so the flash shows where it belongs
            return HttpResponseClientRedirect(request.path)
        return redirect("studio:guardrails", slug=slug)
    template = "studio/guardrails.html#policy-form" if request.htmx else "studio/guardrails.html"
    return render(request, template, _context(access, form, TextForm()))


@login_required
@require_POST
def test_guardrails(request, slug: str):
    """The test pane: paste text, get the report under the policy as edited in the form
    (posted along, not saved), or under the saved policy when the edit is invalid or absent.
    """
    access = get_brand_access(request.user, slug, "manage_policy")
    test_form = TextForm(request.POST)
    draft = GuardrailsForm(request.POST) if "max_segments" in request.POST else None
    rules = draft.rules() if draft is not None and draft.is_valid() else None
    report = None
    if test_form.is_valid():
        text = test_form.cleaned_data["text"].replace("\r\n", "\n")
        if rules is not None:
            facts, against = facts_from_rules(access.brand, rules, None), AGAINST_DRAFT
        else:
            facts = policy_facts(access)
            against = _saved_policy(facts.version, invalid_draft=draft is not None)
        report = report_view(check_text(access.brand, text, draft_rules=rules).to_dict(), text,
                             facts)
        report["against"] = against
    if request.htmx:
        return render(request, "studio/guardrails.html#test-report",
                      page_context(access, "guardrails", test=report, test_form=test_form))
    form = draft if draft is not None else GuardrailsForm(initial=_saved_initial(access))
    return render(request, "studio/guardrails.html", _context(access, form, test_form, report))


@login_required
@require_POST
def guardrails_impact(request, slug: str):
    """Which approved variants the policy as edited in the form (posted along, not saved)
    would send back to review if it were saved now."""
    access = get_brand_access(request.user, slug, "manage_policy")
    draft = GuardrailsForm(request.POST)
    impact = None
    if draft.is_valid():
        policy = draft_policy(access.brand, draft.rules())
        impact = [{"variant": v, "reason": services.blocking_reason(report)}
                  for v, report in approved_failing(access.brand, policy)]
    if request.htmx:
        return render(request, "studio/guardrails.html#impact",
                      page_context(access, "guardrails", impact=impact, impact_checked=True))
    return render(request, "studio/guardrails.html",
                  _context(access, draft, TextForm()) | {"impact": impact,
                                                         "impact_checked": True})


AGAINST_DRAFT = "the policy as edited in the form (not saved yet)"


def _saved_policy(version: int | None, *, invalid_draft: bool) -> str:
    """Which policy the report used when it was the saved one, in the pane's words."""
    saved = f"the saved policy (v{version})" if version else "the engine's defaults"
    return f"{saved}: the edited policy has errors, see the form" if invalid_draft else saved


def _saved_initial(access) -> dict:
    row = BrandPolicy.objects.current_for(access.brand)
    return initial_from(row.rules if row else {}, current_offers(access.brand),
                        website_domain=access.brand.website_domain)
