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
UPDATE delivery_send SET status = %s, claimed_at = %s
WHERE id = %s AND status = %s AND claimed_at IS NOT DISTINCT FROM %s"""

# Monotonic: a status callback may already have moved the row further, so the status only
# moves up; the other columns are facts of this hand-over (NULL: keep what is there).
_HANDED_OVER_SQL = """
UPDATE delivery_send SET
    status = CASE WHEN status = ANY(%s) THEN %s ELSE status END,
    provider = %s, provider_sid = %s, error_code = NULL, error_message = '', sent_at = %s,
    attempts = %s, validity_period = coalesce(%s, validity_period),
    latency_ms = coalesce(%s, latency_ms), segments = coalesce(%s, segments)
WHERE id = %s"""


def claim_send(send_id: int, *, previous: str, claimed_at: datetime | None, now: datetime
               ) -> bool:
    """Claim the send if it is still in the state read (`previous`, `claimed_at`)."""
    with connection.cursor() as cursor:
        cursor.execute(_CLAIM_SQL, [Send.Status.CLAIMED.value, now, send_id, previous,
                                    claimed_at])
        return cursor.rowcount == 1


def mark_handed_over(send_id: int, *, status: str, provider: str, sid: str, sent_at: datetime,
                     attempts: int, validity: int | None, latency_ms: int | None,
                     segments: int | None) -> None:
    """Record that the provider took the text (status raised to `status` at most)."""
    with connection.cursor() as cursor:
        cursor.execute(_HANDED_OVER_SQL, [
            statuses_below(status), status, provider, sid, sent_at, attempts, validity,
            latency_ms, segments, send_id])
