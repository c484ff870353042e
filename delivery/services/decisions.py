"""decide(): may we text this person now, which approved variant, and what exactly."""

from __future__ import annotations

import hashlib
import json
import random
import time
from dataclasses import dataclass, field
from datetime import datetime

from django.db import IntegrityError, transaction
from django.utils import timezone

from brandguard.models import Brand
from delivery import bandit, eligibility
from delivery.models import ArmState, Contact, Decision, DeliverySettings, OutboxMessage, ShortLink
from delivery.selectors import (
    caps_apply,
    consent_state,
    contact_for_decision,
    delivery_settings,
    guard_policy,
    has_been_texted,
    is_suppressed,
    pool_for_decision,
    send_history,
)
from delivery.services.contacts import parse_or_refuse
from delivery.services.errors import IdempotencyConflict, MissingMergeField
from delivery.services.rendering import guard_rendered, missing_fields, render

# Service-level reasons, beside the pure module's stable codes (delivery.eligibility).
HELD_FOR_REVIEW = "HELD_FOR_REVIEW"
NO_APPROVED_VARIANT = "NO_APPROVED_VARIANT"
CONTENT_BLOCKED = "CONTENT_BLOCKED"


def check_eligibility(
    contact: Contact | None, settings: DeliverySettings, *, intent: str, now: datetime,
    since: datetime | None = None, exclude_send: int | None = None,
) -> eligibility.Decision:
    """The pure rule fed from the database. `exclude_send` leaves the send being re-checked
    out of its own history (it must not count against itself)."""
    if contact is None:
        return eligibility.Decision("deny", eligibility.NO_CONSENT, None,
                                    "no contact with this number at this brand")
    history = (send_history(contact, now=now, exclude_send=exclude_send)
               if caps_apply(contact, settings) else [])
    verdict = eligibility.evaluate(
        now=now, contact=contact.facts, consent=consent_state(contact), history=history,
        policy=settings.policy, subject=intent,
        suppressed=is_suppressed(contact, intent=intent, since=since or now),
    )
    if verdict.status != "deny" and contact.hold_for_review:
        return eligibility.Decision("deny", HELD_FOR_REVIEW, None,
                                    contact.review_reason or "held for human review", True)
    return verdict


@dataclass
class _Plan:
    status: str
    reason: str = ""
    detail: str = ""
    send_at: datetime | None = None
    variant_id: int | None = None
    text: str = ""
    encoding: str = ""
    segments: int = 0
    propensities: dict = field(default_factory=dict)
    links: dict = field(default_factory=dict)
    findings: list = field(default_factory=list)
    policy_version: int | None = None
    missing_arms: list = field(default_factory=list)


def decide(
    brand: Brand, *, phone: str, intent: str, stage: str, merge: dict[str, str] | None = None,
    send: bool = False, idempotency_key: str | None = None, now: datetime | None = None,
    rng: random.Random | None = None, settings: DeliverySettings | None = None,
) -> Decision:
    """Decide, store the decision (with the propensities the bandit saw) and, with `send`
    and allow/defer, write the Send row and enqueue its delivery on commit.

    The same idempotency key returns the stored decision; reused with a different request
    it raises IdempotencyConflict. Never calls an LLM: only approved variants are chosen.
    `settings`: the brand's row if already read in this request (the API joins it in).
    """
    now = now or timezone.now()
    merge = dict(merge or {})
    facts = parse_or_refuse(phone)
    fingerprint = _fingerprint(facts.e164, intent, stage, merge, send)
    if idempotency_key:
        existing = _replay(brand, idempotency_key, fingerprint)
        if existing is not None:
            return existing
    settings = settings if settings is not None else delivery_settings(brand)
    contact = contact_for_decision(brand, facts.e164, intent=intent, since=now)
    verdict = check_eligibility(contact, settings, intent=intent, now=now)
    plan = _Plan(verdict.status, verdict.reason or "", verdict.detail[:500], verdict.send_at)
    if verdict.status != "deny":
        _choose_and_render(plan, brand, contact, settings, intent, stage, merge, rng)
    try:
        with transaction.atomic():
            decision = _store(plan, brand, contact, facts.e164, intent, stage, merge,
                              idempotency_key, fingerprint, now, hold=verdict.hold_for_review)
            _after_store(decision, plan, send=send, now=now)
    except IntegrityError:
        if idempotency_key:  # a concurrent retry with the same key won the race
            existing = _replay(brand, idempotency_key, fingerprint)
            if existing is not None:
                return existing
        raise
    return decision


def _fingerprint(phone: str, intent: str, stage: str, merge: dict, send: bool) -> str:
    blob = json.dumps([phone, intent, stage, merge, send], sort_keys=True, ensure_ascii=True)
    return hashlib.sha256(blob.encode()).hexdigest()


def _replay(brand: Brand, key: str, fingerprint: str) -> Decision | None:
    existing = Decision.objects.filter(brand=brand, idempotency_key=key).first()
    if existing is not None and existing.request_fingerprint != fingerprint:
        raise IdempotencyConflict("this idempotency_key was used with a different request",
                                  field="idempotency_key")
    return existing


def _choose_and_render(plan: _Plan, brand, contact, settings, intent, stage, merge, rng) -> None:
    pool = pool_for_decision(brand, intent, stage)
    arms = pool.arms
    usable = [arm for arm in arms if not missing_fields(arm.text, merge)]
    if not arms or not usable:
        if arms:
            name = missing_fields(arms[0].text, merge)[0]
            raise MissingMergeField(f"merge field {name!r} is required by the approved copy",
                                    field=f"merge.{name}")
        plan.status, plan.reason, plan.send_at = "deny", NO_APPROVED_VARIANT, None
        plan.detail = f"no approved variant for {intent}/{stage}"
        return
    choice = _choose(
        [bandit.Arm(a.variant_id, a.successes, a.failures, a.penalties) for a in usable],
        rng=rng, penalty_weight=settings.optout_penalty_weight,
    )
    chosen = int(choice.arm_id)
    template = next(a.text for a in usable if a.variant_id == chosen)
    rendered = render(template, merge)
    plan.policy_version = pool.policy_version
    policy = guard_policy(brand, pool.policy_version)
    guard = guard_rendered(rendered, policy, first_message=not has_been_texted(contact))
    plan.variant_id, plan.text, plan.links = chosen, rendered.text, rendered.links
    plan.encoding, plan.segments, plan.findings = guard.encoding, guard.segments, guard.findings
    plan.propensities = {str(k): v for k, v in choice.propensities.items()}
    plan.missing_arms = [a.variant_id for a in usable if not a.has_state]
    if not guard.passed:
        rules = ", ".join(sorted({f["rule"] for f in guard.findings}))
        plan.status, plan.reason, plan.send_at = "deny", CONTENT_BLOCKED, None
        plan.detail = f"brandguard blocked the rendered text: {rules}"[:500]


# Thompson propensities per pool state, per process. The Monte-Carlo estimate (1000 posterior
# draws, ~0.4 ms) is most of the bandit's cost, and most decisions meet a pool whose counts
# have not moved since the previous one. Reuse keeps the logged propensity honest: the arm
# is still drawn from exactly the probabilities stored with the decision (bandit.draw). The
# TTL re-estimates now and then, so one estimate's Monte-Carlo error does not stick.
PROPENSITY_TTL_SECONDS = 2.0
_PROPENSITIES: dict[tuple, tuple[float, dict]] = {}
_SYSTEM_RNG = random.SystemRandom()  # fork-safe: gunicorn workers never share a seed


def _choose(arms: list[bandit.Arm], *, rng: random.Random | None, penalty_weight: float
            ) -> bandit.Choice:
    if rng is not None:  # an injected RNG asks for a reproducible draw: no shared state
        return bandit.choose(arms, rng=rng, penalty_weight=penalty_weight)
    key = (penalty_weight, *((a.id, a.successes, a.failures, a.penalties) for a in arms))
    now = time.monotonic()
    cached = _PROPENSITIES.get(key)
    if cached is None or cached[0] < now:
        if len(_PROPENSITIES) >= 1024:
            _PROPENSITIES.clear()
        propensities = bandit.prob_best(arms, _SYSTEM_RNG, draws=bandit.DEFAULT_DRAWS,
                                        penalty_weight=penalty_weight)
        cached = _PROPENSITIES[key] = (now + PROPENSITY_TTL_SECONDS, propensities)
    return bandit.Choice(bandit.draw(cached[1], _SYSTEM_RNG), cached[1])


def _store(plan: _Plan, brand, contact, phone, intent, stage, merge, key, fingerprint, now,
           *, hold: bool) -> Decision:
    decision = Decision.objects.create(
        brand=brand, contact=contact, phone=phone, intent=intent, stage=stage,
        variant_id=plan.variant_id, text=plan.text, encoding=plan.encoding,
        segments=plan.segments, status=plan.status, reason=plan.reason, detail=plan.detail,
        send_at=plan.send_at, propensities=plan.propensities, merge=merge,
        guard_findings=plan.findings, policy_version=plan.policy_version,
        idempotency_key=key or "", request_fingerprint=fingerprint, created_at=now,
    )
    if hold and contact is not None and not contact.hold_for_review:
        Contact.objects.filter(pk=contact.pk).update(hold_for_review=True,
                                                     review_reason=plan.reason)
    if plan.missing_arms:
        ArmState.objects.bulk_create(
            [ArmState(brand=brand, intent=intent, stage=stage, variant_id=vid)
             for vid in plan.missing_arms], ignore_conflicts=True)
    return decision


def _after_store(decision: Decision, plan: _Plan, *, send: bool, now: datetime) -> None:
    from delivery.services.sending import schedule_send

    if decision.status != "deny":
        ShortLink.objects.bulk_create(
            [ShortLink(code=code, brand_id=decision.brand_id, decision=decision,
                       destination=url) for code, url in plan.links.items()])
        if send:
            schedule_send(decision)
    elif send:
        # Show the studio what was asked for and why nothing went out.
        OutboxMessage.objects.create(
            brand_id=decision.brand_id, decision=decision, to_phone=decision.phone,
            body=decision.text, kind=OutboxMessage.Kind.BLOCKED, why_not=decision.reason,
            detail=decision.detail, created_at=now)
