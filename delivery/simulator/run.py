"""The simulation's clock and its shoppers' behaviour (the package docstring tells how it
reaches the product)."""

from __future__ import annotations

import heapq
import json
import random
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from functools import partial
from itertools import count
from zoneinfo import ZoneInfo

from django.conf import settings as django_settings
from django.db import transaction
from django.test import Client
from django.utils import timezone

from brandguard.models import Brand
from copygen.models import Variant
from copygen.taxonomy import Stage
from delivery import clock, journeys
from delivery.models import JourneyStep, Send
from delivery.services import create_api_key
from delivery.services.journeys import fire_due_steps, set_personal_send_time
from delivery.services.sending import cancel_send, deliver
from delivery.simulator.population import (
    AREAS,
    CATEGORIES,
    CONSENT_TEXT,
    CONTACTS_BATCH,
    SIM_COPY,
    SIMULATION_ENDED,
    TICK,
    Shopper,
)
from delivery.simulator.report import Marks, Report, measure


class Simulation:
    def __init__(self, brand: Brand, *, shoppers: int, days: int, seed: int = 7,
                 start: datetime | None = None, stop_rate: float = 0.01,
                 personal_send_time: bool | None = None):
        self.brand, self.days, self.stop_rate = brand, days, stop_rate
        self.personal_send_time = personal_send_time  # None: the brand's own setting
        self.rng = random.Random(seed)
        self.now = start or datetime(2026, 6, 1, 4, 0, tzinfo=UTC)
        self.end = self.now + timedelta(days=days)
        self.shoppers = [self._shopper(n) for n in range(shoppers)]
        self.by_phone = {s.phone: s for s in self.shoppers}
        self.queue: list[tuple[datetime, int, Callable[[], None]]] = []
        self.seq = count()
        hosts = [h.lstrip(".") for h in django_settings.ALLOWED_HOSTS if h.strip(".*")]
        self.client = Client(HTTP_HOST=hosts[0] if hosts else "localhost")
        self.report = Report()
        self.marks: Marks | None = None
        self.filled: list[int] = []  # the run's own unreviewed copy
        # Ground truth the product cannot see: texts sent within an hour of the shopper's
        # preferred local hour (where `_react` clicks more). Only the comparison reports it.
        self.sends_near_preferred_hour = 0
        self.taste: dict[int, float] = {}  # hidden click rate per variant
        self.catalog = [{"id": f"sku-{n}", "name": f"{CATEGORIES[n % 6].title()} {n}",
                         "category": CATEGORIES[n % 6], "price": 20.0 + 7 * n,
                         "url": f"https://{brand.website_domain or 'example.com'}/p/{n}",
                         **({"reorder_days": 21} if CATEGORIES[n % 6] == "fuel" else {})}
                        for n in range(30)]

    # --- set-up -------------------------------------------------------------------------------

    def _shopper(self, n: int) -> Shopper:
        area, zone = AREAS[n % len(AREAS)]
        return Shopper(
            phone=f"+1{area}555{1000 + n:04d}", zone=zone,
            hour=min(20, max(8, int(self.rng.gauss(14, 4)))),
            visits_per_day=self.rng.uniform(0.1, 0.8), cart_rate=self.rng.uniform(0.1, 0.5),
            buy_rate=self.rng.uniform(0.2, 0.6), click_factor=self.rng.uniform(0.5, 1.5),
            subscribed=n % 10 != 0)

    def _prepare(self) -> None:
        # Set-up an operator does by hand on the quick-start: an API key for the flows and
        # approved copy where a pool is empty. Everything after goes through HTTP routes.
        self.key = create_api_key(self.brand, name="shopper simulator")[1]
        if self.personal_send_time is not None:  # inside the run's transaction, like the rest
            set_personal_send_time(self.brand, enabled=self.personal_send_time)
        self.report.copy_filled = self._fill_copy()
        for variant in Variant.objects.filter(brand=self.brand, status="approved",
                                              is_current=True):
            self.taste[variant.pk] = self.rng.uniform(0.05, 0.35)
        people = []
        for shopper in self.shoppers:
            person: dict = {"phone": shopper.phone, "attributes": {
                "first_name": self.rng.choice(["Sam", "Ana", "Lee", "Kim", "Max", "Ivy"])}}
            if shopper.subscribed:
                person.update(self._grant(self.now - timedelta(days=30)))
            else:  # joins during the run: a welcome, once consent is in
                at = self.now + timedelta(hours=self.rng.uniform(1, 24 * self.days))
                self._at(at, partial(self._subscribe, shopper))
            people.append(person)
        for first in range(0, len(people), CONTACTS_BATCH):
            answer = self._post("/api/v1/contacts/batch",
                                {"contacts": people[first:first + CONTACTS_BATCH]}, 200)
            if answer["refused"]:
                raise RuntimeError(f"the contacts API refused simulated shoppers: {answer}")

    def _grant(self, at: datetime) -> dict:
        """A web-form grant with its proof, confirmed on the form itself (no Y by text)."""
        return {"consent": {"status": "granted", "source": "web_form",
                            "consent_text": CONSENT_TEXT, "occurred_at": at.isoformat(),
                            "source_detail": f"https://{self._domain()}/sms-signup"},
                "double_opt_in": False}

    def _domain(self) -> str:
        return self.brand.website_domain or "example.com"

    def _post(self, path: str, body: dict, expected: int) -> dict:
        response = self.client.post(path, json.dumps(body), content_type="application/json",
                                    headers={"Authorization": f"Bearer {self.key}"})
        if response.status_code != expected:
            raise RuntimeError(f"{path} refused a simulated request: {response.content!r}")
        return response.json()

    def _fill_copy(self) -> int:
        """Plain copy where a pool is empty, so every journey can send in the run. Nobody
        reviewed it: a kept run retires it at the end (`_settle`)."""
        approver = None
        for intent in journeys.DEFAULT_RULES:
            for stage in Stage.values:
                if Variant.objects.filter(brand=self.brand, intent=intent, stage=stage,
                                          status="approved", is_current=True).exists():
                    continue
                approver = approver or _approver(self.brand)
                for topic in ("what you picked", "something you might like"):
                    self.filled.append(Variant.objects.create(
                        brand=self.brand, intent=intent, stage=stage, provider="human",
                        status="approved", is_current=True, approved_by=approver,
                        text=SIM_COPY.format(brand=self.brand.sender_name or self.brand.name,
                                             topic=topic, link="{link}")).pk)
        return len(self.filled)

    # --- the clock ---------------------------------------------------------------------------

    def _at(self, when: datetime, action: Callable[[], None]) -> None:
        heapq.heappush(self.queue, (when, next(self.seq), action))

    def run(self, *, keep: bool = False) -> Report:
        provider = django_settings.SMS_PROVIDER
        django_settings.SMS_PROVIDER = "console"  # a simulation never reaches a carrier
        try:
            return self._run(keep=keep)
        finally:
            django_settings.SMS_PROVIDER = provider

    def _run(self, *, keep: bool) -> Report:
        with transaction.atomic(), clock.use(lambda: self.now):
            self.marks = Marks.now(self.brand)
            self._prepare()
            self._plan_days()
            while self.now < self.end:
                self._tick()
            self.sends_near_preferred_hour = measure(
                self.brand, self.report, self.marks,
                {s.phone: (s.zone, s.hour) for s in self.shoppers})
            if keep:
                self._settle()
            else:
                transaction.set_rollback(True)
        return self.report

    def _settle(self) -> None:
        """Kept runs end what is still waiting: the shoppers' numbers are made up, and a real
        worker would otherwise fire their steps and send their texts in real time. The
        run's filler copy is retired: no one reviewed it, so no real person may get it."""
        Variant.objects.filter(pk__in=self.filled).update(status=Variant.Status.RETIRED,
                                                          updated_at=timezone.now())
        phones = list(self.by_phone)
        JourneyStep.objects.filter(brand=self.brand, contact__phone__in=phones,
                                   status=JourneyStep.Status.PENDING).update(
            status=JourneyStep.Status.CANCELED, reason=SIMULATION_ENDED,
            detail="the simulation ended", finished_at=self.now)
        for send in Send.objects.filter(brand=self.brand, to_phone__in=phones,
                                        status=Send.Status.PENDING):
            cancel_send(send, reason=SIMULATION_ENDED.upper(), detail="the simulation ended",
                        now=self.now)

    def _tick(self) -> None:
        until = self.now + TICK
        while self.queue and self.queue[0][0] < until:
            when, _, action = heapq.heappop(self.queue)
            self.now = max(self.now, when)
            action()
        self.now = until
        fire_due_steps(now=self.now)
        for send_id in Send.objects.filter(brand=self.brand, status=Send.Status.PENDING,
                                           scheduled_for__lte=self.now).values_list("pk",
                                                                                    flat=True):
            if deliver(send_id, now=self.now).result == "sent":
                self._react(Send.objects.select_related("decision").get(pk=send_id))

    def _plan_days(self) -> None:
        for shopper in self.shoppers:
            for day in range(self.days):
                visits = sum(1 for _ in range(3) if self.rng.random() < shopper.visits_per_day / 3)
                for _ in range(visits):
                    self._at(self._local_time(shopper, day), partial(self._visit, shopper))
        for day in range(self.days):  # the shop's own news, once or twice a day
            product = self.rng.choice(self.catalog)
            kind = self.rng.choice(["back_in_stock", "price_dropped"])
            at = self.now + timedelta(days=day, hours=self.rng.uniform(12, 20))
            self._at(at, partial(self._news, kind, product))

    def _local_time(self, shopper: Shopper, day: int) -> datetime:
        zone = ZoneInfo(shopper.zone)
        local = self.now.astimezone(zone).replace(hour=0, minute=0, second=0, microsecond=0)
        hour = min(23.9, max(0.0, self.rng.gauss(shopper.hour + 1, 3)))
        moment = (local + timedelta(days=day, hours=hour)).astimezone(UTC)
        return max(moment, self.now)

    # --- shoppers ------------------------------------------------------------------------------

    def _event(self, shopper: Shopper | None, type: str, **payload) -> None:
        body = {"event_id": f"sim-{next(self.seq)}", "type": type,
                "occurred_at": self.now.isoformat(), **payload}
        if shopper is not None:
            body["phone"] = shopper.phone
        self._post("/api/v1/events", body, 202)
        self.report.events += 1
        if type == "purchased":
            self.report.purchases += 1

    def _visit(self, shopper: Shopper) -> None:
        """One session, each step queued at its own time: one shopper's minutes never move
        the clock for everyone else."""
        if shopper.opted_out:
            return
        category = self.rng.choice(CATEGORIES)
        products = [p for p in self.catalog if p["category"] == category]
        viewed = self.rng.sample(products, k=min(len(products), self.rng.randint(1, 3)))
        at = self.now
        for product in viewed:
            self._at(at, partial(self._event, shopper, "product_viewed", product=product))
            at += timedelta(minutes=self.rng.uniform(1, 6))
        if self.rng.random() < shopper.cart_rate:
            product = viewed[-1]
            self._at(at, partial(self._event, shopper, "added_to_cart", product=product,
                                 cart_url=f"https://{self._domain()}/cart"))
            if self.rng.random() < shopper.buy_rate:
                self._at(at + timedelta(minutes=self.rng.uniform(2, 15)),
                         partial(self._buy, shopper, product))
            elif self.rng.random() < 0.3:  # comes back later and buys anyway
                self._at(at + timedelta(minutes=self.rng.uniform(20, 600)),
                         partial(self._buy, shopper, product))

    def _buy(self, shopper: Shopper, product: dict) -> None:
        if shopper.opted_out and self.rng.random() < 0.5:
            return
        item = {"id": product["id"], "quantity": 1}
        if product.get("reorder_days"):
            item["reorder_days"] = product["reorder_days"]
        self._event(shopper, "purchased", order={"id": f"o-{next(self.seq)}",
                                                 "value": product["price"], "items": [item]})

    def _subscribe(self, shopper: Shopper) -> None:
        self._event(shopper, "subscribed")
        # The signup form's consent reaches us a few minutes later: the welcome waits for it.
        self._at(self.now + timedelta(minutes=3), partial(self._consent, shopper))

    def _consent(self, shopper: Shopper) -> None:
        self._post("/api/v1/contacts", {"phone": shopper.phone, **self._grant(self.now)}, 200)
        shopper.subscribed = True

    def _news(self, kind: str, product: dict) -> None:
        news = dict(product)
        if kind == "price_dropped":
            news["price"] = round(product["price"] * 0.8, 2)
        self._event(None, kind, product=news)

    def _react(self, send: Send) -> None:
        shopper = self.by_phone[send.to_phone]
        local_hour = self.now.astimezone(ZoneInfo(shopper.zone)).hour
        timing = 1.6 if abs(local_hour - shopper.hour) <= 1 else 0.7
        rate = self.taste.get(send.decision.variant_id or 0, 0.1) * shopper.click_factor * timing
        if self.rng.random() < self.stop_rate:
            self._at(self.now + timedelta(minutes=self.rng.uniform(1, 30)),
                     lambda: self._stop(shopper))
            return
        if self.rng.random() >= min(0.9, rate):
            return
        code = send.decision.short_links.values_list("code", flat=True).first()
        if code is None:
            return
        when = self.now + timedelta(minutes=self.rng.uniform(1, 40))
        self._at(when, lambda: self._click(shopper, code, send))

    def _click(self, shopper: Shopper, code: str, send: Send) -> None:
        response = self.client.get(f"/l/{code}", headers={"User-Agent": "Mozilla/5.0 (iPhone)"})
        if response.status_code in (301, 302):
            self.report.clicks += 1
        if self.rng.random() < 0.35:
            self._at(self.now + timedelta(minutes=self.rng.uniform(2, 20)),
                     partial(self._buy, shopper, self.rng.choice(self.catalog)))

    def _stop(self, shopper: Shopper) -> None:
        # The flow that heard the STOP reports it; the ledger records it (source "api").
        self._event(shopper, "opted_out")
        shopper.opted_out = True
        self.report.opt_outs += 1

def _approver(brand: Brand):
    from django.contrib.auth import get_user_model

    user, _ = get_user_model().objects.get_or_create(
        username="shopper-simulator", defaults={"is_active": False})
    return user
