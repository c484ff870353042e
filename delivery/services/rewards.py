"""What the bandit learns: a send is a trial, a click or conversion a success, an opt-out soon
after a send a penalty (events a flow reports are applied by `services/events.py`). Every count moves once, by a conditional UPDATE on the decision, and
the arm counts move with F() expressions, so concurrent workers never double count or lose
an update."""

from __future__ import annotations

from contextlib import contextmanager
from datetime import datetime, timedelta
from uuid import UUID

from django.db import IntegrityError, connection, transaction
from django.db.models import F

from brandguard.models import Brand
from delivery import clock
from delivery.models import ArmState, Contact, Decision, Event, ShortLink
from delivery.selectors import delivery_settings
from delivery.services.contacts import parse_or_refuse
from delivery.services.errors import InvalidEvent, UnknownDecision


def _arm(decision: Decision):
    return ArmState.objects.filter(brand_id=decision.brand_id, intent=decision.intent,
                                   stage=decision.stage, variant_id=decision.variant_id or 0)


def _bump(decision: Decision, **changes) -> None:
    if _arm(decision).update(**changes) == 0:
        ArmState.objects.bulk_create(
            [ArmState(brand_id=decision.brand_id, intent=decision.intent, stage=decision.stage,
                      variant_id=decision.variant_id or 0)], ignore_conflicts=True)
        _arm(decision).update(**changes)


@contextmanager
def _counter_transaction():
    """Arm counts are learning statistics, not compliance records. As a transaction of its
    own, commit without waiting for the WAL flush, so the hot arm row (every send of a
    variant updates it) is released at once: a database crash may lose the last few counts,
    never a send, a consent or an opt-out. Nested in a caller's transaction, change nothing."""
    outermost = not transaction.get_connection().in_atomic_block
    with transaction.atomic():
        if outermost:
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL synchronous_commit TO OFF")
        yield


# count_trial runs after every text. The conditional UPDATE of the decision and the F() bump
# of its arm as one statement: the two ORM updates cost more Python to compile than the rest
# of the sender's bookkeeping. Same conditions as reward_decision's pair, written out.
_COUNT_TRIAL_SQL = """
WITH counted AS (
    UPDATE delivery_decision SET counted_at = %(at)s
    WHERE id = %(decision_id)s AND counted_at IS NULL AND voided_at IS NULL
      AND variant_id IS NOT NULL
    RETURNING brand_id, intent, stage, variant_id
), bumped AS (
    UPDATE delivery_armstate a SET failures = a.failures + 1
    FROM counted c
    WHERE a.brand_id = c.brand_id AND a.intent = c.intent AND a.stage = c.stage
      AND a.variant_id = c.variant_id
    RETURNING a.id
)
SELECT (SELECT count(*) FROM counted), (SELECT count(*) FROM bumped)"""


def count_trial(decision: Decision, *, at: datetime) -> bool:
    """The text went out: one more failure until a reward turns it into a success."""
    with _counter_transaction(), connection.cursor() as cursor:
        cursor.execute(_COUNT_TRIAL_SQL, {"at": at, "decision_id": decision.pk})
        first, bumped = cursor.fetchone()
        if first and not bumped:  # the arm has no row yet: create it, then count
            _bump(decision, failures=F("failures") + 1)
    return bool(first)


def reward_decision(decision: Decision, *, at: datetime) -> bool:
    """A success for the decision's arm, once, and only for a text that actually went out."""
    with _counter_transaction():
        first = Decision.objects.filter(pk=decision.pk, rewarded_at__isnull=True,
                                        counted_at__isnull=False, voided_at__isnull=True
                                        ).update(rewarded_at=at)
        if first:
            _bump(decision, successes=F("successes") + 1, failures=F("failures") - 1)
    return bool(first)


def penalize_recent_send(contact: Contact, *, at: datetime) -> bool:
    """An opt-out within the brand's window after a send costs that send's arm a penalty."""
    settings = delivery_settings(contact.brand)
    since = at - timedelta(days=settings.penalty_window_days)
    latest = (Decision.objects.filter(contact=contact, counted_at__gte=since,
                                      counted_at__lte=at, penalized_at__isnull=True,
                                      voided_at__isnull=True)
              .order_by("-counted_at").first())
    if latest is None:
        return False
    with _counter_transaction():
        first = Decision.objects.filter(pk=latest.pk, penalized_at__isnull=True
                                        ).update(penalized_at=at)
        if first:
            _bump(latest, penalties=F("penalties") + 1)
    return bool(first)


# Behaviour types: what people do on the brand's site. They move the lifecycle stage and
# start or end journeys (delivery.services.journeys). A purchase is both a reward and one.
BEHAVIOUR_TYPES = frozenset({"purchased", "subscribed", "product_viewed", "added_to_cart",
                             "checkout_started", "back_in_stock", "price_dropped"})
# About a product, not a person: they reach the people who viewed it.
PRODUCT_NEWS_TYPES = frozenset({"back_in_stock", "price_dropped"})
NEEDS_PRODUCT = PRODUCT_NEWS_TYPES | {"product_viewed"}


def record_behaviour_event(
    brand: Brand, *, event_id: str, phone: str | None, type: str,
    decision_id: UUID | None = None, occurred_at: datetime | None = None,
    data: dict | None = None, now: datetime | None = None,
) -> tuple[Event, bool]:
    """Store an event once per (brand, event_id), reward the decision it belongs to and let
    behaviour move the person's stage and journeys, in one transaction.

    Returns (event, created). A replayed event_id changes nothing. Without a decision_id
    a rewarded type goes to the latest text sent to the person within the attribution
    window. `occurred_at` places a late or out-of-order event at its own time: the journeys
    judge "a purchase after the cart" by when things happened, not when we heard.
    """
    now = now or clock.now()
    occurred_at = occurred_at or now
    data = data or {}
    if not phone and decision_id is not None:  # a flow may name the decision alone
        phone = Decision.objects.filter(brand=brand, pk=decision_id).values_list(
            "phone", flat=True).first()
    _check_payload(type, phone, data)
    e164 = parse_or_refuse(phone).e164 if phone else ""
    decision = _given_decision(brand, decision_id, e164)
    with transaction.atomic():
        existing = Event.objects.filter(brand=brand, event_id=event_id).first()
        if existing is not None:
            return existing, False
        contact = (Contact.objects.filter(brand=brand, phone=e164).first() if e164 else None)
        settings = delivery_settings(brand)
        if decision is None and contact is not None and type in settings.rewarded_event_types:
            decision = _attributed_decision(contact, occurred_at,
                                            timedelta(days=settings.attribution_window_days))
        try:
            with transaction.atomic():
                event = Event.objects.create(brand=brand, event_id=event_id, phone=e164,
                                             contact=contact, type=type, decision=decision,
                                             data=data, occurred_at=occurred_at)
        except IntegrityError:  # the same event_id raced us in: it is the same event
            return Event.objects.get(brand=brand, event_id=event_id), False
        if decision is not None and type in settings.rewarded_event_types:
            reward_decision(decision, at=now)
        if type in BEHAVIOUR_TYPES:
            from delivery.services.journeys import on_behaviour_event

            on_behaviour_event(event, now=now)
    return event, True


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


def record_click(link: ShortLink, *, now: datetime | None = None) -> str:
    """Count a visit to /l/<code>; the first one is a click event (and reward). Returns the
    destination. The caller has checked the destination is still allowed."""
    now = now or clock.now()
    with transaction.atomic():
        ShortLink.objects.filter(pk=link.pk).update(clicks=F("clicks") + 1)
        first = ShortLink.objects.filter(pk=link.pk, first_clicked_at__isnull=True
                                         ).update(first_clicked_at=now)
        if first:
            decision = link.decision
            Event.objects.create(brand_id=link.brand_id, event_id=f"link:{link.code}",
                                 phone=decision.phone, contact_id=decision.contact_id,
                                 type=Event.Type.CLICKED, decision=decision, occurred_at=now)
            if "clicked" in delivery_settings(decision.brand).rewarded_event_types:
                reward_decision(decision, at=now)
    return link.destination
