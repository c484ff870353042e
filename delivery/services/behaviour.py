"""Behaviour events: what people do on the brand's site (views, carts, checkouts, purchases,
sign-ups) and the shop's product news. Each is stored once per (brand, event_id), rewards
the decision it belongs to (a purchase is a conversion) and moves the person's stage and
journeys (delivery.services.journeys), in the same transaction, under the person's row lock.

A batch (`POST /api/v1/events/batch`) is one transaction: the brand's journeys, settings,
thresholds and click curve are read once for it, its people are locked once, in id order
(so two batches naming the same people never deadlock), and each event runs on a
savepoint of its own, so a refused one leaves nothing half-written and the others stand.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from uuid import UUID

from django.db import IntegrityError, transaction

from brandguard.models import Brand
from delivery import clock
from delivery.models import Contact, Decision, Event
from delivery.services.contacts import parse_or_refuse
from delivery.services.errors import DeliveryError, InvalidEvent, UnknownDecision
from delivery.services.events import EventResult
from delivery.services.journeys import BrandContext, on_behaviour_event
from delivery.services.rewards import reward_decision

# Behaviour types. They move the lifecycle stage and start or end journeys. A purchase is
# both a reward and one.
BEHAVIOUR_TYPES = frozenset({"purchased", "subscribed", "product_viewed", "added_to_cart",
                             "checkout_started", "back_in_stock", "price_dropped"})
# About a product, not a person: they reach the people who viewed it.
PRODUCT_NEWS_TYPES = frozenset({"back_in_stock", "price_dropped"})
NEEDS_PRODUCT = PRODUCT_NEWS_TYPES | {"product_viewed"}


@dataclass(frozen=True, slots=True)
class BehaviourReport:
    event_id: str
    type: str
    phone: str | None = None
    decision_id: UUID | None = None
    occurred_at: datetime | None = None
    data: dict | None = None


def record_behaviour_event(
    brand: Brand, *, event_id: str, phone: str | None, type: str,
    decision_id: UUID | None = None, occurred_at: datetime | None = None,
    data: dict | None = None, now: datetime | None = None,
) -> tuple[Event, bool]:
    """Store one behaviour event and apply it. Returns (event, created); a replayed event_id
    changes nothing. Without a decision_id a rewarded type goes to the latest text sent to
    the person within the attribution window. `occurred_at` places a late or out-of-order
    event at its own time: the journeys judge "a purchase after the cart" by when things
    happened, not when we heard. Raises the DeliveryError a refused event gets."""
    now = now or clock.now()
    report = BehaviourReport(event_id, type, phone, decision_id, occurred_at, data)
    return _record(brand, report, now=now, ctx=BrandContext.load(brand, now=now), people={})


def record_behaviour_events(brand: Brand, reports: list[BehaviourReport], *,
                            now: datetime | None = None) -> list[EventResult]:
    """Several behaviour events in one transaction (see the module docstring): one result
    per report, in order: accepted, duplicate or error."""
    now = now or clock.now()
    results = []
    with transaction.atomic():
        ctx = BrandContext.load(brand, now=now)
        phones = {r.phone for r in reports if r.phone}
        people = {c.phone: c for c in Contact.objects.select_for_update().filter(
            brand=brand, phone__in=phones).order_by("pk")}
        for report in reports:
            try:
                _, created = _record(brand, report, now=now, ctx=ctx, people=people)
            except DeliveryError as error:
                results.append(EventResult(report.event_id, "error", error))
                continue
            results.append(EventResult(report.event_id,
                                       "accepted" if created else "duplicate"))
    return results


def _record(brand: Brand, report: BehaviourReport, *, now: datetime, ctx: BrandContext,
            people: dict[str, Contact]) -> tuple[Event, bool]:
    occurred_at = report.occurred_at or now
    data, phone, type = report.data or {}, report.phone, report.type
    if not phone and report.decision_id is not None:  # a flow may name the decision alone
        phone = Decision.objects.filter(brand=brand, pk=report.decision_id).values_list(
            "phone", flat=True).first()
    _check_payload(type, phone, data)
    with transaction.atomic():
        contact, e164 = _person(brand, phone, people) if phone else (None, "")
        decision = _given_decision(brand, report.decision_id, e164)
        existing = Event.objects.filter(brand=brand, event_id=report.event_id).first()
        if existing is not None:
            return existing, False
        rewarded = type in ctx.settings.rewarded_event_types
        if decision is None and contact is not None and rewarded:
            decision = _attributed_decision(
                contact, occurred_at, timedelta(days=ctx.settings.attribution_window_days))
        try:
            with transaction.atomic():
                event = Event.objects.create(
                    brand=brand, event_id=report.event_id, phone=e164, contact=contact,
                    type=type, decision=decision, data=data, occurred_at=occurred_at)
        except IntegrityError:  # the same event_id raced us in: it is the same event
            return Event.objects.get(brand=brand, event_id=report.event_id), False
        if decision is not None and rewarded:
            reward_decision(decision, at=now)
        on_behaviour_event(event, now=now, ctx=ctx, contact=contact)
    return event, True


def _person(brand: Brand, phone: str, people: dict[str, Contact]
            ) -> tuple[Contact | None, str]:
    """The person's contact row, locked, and their number in E.164. A number exactly as a
    contact stores it is valid already: only the others are parsed."""
    if phone in people:
        return people[phone], phone
    contact = Contact.objects.select_for_update().filter(brand=brand, phone=phone).first()
    e164 = phone
    if contact is None:
        e164 = parse_or_refuse(phone).e164
        if e164 != phone:
            contact = (Contact.objects.select_for_update().filter(brand=brand, phone=e164)
                       .first())
    if contact is not None:
        contact.brand = brand  # the same row: no second read for the brand
        people[e164] = contact
    return contact, e164


def _check_payload(type: str, phone: str | None, data: dict) -> None:
    if type in NEEDS_PRODUCT and not data.get("product"):
        raise InvalidEvent(f"a {type} event needs its product", field="product")
    if not phone and type not in PRODUCT_NEWS_TYPES:
        raise InvalidEvent(f"a {type} event needs the person's phone", field="phone")


def _given_decision(brand: Brand, decision_id: UUID | None, phone: str) -> Decision | None:
    if decision_id is None:
        return None
    decision = Decision.objects.filter(brand=brand, pk=decision_id).first()
    if decision is None or not phone or decision.phone != phone:
        raise UnknownDecision("no decision with this id for this brand and phone",
                              field="decision_id")
    return decision


def _attributed_decision(contact: Contact, occurred_at: datetime, window: timedelta
                         ) -> Decision | None:
    return (Decision.objects.filter(contact=contact, counted_at__isnull=False,
                                    counted_at__lte=occurred_at,
                                    counted_at__gte=occurred_at - window)
            .order_by("-counted_at").first())
