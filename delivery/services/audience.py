"""Bringing people in and letting them go: upsert with proof, the brand's own opt-outs,
erasure. Every opt-out still goes through `opt_out_contact`, every grant through
`record_consent`."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime
from urllib.parse import urlsplit

from django.db import transaction
from django.db.models import OuterRef, Subquery
from django.utils import timezone

from brandguard.models import Brand
from copygen.models import Variant
from delivery.models import (
    ConsentEvent,
    ConsentRequest,
    Contact,
    Decision,
    DeliverySettings,
    Event,
    InboundMessage,
    OutboxMessage,
    Send,
    ShortLink,
)
from delivery.selectors import delivery_settings
from delivery.services.contacts import opt_out_contact, parse_or_refuse, record_consent
from delivery.services.errors import ConsentProofMismatch, ConsentProofMissing, ContactErased

ERASED = "ERASED"
OPTED_OUT = "OPTED_OUT"


@dataclass(frozen=True, slots=True)
class Proof:
    """One consent event as a brand reports it (API, import): a grant must carry proof."""

    status: str  # granted | revoked
    source: str
    occurred_at: datetime
    consent_text: str = ""
    text_version: str = ""
    text_sha256: str = ""
    source_detail: str = ""
    ip: str | None = None
    user_agent: str = ""

    @property
    def proven(self) -> bool:
        return bool(self.consent_text or (self.text_version and self.text_sha256))


@dataclass
class Upserted:
    contact: Contact
    created: bool = False
    updated: bool = False
    consent_recorded: bool = False
    pending: ConsentRequest | None = None
    notes: list[str] = field(default_factory=list)


def check_proof(proof: Proof, *, prefix: str = "consent.") -> Proof:
    """Refuse a grant that proves nothing, or a hash that contradicts its own text."""
    if proof.status != ConsentEvent.Kind.GRANTED:
        return proof
    if not proof.proven:
        field_name = "text_sha256" if proof.text_version else "consent_text"
        raise ConsentProofMissing(
            "a consent grant needs its proof: the consent_text shown to the person, or its "
            "text_version and text_sha256", field=prefix + field_name)
    if proof.consent_text:
        digest = hashlib.sha256(proof.consent_text.encode()).hexdigest()
        if proof.text_sha256 and proof.text_sha256.lower() != digest:
            raise ConsentProofMismatch("text_sha256 is not the SHA-256 of consent_text",
                                       field=prefix + "text_sha256")
        return _with(proof, text_sha256=digest)
    return proof


def _with(proof: Proof, **changes) -> Proof:
    return Proof(**{**{name: getattr(proof, name) for name in Proof.__slots__}, **changes})


def upsert_contact(brand: Brand, phone: str, *, attributes: dict | None = None,
                   consent: Proof | None = None, double_opt_in: bool | None = None,
                   now: datetime | None = None, settings: DeliverySettings | None = None,
                   ) -> Upserted:
    """Create or update the brand's contact for `phone` and record its consent event.

    Idempotent: the same attributes and the same event (kind, time, source, proof) change
    nothing the second time. A grant is appended to the ledger whatever came before, and the
    ledger decides by `occurred_at`: a STOP after it still wins, and a contact opted out by
    STOP stays opted out until they text START (Twilio keeps refusing with 21610 until then).
    A web-form grant under double opt-in waits for the person's Y instead.
    """
    now = now or timezone.now()
    facts = parse_or_refuse(phone)
    if consent is not None:
        consent = check_proof(consent)
    with transaction.atomic():
        contact, created = _locked_contact(brand, facts.e164, attributes or {})
        result = Upserted(contact, created=created)
        if contact.erased_at is not None:
            raise ContactErased("this person asked to be erased; the number stays suppressed "
                                "and cannot be added again", field="phone")
        if not created and attributes:
            merged = {**contact.attributes, **attributes}
            if merged != contact.attributes:
                contact.attributes = merged
                contact.save(update_fields=["attributes", "updated_at"])
                result.updated = True
        if consent is not None:
            _apply_consent(result, consent, double_opt_in=double_opt_in, now=now,
                           settings=settings or delivery_settings(brand))
    return result


def _locked_contact(brand: Brand, e164: str, attributes: dict) -> tuple[Contact, bool]:
    from delivery.services.contacts import register_contact

    contact = Contact.objects.select_for_update().filter(brand=brand, phone=e164).first()
    if contact is not None:
        return contact, False
    contact = register_contact(brand, e164, attributes=attributes)
    return Contact.objects.select_for_update().get(pk=contact.pk), True


def _apply_consent(result: Upserted, proof: Proof, *, double_opt_in: bool | None,
                   now: datetime, settings: DeliverySettings) -> None:
    from delivery.services.double_opt_in import request_confirmation

    contact = result.contact
    if _already_recorded(contact, proof):
        return
    if proof.status == ConsentEvent.Kind.REVOKED:
        opt_out_contact(contact, at=proof.occurred_at, source=proof.source,
                        detail=proof.source_detail)
        result.consent_recorded = True
        cancel_pending_sends(contact, reason=OPTED_OUT, detail=f"revoked ({proof.source})",
                             now=now)
        return
    wants_doi = settings.double_opt_in if double_opt_in is None else double_opt_in
    # Someone opted out by STOP is never sent a confirmation (Twilio would refuse it with
    # 21610 anyway): the grant goes into the ledger as history and only START lifts the STOP.
    if (wants_doi and proof.source == ConsentEvent.Source.WEB_FORM and not contact.opted_out
            and not _consent_effective(contact)):
        result.pending = request_confirmation(contact, proof, now=now, settings=settings)
        return
    record_consent(contact, kind=ConsentEvent.Kind.GRANTED, source=proof.source,
                   occurred_at=proof.occurred_at, consent_text=proof.consent_text,
                   text_version=proof.text_version, text_sha256=proof.text_sha256,
                   source_detail=proof.source_detail, ip=proof.ip, user_agent=proof.user_agent)
    result.consent_recorded = True


def _already_recorded(contact: Contact, proof: Proof) -> bool:
    same = ConsentEvent.objects.filter(contact=contact, kind=proof.status, source=proof.source,
                                       occurred_at=proof.occurred_at)
    if proof.status == ConsentEvent.Kind.GRANTED:
        same = same.filter(text_sha256=proof.text_sha256)
        pending = ConsentRequest.objects.filter(
            contact=contact, occurred_at=proof.occurred_at, text_sha256=proof.text_sha256,
            status__in=[ConsentRequest.Status.PENDING, ConsentRequest.Status.CONFIRMED])
        return same.exists() or pending.exists()
    return same.exists()


def _consent_effective(contact: Contact) -> bool:
    latest = (ConsentEvent.objects.filter(contact=contact)
              .order_by("-occurred_at", "-id").values_list("kind", flat=True).first())
    return latest == ConsentEvent.Kind.GRANTED and not contact.opted_out


def cancel_pending_sends(contact: Contact, *, reason: str, detail: str = "",
                         now: datetime | None = None) -> int:
    from delivery.services.sending import cancel_send

    pending = Send.objects.filter(contact=contact, status=Send.Status.PENDING)
    return sum(cancel_send(send, reason=reason, detail=detail, now=now) for send in pending)


@dataclass(frozen=True, slots=True)
class OptedOut:
    contact: Contact
    changed: bool
    canceled_sends: int


def record_brand_opt_out(brand: Brand, phone: str, *, source: str, detail: str,
                         at: datetime | None = None, now: datetime | None = None) -> OptedOut:
    """An opt-out the brand heard on its own channel (support e-mail, another SMS tool).
    An unknown number becomes a contact without consent, so a later import cannot text it."""
    from delivery.services.contacts import register_contact

    now = now or timezone.now()
    facts = parse_or_refuse(phone)
    with transaction.atomic():
        contact = register_contact(brand, facts.e164)
        changed = opt_out_contact(contact, at=at or now, source=source, detail=detail)
        canceled = cancel_pending_sends(contact, reason=OPTED_OUT, detail=detail, now=now)
    contact.refresh_from_db()
    return OptedOut(contact, changed, canceled)


@dataclass(frozen=True, slots=True)
class Erased:
    contact: Contact
    decisions: int
    sends: int
    events: int
    canceled_sends: int


def erase_contact(contact: Contact, *, now: datetime | None = None, detail: str = "") -> Erased:
    """Erasure on request. Goes: attributes, merge values (in decisions, sends, the outbox
    and short-link destinations), events, inbound message bodies, unconfirmed consent
    requests. Stays: the number and the consent ledger (proof against a TCPA claim, which may
    come for 4 years), and the opt-out: the contact is opted out and held, so nothing is ever
    texted to the number again by mistake (README "Bringing your audience")."""
    now = now or timezone.now()
    with transaction.atomic():
        opt_out_contact(contact, at=now, source=ConsentEvent.Source.SUPPORT,
                        detail=("erasure request " + detail).strip()[:500])
        canceled = cancel_pending_sends(contact, reason=ERASED, detail="erased on request",
                                        now=now)
        template = Subquery(Variant.objects.filter(pk=OuterRef("variant_id")).values("text")[:1])
        decisions = Decision.objects.filter(contact=contact)
        count_decisions = decisions.update(merge={}, text=template, detail="")
        sends = Send.objects.filter(contact=contact).update(body=Subquery(
            Decision.objects.filter(pk=OuterRef("decision_id")).values("text")[:1]))
        OutboxMessage.objects.filter(brand_id=contact.brand_id, to_phone=contact.phone
                                     ).update(body="", detail="")
        for link in ShortLink.objects.filter(decision__contact=contact):
            parts = urlsplit(link.destination)
            ShortLink.objects.filter(pk=link.pk).update(
                destination=f"{parts.scheme}://{parts.netloc}/")
        events, _ = Event.objects.filter(brand_id=contact.brand_id, phone=contact.phone).delete()
        InboundMessage.objects.filter(brand_id=contact.brand_id, from_phone=contact.phone
                                      ).update(body="", reply_body="")
        ConsentRequest.objects.filter(contact=contact).delete()
        Contact.objects.filter(pk=contact.pk).update(
            attributes={}, erased_at=now, consent_pending_until=None, hold_for_review=True,
            review_reason="erased on request: never text this number")
    contact.refresh_from_db()
    return Erased(contact, count_decisions, sends, events, canceled)
