"""A person's lifecycle stage from what they did. Pure: no Django, no I/O, clock injected.

The stages are copygen's (`copygen.taxonomy.Stage`); the copy pools are per intent × stage,
so the stage picks which approved texts a journey may send. The rule, first match wins:

| stage                | when                                                               |
|----------------------|--------------------------------------------------------------------|
| `first_time_browser` | never bought                                                       |
| `churned`            | last purchase at least `churned_days` ago (default 180)            |
| `lapsing`            | last purchase at least `lapsing_days` ago (default 60)             |
| `repeat_buyer`       | at least `repeat_orders` orders (default 3)                        |
| `new_customer`       | exactly one order, placed less than `new_customer_days` ago (30)   |
| `active`             | otherwise (two orders, or one older than `new_customer_days`)      |

Lapsing and churned come before the order count on purpose: a loyal buyer who stopped
buying needs the "come back" copy, not the insider tone. Brands may move every threshold
(`delivery.models.LifecycleSettings`); `Thresholds()` are the documented defaults.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

FIRST_TIME_BROWSER = "first_time_browser"
NEW_CUSTOMER = "new_customer"
ACTIVE = "active"
REPEAT_BUYER = "repeat_buyer"
LAPSING = "lapsing"
CHURNED = "churned"
STAGES = (FIRST_TIME_BROWSER, NEW_CUSTOMER, ACTIVE, REPEAT_BUYER, LAPSING, CHURNED)


@dataclass(frozen=True, slots=True)
class Thresholds:
    new_customer_days: int = 30
    repeat_orders: int = 3
    lapsing_days: int = 60
    churned_days: int = 180

    def __post_init__(self) -> None:
        if min(self.new_customer_days, self.repeat_orders, self.lapsing_days) < 1:
            raise ValueError("thresholds must be positive")
        if self.repeat_orders < 2:
            raise ValueError("a repeat buyer has at least two orders")
        if not self.lapsing_days < self.churned_days:
            raise ValueError("lapsing must come before churned")


def stage_at(purchases: Iterable[datetime], now: datetime,
             thresholds: Thresholds = Thresholds()) -> str:
    """The stage at `now` given the times of the person's purchases. Purchases after `now`
    (a clock replayed to the past) do not count yet."""
    seen = sorted(p for p in purchases if p <= now)
    if not seen:
        return FIRST_TIME_BROWSER
    since_last = now - seen[-1]
    if since_last >= timedelta(days=thresholds.churned_days):
        return CHURNED
    if since_last >= timedelta(days=thresholds.lapsing_days):
        return LAPSING
    if len(seen) >= thresholds.repeat_orders:
        return REPEAT_BUYER
    if len(seen) == 1 and since_last < timedelta(days=thresholds.new_customer_days):
        return NEW_CUSTOMER
    return ACTIVE


def next_change(purchases: Iterable[datetime], now: datetime,
                thresholds: Thresholds = Thresholds()) -> datetime | None:
    """When the stage will move with no new purchase (a new customer ages into active, a
    buyer into lapsing, then churned), or None when nothing more happens by itself."""
    seen = sorted(p for p in purchases if p <= now)
    if not seen:
        return None
    last = seen[-1]
    moments = [last + timedelta(days=thresholds.lapsing_days),
               last + timedelta(days=thresholds.churned_days)]
    if len(seen) == 1:
        moments.append(last + timedelta(days=thresholds.new_customer_days))
    later = [m for m in moments if m > now]
    return min(later) if later else None
