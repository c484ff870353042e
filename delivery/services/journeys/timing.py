"""Reads for the personal send time: the person's and the brand's click hours."""

from __future__ import annotations

from datetime import datetime, timedelta

from delivery import journeys, send_time
from delivery.models import Contact, Event
from delivery.selectors import delivery_settings

PERSON_CLICKS_SPAN = timedelta(days=180)
BRAND_CLICKS_SPAN = timedelta(days=30)
BRAND_CLICKS_SAMPLE = 5000  # the latest clicks are plenty for a 24-bucket curve


def _hours(rows, fallback_zones: list[str]) -> list[int]:
    hours = []
    for occurred_at, zones in rows:
        zones = zones or fallback_zones
        if zones:
            hours.append(send_time.local_hour(occurred_at, zones))
    return hours


def click_curve(contact: Contact, *, now: datetime) -> tuple[float, ...]:
    """q_h for the person (send_time.person_curve over the brand's curve)."""
    brand_rows = (Event.objects.filter(brand_id=contact.brand_id, type=Event.Type.CLICKED,
                                       occurred_at__gte=now - BRAND_CLICKS_SPAN,
                                       occurred_at__lte=now, contact__isnull=False)
                  .order_by("-occurred_at").values_list("occurred_at", "contact__time_zones")
                  [:BRAND_CLICKS_SAMPLE])
    person_rows = (Event.objects.filter(contact=contact, type=Event.Type.CLICKED,
                                        occurred_at__gte=now - PERSON_CLICKS_SPAN,
                                        occurred_at__lte=now)
                   .values_list("occurred_at", "contact__time_zones"))
    prior = send_time.brand_curve(_hours(brand_rows, []))
    return send_time.person_curve(_hours(person_rows, contact.time_zones), prior)


def personal_due(contact: Contact, start: journeys.Start, *, now: datetime) -> datetime:
    """When the step should fire: its due time moved to the person's best hour, only
    within its freshness window and only to an instant quiet hours allow."""
    due = max(start.due_at, now)
    if not contact.time_zones or start.expires_at <= due:
        return due
    settings = delivery_settings(contact.brand)
    recipient = send_time.Recipient(tuple(contact.time_zones), contact.us_state or None,
                                    settings.policy.send_window)
    return send_time.choose(due, start.expires_at, click_curve(contact, now=now), recipient)
