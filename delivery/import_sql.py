"""The two bulk writes of a contact import, through PostgreSQL's COPY.

bench/import_contacts.py measured the ORM's bulk_create at most of an import's time (model
instances, per-field preparation, one parameter per value); COPY streams the rows instead.
New contacts go through a temporary staging table so that a number an API call created
meanwhile is skipped (ON CONFLICT DO NOTHING) rather than failing the chunk; ledger rows have
no unique key and are copied straight in. tests/delivery/test_import_sql.py holds the rows
written here equal to what register_contact and record_consent write.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from django.db import connection
from psycopg.types.json import Jsonb

_STAGE = """CREATE TEMP TABLE import_contact_stage (
    phone text, valid boolean, number_type text, region text, time_zones jsonb,
    us_state text, geographic boolean, number_flags jsonb, attributes jsonb,
    hold_for_review boolean, review_reason text) ON COMMIT DROP"""
_STAGE_COLUMNS = ("phone", "valid", "number_type", "region", "time_zones", "us_state",
                  "geographic", "number_flags", "attributes", "hold_for_review", "review_reason")
_INSERT = """INSERT INTO delivery_contact (brand_id, opted_out, created_at, updated_at, {cols})
SELECT %(brand_id)s, FALSE, %(now)s, %(now)s, {cols} FROM import_contact_stage
ON CONFLICT (brand_id, phone) DO NOTHING
RETURNING id, phone""".format(cols=", ".join(_STAGE_COLUMNS))
_JSON = frozenset({"time_zones", "number_flags", "attributes"})

CONSENT_COLUMNS = ("brand_id", "contact_id", "phone", "kind", "source", "source_detail",
                   "consent_text", "text_version", "text_sha256", "occurred_at", "recorded_at",
                   "ip", "user_agent", "inbound_message_sid")


def insert_contacts(brand_id: int, rows: Iterable[dict], *, now: datetime) -> dict[str, int]:
    """Insert contacts (dicts with the staging columns); returns phone -> id of those this
    call created (a number that already existed is left out)."""
    with connection.cursor() as cursor:
        raw = cursor.cursor  # the psycopg cursor: COPY is not part of the DB-API
        raw.execute(_STAGE)
        with raw.copy(f"COPY import_contact_stage ({', '.join(_STAGE_COLUMNS)}) "
                      "FROM STDIN") as copy:
            for row in rows:
                copy.write_row([Jsonb(row[c]) if c in _JSON else row[c]
                                for c in _STAGE_COLUMNS])
        raw.execute(_INSERT, {"brand_id": brand_id, "now": now})
        created = {phone: pk for pk, phone in raw.fetchall()}
    return created


def insert_consent_events(rows: Iterable[tuple]) -> None:
    """Append ledger rows (tuples in CONSENT_COLUMNS order)."""
    with connection.cursor() as cursor:
        with cursor.cursor.copy(f"COPY delivery_consentevent ({', '.join(CONSENT_COLUMNS)}) "
                                "FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
