"""Contacts and the consent ledger: register, record consent, opt out, opt back in."""

from __future__ import annotations

import hashlib
from datetime import datetime

from django.db import transaction
from django.utils import timezone

from brandguard.models import Brand
from delivery.models import ConsentEvent, Contact
from delivery.phones import InvalidPhone, PhoneFacts, parse_phone
from delivery.services.errors import ConsentProofMissing, InvalidPhoneNumber
from delivery.services.webhooks import contact_opt_changed


def parse_or_refuse(phone: str, *, field: str = "phone") -> PhoneFacts:
    """parse_phone, with the refusal as this app's error (clear message, the field at fault)."""
    try:
        return parse_phone(phone)
    except InvalidPhone as exc:
        raise InvalidPhoneNumber(exc.message, field=field) from None


def register_contact(brand: Brand, phone: str, *, attributes: dict | None = None) -> Contact:
    """The brand's contact for `phone`, created with its number facts if new.

    Toll-free, non-geographic and zone-less numbers are kept but held for review: they may
    never be texted automatically (docs/domain.md §4).
    """
    facts = parse_or_refuse(phone)
    contact, created = Contact.objects.get_or_create(
        brand=brand, phone=facts.e164, defaults={**_fact_fields(facts),
                                                 "attributes": attributes or {}},
    )
    if not created and attributes:
        contact.attributes = {**contact.attributes, **attributes}
        contact.save(update_fields=["attributes", "updated_at"])
    return contact


def _fact_fields(facts: PhoneFacts) -> dict:
    return {
        "valid": facts.valid, "number_type": facts.number_type, "region": facts.region or "",
        "time_zones": list(facts.time_zones), "us_state": facts.us_state or "",
        "geographic": facts.geographic, "number_flags": list(facts.flags),
        "hold_for_review": bool(facts.flags),
        "review_reason": ("number: " + ", ".join(facts.flags)) if facts.flags else "",
    }


def record_consent(
    contact: Contact,
    *,
    kind: str,
    source: str,
    occurred_at: datetime | None = None,
    consent_text: str = "",
    text_version: str = "",
    text_sha256: str = "",
    source_detail: str = "",
    ip: str | None = None,
    user_agent: str = "",
    inbound_message_sid: str = "",
) -> ConsentEvent:
    """Append one consent event. A grant must carry its proof (TCPA prior express written
    consent: the wording shown, or its version and hash, or the keyword message id)."""
    if consent_text and not text_sha256:
        text_sha256 = hashlib.sha256(consent_text.encode()).hexdigest()
    proven = consent_text or (text_version and text_sha256) or inbound_message_sid
    if kind == ConsentEvent.Kind.GRANTED and not proven:
        raise ConsentProofMissing("a consent grant needs the consent text (or its version and "
                                  "hash) or the inbound message id", field="consent_text")
    return ConsentEvent.objects.create(
        brand_id=contact.brand_id, contact=contact, phone=contact.phone, kind=kind,
        source=source, source_detail=source_detail[:500], consent_text=consent_text,
        text_version=text_version, text_sha256=text_sha256,
        occurred_at=occurred_at or timezone.now(), ip=ip, user_agent=user_agent[:500],
        inbound_message_sid=inbound_message_sid,
    )


def opt_out_contact(
    contact: Contact, *, at: datetime, source: str, inbound_message_sid: str = "",
    detail: str = "", penalize: bool = True,
) -> bool:
    """Mark the contact opted out at once and append the revocation. True if it changed.
    With `penalize` (the default) the latest text sent within the penalty window costs its
    arm a penalty; a caller that knows which text it was penalises that one instead.

    Takes the contact's row lock: a worker holds the same lock while it re-checks and calls
    the provider, so an opt-out is recorded either before the re-check (which then refuses)
    or after the call finished, never between them (no provider call after STOP).
    """
    from delivery.services.double_opt_in import cancel_pending_requests
    from delivery.services.journeys import exit_journeys
    from delivery.services.rewards import penalize_recent_send

    with transaction.atomic():
        locked = Contact.objects.select_for_update().get(pk=contact.pk)
        changed = not locked.opted_out
        if locked.consent_pending_until is not None:
            cancel_pending_requests(locked)  # a Y after this STOP confirms nothing
        if changed:
            Contact.objects.filter(pk=locked.pk).update(opted_out=True, opted_out_at=at)
        if changed or source == ConsentEvent.Source.KEYWORD:
            record_consent(locked, kind=ConsentEvent.Kind.REVOKED, source=source,
                           occurred_at=at, source_detail=detail,
                           inbound_message_sid=inbound_message_sid)
        if changed and penalize:
            penalize_recent_send(locked, at=at)
        if changed:
            contact_opt_changed(locked, opted_out=True, at=at, source=source, detail=detail)
        # Every journey ends at once, with its pending steps and waiting sends.
        exit_journeys(locked, reason="opt_out", now=at, detail=f"opted out ({source})")
    contact.opted_out, contact.opted_out_at = True, contact.opted_out_at or at
    return changed


def opt_in_contact(contact: Contact, *, at: datetime, keyword: str, inbound_message_sid: str
                   ) -> bool:
    """START/YES/UNSTOP: lift the opt-out and append a grant proven by the keyword message."""
    with transaction.atomic():
        locked = Contact.objects.select_for_update().get(pk=contact.pk)
        changed = locked.opted_out
        Contact.objects.filter(pk=locked.pk).update(opted_out=False, opted_out_at=None)
        record_consent(locked, kind=ConsentEvent.Kind.GRANTED, source=ConsentEvent.Source.KEYWORD,
                       occurred_at=at, source_detail=keyword.upper(),
                       inbound_message_sid=inbound_message_sid)
        if changed:
            contact_opt_changed(locked, opted_out=False, at=at,
                                source=ConsentEvent.Source.KEYWORD, detail=keyword.upper())
    contact.opted_out, contact.opted_out_at = False, None
    return changed


def hold_contact_for_review(contact: Contact, *, reason: str) -> None:
    """Fail closed: an ambiguous reply may be a revocation, so no text until a person looks."""
    Contact.objects.filter(pk=contact.pk).update(hold_for_review=True,
                                                 review_reason=reason[:200])
