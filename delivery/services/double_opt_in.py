"""Double opt-in: a web-form grant becomes consent only when the person replies Y.

1. `request_confirmation` stores a ConsentRequest (the form's proof, an expiry, the
   confirmation text checked by brandguard as an opt-in confirmation) and marks the contact
   pending; decisions answer `deny CONSENT_PENDING` until then.
2. `send_confirmation` (a Celery task, on commit) claims the request's text with a
   compare-and-set and hands it to the provider once: the console outbox in the quick start,
   Twilio in production. A timeout leaves it `unknown` and the retry looks the message up
   before sending again, exactly as for marketing sends.
3. `confirm_from_reply` (the signed inbound webhook) turns a Y or YES within the window into a
   ledger grant carrying the form's proof and the reply's message id.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from functools import partial

from django.db import transaction
from django.utils import timezone

import brandguard
from brandguard.models import Brand
from delivery.models import ConsentEvent, ConsentRequest, Contact, DeliverySettings
from delivery.selectors import current_guard_policy, request_settings
from delivery.services.contacts import record_consent
from delivery.services.errors import ConfirmationBlocked
from delivery.services.providers import Text, get_provider
from delivery.twilio_client import ProviderError

CONFIRM_WORDS = frozenset({"y", "yes"})
RECONCILE_AFTER = timedelta(seconds=60)
MAX_ATTEMPTS = 5


def confirmation_text(brand: Brand) -> str:
    # CTIA: the confirmation names the program, the frequency, rates, HELP and STOP.
    return (f"{brand.sender_name}: Reply Y to confirm you want recurring marketing texts "
            f"from {brand.sender_name}. Msg frequency varies. Msg & data rates may apply. "
            "Reply HELP for help, STOP to cancel.")


def checked_confirmation(brand: Brand) -> str:
    """The confirmation text, refused if it fails the brand's policy (CONFIRM_* rules)."""
    text = confirmation_text(brand)
    policy, _version = current_guard_policy(brand)
    context = brandguard.MessageContext(message_type="opt_in_confirmation")
    report = brandguard.check(text, policy, context, fix=False)
    blocking = [f for f in report.findings if f.severity == brandguard.Severity.BLOCK]
    if blocking:
        rules = ", ".join(sorted({f.rule for f in blocking}))
        raise ConfirmationBlocked(f"the confirmation text fails the brand's checks ({rules})",
                                  field="consent")
    return text


def request_confirmation(contact: Contact, proof, *, now: datetime,
                         settings: DeliverySettings) -> ConsentRequest:
    """Store the pending request (a newer form replaces an older pending one) and send the
    confirmation on commit. A form older than the window is stored as already expired."""
    body = checked_confirmation(contact.brand)
    expires = proof.occurred_at + timedelta(hours=settings.double_opt_in_window_hours)
    live = expires > now
    ConsentRequest.objects.filter(contact=contact, status=ConsentRequest.Status.PENDING
                                  ).update(status=ConsentRequest.Status.CANCELED)
    request = ConsentRequest.objects.create(
        brand_id=contact.brand_id, contact=contact, phone=contact.phone,
        status=ConsentRequest.Status.PENDING if live else ConsentRequest.Status.EXPIRED,
        source=proof.source, source_detail=proof.source_detail[:500],
        consent_text=proof.consent_text, text_version=proof.text_version,
        text_sha256=proof.text_sha256, occurred_at=proof.occurred_at, ip=proof.ip,
        user_agent=proof.user_agent[:500], expires_at=expires, body=body,
        text_status=(ConsentRequest.TextStatus.QUEUED if live
                     else ConsentRequest.TextStatus.SKIPPED))
    if live:
        Contact.objects.filter(pk=contact.pk).update(consent_pending_until=expires)
        contact.consent_pending_until = expires
        transaction.on_commit(partial(enqueue_confirmation, request.pk, None))
    return request


def enqueue_confirmation(request_id: int, countdown: int | None) -> None:
    from delivery.tasks import send_consent_confirmation

    send_consent_confirmation.apply_async(args=[request_id], countdown=countdown)


def send_confirmation(request_id: int, *, now: datetime | None = None) -> tuple[str, int | None]:
    """Hand the confirmation text to the provider at most once. Returns (outcome, retry_in)."""
    now = now or timezone.now()
    request = ConsentRequest.objects.select_related("brand", "contact").filter(
        pk=request_id).first()
    if request is None:
        return "skipped", None
    previous = request.text_status
    if previous not in (ConsentRequest.TextStatus.QUEUED, ConsentRequest.TextStatus.UNKNOWN):
        return "skipped", None
    if previous == ConsentRequest.TextStatus.UNKNOWN and request.claimed_at is not None:
        # Let a slow create land before looking it up, or the lookup could miss it.
        wait = (request.claimed_at + RECONCILE_AFTER - now).total_seconds()
        if wait > 0:
            return "retry", int(wait) + 1
    if not _claim(request, previous, now):
        return "skipped", None  # another delivery of the task got there first
    if request.status != ConsentRequest.Status.PENDING or request.contact.opted_out:
        _store(request, text_status=ConsentRequest.TextStatus.SKIPPED)
        return "skipped", None
    provider = get_provider()
    text = Text(brand_id=request.brand_id, to=request.phone, body=request.body,
                key=f"consent-request:{request.pk}", created_at=request.created_at)
    service = request_settings(request.brand).messaging_service_sid
    try:
        found = provider.find_text(text) if previous == ConsentRequest.TextStatus.UNKNOWN \
            else None
        handover = found or provider.send_text(text, now=now, service=service)
    except ProviderError as error:
        return _failed(request, error)
    _store(request, text_status=ConsentRequest.TextStatus.SENT, provider=provider.name,
           provider_sid=handover.sid, sent_at=now, error_message="")
    return "sent", None


def _claim(request: ConsentRequest, previous: str, now: datetime) -> bool:
    claimed = ConsentRequest.objects.filter(pk=request.pk, text_status=previous).update(
        text_status=ConsentRequest.TextStatus.CLAIMED, claimed_at=now,
        attempts=request.attempts + 1)
    request.attempts += 1
    return bool(claimed)


def _store(request: ConsentRequest, **fields) -> None:
    ConsentRequest.objects.filter(pk=request.pk).update(**fields)


def _failed(request: ConsentRequest, error: ProviderError) -> tuple[str, int | None]:
    message = error.message[:500]
    if error.may_have_sent:
        # The create may have reached Twilio: look it up before any second call.
        _store(request, text_status=ConsentRequest.TextStatus.UNKNOWN, error_message=message)
        return "retry", int(RECONCILE_AFTER.total_seconds()) + 5
    if error.permanent or request.attempts >= MAX_ATTEMPTS:
        _store(request, text_status=ConsentRequest.TextStatus.FAILED, error_message=message)
        return "failed", None
    _store(request, text_status=ConsentRequest.TextStatus.QUEUED, error_message=message)
    return "retry", min(600, 15 * 2 ** (request.attempts - 1))


def is_confirmation_reply(body: str) -> bool:
    return body.strip().strip(".!").lower() in CONFIRM_WORDS


def confirm_from_reply(contacts: list[Contact], *, message_sid: str, at: datetime
                       ) -> list[Contact]:
    """Confirm each contact's pending request still inside its window; an expired one is
    marked expired and grants nothing. Returns the contacts confirmed."""
    confirmed = []
    for contact in contacts:
        request = (ConsentRequest.objects.select_for_update()
                   .filter(contact=contact, status=ConsentRequest.Status.PENDING).first())
        if request is None:
            continue
        if request.expires_at <= at:
            _store(request, status=ConsentRequest.Status.EXPIRED)
            Contact.objects.filter(pk=contact.pk).update(consent_pending_until=None)
            continue
        record_consent(contact, kind=ConsentEvent.Kind.GRANTED, source=request.source,
                       occurred_at=at, consent_text=request.consent_text,
                       text_version=request.text_version, text_sha256=request.text_sha256,
                       source_detail=f"{request.source_detail} (confirmed by reply Y)".strip(),
                       ip=request.ip, user_agent=request.user_agent,
                       inbound_message_sid=message_sid)
        _store(request, status=ConsentRequest.Status.CONFIRMED, confirmed_at=at,
               confirm_message_sid=message_sid)
        Contact.objects.filter(pk=contact.pk).update(consent_pending_until=None)
        confirmed.append(contact)
    return confirmed


def cancel_pending_requests(contact: Contact) -> int:
    """STOP (or erasure) before the Y: a later Y must confirm nothing."""
    Contact.objects.filter(pk=contact.pk).update(consent_pending_until=None)
    return ConsentRequest.objects.filter(contact=contact, status=ConsentRequest.Status.PENDING
                                         ).update(status=ConsentRequest.Status.CANCELED)
