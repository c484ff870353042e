"""Storing a decision: the decision row, its short links and any new arms, in one statement.

Every API decision ends here. Through the ORM (create, two bulk_creates, an atomic block)
storing cost more than deciding: four round trips, a transaction's BEGIN and COMMIT, and the
compilation of each INSERT. Written out, the rows go in one statement, which PostgreSQL runs
as one transaction of its own; inside a caller's atomic block it simply joins it.
"""

from __future__ import annotations

import json
import uuid
from datetime import datetime
from typing import Any

from django.db import connection

from delivery.models import Decision

_DECISION_COLUMNS = (
    "id", "brand_id", "contact_id", "phone", "intent", "stage", "variant_id", "text",
    "encoding", "segments", "status", "reason", "detail", "send_at", "propensities", "merge",
    "guard_findings", "policy_version", "idempotency_key", "request_fingerprint", "created_at",
)
_JSON_COLUMNS = frozenset({"propensities", "merge", "guard_findings"})
_VALUES = ", ".join(f"%({c})s::jsonb" if c in _JSON_COLUMNS else f"%({c})s"
                    for c in _DECISION_COLUMNS)
# The partial unique index of Decision.Meta (decision_unique_idempotency_key): a key already
# stored inserts nothing, and no row comes back.
_INSERT_DECISION = f"""
WITH d AS (
    INSERT INTO delivery_decision ({", ".join(_DECISION_COLUMNS)}) VALUES ({_VALUES})
    ON CONFLICT (brand_id, idempotency_key) WHERE idempotency_key <> '' DO NOTHING
    RETURNING id
){{links}}{{arms}}
SELECT count(*) FROM d"""
_LINKS = """, links AS (
    INSERT INTO delivery_shortlink (code, brand_id, decision_id, destination, clicks, created_at)
    SELECT u.code, %(brand_id)s, d.id, u.destination, 0, %(created_at)s
    FROM d, unnest(%(link_codes)s::varchar[], %(link_destinations)s::varchar[])
        AS u(code, destination)
)"""
# Arms the pool has not met yet start at zero counts (the bandit's pooled prior covers them);
# a concurrent decision may create the same arm, hence DO NOTHING.
_ARMS = """, arms AS (
    INSERT INTO delivery_armstate
        (brand_id, intent, stage, variant_id, successes, failures, penalties, updated_at)
    SELECT %(brand_id)s, %(intent)s, %(stage)s, u.variant_id, 0, 0, 0, %(created_at)s
    FROM d, unnest(%(new_arms)s::bigint[]) AS u(variant_id)
    ON CONFLICT (brand_id, intent, stage, variant_id) DO NOTHING
)"""


def insert_decision(decision: Decision, *, links: dict[str, str], new_arms: list[int]) -> bool:
    """Store the unsaved `decision`, a short link per code -> destination, and an ArmState
    row per new arm. False when its idempotency key is already stored (nothing is written)."""
    params: dict[str, Any] = {
        column: json.dumps(getattr(decision, column)) if column in _JSON_COLUMNS
        else getattr(decision, column)
        for column in _DECISION_COLUMNS
    }
    if links:
        params |= {"link_codes": list(links), "link_destinations": list(links.values())}
    if new_arms:
        params["new_arms"] = new_arms
    sql = _INSERT_DECISION.format(links=_LINKS if links else "", arms=_ARMS if new_arms else "")
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        (stored,) = cursor.fetchone()
    if stored:
        decision._state.adding = False
        decision._state.db = connection.alias
    return bool(stored)


# The batch call's one write: every decision, its links, new arms and (with send) its Send
# row. Decisions whose idempotency key is already stored insert nothing, and neither do their
# links or sends (they join on the decisions inserted). The rows travel as one JSON document
# per table, read back by json_to_recordset with each column's type: building 21 typed
# arrays of 1,000 values cost psycopg more Python than the whole insert cost PostgreSQL.
_COLUMN_TYPES = {
    "id": "uuid", "brand_id": "bigint", "contact_id": "bigint", "variant_id": "bigint",
    "segments": "integer", "send_at": "timestamptz", "policy_version": "integer",
    "created_at": "timestamptz", "text": "text", "detail": "text",
    **{c: "jsonb" for c in _JSON_COLUMNS},
}
_COLUMNS = ", ".join(_DECISION_COLUMNS)
_MANY = f"""
WITH d AS (
    INSERT INTO delivery_decision ({_COLUMNS})
    SELECT {_COLUMNS}
    FROM json_to_recordset(%(decisions)s::json)
        AS u({", ".join(f"{c} {_COLUMN_TYPES.get(c, 'varchar')}" for c in _DECISION_COLUMNS)})
    ON CONFLICT (brand_id, idempotency_key) WHERE idempotency_key <> '' DO NOTHING
    RETURNING id
){{links}}{{arms}}{{sends}}
SELECT d.id, {{send_id}} FROM d{{join_sends}}"""
_MANY_LINKS = """, links AS (
    INSERT INTO delivery_shortlink (code, brand_id, decision_id, destination, clicks, created_at)
    SELECT u.code, %(brand_id)s, d.id, u.destination, 0, %(created_at)s
    FROM json_to_recordset(%(links)s::json) AS u(code varchar, decision_id uuid,
                                                 destination varchar)
    JOIN d ON d.id = u.decision_id
)"""
_MANY_ARMS = """, arms AS (
    INSERT INTO delivery_armstate
        (brand_id, intent, stage, variant_id, successes, failures, penalties, updated_at)
    SELECT %(brand_id)s, %(intent)s, %(stage)s, u.variant_id, 0, 0, 0, %(created_at)s
    FROM unnest(%(new_arms)s::bigint[]) AS u(variant_id)
    WHERE EXISTS (SELECT 1 FROM d)
    ON CONFLICT (brand_id, intent, stage, variant_id) DO NOTHING
)"""
# As schedule_send writes it: pending, keyed by its decision, at the decision's send time.
_MANY_SENDS = """, sends AS (
    INSERT INTO delivery_send
        (decision_id, brand_id, contact_id, idempotency_key, to_phone, body, subject, status,
         provider, error_message, attempts, scheduled_for, segments, created_at, updated_at)
    SELECT d.id, %(brand_id)s, u.contact_id, 'decision:' || d.id::text, u.to_phone, u.body,
           %(intent)s, 'pending', '', '', 0, u.scheduled_for, u.segments, %(created_at)s,
           %(created_at)s
    FROM json_to_recordset(%(sends)s::json)
        AS u(decision_id uuid, contact_id bigint, to_phone varchar, body text,
             scheduled_for timestamptz, segments integer)
    JOIN d ON d.id = u.decision_id
    RETURNING id, decision_id
)"""


def _json(rows: list[dict]) -> str:
    return json.dumps(rows, ensure_ascii=False, default=_plain)


def _plain(value: Any) -> str:
    """JSON for what json cannot write: a UUID as text, a datetime in ISO 8601 with its
    offset (microseconds kept), both as PostgreSQL reads them back."""
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, datetime):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


def insert_decisions(decisions: list[Decision], *, links: dict[str, tuple[Any, str]],
                     new_arms: list[int], send: bool) -> dict[Any, int | None]:
    """Store the unsaved `decisions` (one brand, intent, stage and time) in one statement,
    with their short links (code -> (decision id, destination)), the ArmState rows of
    `new_arms`, and with `send` a pending Send for each allow/defer. Returns the stored
    decisions' ids, each with its send's id (None: no send); a decision whose idempotency
    key was already stored is missing."""
    if not decisions:
        return {}
    first = decisions[0]
    params: dict[str, Any] = {
        "decisions": _json([{c: getattr(d, c) for c in _DECISION_COLUMNS} for d in decisions]),
        "brand_id": first.brand_id, "intent": first.intent, "stage": first.stage,
        "created_at": first.created_at,
    }
    if links:
        params["links"] = _json([{"code": code, "decision_id": decision_id,
                                  "destination": destination}
                                 for code, (decision_id, destination) in links.items()])
    if new_arms:
        params["new_arms"] = new_arms
    sendable = [d for d in decisions if d.status != "deny"] if send else []
    if sendable:
        params["sends"] = _json([
            {"decision_id": d.id, "contact_id": d.contact_id, "to_phone": d.phone,
             "body": d.text, "scheduled_for": d.send_at, "segments": max(1, d.segments)}
            for d in sendable])
    sql = _MANY.format(
        links=_MANY_LINKS if links else "", arms=_MANY_ARMS if new_arms else "",
        sends=_MANY_SENDS if sendable else "",
        send_id="s.id" if sendable else "NULL::bigint",
        join_sends=" LEFT JOIN sends s ON s.decision_id = d.id" if sendable else "")
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        stored = dict(cursor.fetchall())
    for decision in decisions:
        if decision.id in stored:
            decision._state.adding = False
            decision._state.db = connection.alias
    return stored
