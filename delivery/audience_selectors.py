"""Reads about one person: their consent state, their ledger and their whole story (API,
studio Contacts page, data export)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.utils import timezone

from brandguard.models import Brand
from delivery.models import (
    ConsentEvent,
    ConsentRequest,
    Contact,
    Decision,
    Event,
    InboundMessage,
    Send,
    ShortLink,
)
from delivery.phones import InvalidPhone, parse_phone

RECENT = 20


@dataclass(frozen=True, slots=True)
class ConsentSummary:
    state: str  # granted | pending | revoked | opted_out | none
    since: datetime | None
    source: str | None
    reason: str | None

    @property
    def label(self) -> str:
        return {"granted": "Granted", "pending": "Waiting for the person's Y",
                "revoked": "Revoked", "opted_out": "Opted out", "none": "None"}[self.state]

    @property
    def source_label(self) -> str:
        return str(ConsentEvent.Source(self.source).label) if self.source else ""

    def as_dict(self) -> dict[str, Any]:
        return {"state": self.state, "since": self.since, "source": self.source}


def find_contact(brand: Brand, phone: str) -> Contact | None:
    """The brand's contact for a number written in any format (None if unknown or
    unparseable: a search box should say "no one", not fail)."""
    for candidate in _spellings(phone):
        try:
            e164 = parse_phone(candidate).e164
        except InvalidPhone:
            continue
        return Contact.objects.filter(brand=brand, phone=e164).first()
    return None


def _spellings(phone: str) -> list[str]:
    """A number as typed into a search box: "+1 415…", "(415) 555-0123", "1-415-…". Without
    a + only North American numbers are guessed (the brand's audience is US)."""
    digits = "".join(ch for ch in phone if ch.isdigit())
    if phone.strip().startswith("+") or not digits:
        return [phone]
    if len(digits) == 10:
        return [f"+1{digits}"]
    if len(digits) == 11 and digits.startswith("1"):
        return [f"+{digits}"]
    return [f"+{digits}"]


def consent_summary(contact: Contact, *, now: datetime | None = None) -> ConsentSummary:
    now = now or timezone.now()
    latest = (ConsentEvent.objects.filter(contact=contact).order_by("-occurred_at", "-id")
              .values("kind", "occurred_at", "source").first())
    if contact.opted_out:
        newer_grant = latest is not None and latest["kind"] == ConsentEvent.Kind.GRANTED
        reason = ("erased on request: this number is never texted again" if contact.erased_at
                  else "opted out; a later grant is kept as proof but texts resume only when "
                  "the person texts START" if newer_grant else "opted out")
        source = (ConsentEvent.objects.filter(contact=contact, kind=ConsentEvent.Kind.REVOKED)
                  .order_by("-occurred_at", "-id").values_list("source", flat=True).first())
        return ConsentSummary("opted_out", contact.opted_out_at, source, reason)
    if latest is not None and latest["kind"] == ConsentEvent.Kind.GRANTED:
        return ConsentSummary("granted", latest["occurred_at"], latest["source"], None)
    if contact.consent_pending_until and contact.consent_pending_until > now:
        return ConsentSummary("pending", None, ConsentEvent.Source.WEB_FORM,
                              "waiting for the person's Y to the confirmation text until "
                              f"{contact.consent_pending_until:%Y-%m-%d %H:%M} UTC")
    if latest is not None:
        return ConsentSummary("revoked", latest["occurred_at"], latest["source"],
                              "consent revoked")
    return ConsentSummary("none", None, None, "no consent recorded: this person is never texted")


def contact_answer(contact: Contact, *, now: datetime | None = None) -> dict[str, Any]:
    """The body of POST /api/v1/contacts (and each batch item)."""
    summary = consent_summary(contact, now=now)
    reason = contact.review_reason if contact.hold_for_review else summary.reason
    return {"phone": contact.phone, "consent": summary.as_dict(),
            "held_for_review": contact.hold_for_review, "reason": reason or None}


def ledger(contact: Contact) -> list[dict[str, Any]]:
    return [{
        "kind": e.kind, "source": e.source, "occurred_at": e.occurred_at,
        "recorded_at": e.recorded_at, "consent_text": e.consent_text or None,
        "text_version": e.text_version or None, "text_sha256": e.text_sha256 or None,
        "source_detail": e.source_detail or None, "ip": e.ip, "user_agent": e.user_agent or None,
        "inbound_message_sid": e.inbound_message_sid or None,
    } for e in ConsentEvent.objects.filter(contact=contact).order_by("occurred_at", "id")]


def number_facts(contact: Contact) -> dict[str, Any]:
    return {"valid": contact.valid, "type": contact.number_type, "region": contact.region or None,
            "time_zones": contact.time_zones, "state": contact.us_state or None,
            "geographic": contact.geographic, "flags": contact.number_flags}


def recent_decisions(contact: Contact, limit: int = RECENT) -> list[dict[str, Any]]:
    return [{"decision_id": d.id, "created_at": d.created_at, "intent": d.intent,
             "stage": d.stage, "status": d.status, "reason": d.reason or None,
             "variant_id": d.variant_id, "text": d.text or None, "send_at": d.send_at}
            for d in Decision.objects.filter(contact=contact).order_by("-created_at")[:limit]]


def recent_sends(contact: Contact, limit: int = RECENT) -> list[dict[str, Any]]:
    return [{"send_id": s.id, "decision_id": s.decision_id, "status": s.status,
             "scheduled_for": s.scheduled_for, "sent_at": s.sent_at, "body": s.body,
             "error_code": s.error_code, "error_message": s.error_message or None}
            for s in Send.objects.filter(contact=contact).order_by("-scheduled_for")[:limit]]


def contact_details(contact: Contact, *, now: datetime | None = None) -> dict[str, Any]:
    """GET /api/v1/contacts/{phone}."""
    pending = (ConsentRequest.objects.filter(contact=contact).order_by("-created_at", "-id")
               .first())
    return {
        **contact_answer(contact, now=now),
        "attributes": contact.attributes, "opted_out": contact.opted_out,
        "opted_out_at": contact.opted_out_at, "erased_at": contact.erased_at,
        "created_at": contact.created_at,
        "double_opt_in": None if pending is None else {
            "status": pending.status, "requested_at": pending.created_at,
            "expires_at": pending.expires_at, "confirmed_at": pending.confirmed_at,
            "text_status": pending.text_status},
        "ledger": ledger(contact), "number": number_facts(contact),
        "decisions": recent_decisions(contact), "sends": recent_sends(contact),
    }


@dataclass(frozen=True, slots=True)
class Moment:
    at: datetime
    kind: str  # consent | decision | send | click | event | inbound | confirmation
    title: str
    detail: str
    tone: str = ""  # good | bad | ""


def timeline(contact: Contact) -> list[Moment]:
    """One person's story, newest first: consent with its proof, decisions, sends with their
    status, clicks, events, what they texted us and double opt-in requests."""
    moments: list[Moment] = []
    for e in ConsentEvent.objects.filter(contact=contact):
        proof = e.consent_text or (f"text {e.text_version} (sha256 {e.text_sha256[:12]}…)"
                                   if e.text_version else "") or e.source_detail
        moments.append(Moment(e.occurred_at, "consent",
                              f"Consent {e.get_kind_display().lower()} ({e.get_source_display()})",
                              proof, "good" if e.kind == "granted" else "bad"))
    for d in Decision.objects.filter(contact=contact):
        what = f"{d.intent.replace('_', ' ')} × {d.stage.replace('_', ' ')}"
        moments.append(Moment(d.created_at, "decision", f"Decision: {d.status} {d.reason}",
                              f"{what}: {d.text}" if d.text else what))
    for s in Send.objects.filter(contact=contact):
        moments.append(Moment(s.sent_at or s.scheduled_for, "send", f"Send {s.status}",
                              s.error_message or s.body,
                              "bad" if s.status in ("failed", "undelivered", "canceled") else ""))
    for link in ShortLink.objects.filter(decision__contact=contact, first_clicked_at__isnull=False):
        moments.append(Moment(link.first_clicked_at, "click",  # type: ignore[arg-type]
                              f"Clicked /l/{link.code} ({link.clicks}×)", link.destination))
    for ev in Event.objects.filter(brand_id=contact.brand_id, phone=contact.phone).exclude(
            type=Event.Type.CLICKED, event_id__startswith="link:"):  # the click moment says it
        moments.append(Moment(ev.occurred_at, "event", f"Event: {ev.get_type_display()}",
                              event_detail(ev)))
    for m in InboundMessage.objects.filter(brand_id=contact.brand_id, from_phone=contact.phone):
        moments.append(Moment(m.received_at, "inbound", f"Texted us ({m.classification})",
                              m.body))
    for r in ConsentRequest.objects.filter(contact=contact):
        moments.append(Moment(r.created_at, "confirmation",
                              f"Double opt-in requested: {r.get_status_display().lower()}",
                              f"text {r.text_status}; expires {r.expires_at:%Y-%m-%d %H:%M}"))
    return sorted(moments, key=lambda m: m.at, reverse=True)


def event_detail(event: Event) -> str:
    """What a behaviour event was about (the product, the order), else its id."""
    product = (event.data or {}).get("product") or {}
    order = (event.data or {}).get("order") or {}
    if product.get("name"):
        return f"{product['name']} ({event.event_id})"
    if order:
        return f"order {order.get('id')} · {order.get('value')} ({event.event_id})"
    return event.event_id


def export_contact(contact: Contact) -> dict[str, Any]:
    """Everything we hold about the person (a data-access request), as JSON-ready data."""
    details = contact_details(contact)
    details["decisions"] = recent_decisions(contact, limit=10_000)
    details["sends"] = recent_sends(contact, limit=10_000)
    details["events"] = [{"event_id": e.event_id, "type": e.type, "occurred_at": e.occurred_at}
                         for e in Event.objects.filter(brand_id=contact.brand_id,
                                                       phone=contact.phone)]
    details["inbound_messages"] = [
        {"received_at": m.received_at, "body": m.body, "classification": m.classification}
        for m in InboundMessage.objects.filter(brand_id=contact.brand_id,
                                               from_phone=contact.phone)]
    details["clicks"] = [
        {"code": link.code, "destination": link.destination, "clicks": link.clicks,
         "first_clicked_at": link.first_clicked_at}
        for link in ShortLink.objects.filter(decision__contact=contact, clicks__gt=0)]
    return details
