"""What every behaviour event of one brand reads alike, read once per request or batch: the
brand's journeys and their rules, its delivery settings, its lifecycle thresholds and its
hourly click curve. An events batch of twenty shares one; a single event builds its own, so
it reads exactly what it read before, once instead of up to three times."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from brandguard.models import Brand
from delivery import journeys, lifecycle, send_time
from delivery.models import Contact, DeliverySettings, Journey, LifecycleSettings
from delivery.selectors import delivery_settings


def brand_journeys(brand: Brand) -> dict[str, Journey]:
    """The brand's journeys by intent; the missing ones are created with the defaults."""
    found = {j.intent: j for j in Journey.objects.filter(brand=brand)}
    missing = [Journey.from_rule(brand, rule) for intent, rule in journeys.DEFAULT_RULES.items()
               if intent not in found]
    if missing:
        Journey.objects.bulk_create(missing, ignore_conflicts=True)
        found = {j.intent: j for j in Journey.objects.filter(brand=brand)}
    return found


# The brand's curve counts 30 days of clicks (an aggregate over thousands of rows, the
# costliest read of a behaviour event): a few minutes' new clicks cannot move it visibly,
# so each process keeps it that long per brand, judged on the delivery clock.
CURVE_TTL = timedelta(minutes=5)
_curves: dict[int, tuple[datetime, tuple[float, ...]]] = {}


def brand_curve(brand_id: int, *, now: datetime) -> tuple[float, ...]:
    from delivery.services.journeys.timing import brand_click_counts

    cached = _curves.get(brand_id)
    if cached is not None and abs(now - cached[0]) < CURVE_TTL:
        return cached[1]
    curve = send_time.brand_curve_of_counts(brand_click_counts(brand_id, now=now))
    _curves[brand_id] = (now, curve)
    return curve


def lifecycle_row(brand_id: int) -> LifecycleSettings | None:
    return LifecycleSettings.objects.filter(brand_id=brand_id).first()


def personal_send_time_on(brand_id: int) -> bool:
    """On unless the brand turned it off (no settings row: the defaults, on)."""
    found = lifecycle_row(brand_id)
    return found is None or found.personal_send_time


def rules_of(by_intent: dict[str, Journey]) -> dict[str, journeys.Rule]:
    return {intent: j.rule for intent, j in by_intent.items()}


@dataclass
class BrandContext:
    brand: Brand
    now: datetime
    by_intent: dict[str, Journey]
    rules: dict[str, journeys.Rule]
    _settings: DeliverySettings | None = field(default=None, repr=False)
    _curve: tuple[float, ...] | None = field(default=None, repr=False)
    _lifecycle: tuple[LifecycleSettings | None] | None = field(default=None, repr=False)
    _engaged: dict[int, list[datetime]] | None = field(default=None, repr=False)
    _unsettled: list[int] = field(default_factory=list, repr=False)

    @classmethod
    def load(cls, brand: Brand, *, now: datetime) -> BrandContext:
        by_intent = brand_journeys(brand)
        return cls(brand, now, by_intent, rules_of(by_intent))

    @property
    def settings(self) -> DeliverySettings:
        if self._settings is None:
            self._settings = delivery_settings(self.brand)
        return self._settings

    @property
    def brand_curve(self) -> tuple[float, ...]:
        """p_h (delivery.send_time.brand_curve) from the brand's recent clicks."""
        if self._curve is None:
            self._curve = brand_curve(self.brand.pk, now=self.now)
        return self._curve

    def _lifecycle_row(self) -> LifecycleSettings | None:
        if self._lifecycle is None:  # a 1-tuple: "no row" is a read worth keeping too
            self._lifecycle = (lifecycle_row(self.brand.pk),)
        return self._lifecycle[0]

    @property
    def thresholds(self) -> lifecycle.Thresholds:
        found = self._lifecycle_row()
        return found.thresholds if found is not None else lifecycle.Thresholds()

    @property
    def personal_send_time(self) -> bool:
        found = self._lifecycle_row()
        return found is None or found.personal_send_time

    def prefetch_engagement(self, contact_ids: Iterable[int]) -> None:
        """Read the engaged hours of a batch's people at once; `saw` adds the batch's own."""
        from delivery.services.journeys.timing import engaged_times

        self._engaged = engaged_times(list(contact_ids), now=self.now)

    def saw(self, contact_id: int, type: str, at: datetime) -> None:
        """A behaviour event the batch is storing: what a fresh read would find once it
        commits (the same window as the read). `settle` says whether it did."""
        from delivery.services.journeys.timing import ENGAGEMENT_TYPES, PERSON_HISTORY_SPAN

        if self._engaged is None or contact_id not in self._engaged \
                or type not in ENGAGEMENT_TYPES \
                or not self.now - PERSON_HISTORY_SPAN <= at <= self.now:
            return
        self._engaged[contact_id].append(at)
        self._unsettled.append(contact_id)

    def settle(self, *, stored: bool) -> None:
        """After each event of a batch: keep what `saw` added if the event was stored,
        drop it if its transaction rolled back or it was a duplicate."""
        if not stored and self._engaged is not None:
            for contact_id in self._unsettled:
                self._engaged[contact_id].pop()
        self._unsettled.clear()

    def engagement_of(self, contact: Contact) -> list[datetime] | None:
        """The person's engagement times if prefetched, else None (the caller reads them)."""
        if self._engaged is None or contact.pk not in self._engaged:
            return None
        return self._engaged[contact.pk]
