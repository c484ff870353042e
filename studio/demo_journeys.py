"""The demo's journeys: a short shopper simulation (delivery.simulator) kept in the demo
brand, so Performance, Journeys and the contact timelines show real data on a fresh
`make run`. The shoppers' numbers are made up; whatever still waits at the end is canceled."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from brandguard.models import Brand
from delivery.models import Event
from delivery.simulator import Report, Simulation

DEMO_SHOPPERS = 40
DEMO_DAYS = 3


def seed_journeys(brand: Brand, *, shoppers: int = DEMO_SHOPPERS, days: int = DEMO_DAYS
                  ) -> Report | None:
    """Idempotent: None when the brand already holds a simulation's events. The run ends
    now, so the timelines read as the last few days."""
    if Event.objects.filter(brand=brand, event_id__startswith="sim-").exists():
        return None
    start = timezone.now().replace(second=0, microsecond=0) - timedelta(days=days)
    return Simulation(brand, shoppers=shoppers, days=days, start=start).run(keep=True)
