"""Behaviour events: what people do on the brand's site (views, carts, checkouts, purchases,
sign-ups) and the shop's product news. Each is stored once per (brand, event_id), rewards
the decision it belongs to (a purchase is a conversion) and moves the person's stage and
journeys (delivery.services.journeys), in one transaction, under the person's row lock.

A batch (`POST /api/v1/events/batch`) reads once what its events share (the brand's
journeys, settings, thresholds and click curve; its people's engaged hours, kept current as
its events are stored; which of its event_ids are stored already) and then takes its events
in order, each in a transaction of its own: a person's lock is held for one event, never for
a whole batch, so batches from concurrent flows naming the same people do not queue behind
each other, and a refused or raced event leaves the others standing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from uuid import UUID

from django.db import IntegrityError, transaction

from brandguard.models import Brand
from delivery import clock
from delivery.models import Contact, Decision, Event
from delivery.services import event_rows
from delivery.services.contacts import parse_or_refuse
from delivery.services.errors import DeliveryError, InvalidEvent, UnknownDecision
from delivery.services.events import EventReport, EventResult
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
class BehaviourReport(EventReport):
    """A feedback report that also carries its payload (product, order, cart)."""

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
    event, created = _record(brand, report, now=now, ctx=BrandContext.load(brand, now=now),
                             known=None)
    assert event is not None  # without `known` a replay is looked up, never skipped
    return event, created


def record_behaviour_events(brand: Brand, reports: list[BehaviourReport], *,
                            now: datetime | None = None) -> list[EventResult]:
    """Several behaviour events, in order, each in its own short transaction (see the
    module docstring): one result per report: accepted, duplicate or error."""
    now = now or clock.now()
    ctx = BrandContext.load(brand, now=now)
    ctx.prefetch_engagement(Contact.objects.filter(
        brand=brand, phone__in={r.phone for r in reports if r.phone}).values_list("pk", flat=True))
    known = event_rows.known_event_ids(brand.pk, {r.event_id for r in reports})
    results = []
    for report in reports:
        try:
            _, created = _record(brand, report, now=now, ctx=ctx, known=known)
        except DeliveryError as error:
            ctx.settle(stored=False)
            results.append(EventResult(report.event_id, "error", error))
            continue
        ctx.settle(stored=created)
        known.add(report.event_id)
        results.append(EventResult(report.event_id, "accepted" if created else "duplicate"))
    return results


def _record(brand: Brand, report: BehaviourReport, *, now: datetime, ctx: BrandContext,
            known: set[str] | None) -> tuple[Event | None, bool]:
    """One report in one transaction. `known`: event_ids a batch already knows are stored
    (None: look this one up)."""
    try:
        with transaction.atomic():
            contact, e164, decision = _checked(brand, report)
            if known is not None and report.event_id in known:
                return None, False
            existing = (Event.objects.filter(brand=brand, event_id=report.event_id).first()
                        if known is None else None)
            if existing is not None:
                return existing, False
            return _apply(brand, report, contact, e164, decision, now=now, ctx=ctx), True
    except IntegrityError:
        # The same event_id raced us in (it is the same event). Any other conflict is a bug.
        raced = Event.objects.filter(brand=brand, event_id=report.event_id).first()
        if raced is None:
            raise
        return raced, False


def _checked(brand: Brand, report: BehaviourReport
             ) -> tuple[Contact | None, str, Decision | None]:
    """Everything that can refuse the report, before it writes: (the person's contact row,
    locked; their number in E.164; the decision it names)."""
    phone = report.phone
    if not phone and report.decision_id is not None:  # a flow may name the decision alone
        phone = Decision.objects.filter(brand=brand, pk=report.decision_id).values_list(
            "phone", flat=True).first()
    _check_payload(report.type, phone, report.data or {})
    contact, e164 = _person(brand, phone) if phone else (None, "")
    return contact, e164, _given_decision(brand, report.decision_id, e164)


def _apply(brand: Brand, report: BehaviourReport, contact: Contact | None, e164: str,
           decision: Decision | None, *, now: datetime, ctx: BrandContext) -> Event:
    occurred_at = report.occurred_at or now
    rewarded = report.type in ctx.settings.rewarded_event_types
    if decision is None and contact is not None and rewarded:
        decision = _attributed_decision(
            contact, occurred_at, timedelta(days=ctx.settings.attribution_window_days))
    event = Event.objects.create(
        brand=brand, event_id=report.event_id, phone=e164, contact=contact, type=report.type,
        decision=decision, data=report.data or {}, occurred_at=occurred_at)
    if decision is not None and rewarded:
        reward_decision(decision, at=now)
    if contact is not None:  # a batch's prefetched history: as a fresh read would find it
        ctx.saw(contact.pk, report.type, occurred_at)
    on_behaviour_event(event, now=now, ctx=ctx, contact=contact)
    return event


def _person(brand: Brand, phone: str) -> tuple[Contact | None, str]:
    """A number exactly as a contact stores it is valid already: only the others are
    parsed."""
    contact = Contact.objects.select_for_update().filter(brand=brand, phone=phone).first()
    e164 = phone
    if contact is None:
        e164 = parse_or_refuse(phone).e164
        if e164 != phone:
            contact = (Contact.objects.select_for_update().filter(brand=brand, phone=e164)
                       .first())
    if contact is not None:
        contact.brand = brand  # the same row: no second read for the brand
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
