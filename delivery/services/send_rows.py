"""The sender's two writes per text, written out: the claim and the hand-over.

Every text the sender delivers runs both. Through the ORM, compiling the conditional
UPDATE (the monotonic status CASE) cost more Python than the provider call's own client
code; written out once, each is one prepared statement.
"""

from __future__ import annotations

from datetime import datetime

from django.db import connection

from delivery.models import Send
from delivery.models.sends import statuses_below

# Compare-and-set on the state read: of any number of concurrent claimers exactly one
# matches it (claimed_at is NULL for a pending send, hence IS NOT DISTINCT FROM).
_CLAIM_SQL = """
UPDATE delivery_send SET status = %(claimed)s, claimed_at = %(now)s
WHERE id = %(send_id)s AND status = %(previous)s
  AND claimed_at IS NOT DISTINCT FROM %(claimed_at)s"""

# Monotonic: a status callback may already have moved the row further, so the status only
# moves up; the other columns are facts of this hand-over (NULL: keep what is there).
_HANDED_OVER_SQL = """
UPDATE delivery_send SET
    status = CASE WHEN status = ANY(%(below)s) THEN %(status)s ELSE status END,
    provider = %(provider)s, provider_sid = %(sid)s, error_code = NULL, error_message = '',
    sent_at = %(sent_at)s, attempts = %(attempts)s,
    validity_period = coalesce(%(validity)s, validity_period),
    latency_ms = coalesce(%(latency_ms)s, latency_ms), segments = coalesce(%(segments)s, segments)
WHERE id = %(send_id)s"""


def claim_send(send_id: int, *, previous: str, claimed_at: datetime | None, now: datetime
               ) -> bool:
    """Claim the send if it is still in the state read (`previous`, `claimed_at`)."""
    with connection.cursor() as cursor:
        cursor.execute(_CLAIM_SQL, {"claimed": Send.Status.CLAIMED.value, "now": now,
                                    "send_id": send_id, "previous": previous,
                                    "claimed_at": claimed_at})
        return cursor.rowcount == 1


def mark_handed_over(send_id: int, *, status: str, provider: str, sid: str, sent_at: datetime,
                     attempts: int, validity: int | None, latency_ms: int | None,
                     segments: int | None) -> None:
    """Record that the provider took the text (status raised to `status` at most)."""
    with connection.cursor() as cursor:
        cursor.execute(_HANDED_OVER_SQL, {
            "below": statuses_below(status), "status": status, "provider": provider, "sid": sid,
            "sent_at": sent_at, "attempts": attempts, "validity": validity,
            "latency_ms": latency_ms, "segments": segments, "send_id": send_id})
