"""Getting one Send out exactly once.

1. `schedule_send` writes the Send row (unique idempotency key) and enqueues the task on
   commit, with the decision's send time as ETA.
2. `deliver` claims the row with a compare-and-set UPDATE, committed on its own: of any
   number of redeliveries of the task, one wins and the rest do nothing.
3. Under the contact's row lock it re-checks eligibility, then calls the provider and records
   the outcome. `opt_out_contact` takes the same lock, so a STOP is recorded before the
   re-check (which refuses) or after the call, never in between.
4. A call that may have reached Twilio (timeout) leaves the row `unknown`; the retry first
   looks the message up (Twilio has no idempotency key; docs/domain.md §6) and only sends
   again if Twilio never made it. So does a claim whose worker died mid-call.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial
from typing import Any

from django.conf import settings as django_settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

import brandguard
from delivery import quiet_hours
from delivery.eligibility import Verdict
from delivery.models import ConsentEvent, Contact, Decision, OutboxMessage, Send
from delivery.models.sends import (
    MAX_VALIDITY_SECONDS,
    PROVIDER_STATUSES,
    TERMINAL_STATUSES,
)
from delivery.selectors import (
    ContactFacts,
    contact_for_decision,
    guard_policy,
    request_settings,
    send_for_delivery,
)
from delivery.services.contacts import hold_contact_for_review, opt_out_contact
from delivery.services.decisions import check_eligibility
from delivery.services.providers import Handover, Provider, get_provider
from delivery.services.rewards import count_trial
from delivery.services.send_rows import claim_send, mark_handed_over
from delivery.services.webhooks import send_status_changed
from delivery.twilio_client import ProviderError

VARIANT_WITHDRAWN = "VARIANT_WITHDRAWN"
FIRST_MESSAGE_WITHOUT_OPT_OUT = "FIRST_MESSAGE_WITHOUT_OPT_OUT"

MAX_ATTEMPTS = 5  # provider calls per send before a transient failure becomes final
RECONCILE_AFTER = timedelta(seconds=60)  # let a slow create land before looking it up
DUE_TOLERANCE = timedelta(seconds=60)
SWEEP_GRACE = timedelta(minutes=5)  # a pending send this late has lost its task


@dataclass(frozen=True, slots=True)
class Outcome:
    result: str  # sent | reconciled | canceled | rescheduled | failed | retry | skipped
    retry_in: int | None = None


def schedule_send(decision: Decision) -> Send:
    assert decision.contact_id is not None and decision.send_at is not None  # allow/defer
    send = Send.objects.create(
        decision=decision, brand_id=decision.brand_id, contact_id=decision.contact_id,
        idempotency_key=f"decision:{decision.pk}", to_phone=decision.phone,
        body=decision.text, subject=decision.intent, scheduled_for=decision.send_at,
        segments=max(1, decision.segments),
    )
    transaction.on_commit(partial(enqueue_delivery, send.pk, decision.send_at))
    return send


def enqueue_delivery(send_id: int, eta: datetime | None) -> None:
    from delivery.tasks import deliver_send

    later = eta if eta is not None and eta > timezone.now() else None
    deliver_send.apply_async(args=[send_id], eta=later)


def sweep_stalled_sends(*, now: datetime | None = None, limit: int = 500) -> list[int]:
    """Re-enqueue sends whose task was lost (broker restart, a crash after the ack): pending
    well past due, claims past their lease, unknowns past the reconcile delay. The claim
    makes any duplicate harmless. Schedule it every few minutes (studio/celery.py)."""
    now = now or timezone.now()
    stalled = Send.objects.filter(
        Q(status=Send.Status.PENDING, scheduled_for__lte=now - SWEEP_GRACE)
        | Q(status=Send.Status.CLAIMED, claimed_at__lte=now - claim_lease())
        | Q(status=Send.Status.UNKNOWN, claimed_at__lte=now - RECONCILE_AFTER))
    ids = list(stalled.order_by("scheduled_for").values_list("pk", flat=True)[:limit])
    for send_id in ids:
        transaction.on_commit(partial(enqueue_delivery, send_id, None))
    return ids


def claim_lease() -> timedelta:
    # Longer than any provider call can take: a claim older than this lost its worker.
    return timedelta(seconds=2 * django_settings.TWILIO_TIMEOUT + 60)


def deliver(send_id: int, *, now: datetime | None = None) -> Outcome:
    now = now or timezone.now()
    claimed = _claim(send_id, now)
    if claimed is None:
        return Outcome("skipped")
    send, previous = claimed
    provider = get_provider()
    if previous != Send.Status.PENDING:
        found = _reconcile(send, provider, now)
        if found is not None:
            return found
    return _attempt(send, provider, now)


def _claim(send_id: int, now: datetime) -> tuple[Send, str] | None:
    # The brand's delivery settings ride along (LEFT JOIN), read in this same task run.
    send = send_for_delivery(send_id)
    if send is None or not _claimable(send, now):
        return None
    previous = send.status
    if not claim_send(send_id, previous=previous, claimed_at=send.claimed_at, now=now):
        return None  # another delivery of the same task got there first
    send.status, send.claimed_at = Send.Status.CLAIMED, now
    return send, previous


def _claimable(send: Send, now: datetime) -> bool:
    status, claimed_at = send.status, send.claimed_at or now
    if status == Send.Status.PENDING:
        return send.scheduled_for <= now + DUE_TOLERANCE
    if status == Send.Status.UNKNOWN:
        return claimed_at <= now - RECONCILE_AFTER
    if status == Send.Status.CLAIMED:
        return claimed_at <= now - claim_lease()
    return False


def _attempt(send: Send, provider: Provider, now: datetime) -> Outcome:
    with transaction.atomic():
        outcome = _checked_call(send, provider, now)
    if outcome.result == "sent":
        count_trial(send.decision, at=now)  # after the send's own commit (see count_trial)
    return outcome


def _checked_call(send: Send, provider: Provider, now: datetime) -> Outcome:
    """Under the contact's row lock: re-check, call the provider, record the outcome."""
    facts = contact_for_decision(send.brand, send.to_phone, intent=send.subject,
                                 since=send.decision.created_at, now=now, lock=True,
                                 exclude_send=send.pk, variant_id=send.decision.variant_id,
                                 queued_at=send.scheduled_for)
    settings = request_settings(send.brand)
    verdict = check_eligibility(facts, settings, intent=send.subject, now=now)
    if verdict.status != "deny" and facts is not None:
        verdict = _withdrawn_copy(facts) or _unmarked_first_message(send, facts) or verdict
    if verdict.status == "deny" or facts is None:
        return _cancel(send, facts.contact if facts else None, verdict, now)
    if verdict.status == "defer":
        return _reschedule(send, verdict.send_at)
    contact = facts.contact
    validity = validity_seconds(now, contact, settings.policy.send_window)
    send.attempts += 1  # stored with the outcome, in this same transaction
    try:
        handover = provider.send(send, validity_period=validity, now=now,
                                 service=settings.messaging_service_sid)
    except ProviderError as error:
        return _failed_call(send, contact, error, now)
    _handed_over(send, handover, now, provider.name, validity=validity)
    return Outcome("sent")


def _withdrawn_copy(facts: ContactFacts) -> Verdict | None:
    """A send deferred to the morning must not go out if its text was retired or sent back
    to review (e.g. by a stricter policy) since the decision was made (`facts` as
    contact_for_decision read them with the send's variant, under the lock)."""
    if facts.variant_approved:
        return None
    return Verdict(status="deny", reason=VARIANT_WITHDRAWN,
                   detail="The variant is no longer approved (retired, or sent back to "
                          "review by a policy change) since this send was decided.")


def _unmarked_first_message(send: Send, facts: ContactFacts) -> Verdict | None:
    """CTIA: the first text a person gets must say how to opt out. The decision judged that
    against the sends it saw; an earlier send it counted may since have been canceled or
    rejected, which would make this one the first. Judged again here, under the lock."""
    if facts.texted:  # read under the lock, without this send
        return None
    policy = guard_policy(send.brand, send.decision.policy_version)
    context = brandguard.MessageContext(message_type="marketing", first_message=True)
    report = brandguard.check(send.body, policy, context, fix=False)
    if not any(f.rule == "OPTOUT_FIRST" for f in report.findings):
        return None
    return Verdict(status="deny", reason=FIRST_MESSAGE_WITHOUT_OPT_OUT,
                   detail="This would be the first text this person gets, and it does not say "
                          "how to opt out (CTIA); the text it followed never went out.")


def validity_seconds(now: datetime, contact: Contact, window: quiet_hours.Window) -> int:
    """Seconds until the window closes in the earliest zone, so a text still queued then
    expires instead of arriving in quiet hours (TCPA), capped at Twilio's 36000."""
    closes = quiet_hours.closes_at(now, contact.time_zones, contact.us_state or None, window)
    return max(1, min(MAX_VALIDITY_SECONDS, int((closes - now).total_seconds())))


def _cancel(send: Send, contact: Contact | None, verdict: Verdict, now: datetime
            ) -> Outcome:
    _finish(send, Send.Status.CANCELED, reason=verdict.reason,
            error_message=f"{verdict.reason}: {verdict.detail}")
    OutboxMessage.objects.create(
        brand_id=send.brand_id, decision_id=send.decision_id, send=send, to_phone=send.to_phone,
        body=send.body, kind=OutboxMessage.Kind.BLOCKED, why_not=verdict.reason or "",
        detail=verdict.detail[:500], created_at=now)
    if verdict.hold_for_review and contact is not None:
        hold_contact_for_review(contact, reason=verdict.reason or "")
    return Outcome("canceled")


def _reschedule(send: Send, when: datetime | None) -> Outcome:
    moved = Send.objects.filter(pk=send.pk, status=Send.Status.CLAIMED).update(
        status=Send.Status.PENDING, claimed_at=None, scheduled_for=when)
    if moved and when is not None:
        send.scheduled_for = when
        send_status_changed(send, previous=Send.Status.CLAIMED, status=Send.Status.PENDING,
                            now=timezone.now(), previous_api="pending")
    transaction.on_commit(partial(enqueue_delivery, send.pk, when))
    return Outcome("rescheduled")


def _failed_call(send: Send, contact: Contact, error: ProviderError, now: datetime) -> Outcome:
    fields: dict[str, Any] = {"error_code": error.code, "error_message": error.message[:500],
              "latency_ms": error.latency_ms, "attempts": send.attempts}
    if error.opted_out:
        # Twilio 21610: the person texted STOP to this sender. Record it; never retry.
        _finish(send, Send.Status.FAILED, **fields)
        opt_out_contact(contact, at=now, source=ConsentEvent.Source.PROVIDER,
                        detail="Twilio 21610 (unsubscribed recipient)")
        return Outcome("failed")
    if error.permanent:
        _finish(send, Send.Status.FAILED, **fields)
        return Outcome("failed")
    if error.may_have_sent:
        # The create may have reached Twilio: look it up before any retry (docs/domain.md §6).
        Send.objects.filter(pk=send.pk, status=Send.Status.CLAIMED).update(
            status=Send.Status.UNKNOWN, **fields)
        return Outcome("retry", retry_in=int(RECONCILE_AFTER.total_seconds()) + 5)
    if send.attempts >= MAX_ATTEMPTS:
        fields["error_message"] = f"gave up after {send.attempts} attempts: {error.message}"[:500]
        _finish(send, Send.Status.FAILED, **fields)
        return Outcome("failed")
    Send.objects.filter(pk=send.pk, status=Send.Status.CLAIMED).update(
        status=Send.Status.PENDING, claimed_at=None, **fields)
    return Outcome("retry", retry_in=backoff_seconds(send.attempts))


def backoff_seconds(attempts: int) -> int:
    return min(600, 15 * 2 ** max(0, attempts - 1))


def _finish(send: Send, status: str, *, reason: str | None = None, **fields) -> bool:
    """Move the send to a final status (once: a final status never changes again). True if
    this call moved it."""
    changed = _unfinished(send).update(status=status, **fields)
    if changed:
        previous = send.status
        for name, value in fields.items():
            setattr(send, name, value)
        send.status = status
        send_status_changed(send, previous=previous, status=status, now=timezone.now(),
                            reason=reason)
    return bool(changed)


def _unfinished(send: Send):
    return Send.objects.filter(pk=send.pk).exclude(status__in=TERMINAL_STATUSES)


def _handed_over(send: Send, handover: Handover, now: datetime, provider: str, *,
                 validity: int | None) -> None:
    status = handover.status if handover.status in PROVIDER_STATUSES else Send.Status.ACCEPTED
    mark_handed_over(send.pk, status=status, provider=provider, sid=handover.sid, sent_at=now,
                     attempts=send.attempts, validity=validity, latency_ms=handover.latency_ms,
                     segments=handover.segments or None)
    previous, send.status, send.sent_at = send.status, status, now
    send_status_changed(send, previous=previous, status=status, now=now)


def _reconcile(send: Send, provider: Provider, now: datetime) -> Outcome | None:
    try:
        found = provider.find(send)
    except ProviderError as error:
        Send.objects.filter(pk=send.pk, status=Send.Status.CLAIMED).update(
            status=Send.Status.UNKNOWN, error_message=f"reconcile: {error.message}"[:500])
        return Outcome("retry", retry_in=int(RECONCILE_AFTER.total_seconds()) + 5)
    if found is None:
        return None  # Twilio never made it: sending now cannot double it
    _handed_over(send, found, now, provider.name, validity=None)
    count_trial(send.decision, at=now)
    return Outcome("reconciled")


def cancel_send(send: Send, *, reason: str, detail: str = "", now: datetime | None = None
                ) -> bool:
    """Cancel a send that is still waiting (pending) for `reason` (a stable code such as
    OPTED_OUT or ERASED). True if it was canceled. A send a worker has claimed is left to
    that worker: it re-checks eligibility under the contact's lock before the call, so an
    opt-out recorded first makes it cancel itself."""
    now = now or timezone.now()
    with transaction.atomic():
        changed = Send.objects.filter(pk=send.pk, status=Send.Status.PENDING).update(
            status=Send.Status.CANCELED, error_message=f"{reason}: {detail}"[:500])
        if changed:
            OutboxMessage.objects.create(
                brand_id=send.brand_id, decision_id=send.decision_id, send=send,
                to_phone=send.to_phone, body=send.body, kind=OutboxMessage.Kind.BLOCKED,
                why_not=reason[:40], detail=detail[:500], created_at=now)
            previous, send.status = send.status, Send.Status.CANCELED
            send_status_changed(send, previous=previous, status=send.status, now=now,
                                reason=reason)
    return bool(changed)
