"""The reads and writes of an event batch, written out as set-based statements.

A batch of 1,000 events through the ORM spent most of its time in Python: `pk__in` with a
thousand values is a thousand placeholders for the driver to split, and every decision,
event and arm was a model instance. Here each step is one statement over arrays
(`= ANY(%(ids)s)`, `unnest`), so a batch costs about a dozen round trips whatever its size
(bench/events.py). tests/delivery/test_event_rows.py compares each read with the ORM.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from django.db import connection


@dataclass(frozen=True, slots=True)
class DecisionFacts:
    id: UUID
    phone: str
    status: str
    reason: str
    sent_by_studio: bool


@dataclass(frozen=True, slots=True)
class NewEvent:
    event_id: str
    phone: str
    contact_id: int | None
    type: str
    decision_id: UUID | None
    occurred_at: datetime


ArmKey = tuple[int, str, str, int]  # brand, intent, stage, variant


def _rows(sql: str, params: dict[str, Any]) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


# -- reads -------------------------------------------------------------------------------------

_DECISIONS_SQL = """
SELECT d.id, d.phone, d.status, d.reason,
       EXISTS (SELECT 1 FROM delivery_send s WHERE s.decision_id = d.id)
FROM delivery_decision d
WHERE d.brand_id = %(brand_id)s AND d.id = ANY(%(ids)s::uuid[])"""


def decision_facts(brand_id: int, ids: Collection[UUID]) -> dict[UUID, DecisionFacts]:
    """The brand's decisions among `ids` (another brand's are simply not found)."""
    if not ids:
        return {}
    found = _rows(_DECISIONS_SQL, {"brand_id": brand_id, "ids": list(ids)})
    return {row[0]: DecisionFacts(*row) for row in found}


_CONTACTS_SQL = """
SELECT phone, id FROM delivery_contact
WHERE brand_id = %(brand_id)s AND phone = ANY(%(phones)s::text[])"""


def contact_ids(brand_id: int, phones: Collection[str]) -> dict[str, int]:
    if not phones:
        return {}
    return dict(_rows(_CONTACTS_SQL, {"brand_id": brand_id, "phones": list(phones)}))


_KNOWN_EVENTS_SQL = """
SELECT event_id FROM delivery_event
WHERE brand_id = %(brand_id)s AND event_id = ANY(%(event_ids)s::text[])"""


def known_event_ids(brand_id: int, event_ids: Collection[str]) -> set[str]:
    if not event_ids:
        return set()
    return {row[0] for row in _rows(_KNOWN_EVENTS_SQL, {"brand_id": brand_id,
                                                        "event_ids": list(event_ids)})}


_EVENT_TYPES_SQL = """
SELECT DISTINCT decision_id, type FROM delivery_event
WHERE decision_id = ANY(%(ids)s::uuid[])"""


def event_types_of(decision_ids: Collection[UUID]) -> dict[UUID, set[str]]:
    """Which event types each decision has (stored ones, this transaction's included)."""
    found: dict[UUID, set[str]] = defaultdict(set)
    if decision_ids:
        for decision_id, event_type in _rows(_EVENT_TYPES_SQL, {"ids": list(decision_ids)}):
            found[decision_id].add(event_type)
    return found


# -- writes ------------------------------------------------------------------------------------

# ON CONFLICT ... RETURNING says which rows THIS statement stored: a concurrent request may
# store the same event_id between our read of known ids and this insert (bulk_create with
# ignore_conflicts does not tell which rows it skipped).
_INSERT_EVENTS_SQL = """
INSERT INTO delivery_event (brand_id, event_id, phone, contact_id, type, decision_id,
                            occurred_at, received_at, data)
SELECT %(brand_id)s, e.event_id, e.phone, e.contact_id, e.type, e.decision_id, e.occurred_at,
       %(now)s, '{}'::jsonb
FROM unnest(%(event_ids)s::text[], %(phones)s::text[], %(contact_ids)s::bigint[],
            %(types)s::text[], %(decision_ids)s::uuid[], %(occurred)s::timestamptz[])
     AS e(event_id, phone, contact_id, type, decision_id, occurred_at)
ON CONFLICT (brand_id, event_id) DO NOTHING
RETURNING event_id"""


def insert_events(brand_id: int, events: list[NewEvent], *, now: datetime) -> set[str]:
    """Store the events; returns the event_ids this call stored (not those already there)."""
    if not events:
        return set()
    params: dict[str, Any] = {
        "brand_id": brand_id, "now": now,
        "event_ids": [e.event_id for e in events], "phones": [e.phone for e in events],
        "contact_ids": [e.contact_id for e in events], "types": [e.type for e in events],
        "decision_ids": [e.decision_id for e in events],
        "occurred": [e.occurred_at for e in events],
    }
    return {row[0] for row in _rows(_INSERT_EVENTS_SQL, params)}


# Each statement sets one bookkeeping column of the decisions once (a conditional UPDATE,
# the same conditions as rewards.py's single-decision functions) and returns the arms whose
# counts must follow.
_VOID_SQL = """
UPDATE delivery_decision SET voided_at = %(now)s
WHERE id = ANY(%(ids)s::uuid[]) AND voided_at IS NULL
RETURNING brand_id, intent, stage, variant_id, counted_at IS NOT NULL,
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


class ArmDeltas:
    """Changes to arm counts, summed per arm and written in two statements, arms locked in
    id order (concurrent batches take the same hot rows in the same order: no deadlock)."""

    def __init__(self) -> None:
        self.deltas: dict[ArmKey, list[int]] = defaultdict(lambda: [0, 0, 0])

    def add(self, key: ArmKey, *, successes: int = 0, failures: int = 0,
            penalties: int = 0) -> None:
        delta = self.deltas[key]
        delta[0] += successes
        delta[1] += failures
        delta[2] += penalties

    def void(self, ids: Collection[UUID], *, now: datetime) -> None:
        """Take the decisions out for good; a trial already counted is undone."""
        if not ids:
            return
        for *key, counted, rewarded, penalized in _rows(
                _VOID_SQL, {"ids": sorted(ids), "now": now}):
            if counted and key[3] is not None:
                self.add(tuple(key), successes=-rewarded,  # type: ignore[arg-type]
                         failures=-(not rewarded), penalties=-penalized)

    def count(self, ids: Collection[UUID], *, now: datetime) -> set[UUID]:
        """One trial per decision not counted yet; returns the ones counted now."""
        return self._mark(_COUNT_SQL, ids, now, failures=1)

    def reward(self, ids: Collection[UUID], *, now: datetime) -> set[UUID]:
        return self._mark(_REWARD_SQL, ids, now, successes=1, failures=-1)

    def penalize(self, ids: Collection[UUID], *, now: datetime) -> set[UUID]:
        return self._mark(_PENALIZE_SQL, ids, now, penalties=1)

    def _mark(self, sql: str, ids: Collection[UUID], now: datetime, **delta: int) -> set[UUID]:
        marked: set[UUID] = set()
        if ids:
            for decision_id, *key in _rows(sql, {"ids": sorted(ids), "now": now}):
                self.add(tuple(key), **delta)  # type: ignore[arg-type]
                marked.add(decision_id)
        return marked

    def write(self) -> None:
        changed = sorted((key, delta) for key, delta in self.deltas.items() if any(delta))
        if not changed:
            return
        keys: dict[str, list[Any]] = {
            "brands": [k[0] for k, _ in changed], "intents": [k[1] for k, _ in changed],
            "stages": [k[2] for k, _ in changed], "variants": [k[3] for k, _ in changed]}
        deltas: dict[str, list[Any]] = {
            "successes": [d[0] for _, d in changed], "failures": [d[1] for _, d in changed],
            "penalties": [d[2] for _, d in changed]}
        with connection.cursor() as cursor:
            cursor.execute(_ARMS_CREATE_SQL, keys)
            cursor.execute(_ARMS_BUMP_SQL, {**keys, **deltas})


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
    SELECT a.id, d.successes, d.failures, d.penalties
    FROM delivery_armstate a JOIN d USING (brand_id, intent, stage, variant_id)
    ORDER BY a.id FOR UPDATE OF a
)
UPDATE delivery_armstate a
SET successes = a.successes + locked.successes, failures = a.failures + locked.failures,
    penalties = a.penalties + locked.penalties, updated_at = now()
FROM locked WHERE a.id = locked.id"""
