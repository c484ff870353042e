"""Reads for the personal send time: the person's engaged hours and the brand's click hours."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime, timedelta

from django.db import connection
from django.db.models import Min
from django.db.models.functions import Trunc

from delivery import journeys, send_time
from delivery.models import Contact, Event
from delivery.selectors import delivery_settings
from delivery.services.journeys import context
from delivery.services.journeys.context import BrandContext

PERSON_HISTORY_SPAN = timedelta(days=180)
# A person's engagement: clicks on texts and their own shopping (send_time's docstring).
ENGAGEMENT_TYPES = (Event.Type.CLICKED, Event.Type.PRODUCT_VIEWED, Event.Type.ADDED_TO_CART,
                    Event.Type.CHECKOUT_STARTED, Event.Type.PURCHASED)
BRAND_CLICKS_SPAN = timedelta(days=30)
BRAND_CLICKS_SAMPLE = 5000  # the latest clicks are plenty for a 24-bucket curve


def _hours(rows: Iterable[tuple[datetime, list[str]]], fallback_zones: list[str]) -> list[int]:
    hours = []
    for occurred_at, zones in rows:
        zones = zones or fallback_zones
        if zones:
            hours.append(send_time.local_hour(occurred_at, zones))
    return hours


def brand_click_hours(brand_id: int, *, now: datetime,
                      sample: int = BRAND_CLICKS_SAMPLE) -> list[int]:
    """The local hour of each of the brand's latest clicks (the clicker's first zone)."""
    rows = (Event.objects.filter(brand_id=brand_id, type=Event.Type.CLICKED,
                                 occurred_at__gte=now - BRAND_CLICKS_SPAN, occurred_at__lte=now,
                                 contact__isnull=False)
            .order_by("-occurred_at", "-id").values_list("occurred_at", "contact__time_zones")
            [:sample])
    return _hours(rows, [])


# brand_click_hours, counted by PostgreSQL: the ORM version fetches up to 5,000 rows and
# converts each to local time in Python, several milliseconds per behaviour event that
# schedules a step. Same sample (the latest clicks, then those with a zone), same hour (the
# clicker's first zone); the tests compare the two.
_BRAND_CLICK_COUNTS_SQL = """
SELECT recent.hour, count(*)
FROM (
    SELECT extract(hour FROM e.occurred_at AT TIME ZONE (c.time_zones ->> 0))::int AS hour
    FROM delivery_event e
    JOIN delivery_contact c ON c.id = e.contact_id
    WHERE e.brand_id = %(brand_id)s AND e.type = %(type)s
      AND e.occurred_at >= %(since)s AND e.occurred_at <= %(now)s
    ORDER BY e.occurred_at DESC, e.id DESC
    LIMIT %(sample)s
) recent
WHERE recent.hour IS NOT NULL
GROUP BY recent.hour"""


def brand_click_counts(brand_id: int, *, now: datetime,
                       sample: int = BRAND_CLICKS_SAMPLE) -> list[int]:
    """Clicks per local hour 0-23 of the brand's latest clicks (see brand_click_hours)."""
    counts = [0] * send_time.HOURS
    with connection.cursor() as cursor:
        cursor.execute(_BRAND_CLICK_COUNTS_SQL, {
            "brand_id": brand_id, "type": Event.Type.CLICKED.value,
            "since": now - BRAND_CLICKS_SPAN, "now": now, "sample": sample})
        for hour, n in cursor.fetchall():
            counts[int(hour)] = int(n)
    return counts


def engaged_times(contact_ids: list[int], *, now: datetime) -> dict[int, list[datetime]]:
    """Each person's engaged hours within PERSON_HISTORY_SPAN before `now`: the first
    engagement of each clock hour (every id is a key). PostgreSQL groups them, so a shopper
    with thousands of product views costs a few hundred rows, not thousands."""
    found: dict[int, list[datetime]] = {pk: [] for pk in contact_ids}
    rows = (Event.objects.filter(contact_id__in=contact_ids, type__in=ENGAGEMENT_TYPES,
                                 occurred_at__gte=now - PERSON_HISTORY_SPAN,
                                 occurred_at__lte=now)
            .annotate(hour=Trunc("occurred_at", "hour", tzinfo=UTC))
            .order_by().values("contact_id", "hour").annotate(first=Min("occurred_at"))
            .values_list("contact_id", "first"))
    for contact_id, at in rows:
        found[contact_id].append(at)
    return found


def person_engaged_hours(contact: Contact, *, now: datetime,
                         ctx: BrandContext | None = None) -> list[int]:
    """The local hour of each engaged hour of the person's (send_time.distinct_hours)."""
    times = ctx.engagement_of(contact) if ctx is not None else None
    if times is None:
        times = engaged_times([contact.pk], now=now)[contact.pk]
    return _hours(((at, contact.time_zones) for at in send_time.distinct_hours(times)),
                  contact.time_zones)


def personal_due(contact: Contact, start: journeys.Start, *, now: datetime,
                 ctx: BrandContext | None = None) -> datetime:
    """When the step should fire: its due time moved to the person's best hour, only
    within its freshness window and only to an instant quiet hours allow (with the brand's
    personal send time off, or too little history of the person's own, the first instant
    they allow)."""
    due = max(start.due_at, now)
    if not contact.time_zones or start.expires_at <= due:
        return due
    settings = ctx.settings if ctx is not None else delivery_settings(contact.brand)
    recipient = send_time.Recipient(tuple(contact.time_zones), contact.us_state or None,
                                    settings.policy.send_window)
    personal = (ctx.personal_send_time if ctx is not None
                else context.personal_send_time_on(contact.brand_id))
    if not personal:
        return send_time.first_open(due, start.expires_at, recipient)
    hours = person_engaged_hours(contact, now=now, ctx=ctx)
    prior = (ctx.brand_curve if ctx is not None
             else context.brand_curve(contact.brand_id, now=now))
    return send_time.choose(due, start.expires_at, send_time.person_curve(hours, prior),
                            recipient, own_hours=len(hours))
