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
from typing import Any
from uuid import UUID

from django.db import connection, transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone

from brandguard.models import Brand
from delivery.models import ConsentEvent, Contact, Decision, DeliverySettings, Event, Send
from delivery.phones import PhoneFacts
from delivery.selectors import delivery_settings
from delivery.services.contacts import opt_out_contact, parse_or_refuse, register_contact
from delivery.services.errors import (
    DecisionNotSendable,
    DecisionRequired,
    DeliveryError,
    InvalidPhoneNumber,
    SentByStudio,
    UnknownDecision,
)

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
    decision: Decision | None
    occurred_at: datetime
    contact: Contact | None = None


def record_events(brand: Brand, reports: Sequence[EventReport], *,
                  now: datetime | None = None) -> list[EventResult]:
    """Store each report once per (brand, event_id) and apply what it teaches. One result per
    report, in order: accepted, duplicate (the event_id was seen before, nothing changes) or
    error (this report was refused; the others are unaffected)."""
    now = now or timezone.now()
    results: list[EventResult | None] = [None] * len(reports)
    rows, first_of = _checked_rows(brand, reports, results, now)
    settings = delivery_settings(brand)
    with transaction.atomic():
        known = set(Event.objects.filter(brand=brand, event_id__in=first_of)
                    .values_list("event_id", flat=True))
        fresh = [row for row in rows if row.report.event_id not in known]
        _attach_contacts(brand, fresh, settings)
        inserted = _insert_events(brand, fresh, now)
        applied = [row for row in fresh if row.report.event_id in inserted]
        _apply(applied, settings, now)
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
    now: datetime | None = None,
) -> tuple[Event, bool]:
    """One event: (the stored event, created). Raises the DeliveryError a refused one gets.
    A replayed event_id changes nothing. Without a decision_id a reward goes to the latest
    text sent to the person within the attribution window."""
    report = EventReport(event_id, type, phone, decision_id, occurred_at)
    [result] = record_events(brand, [report], now=now)
    if result.error is not None:
        raise result.error
    return Event.objects.get(brand=brand, event_id=event_id), result.status == "accepted"


# -- checking, before anything is written ------------------------------------------------------

def _checked_rows(brand: Brand, reports: Sequence[EventReport],
                  results: list[EventResult | None], now: datetime
                  ) -> tuple[list[_Row], set[str]]:
    decisions = _decisions(brand, {r.decision_id for r in reports if r.decision_id})
    phones: dict[str, PhoneFacts | InvalidPhoneNumber] = {}
    rows: list[_Row] = []
    first_of: set[str] = set()
    for index, report in enumerate(reports):
        try:
            phone, decision = _check(report, decisions, phones)
        except DeliveryError as error:
            results[index] = EventResult(report.event_id, "error", error)
            continue
        if report.event_id in first_of:
            continue  # a duplicate within the batch: answered after the first is stored
        first_of.add(report.event_id)
        rows.append(_Row(index, report, phone, decision, report.occurred_at or now))
    return rows, first_of


def _decisions(brand: Brand, ids: set[UUID]) -> dict[UUID, Decision]:
    if not ids:
        return {}
    found = (Decision.objects.filter(brand=brand, pk__in=ids)
             .only("id", "brand_id", "phone", "status", "variant_id", "intent", "stage",
                   "contact_id")
             .annotate(sent_by_studio=Exists(Send.objects.filter(decision=OuterRef("pk")))))
    return {decision.pk: decision for decision in found}


def _check(report: EventReport, decisions: dict[UUID, Decision],
           phones: dict[str, PhoneFacts | InvalidPhoneNumber]) -> tuple[str, Decision | None]:
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
        if decision.sent_by_studio:  # type: ignore[attr-defined]  # annotated in _decisions
            raise SentByStudio("the studio sends this decision itself; its status comes "
                               "from the provider (read it at GET /api/v1/decisions/{id})",
                               field="type")
    return decision.phone, decision


def _phone(raw: str, seen: dict[str, PhoneFacts | InvalidPhoneNumber]) -> str:
    facts = seen.get(raw)
    if facts is None:
        try:
            facts = parse_or_refuse(raw)
        except InvalidPhoneNumber as error:
            facts = error
        seen[raw] = facts
    if isinstance(facts, InvalidPhoneNumber):
        raise facts
    return facts.e164


# -- storing -----------------------------------------------------------------------------------

def _attach_contacts(brand: Brand, rows: list[_Row], settings: DeliverySettings) -> None:
    """The person each event is about, and for a reward without a decision the latest text
    sent to them within the attribution window. An opt-out about someone we have no contact
    row for still belongs in the ledger, so it registers them."""
    contacts = {c.phone: c for c in Contact.objects.filter(
        brand=brand, phone__in={row.phone for row in rows})}
    window = timedelta(days=settings.attribution_window_days)
    for row in rows:
        row.contact = contacts.get(row.phone)
        if row.contact is None and row.report.type == Event.Type.OPTED_OUT:
            row.contact = contacts[row.phone] = register_contact(brand, row.phone)
        if (row.decision is None and row.contact is not None
                and row.report.type in settings.rewarded_event_types):
            row.decision = _attributed_decision(row.contact, row.occurred_at, window)


def _attributed_decision(contact: Contact, occurred_at: datetime, window: timedelta
                         ) -> Decision | None:
    return (Decision.objects.filter(contact=contact, counted_at__isnull=False,
                                    voided_at__isnull=True, counted_at__lte=occurred_at,
                                    counted_at__gte=occurred_at - window)
            .order_by("-counted_at").first())


# Hand-written because the answer must say which rows THIS statement stored: a concurrent
# request may store the same event_id between our read of known ids and this insert, and
# bulk_create(ignore_conflicts=True) does not tell which rows it skipped.
_INSERT_EVENTS_SQL = """
INSERT INTO delivery_event (brand_id, event_id, phone, contact_id, type, decision_id,
                            occurred_at, received_at)
SELECT %(brand_id)s, e.event_id, e.phone, e.contact_id, e.type, e.decision_id, e.occurred_at,
       %(now)s
FROM unnest(%(event_ids)s::text[], %(phones)s::text[], %(contact_ids)s::bigint[],
            %(types)s::text[], %(decision_ids)s::uuid[], %(occurred)s::timestamptz[])
     AS e(event_id, phone, contact_id, type, decision_id, occurred_at)
ON CONFLICT (brand_id, event_id) DO NOTHING
RETURNING event_id"""


def _insert_events(brand: Brand, rows: list[_Row], now: datetime) -> set[str]:
    if not rows:
        return set()
    params: dict[str, Any] = {
        "brand_id": brand.pk, "now": now,
        "event_ids": [row.report.event_id for row in rows],
        "phones": [row.phone for row in rows],
        "contact_ids": [row.contact.pk if row.contact else None for row in rows],
        "types": [row.report.type for row in rows],
        "decision_ids": [row.decision.pk if row.decision else None for row in rows],
        "occurred": [row.occurred_at for row in rows],
    }
    with connection.cursor() as cursor:
        cursor.execute(_INSERT_EVENTS_SQL, params)
        return {event_id for (event_id,) in cursor.fetchall()}


# -- what the stored events teach --------------------------------------------------------------

def _apply(rows: list[_Row], settings: DeliverySettings, now: datetime) -> None:
    by_type: dict[str, set[UUID]] = defaultdict(set)
    for row in rows:
        if row.decision is not None:
            by_type[row.report.type].add(row.decision.pk)
    arms = _ArmDeltas()
    voided = _void(by_type[Event.Type.FAILED], now, arms)
    counted = _count(set().union(*(by_type[t] for t in COUNTING_TYPES)) - voided, now, arms)
    rewarded_types = settings.rewarded_event_types
    to_reward = set().union(*(by_type[t] for t in rewarded_types))
    to_penalize = set(by_type[Event.Type.OPTED_OUT])
    if counted:  # events that arrived before their decision's `sent` settle now
        for decision_id, event_type in (Event.objects.filter(decision_id__in=counted)
                                        .values_list("decision_id", "type")):
            if event_type in rewarded_types:
                to_reward.add(decision_id)
            elif event_type == Event.Type.OPTED_OUT:
                to_penalize.add(decision_id)
    _reward(to_reward, now, arms)
    _penalize(to_penalize, now, arms)
    arms.write()
    _record_opt_outs(rows)


def _record_opt_outs(rows: Iterable[_Row]) -> None:
    for row in rows:
        if row.report.type != Event.Type.OPTED_OUT or row.contact is None:
            continue
        # With a decision, that decision's arm took the penalty above; without one the
        # ledger write penalises the latest text sent within the window, as a STOP does.
        opt_out_contact(row.contact, at=row.occurred_at, source=ConsentEvent.Source.API,
                        detail=f"event {row.report.event_id}"[:500],
                        penalize=row.decision is None)


_ArmKey = tuple[int, str, str, int]


class _ArmDeltas:
    """Changes to arm counts, summed per arm and written in two statements, arms in id order
    (concurrent batches lock the same hot rows in the same order: no deadlock)."""

    def __init__(self) -> None:
        self.deltas: dict[_ArmKey, list[int]] = defaultdict(lambda: [0, 0, 0])

    def add(self, key: _ArmKey, *, successes: int = 0, failures: int = 0, penalties: int = 0
            ) -> None:
        delta = self.deltas[key]
        delta[0] += successes
        delta[1] += failures
        delta[2] += penalties

    def write(self) -> None:
        changed = {k: d for k, d in self.deltas.items() if any(d)}
        if not changed:
            return
        keys = sorted(changed)
        columns: dict[str, list[Any]] = {"brands": [k[0] for k in keys], "intents": [k[1] for k in keys],
                   "stages": [k[2] for k in keys], "variants": [k[3] for k in keys]}
        deltas: dict[str, list[Any]] = {"successes": [changed[k][0] for k in keys],
                  "failures": [changed[k][1] for k in keys],
                  "penalties": [changed[k][2] for k in keys]}
        with connection.cursor() as cursor:
            cursor.execute(_ARMS_CREATE_SQL, columns)
            cursor.execute(_ARMS_BUMP_SQL, {**columns, **deltas})


_ARMS_CREATE_SQL = """
INSERT INTO delivery_armstate (brand_id, intent, stage, variant_id, successes, failures,
                               penalties, updated_at)
SELECT k.brand_id, k.intent, k.stage, k.variant_id, 0, 0, 0, now()
FROM unnest(%(brands)s::bigint[], %(intents)s::text[], %(stages)s::text[],
            %(variants)s::bigint[]) AS k(brand_id, intent, stage, variant_id)
ON CONFLICT (brand_id, intent, stage, variant_id) DO NOTHING"""

_ARMS_BUMP_SQL = """
WITH d AS (
    SELECT * FROM unnest(%(brands)s::bigint[], %(intents)s::text[], %(stages)s::text[],
                         %(variants)s::bigint[], %(successes)s::bigint[],
                         %(failures)s::bigint[], %(penalties)s::bigint[])
        AS d(brand_id, intent, stage, variant_id, successes, failures, penalties)
), locked AS (
    SELECT a.id FROM delivery_armstate a JOIN d USING (brand_id, intent, stage, variant_id)
    ORDER BY a.id FOR UPDATE OF a
)
UPDATE delivery_armstate a
SET successes = a.successes + d.successes, failures = a.failures + d.failures,
    penalties = a.penalties + d.penalties, updated_at = now()
FROM d, locked
WHERE a.id = locked.id AND a.brand_id = d.brand_id AND a.intent = d.intent
  AND a.stage = d.stage AND a.variant_id = d.variant_id"""

# Each statement moves one bookkeeping column of the decisions once (a conditional UPDATE),
# and returns the arms whose counts must follow.
_VOID_SQL = """
UPDATE delivery_decision SET voided_at = %(now)s
WHERE id = ANY(%(ids)s::uuid[]) AND voided_at IS NULL
RETURNING id, brand_id, intent, stage, variant_id, counted_at IS NOT NULL,
          rewarded_at IS NOT NULL, penalized_at IS NOT NULL"""

_COUNT_SQL = """
UPDATE delivery_decision SET counted_at = %(now)s
WHERE id = ANY(%(ids)s::uuid[]) AND counted_at IS NULL AND voided_at IS NULL
  AND variant_id IS NOT NULL
RETURNING id, brand_id, intent, stage, variant_id"""

_REWARD_SQL = """
UPDATE delivery_decision SET rewarded_at = %(now)s
WHERE id = ANY(%(ids)s::uuid[]) AND rewarded_at IS NULL AND counted_at IS NOT NULL
  AND voided_at IS NULL
RETURNING id, brand_id, intent, stage, variant_id"""

_PENALIZE_SQL = """
UPDATE delivery_decision SET penalized_at = %(now)s
WHERE id = ANY(%(ids)s::uuid[]) AND penalized_at IS NULL AND counted_at IS NOT NULL
  AND voided_at IS NULL
RETURNING id, brand_id, intent, stage, variant_id"""


def _run(sql: str, ids: set[UUID], now: datetime) -> list[tuple]:
    if not ids:
        return []
    with connection.cursor() as cursor:
        cursor.execute(sql, {"ids": sorted(ids), "now": now})
        return cursor.fetchall()


def _void(ids: set[UUID], now: datetime, arms: _ArmDeltas) -> set[UUID]:
    for _id, brand_id, intent, stage, variant_id, counted, rewarded, penalized in _run(
            _VOID_SQL, ids, now):
        if counted and variant_id is not None:
            key = (brand_id, intent, stage, variant_id)
            arms.add(key, successes=-int(rewarded), failures=-int(not rewarded),
                     penalties=-int(penalized))
    return ids  # voided now or before: either way nothing may count them


def _count(ids: set[UUID], now: datetime, arms: _ArmDeltas) -> set[UUID]:
    counted = set()
    for decision_id, *key in _run(_COUNT_SQL, ids, now):
        arms.add(tuple(key), failures=1)  # type: ignore[arg-type]
        counted.add(decision_id)
    return counted


def _reward(ids: set[UUID], now: datetime, arms: _ArmDeltas) -> None:
    for _id, *key in _run(_REWARD_SQL, ids, now):
        arms.add(tuple(key), successes=1, failures=-1)  # type: ignore[arg-type]


def _penalize(ids: set[UUID], now: datetime, arms: _ArmDeltas) -> None:
    for _id, *key in _run(_PENALIZE_SQL, ids, now):
        arms.add(tuple(key), penalties=1)  # type: ignore[arg-type]
