"""Twilio status callbacks: deduplicated, applied only forward, terminal states final."""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from delivery.models import ConsentEvent, Send, SendStatusEvent
from delivery.models.sends import PROVIDER_STATUSES, STATUS_RANK
from delivery.services.contacts import opt_out_contact
from delivery.services.rewards import count_trial
from delivery.services.webhooks import send_status_changed
from delivery.twilio_client import OPTED_OUT_CODE


def record_status_callback(
    *, sid: str, status: str, error_code: int | None = None, token: str | None = None,
    send_hint: str | None = None,
) -> str:
    """Apply one status report. Returns what happened: applied, stale (an older state that
    arrived late), duplicate (a retried callback), unknown (no such send: answer 200 anyway
    so Twilio stops retrying) or ignored (a status we do not track)."""
    status = (status or "").strip().lower()
    if status not in PROVIDER_STATUSES or not sid:
        return "ignored"
    now = timezone.now()
    with transaction.atomic():
        send = _locked_send(sid, send_hint)
        if send is None:
            return "unknown"
        applied = STATUS_RANK[status] > STATUS_RANK[send.status]
        try:
            with transaction.atomic():
                SendStatusEvent.objects.create(send=send, provider_sid=sid, status=status,
                                               error_code=error_code,
                                               idempotency_token=token or "", applied=applied)
        except IntegrityError:
            return "duplicate"
        if applied:
            _apply(send, sid, status, error_code, now)
        if error_code == OPTED_OUT_CODE:
            # A 21610 means the person said STOP at Twilio: honour it even when the status
            # itself arrived late or after another final state (TCPA; docs/domain.md §2).
            opt_out_contact(send.contact, at=now, source=ConsentEvent.Source.PROVIDER,
                            detail="Twilio 21610 in a status callback")
    return "applied" if applied else "stale"


def _locked_send(sid: str, send_hint: str | None) -> Send | None:
    query = Q(provider_sid=sid)
    if send_hint and send_hint.isdigit() and len(send_hint) < 19:
        # The send id in the callback URL finds a row whose create response we never got
        # (a timeout) or have not stored yet; a row that has another SID is not it.
        query |= Q(pk=int(send_hint)) & (Q(provider_sid__isnull=True) | Q(provider_sid=sid))
    return (Send.objects.select_for_update().select_related("decision", "contact")
            .filter(query).first())


def _apply(send: Send, sid: str, status: str, error_code: int | None, now) -> None:
    fields: dict = {"status": status}
    if send.provider_sid is None:
        fields.update(provider_sid=sid, sent_at=send.sent_at or now)
    if error_code is not None:
        fields["error_code"] = error_code
    Send.objects.filter(pk=send.pk).update(**fields)
    previous, send.status = send.status, status
    if error_code is not None:
        send.error_code = error_code
    send_status_changed(send, previous=previous, status=status, now=now)
    if send.provider_sid is None:
        count_trial(send.decision, at=now)  # it went out, though we never saw the create
