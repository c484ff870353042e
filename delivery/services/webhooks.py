"""Signed outgoing webhooks: endpoints, the outbox, delivery with retries.

Outbox: `emit` writes one `WebhookDelivery` row per interested endpoint in the caller's
transaction (the change and the news of it commit together or not at all) and enqueues the
delivery task on commit. `deliver_webhook` claims the row with a short lease, POSTs the
signed body, and on failure schedules the next attempt with exponential backoff; a beat
sweep re-enqueues due rows whose task was lost. At least once: a receiver may see an event
twice (a timeout after it answered) and dedupes on the event `id`, the same on every attempt.
"""

from __future__ import annotations

import json
import time
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial
from typing import Any, cast

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone

from brandguard.models import Brand
from delivery import webhook_client, webhook_signing
from delivery.joined_rows import columns, split_row
from delivery.models import WebhookDelivery, WebhookEndpoint
from delivery.models.webhooks import WEBHOOK_EVENT_TYPES

MAX_BACKOFF = timedelta(hours=6)
DUE_TOLERANCE = timedelta(seconds=1)  # a retry's task may run a hair before its time
SWEEP_GRACE = timedelta(seconds=30)  # a due row this late has lost its task


@dataclass(frozen=True, slots=True)
class WebhookOutcome:
    result: str  # delivered | retry | failed | skipped
    retry_in: float | None = None


# -- endpoints ---------------------------------------------------------------------------------

def create_webhook_endpoint(brand: Brand, *, url: str, event_types: list[str],
                            description: str = "", by=None) -> tuple[WebhookEndpoint, str]:
    """A new endpoint and its signing secret (returned once; lists show it masked)."""
    unknown = set(event_types) - set(WEBHOOK_EVENT_TYPES)
    if unknown:
        raise ValueError(f"unknown event types: {sorted(unknown)}")
    secret = webhook_signing.new_secret()
    endpoint = WebhookEndpoint.objects.create(
        brand=brand, url=url, description=description, secret=secret,
        event_types=sorted(event_types), created_by=by)
    return endpoint, secret


def roll_webhook_secret(endpoint: WebhookEndpoint) -> str:
    secret = webhook_signing.new_secret()
    WebhookEndpoint.objects.filter(pk=endpoint.pk).update(secret=secret,
                                                          updated_at=timezone.now())
    endpoint.secret = secret
    return secret


def set_webhook_endpoint_active(endpoint: WebhookEndpoint, *, active: bool) -> None:
    WebhookEndpoint.objects.filter(pk=endpoint.pk).update(active=active,
                                                          updated_at=timezone.now())
    endpoint.active = active


def delete_webhook_endpoint(endpoint: WebhookEndpoint) -> None:
    endpoint.delete()  # its delivery log goes with it


# -- the outbox --------------------------------------------------------------------------------

def emit(brand_id: int, event_type: str, data: dict[str, Any], *,
         now: datetime | None = None) -> list[int]:
    """Write the event for each of the brand's active endpoints that wants it, in the
    caller's transaction; deliver after commit. Returns the delivery ids."""
    assert event_type in WEBHOOK_EVENT_TYPES, event_type
    endpoints = [e for e in active_endpoints(brand_id) if e.wants(event_type)]
    if not endpoints:
        return []
    now = now or timezone.now()
    event_id = uuid.uuid4()
    payload = {"id": str(event_id), "type": event_type, "created": int(now.timestamp()),
               "data": data}
    rows = WebhookDelivery.objects.bulk_create([
        WebhookDelivery(endpoint=endpoint, brand_id=brand_id, event_id=event_id,
                        event_type=event_type, payload=payload, next_attempt_at=now,
                        created_at=now) for endpoint in endpoints])
    for row in rows:
        transaction.on_commit(partial(enqueue_webhook, row.pk, None))
    return [row.pk for row in rows]


# Every text the sender hands over asks this (send.status_changed), most often to find no
# endpoint: written out once, as the ORM's WebhookEndpoint.objects.filter(brand_id=…,
# active=True) reads it (same rows, same order), without compiling that query per text.
_ENDPOINTS_SQL = f"""
SELECT {columns(WebhookEndpoint, "e")} FROM delivery_webhookendpoint e
WHERE e.brand_id = %(brand_id)s AND e.active ORDER BY e.brand_id, e.created_at"""


def active_endpoints(brand_id: int) -> list[WebhookEndpoint]:
    with connection.cursor() as cursor:
        cursor.execute(_ENDPOINTS_SQL, {"brand_id": brand_id})
        rows = cursor.fetchall()
    return [cast(WebhookEndpoint, split_row(row, (WebhookEndpoint,))[0]) for row in rows]


def enqueue_webhook(delivery_id: int, countdown: float | None) -> None:
    from delivery.tasks import deliver_webhook_task

    deliver_webhook_task.apply_async(args=[delivery_id], countdown=countdown)


def backoff(attempts: int) -> timedelta:
    """Delay after the `attempts`-th failure: base, 2x base, 4x base, ... at most 6 h."""
    seconds = settings.WEBHOOK_RETRY_BASE_SECONDS * 2 ** max(0, attempts - 1)
    return min(MAX_BACKOFF, timedelta(seconds=seconds))


def deliver_webhook(delivery_id: int, *, now: datetime | None = None) -> WebhookOutcome:
    """One attempt. Idempotent: a delivered, given-up, not-yet-due or leased row is skipped."""
    now = now or timezone.now()
    lease = now + timedelta(seconds=settings.WEBHOOK_TIMEOUT + 30)
    claimed = (WebhookDelivery.objects
               .filter(pk=delivery_id, status=WebhookDelivery.Status.PENDING,
                       next_attempt_at__lte=now + DUE_TOLERANCE)
               .filter(Q(locked_until__isnull=True) | Q(locked_until__lt=now))
               .update(locked_until=lease))
    if not claimed:
        return WebhookOutcome("skipped")
    row = WebhookDelivery.objects.select_related("endpoint").get(pk=delivery_id)
    if not row.endpoint.active:
        _record(row, now, status=WebhookDelivery.Status.FAILED,
                last_error="the endpoint was disabled")
        return WebhookOutcome("failed")
    response = _post(row)
    attempts = row.attempts + 1
    facts = {"attempts": attempts, "last_attempt_at": now, "last_status_code":
             response.status_code, "last_error": response.error,
             "last_latency_ms": response.latency_ms}
    if response.ok:
        _record(row, now, status=WebhookDelivery.Status.DELIVERED, delivered_at=now, **facts)
        return WebhookOutcome("delivered")
    if response.permanent or attempts >= settings.WEBHOOK_MAX_ATTEMPTS:
        _record(row, now, status=WebhookDelivery.Status.FAILED, **facts)
        return WebhookOutcome("failed")
    delay = backoff(attempts)
    _record(row, now, next_attempt_at=now + delay, **facts)
    return WebhookOutcome("retry", retry_in=delay.total_seconds())


def _post(row: WebhookDelivery) -> webhook_client.WebhookResponse:
    body = json.dumps(row.payload, separators=(",", ":"), sort_keys=True).encode()
    headers = {
        # Signed at send time (not at emit time), so a late retry is still fresh.
        webhook_signing.HEADER: webhook_signing.header_value(row.endpoint.secret,
                                                             int(time.time()), body),
        "Studio-Event-Id": str(row.event_id), "Studio-Event-Type": row.event_type,
        "Studio-Delivery-Attempt": str(row.attempts + 1),
    }
    return webhook_client.post(row.endpoint.url, body, headers,
                               timeout=settings.WEBHOOK_TIMEOUT,
                               allowed=None if settings.WEBHOOK_ALLOW_PRIVATE_NETWORKS
                               else webhook_client.is_public_address)


def _record(row: WebhookDelivery, now: datetime, **fields: Any) -> None:
    WebhookDelivery.objects.filter(pk=row.pk).update(locked_until=None, **fields)


def retry_webhook_now(delivery: WebhookDelivery, *, now: datetime | None = None) -> bool:
    """Send a pending or given-up delivery again at once (the brand fixed its endpoint).
    False for one already delivered or being sent right now."""
    now = now or timezone.now()
    with transaction.atomic():
        changed = (WebhookDelivery.objects
                   .filter(pk=delivery.pk)
                   .exclude(status=WebhookDelivery.Status.DELIVERED)
                   .filter(Q(locked_until__isnull=True) | Q(locked_until__lt=now))
                   .update(status=WebhookDelivery.Status.PENDING, next_attempt_at=now))
        if changed:
            transaction.on_commit(partial(enqueue_webhook, delivery.pk, None))
    return bool(changed)


def sweep_due_webhooks(*, now: datetime | None = None, limit: int = 500) -> list[int]:
    """Re-enqueue pending deliveries well past due (their retry task was lost); the lease
    in deliver_webhook makes a duplicate task harmless."""
    now = now or timezone.now()
    due = (WebhookDelivery.objects
           .filter(status=WebhookDelivery.Status.PENDING, next_attempt_at__lte=now - SWEEP_GRACE)
           .filter(Q(locked_until__isnull=True) | Q(locked_until__lt=now))
           .order_by("next_attempt_at").values_list("pk", flat=True)[:limit])
    ids = list(due)
    for delivery_id in ids:
        transaction.on_commit(partial(enqueue_webhook, delivery_id, None))
    return ids


# -- what is emitted ---------------------------------------------------------------------------

def send_status_changed(send, *, previous: str, status: str, now: datetime,
                        reason: str | None = None, previous_api: str | None = None) -> None:
    """`send.status_changed` when a Send's status, in the API's words, changes. `send` as
    the caller has it after the change; `status`/`previous` are the Send's own statuses
    (`previous_api` when the old one cannot be told from them, e.g. a new send time)."""
    from delivery.selectors import api_send_status

    new = api_send_status(status, send.scheduled_for, now=now)
    old = previous_api or api_send_status(previous, send.scheduled_for, now=now)
    if new == old:
        return
    emit(send.brand_id, "send.status_changed", {
        "decision_id": str(send.decision_id), "send_id": send.pk, "phone": send.to_phone,
        "status": new, "previous_status": old, "provider_status": status,
        "send_at": _iso(send.scheduled_for), "reason": reason,
        "error_code": send.error_code}, now=now)


def contact_opt_changed(contact, *, opted_out: bool, at: datetime, source: str,
                        detail: str = "") -> None:
    emit(contact.brand_id, "contact.opted_out" if opted_out else "contact.opted_in", {
        "phone": contact.phone, "contact_id": contact.pk, "source": source,
        "detail": detail or None, "occurred_at": _iso(at)}, now=timezone.now())


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None
