"""The demo's journeys: a short shopper simulation (delivery.simulator) kept in the demo
brand, so Performance, Journeys and the contact timelines show real data on a fresh
`make run`. The shoppers' numbers are made up; whatever still waits at the end is canceled."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from brandguard.models import Brand
from copygen.models import Variant
from copygen.taxonomy import Stage
from delivery.models import Event
from delivery.simulator import Report, Simulation
from studio.demo_audience import approve_demo_copy

DEMO_SHOPPERS = 40
DEMO_DAYS = 3
# One reviewed text for every journey's pools that the demo copy leaves empty, so the kept
# simulation never falls back to the simulator's own unreviewed filler copy.
STOP = " Reply STOP to opt out"
JOURNEY_COPY = {
    "cart_abandonment": "Summit Outfitters: your cart is saved whenever you are ready: {link}",
    "welcome": "Summit Outfitters: welcome aboard. This season's gear is here: {link}",
    "browse_abandonment": "Summit Outfitters: still deciding? Have another look: {link}",
    "back_in_stock": "Summit Outfitters: good news, it is back in stock: {link}",
    "price_drop": "Summit Outfitters: the price just dropped on something you viewed: {link}",
    "replenishment": "Summit Outfitters: running low? Reorder in a tap: {link}",
    "post_purchase_cross_sell": "Summit Outfitters: gear that goes with your order: {link}",
    "win_back": "Summit Outfitters: it has been a while. See what is new: {link}",
}


def seed_journeys(brand: Brand, *, shoppers: int = DEMO_SHOPPERS, days: int = DEMO_DAYS
                  ) -> Report | None:
    """Idempotent: None when the brand already holds a simulation's events. The run ends
    now, so the timelines read as the last few days."""
    if Event.objects.filter(brand=brand, event_id__startswith="sim-").exists():
        return None
    _fill_journey_pools(brand)
    start = timezone.now().replace(second=0, microsecond=0) - timedelta(days=days)
    return Simulation(brand, shoppers=shoppers, days=days, start=start).run(keep=True)


def _fill_journey_pools(brand: Brand) -> int:
    pools: dict[tuple[str, str], tuple[str, ...]] = {}
    for intent, text in JOURNEY_COPY.items():
        for stage in Stage.values:
            if not Variant.objects.filter(brand=brand, intent=intent, stage=stage,
                                          status="approved", is_current=True).exists():
                pools[(intent, stage)] = (text + STOP,)
    return approve_demo_copy(brand, pools)
