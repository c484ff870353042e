"""Texts people send us: opt-out, opt-in, help, or a person must read it (docs/domain.md §2)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from brandguard.models import Brand
from delivery.keywords import classify
from delivery.models import ConsentEvent, Contact, DeliverySettings, InboundMessage
from delivery.phones import InvalidPhone, parse_phone
from delivery.services.contacts import (
    hold_contact_for_review,
    opt_in_contact,
    opt_out_contact,
    register_contact,
)
from delivery.services.double_opt_in import confirm_from_reply, is_confirmation_reply


@dataclass(frozen=True, slots=True)
class InboundResult:
    message: InboundMessage | None
    reply: str | None
    duplicate: bool = False


def opt_out_reply(brands: list[Brand]) -> str:
    # One confirmation, no marketing (FCC SoundBite 2012; 47 CFR 64.1200(a)(12)).
    return (f"{_names(brands)}You are unsubscribed and will receive no more messages. "
            "Reply START to resubscribe.")


def opt_in_reply(brands: list[Brand]) -> str:
    # CTIA opt-in confirmation: program, frequency, rates, HELP and STOP.
    return (f"{_names(brands)}You are subscribed to marketing texts. Msg frequency varies. "
            "Msg & data rates may apply. Reply HELP for help. Reply STOP to opt out.")


def help_reply(brands: list[Brand]) -> str:
    # CTIA: a HELP reply carries the brand, a support contact and how to opt out.
    support = ", ".join(sorted({b.support_contact for b in brands if b.support_contact}))
    return (f"{_names(brands)}Help: {support or 'reply to this message'}. "
            "Msg & data rates may apply. Reply STOP to opt out.")


def _names(brands: list[Brand]) -> str:
    names = sorted({b.sender_name for b in brands})
    return f"{', '.join(names)}: " if names else ""


def handle_inbound(
    *, sid: str, from_phone: str, to_phone: str, body: str, messaging_service_sid: str = "",
    token: str | None = None, now: datetime | None = None,
) -> InboundResult:
    """Record the message once (Twilio retries webhooks) and act on it at once: STOP opts the
    person out before this returns. The reply is the TwiML text, or None."""
    now = now or timezone.now()
    verdict = classify(body)
    with transaction.atomic():
        try:
            with transaction.atomic():
                message = InboundMessage.objects.create(
                    sid=sid, idempotency_token=token or None, from_phone=from_phone[:32],
                    to_phone=to_phone[:32], body=body, classification=verdict.kind,
                    matched=(verdict.matched or "")[:200],
                    needs_review=verdict.kind == "review", received_at=now)
        except IntegrityError:
            return InboundResult(None, None, duplicate=True)
        brands = resolve_brands(to_phone=to_phone, messaging_service_sid=messaging_service_sid,
                                from_phone=from_phone)
        # A START from a new number at a brand's own sender is a keyword sign-up (the
        # message is the proof); a STOP from a stranger is remembered.
        contacts = _contacts(brands, from_phone, create=verdict.kind in ("opt_out", "opt_in"))
        confirmed = (confirm_from_reply(contacts, message_sid=sid, at=now)
                     if is_confirmation_reply(body) else [])
        reply: str | None
        if confirmed:
            reply = opt_in_reply([c.brand for c in confirmed])
        else:
            reply = _act(verdict.kind, verdict.matched or "", brands, contacts, message, now)
        InboundMessage.objects.filter(pk=message.pk).update(
            brand=brands[0] if len(brands) == 1 else None, handled=True, reply_body=reply or "")
    return InboundResult(message, reply)


def _act(kind: str, matched: str, brands: list[Brand], contacts: list[Contact],
         message: InboundMessage, now: datetime) -> str | None:
    if kind == "opt_out":
        changed = [opt_out_contact(c, at=now, source=ConsentEvent.Source.KEYWORD,
                                   inbound_message_sid=message.sid, detail=message.body[:500])
                   for c in contacts]
        # Only the first opt-out earns the one confirmation; a repeat STOP gets silence.
        return opt_out_reply(brands) if any(changed) or not contacts else None
    if kind == "opt_in":
        for contact in contacts:
            opt_in_contact(contact, at=now, keyword=matched, inbound_message_sid=message.sid)
        return opt_in_reply(brands) if contacts else None
    if kind == "help":
        return help_reply(brands)
    if kind == "review":
        for contact in contacts:
            hold_contact_for_review(contact, reason=f"ambiguous reply: {message.body[:150]}")
    return None


def resolve_brands(*, to_phone: str, messaging_service_sid: str, from_phone: str) -> list[Brand]:
    """Brands the person was texting: the one whose Messaging Service or number received it;
    if none claims it, the sender is shared, so every brand that has this person (failing
    closed: an unattributed STOP must stop them all)."""
    match = Q(sender_number=to_phone) if to_phone else Q(pk__in=[])
    if messaging_service_sid:
        match |= Q(messaging_service_sid=messaging_service_sid)
    owners = list(Brand.objects.filter(
        pk__in=DeliverySettings.objects.filter(match).values("brand_id")))
    if owners:
        return owners
    return list(Brand.objects.filter(contacts__phone=from_phone).distinct().order_by("name"))


def _contacts(brands: list[Brand], phone: str, *, create: bool) -> list[Contact]:
    found = list(Contact.objects.filter(brand__in=brands, phone=phone))
    if not create:
        return found
    known = {c.brand_id for c in found}
    for brand in brands:
        if brand.pk not in known and _parses(phone):
            # Remember the STOP even before any consent: a later import must not text them.
            found.append(register_contact(brand, phone))
    return found


def _parses(phone: str) -> bool:
    try:
        parse_phone(phone)
    except InvalidPhone:
        return False
    return True
