"""What flows report after a decision: their own send of pulled copy (`sent`, `delivered`,
`failed`), what the person did (`clicked`, `converted`, `purchased`) and opt-outs they
learned of (`opted_out`). One event or a batch of up to 1,000 take the same path.

What each event teaches the bandit, once per decision however often it is reported:
- `sent` or `delivered` (whichever comes first) counts the trial. A pulled decision never
  reported as sent never counts, so a click on it alone rewards nothing.
- a rewarded event (a click, or the brand's conversion types) turns the trial into a
  success; one that arrives before the `sent` waits for it.
- `failed` takes the decision out for good: a counted trial (and its reward or penalty) is
  undone, and nothing counts it again.
- `opted_out` penalises the decision's arm and records the opt-out in the consent ledger
  (source "api") through `opt_out_contact`.

The batch is validated item by item first (a bad item gets its own error and writes
nothing), then every good item is stored and applied in one transaction of a few set-based
statements, so a batch costs about what one event does.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from uuid import UUID

from django.db import transaction

from brandguard.models import Brand
from delivery import clock
from delivery.models import ConsentEvent, Contact, Decision, DeliverySettings, Event
from delivery.selectors import delivery_settings
from delivery.services import event_rows
from delivery.services.contacts import opt_out_contact, parse_or_refuse, register_contact
from delivery.services.errors import (
    DecisionNotSendable,
    DecisionRequired,
    DeliveryError,
    InvalidPhoneNumber,
    SentByStudio,
    UnknownDecision,
)
from delivery.services.event_rows import DecisionFacts, NewEvent

COUNTING_TYPES = frozenset({Event.Type.SENT, Event.Type.DELIVERED})
SEND_REPORT_TYPES = COUNTING_TYPES | {Event.Type.FAILED}
MAX_BATCH = 1_000


@dataclass(frozen=True, slots=True)
class EventReport:
    event_id: str
    type: str
    phone: str | None = None
    decision_id: UUID | None = None
    occurred_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class EventResult:
    event_id: str
    status: str  # accepted | duplicate | error
    error: DeliveryError | None = None


@dataclass(slots=True)
class _Row:
    index: int
    report: EventReport
    phone: str
    decision_id: UUID | None
    occurred_at: datetime
    contact_id: int | None = None


def record_events(brand: Brand, reports: Sequence[EventReport], *,
                  now: datetime | None = None) -> list[EventResult]:
    """Store each report once per (brand, event_id) and apply what it teaches. One result per
    report, in order: accepted, duplicate (the event_id was seen before, nothing changes) or
    error (this report was refused; the others are unaffected)."""
    now = now or clock.now()  # the simulator's fast-forward clock reaches the views
    results: list[EventResult | None] = [None] * len(reports)
    rows, first_of = _checked_rows(brand, reports, results, now)
    settings = delivery_settings(brand)
    with transaction.atomic():
        known = event_rows.known_event_ids(brand.pk, first_of)
        fresh = [row for row in rows if row.report.event_id not in known]
        _attach_contacts(brand, fresh, settings)
        inserted = event_rows.insert_events(brand.pk, [
            NewEvent(row.report.event_id, row.phone, row.contact_id, row.report.type,
                     row.decision_id, row.occurred_at) for row in fresh], now=now)
        _apply([row for row in fresh if row.report.event_id in inserted], settings, now)
    for row in rows:
        status = "accepted" if row.report.event_id in inserted else "duplicate"
        results[row.index] = EventResult(row.report.event_id, status)
    for index, report in enumerate(reports):
        if results[index] is None:  # the same event_id earlier in this batch
            results[index] = EventResult(report.event_id, "duplicate")
    return [result for result in results if result is not None]


def record_event(
    brand: Brand, *, event_id: str, type: str, phone: str | None = None,
    decision_id: UUID | None = None, occurred_at: datetime | None = None,
    now: datetime | None = None, data: dict | None = None,
) -> tuple[Event, bool]:
    """One event: (the stored event, created). Raises the DeliveryError a refused one gets.
    A replayed event_id changes nothing. Without a decision_id a reward goes to the latest
    text sent to the person within the attribution window. Behaviour (a view, a cart, a
    purchase…) also moves the person's stage and journeys, with its `data` payload."""
    from delivery.services.behaviour import BEHAVIOUR_TYPES, record_behaviour_event

    if type in BEHAVIOUR_TYPES:
        return record_behaviour_event(brand, event_id=event_id, phone=phone, type=type,
                                      decision_id=decision_id, occurred_at=occurred_at,
                                      data=data, now=now)
    report = EventReport(event_id, type, phone, decision_id, occurred_at)
    [result] = record_events(brand, [report], now=now)
    if result.error is not None:
        raise result.error
    return Event.objects.get(brand=brand, event_id=event_id), result.status == "accepted"


# -- checking, before anything is written ------------------------------------------------------

def _checked_rows(brand: Brand, reports: Sequence[EventReport],
                  results: list[EventResult | None], now: datetime
                  ) -> tuple[list[_Row], set[str]]:
    decisions = event_rows.decision_facts(
        brand.pk, {r.decision_id for r in reports if r.decision_id})
    # A number exactly as a decision or contact stores it is valid E.164 already: only the
    # others are parsed (the full parse is most of a batch's cost otherwise).
    phones: dict[str, str | InvalidPhoneNumber] = {d.phone: d.phone for d in decisions.values()}
    raw = {r.phone for r in reports if r.phone is not None} - phones.keys()
    phones.update((p, p) for p in event_rows.contact_ids(brand.pk, raw))
    rows: list[_Row] = []
    first_of: set[str] = set()
    for index, report in enumerate(reports):
        try:
            phone, decision_id = _check(report, decisions, phones)
        except DeliveryError as error:
            results[index] = EventResult(report.event_id, "error", error)
            continue
        if report.event_id in first_of:
            continue  # a duplicate within the batch: answered after the first is stored
        first_of.add(report.event_id)
        rows.append(_Row(index, report, phone, decision_id, report.occurred_at or now))
    return rows, first_of


def _check(report: EventReport, decisions: dict[UUID, DecisionFacts],
           phones: dict[str, str | InvalidPhoneNumber]) -> tuple[str, UUID | None]:
    phone = _phone(report.phone, phones) if report.phone is not None else None
    if report.decision_id is None:
        if report.type in SEND_REPORT_TYPES:
            raise DecisionRequired(f"a '{report.type}' event names the decision whose text "
                                   "was sent", field="decision_id")
        if phone is None:
            raise InvalidPhoneNumber("phone is required without a decision_id", field="phone")
        return phone, None
    decision = decisions.get(report.decision_id)
    if decision is None or (phone is not None and decision.phone != phone):
        raise UnknownDecision("no decision with this id for this brand and phone",
                              field="decision_id")
    if report.type in SEND_REPORT_TYPES:
        if decision.status == Decision.Status.DENY:
            raise DecisionNotSendable("this decision denied the text "
                                      f"({decision.reason or 'deny'}): it was not to be sent",
                                      field="decision_id")
        if decision.sent_by_studio:
            raise SentByStudio("the studio sends this decision itself; its status comes "
                               "from the provider (read it at GET /api/v1/decisions/{id})",
                               field="type")
    return decision.phone, decision.id


def _phone(raw: str, seen: dict[str, str | InvalidPhoneNumber]) -> str:
    phone = seen.get(raw)
    if phone is None:
        try:
            phone = parse_or_refuse(raw).e164
        except InvalidPhoneNumber as error:
            phone = error
        seen[raw] = phone
    if isinstance(phone, InvalidPhoneNumber):
        raise phone
    return phone


# -- storing -----------------------------------------------------------------------------------

def _attach_contacts(brand: Brand, rows: list[_Row], settings: DeliverySettings) -> None:
    """The person each event is about, and for a reward without a decision the latest text
    sent to them within the attribution window. An opt-out about someone we have no contact
    row for still belongs in the ledger, so it registers them."""
    contacts = event_rows.contact_ids(brand.pk, {row.phone for row in rows})
    window = timedelta(days=settings.attribution_window_days)
    for row in rows:
        row.contact_id = contacts.get(row.phone)
        if row.contact_id is None and row.report.type == Event.Type.OPTED_OUT:
            row.contact_id = contacts[row.phone] = register_contact(brand, row.phone).pk
        if (row.decision_id is None and row.contact_id is not None
                and row.report.type in settings.rewarded_event_types):
            row.decision_id = _attributed_decision(row.contact_id, row.occurred_at, window)


def _attributed_decision(contact_id: int, occurred_at: datetime, window: timedelta
                         ) -> UUID | None:
    return (Decision.objects.filter(contact_id=contact_id, counted_at__isnull=False,
                                    voided_at__isnull=True, counted_at__lte=occurred_at,
                                    counted_at__gte=occurred_at - window)
            .order_by("-counted_at").values_list("pk", flat=True).first())


# -- what the stored events teach --------------------------------------------------------------

def _apply(rows: list[_Row], settings: DeliverySettings, now: datetime) -> None:
    by_type: dict[str, set[UUID]] = defaultdict(set)
    for row in rows:
        if row.decision_id is not None:
            by_type[row.report.type].add(row.decision_id)
    arms = event_rows.ArmDeltas()
    voided = by_type[Event.Type.FAILED]
    arms.void(voided, now=now)
    counted = arms.count(set().union(*(by_type[t] for t in COUNTING_TYPES)) - voided, now=now)
    rewarded_types = settings.rewarded_event_types
    to_reward = set().union(*(by_type[t] for t in rewarded_types))
    to_penalize = set(by_type[Event.Type.OPTED_OUT])
    # Events that arrived before their decision's `sent` settle now.
    for decision_id, types in event_rows.event_types_of(counted).items():
        if types & rewarded_types:
            to_reward.add(decision_id)
        if Event.Type.OPTED_OUT in types:
            to_penalize.add(decision_id)
    arms.reward(to_reward, now=now)
    arms.penalize(to_penalize, now=now)
    arms.write()
    _record_opt_outs(rows)


def _record_opt_outs(rows: Iterable[_Row]) -> None:
    opt_outs = [row for row in rows if row.report.type == Event.Type.OPTED_OUT]
    if not opt_outs:
        return
    contacts = Contact.objects.in_bulk({row.contact_id for row in opt_outs})
    for row in opt_outs:
        # With a decision, that decision's arm took the penalty above; without one the
        # ledger write penalises the latest text sent within the window, as a STOP does.
        opt_out_contact(contacts[row.contact_id], at=row.occurred_at,
                        source=ConsentEvent.Source.API,
                        detail=f"event {row.report.event_id}"[:500],
                        penalize=row.decision_id is None)
