"""The database scheduler: fire due journey steps.

Due steps live in the database, not as broker ETAs. A beat-driven task (studio/celery.py)
calls `fire_due_steps`, which takes one due step at a time with SELECT … FOR UPDATE SKIP
LOCKED (so any number of workers share the work and never take the same step) and, in the
same transaction, asks delivery for a decision with `send=True` under the idempotency key
`journey-step:<id>` and marks the step fired. A worker killed anywhere before the commit
leaves the step pending and writes nothing; the next tick fires it once. A redelivered or
concurrent firing finds the step locked or no longer pending.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db import transaction

from delivery import clock, eligibility, journeys
from delivery.models import ConsentEvent, Decision, JourneyStep
from delivery.services.decisions import DecisionRequest, decide
from delivery.services.errors import DeliveryError
from delivery.services.journeys import stages
from delivery.services.journeys.steps import person_history

# A welcome waits for consent to become effective (double opt-in): look again this often.
CONSENT_POLL = timedelta(minutes=10)
CONSENT_ENDED_REASONS = frozenset({eligibility.OPTED_OUT, eligibility.NO_CONSENT,
                                   eligibility.CONSENT_EXPIRED})


def fire_due_steps(*, now: datetime | None = None, limit: int = 500) -> int:
    """Fire up to `limit` steps due at `now`; returns how many were handled. Without `now`
    each step is judged at the clock's time when it is taken: a long tick neither fires a
    step against a stale instant nor records its decision earlier than it was made."""
    handled = 0
    while handled < limit:
        at = now or clock.now()
        with transaction.atomic():
            step = (JourneyStep.objects.select_for_update(skip_locked=True, of=("self",))
                    .select_related("journey", "contact", "contact__brand")
                    .filter(status=JourneyStep.Status.PENDING, due_at__lte=at)
                    .order_by("due_at", "pk").first())
            if step is None:
                break
            fire_step(step, now=at)
        handled += 1
    return handled


def fire_step(step: JourneyStep, *, now: datetime) -> None:
    """Judge one locked, due step and, if it still should go, ask delivery for it."""
    contact = step.contact
    ended = _ended(step, now)
    if ended is not None:
        status, reason, detail = ended
        _finish(step, status, reason, detail, now)
        return
    if step.intent == journeys.WELCOME and not _consent_effective(contact):
        if now + CONSENT_POLL < step.expires_at:
            JourneyStep.objects.filter(pk=step.pk).update(due_at=now + CONSENT_POLL)
        else:
            _finish(step, JourneyStep.Status.EXPIRED, journeys.EXIT_EXPIRED,
                    "consent never became effective within the welcome's window", now)
        return
    stage = step.stage or stages.refresh_stage(contact, now=now)
    try:
        decision = ask_delivery(step, stage=stage, now=now)
    except DeliveryError as error:
        _finish(step, JourneyStep.Status.FAILED, error.code[:40], error.message, now)
        return
    if decision.status == Decision.Status.DENY and decision.reason in CONSENT_ENDED_REASONS:
        _finish(step, JourneyStep.Status.CANCELED, journeys.EXIT_CONSENT_ENDED,
                f"{decision.reason}: {decision.detail}", now, decision=decision)
        return
    JourneyStep.objects.filter(pk=step.pk).update(
        status=JourneyStep.Status.FIRED, decision=decision, stage=stage, finished_at=now,
        reason=decision.reason if decision.status == Decision.Status.DENY else "",
        detail=decision.detail[:500] if decision.status == Decision.Status.DENY else "")


def ask_delivery(step: JourneyStep, *, stage: str, now: datetime) -> Decision:
    """The one place journeys ask delivery for a text: exactly what the decision API does,
    with send, idempotent per step."""
    return decide(step.contact.brand, DecisionRequest(
        phone=step.contact.phone, intent=step.intent, stage=stage,
        merge=_merge_fields(step.merge), send=True,
        idempotency_key=f"journey-step:{step.pk}", now=now))


def _merge_fields(merge: dict) -> dict[str, str]:
    return {k: str(v)[:500] for k, v in merge.items() if k != "product_id"}


def _ended(step: JourneyStep, now: datetime) -> tuple[str, str, str] | None:
    if not step.journey.enabled:
        return JourneyStep.Status.CANCELED, journeys.EXIT_DISABLED, "the journey is turned off"
    if now >= step.expires_at:
        return (JourneyStep.Status.EXPIRED, journeys.EXIT_EXPIRED,
                f"not fired before {step.expires_at:%Y-%m-%d %H:%M} UTC (freshness window)")
    if step.contact.opted_out:
        return JourneyStep.Status.CANCELED, journeys.EXIT_OPT_OUT, "the person opted out"
    reason = journeys.exit_reason(step.intent, step.trigger_at,
                                  person_history(step.contact, since=step.trigger_at),
                                  product_id=str(step.merge.get("product_id", "")))
    if reason is not None:
        return JourneyStep.Status.CANCELED, reason, "seen when the step came due"
    return None


def _consent_effective(contact) -> bool:
    latest = ConsentEvent.objects.filter(contact=contact).order_by("-occurred_at", "-id").first()
    return latest is not None and latest.kind == ConsentEvent.Kind.GRANTED


def _finish(step: JourneyStep, status: str, reason: str, detail: str, now: datetime,
            decision: Decision | None = None) -> None:
    JourneyStep.objects.filter(pk=step.pk).update(status=status, reason=reason,
                                                  detail=detail[:500], finished_at=now,
                                                  decision=decision)
