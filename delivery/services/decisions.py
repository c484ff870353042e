"""decide(): may we text this person now, which approved variant, and what exactly."""

from __future__ import annotations

import hashlib
import json
import random
import time
import uuid
from collections.abc import Mapping
from contextlib import nullcontext
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.core.exceptions import ImproperlyConfigured
from django.db import transaction
from django.utils import timezone

from brandguard.models import Brand
from delivery import bandit, eligibility, phones
from delivery.eligibility import Verdict
from delivery.models import Contact, Decision, DeliverySettings, OutboxMessage
from delivery.selectors import (
    ContactFacts,
    DecisionInputs,
    caps_apply,
    decision_inputs,
    delivery_settings,
    guard_policy,
    guard_policy_key,
)
from delivery.services.contacts import parse_or_refuse
from delivery.services.decision_rows import insert_decision
from delivery.services.errors import DeliveryError, IdempotencyConflict, MissingMergeField
from delivery.services.rendering import missing_fields, render, withhold_links
from delivery.services.text_guard import guard_rendered

# Service-level reasons, beside the pure module's stable codes (delivery.eligibility).
HELD_FOR_REVIEW = "HELD_FOR_REVIEW"
CONSENT_PENDING = "CONSENT_PENDING"
NO_APPROVED_VARIANT = "NO_APPROVED_VARIANT"
CONTENT_BLOCKED = "CONTENT_BLOCKED"


def check_eligibility(
    facts: ContactFacts | None, settings: DeliverySettings, *, intent: str, now: datetime,
) -> Verdict:
    """The pure rule fed from the database: `facts` as contact_for_decision (or
    decision_inputs) read them at `now`."""
    if facts is None:
        return Verdict("deny", eligibility.NO_CONSENT, None,
                       "no contact with this number at this brand")
    contact = facts.contact
    verdict = eligibility.evaluate(
        now=now, contact=contact.facts, consent=facts.consent,
        history=facts.history if caps_apply(contact, settings) else (),
        policy=settings.policy, subject=intent, suppressed=facts.suppressed,
    )
    pending_until = contact.consent_pending_until
    if verdict.reason == eligibility.NO_CONSENT and pending_until and now < pending_until:
        return Verdict("deny", CONSENT_PENDING, None,
                       "waiting for the person's Y to the confirmation text")
    if verdict.status != "deny" and contact.hold_for_review:
        return Verdict("deny", HELD_FOR_REVIEW, None,
                       contact.review_reason or "held for human review", True)
    return verdict


@dataclass(frozen=True, slots=True)
class DecisionRequest:
    """What a flow asks decide(): may we text `phone` now about (`intent`, `stage`), with
    which approved copy rendered with `merge`?

    send: also queue the text when the answer is allow or defer.
    idempotency_key: a retry with the same key (and the same request) gets the stored
        decision back; the same key with a different request is IdempotencyConflict.
    now, rng: injected clock and random generator (tests, simulations); None means the real
        clock and a shared, cached draw (see _choose).
    """

    phone: str
    intent: str
    stage: str
    merge: Mapping[str, str] = field(default_factory=dict)
    send: bool = False
    idempotency_key: str | None = None
    now: datetime | None = None
    rng: random.Random | None = None


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
    hold: bool = False
    blocked_text: str = ""  # what a denied text would have said, its links withheld


def decide(brand: Brand, request: DecisionRequest, *,
           settings: DeliverySettings | None = None) -> Decision:
    """Decide, store the decision (with the propensities the bandit saw) and, with `send`
    and allow/defer, write the Send row and enqueue its delivery on commit.

    Never calls an LLM: only approved variants are chosen. `settings`: the brand's row if
    already read in this request (the API joins it in with the key).
    """
    now = request.now or timezone.now()
    merge = dict(request.merge)
    intent, stage, send = request.intent, request.stage, request.send
    key = request.idempotency_key
    # With `send`, the read takes the contact's row lock (as the sender's re-check does) and
    # holds it until the Send row is written: two concurrent sends to one person are judged
    # one after the other, each counting the other's queued send against the caps.
    with transaction.atomic() if send else nullcontext():
        e164, inputs = _read(brand, request.phone, intent, stage, now, lock=send)
        fingerprint = _fingerprint(e164, intent, stage, merge, send)
        settings = settings if settings is not None else delivery_settings(brand)
        try:
            plan = _plan(brand, inputs, settings, intent, stage, merge, request.rng, now)
        except DeliveryError:
            # A retry must get its stored answer even if the copy has changed under it since.
            if key and (existing := _replay(brand, key, fingerprint)):
                return existing
            raise
        decision = _decision(brand, inputs, plan, e164=e164, intent=intent, stage=stage,
                             merge=merge, key=key, fingerprint=fingerprint, now=now)
        # One statement is its own transaction; only the rarer extra writes need a block.
        with transaction.atomic() if plan.hold and not send else nullcontext():
            if not insert_decision(decision, links=plan.links, new_arms=plan.missing_arms):
                # The key is taken: a retry, or a concurrent one that won the race.
                existing = _replay(brand, key or "", fingerprint)
                if existing is None:  # only the idempotency key's index can conflict
                    raise RuntimeError("decision insert conflicted without a stored key")
                return existing
            _after_store(decision, inputs.facts, plan, send=send, now=now)
    return decision


# Decision's columns in model order, as _decision passes them: positional construction (the
# ORM's own from_db path) costs a third of keyword construction, which a batch of 1,000 felt.
# A model change that moves a column fails here, at import, not in a stored row.
_DECISION_ORDER = ("id", "brand_id", "contact_id", "phone", "intent", "stage", "variant_id",
                   "text", "encoding", "segments", "status", "reason", "detail", "send_at",
                   "propensities", "merge", "guard_findings", "policy_version",
                   "idempotency_key", "request_fingerprint", "created_at", "counted_at",
                   "rewarded_at", "penalized_at", "voided_at")
if tuple(f.attname for f in Decision._meta.concrete_fields) != _DECISION_ORDER:
    raise ImproperlyConfigured("delivery.Decision's columns changed: update _DECISION_ORDER")


def _decision(brand: Brand, inputs: DecisionInputs, plan: _Plan, *, e164: str, intent: str,
              stage: str, merge: dict, key: str | None, fingerprint: str, now: datetime
              ) -> Decision:
    """The unsaved Decision, its brand and contact attached as Decision(brand=…,
    contact=…) would attach them."""
    contact = inputs.facts.contact if inputs.facts else None
    columns: tuple[Any, ...] = (
        uuid.uuid4(), brand.pk, contact.pk if contact else None, e164, intent, stage,
        plan.variant_id, plan.text, plan.encoding, plan.segments, plan.status, plan.reason,
        plan.detail, plan.send_at, plan.propensities, merge, plan.findings,
        plan.policy_version, key or "", fingerprint, now, None, None, None, None)
    decision = Decision(*columns)  # type: ignore[misc]  # positional: see _DECISION_ORDER
    _BRAND.set_cached_value(decision, brand)
    _CONTACT.set_cached_value(decision, contact)
    return decision


_BRAND, _CONTACT = Decision._meta.get_field("brand"), Decision._meta.get_field("contact")


def _read(brand: Brand, phone: str, intent: str, stage: str, now: datetime, *, lock: bool
          ) -> tuple[str, DecisionInputs]:
    """The E.164 number and what the decision reads about it.

    A number already in E.164 is looked up as given: a contact's number was parsed when it
    was registered, and its stored facts are what eligibility judges. Only when no contact
    has it is the input parsed, so that a malformed number is refused rather than denied.
    """
    if phones.is_e164(phone):
        inputs = decision_inputs(brand, phone, intent=intent, stage=stage, now=now, lock=lock)
        if inputs.facts is not None:
            return phone, inputs
        e164 = parse_or_refuse(phone).e164
        if e164 == phone:
            return e164, inputs
    else:
        e164 = parse_or_refuse(phone).e164
    return e164, decision_inputs(brand, e164, intent=intent, stage=stage, now=now, lock=lock)


def _plan(brand: Brand, inputs: DecisionInputs, settings: DeliverySettings, intent: str,
          stage: str, merge: dict, rng: random.Random | None, now: datetime) -> _Plan:
    facts = inputs.facts
    verdict = check_eligibility(facts, settings, intent=intent, now=now)
    plan = _Plan(verdict.status, verdict.reason or "", verdict.detail[:500], verdict.send_at,
                 hold=verdict.hold_for_review and facts is not None
                 and not facts.contact.hold_for_review)
    if verdict.status != "deny":
        _choose_and_render(plan, brand, inputs, settings, intent, stage, merge, rng)
    return plan


def _fingerprint(phone: str, intent: str, stage: str, merge: dict, send: bool) -> str:
    blob = json.dumps([phone, intent, stage, merge, send], sort_keys=True, ensure_ascii=True)
    return hashlib.sha256(blob.encode()).hexdigest()


def _replay(brand: Brand, key: str, fingerprint: str) -> Decision | None:
    existing = Decision.objects.filter(brand=brand, idempotency_key=key).first()
    if existing is not None and existing.request_fingerprint != fingerprint:
        raise IdempotencyConflict("this idempotency_key was used with a different request",
                                  field="idempotency_key")
    return existing


def _choose_and_render(plan: _Plan, brand, inputs: DecisionInputs, settings, intent, stage,
                       merge, rng) -> None:
    pool, facts = inputs.pool, inputs.facts
    assert facts is not None  # no contact: denied before a variant is chosen
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
    guard = guard_rendered(rendered, policy, first_message=not facts.texted,
                           policy_key=guard_policy_key(brand, pool.policy_version))
    plan.variant_id, plan.text, plan.links = chosen, rendered.text, rendered.links
    plan.encoding, plan.segments, plan.findings = guard.encoding, guard.segments, guard.findings
    plan.propensities = {str(k): v for k, v in choice.propensities.items()}
    plan.missing_arms = [a.variant_id for a in usable if not a.has_state]
    if not guard.passed:
        rules = ", ".join(sorted({f["rule"] for f in guard.findings}))
        plan.status, plan.reason, plan.send_at = "deny", CONTENT_BLOCKED, None
        plan.detail = f"brandguard blocked the rendered text: {rules}"[:500]
        # No live link may outlive a denial: no ShortLink row, no link in the answer.
        plan.blocked_text = withhold_links(rendered)
        plan.text, plan.links = "", {}


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


def _after_store(decision: Decision, facts: ContactFacts | None, plan: _Plan, *, send: bool,
                 now: datetime, scheduled: bool = False) -> None:
    """The writes beside a stored decision: hold the contact for review, queue the send
    (unless the caller wrote it already: `scheduled`), or show the studio a blocked send."""
    from delivery.services.sending import schedule_send

    if plan.hold and facts is not None:
        Contact.objects.filter(pk=facts.contact.pk).update(hold_for_review=True,
                                                           review_reason=plan.reason)
    if decision.status != "deny":
        if send and not scheduled:
            schedule_send(decision)
    elif send:
        # Show the studio what was asked for and why nothing went out.
        OutboxMessage.objects.create(
            brand_id=decision.brand_id, decision=decision, to_phone=decision.phone,
            body=plan.blocked_text or decision.text, kind=OutboxMessage.Kind.BLOCKED, why_not=decision.reason,
            detail=decision.detail, created_at=now)
