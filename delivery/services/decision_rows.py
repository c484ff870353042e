"""Storing a decision: the decision row, its short links and any new arms, in one statement.

Every API decision ends here. Through the ORM (create, two bulk_creates, an atomic block)
storing cost more than deciding: four round trips, a transaction's BEGIN and COMMIT, and the
compilation of each INSERT. Written out, the rows go in one statement, which PostgreSQL runs
as one transaction of its own; inside a caller's atomic block it simply joins it.
"""

from __future__ import annotations

import json
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
