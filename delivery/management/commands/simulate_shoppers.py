"""Replay plausible shoppers through the public API with a fast-forward clock and print what
the journeys did (delivery.simulator). Rolled back at the end unless --keep."""

from __future__ import annotations

import json as jsonlib
import time

from django.core.management.base import BaseCommand, CommandError

from brandguard.models import Brand
from delivery.simulator import Report, Simulation
from delivery.simulator.comparison import send_time_comparison


class Command(BaseCommand):
    help = "Simulate shoppers (views, carts, purchases, clicks, STOPs) against a brand's journeys."

    def add_arguments(self, parser):
        parser.add_argument("--brand", required=True, help="brand slug")
        parser.add_argument("--shoppers", type=int, default=1000)
        parser.add_argument("--days", type=int, default=14)
        parser.add_argument("--seed", type=int, default=7)
        parser.add_argument("--speed", action="store_true",
                            help="print the simulated days per wall-clock second")
        parser.add_argument("--json", action="store_true",
                            help="end with one line of JSON with every count")
        parser.add_argument("--keep", action="store_true",
                            help="keep the simulated contacts, events and sends")
        parser.add_argument("--compare-send-time", action="store_true",
                            help="run the same seed twice, personal send time on then off "
                            "(first open minute), and compare click rates (both rolled back)")

    def handle(self, *args, brand: str, shoppers: int, days: int, seed: int, speed: bool,
               json: bool, keep: bool, compare_send_time: bool, **options):
        found = Brand.objects.filter(slug=brand).first()
        if found is None:
            raise CommandError(f"no brand with slug {brand!r} (try: manage.py seed_demo)")
        if not 1 <= shoppers <= 8999 or not 1 <= days <= 365:
            raise CommandError("--shoppers must be 1-8999 and --days 1-365")
        if compare_send_time and keep:
            raise CommandError("--compare-send-time rolls both runs back: drop --keep (a kept "
                               "first run would change the population of the second)")
        started = time.monotonic()
        first = Simulation(found, shoppers=shoppers, days=days, seed=seed,
                           personal_send_time=True if compare_send_time else None)
        report = first.run(keep=keep)
        comparison = None
        if compare_send_time:
            baseline = Simulation(found, shoppers=shoppers, days=days, seed=seed,
                                  personal_send_time=False)
            baseline.run()
            comparison = send_time_comparison(first, baseline)
        elapsed = time.monotonic() - started
        self._summary(report, shoppers=shoppers, days=days, keep=keep)
        if comparison is not None:
            self._comparison(comparison)
        if speed:
            runs, events = ((2, report.events + comparison["first_open_minute"]["events"])
                            if comparison is not None else (1, report.events))
            self.stdout.write(
                f"speed: {runs * days / elapsed:.2f} simulated days/s, {events / elapsed:.0f} "
                f"events/s ({elapsed:.1f} s{', both runs' if runs == 2 else ''})")
        if json:
            extra = {"send_time_comparison": comparison} if comparison is not None else {}
            self.stdout.write(_json_line(report.as_dict() | {"seconds": round(elapsed, 2)}
                                         | extra))

    def _summary(self, report: Report, *, shoppers: int, days: int, keep: bool) -> None:
        out = self.stdout.write
        out(f"{shoppers} shoppers, {days} days, {report.events} events "
            f"({'kept' if keep else 'rolled back'})")
        if report.copy_filled:
            out(f"approved copy added for the run where a pool was empty: {report.copy_filled}"
                + (" (retired at the end: nobody reviewed it)" if keep else ""))
        out(f"journeys fired: {report.journeys_fired}  "
            f"(steps by journey: {_pairs(report.steps_by_journey)})")
        out(f"exits by reason: {_pairs(report.exits) or 'none'}")
        out(f"fired but refused by delivery: {_pairs(report.denied) or 'none'}")
        out(f"sends: {report.sends}  clicks: {report.clicks}  purchases: {report.purchases}  "
            f"opt-outs: {report.opt_outs}")
        out(f"texts in quiet hours: {report.sends_in_quiet_hours}  after opt-out: "
            f"{report.sends_after_opt_out}  cart texts after purchase: "
            f"{report.cart_sends_after_purchase}")

    def _comparison(self, body: dict) -> None:
        for name, label in (("personal", "personal send time"),
                            ("first_open_minute", "first open minute")):
            arm = body[name]
            self.stdout.write(f"{label}: {arm['clicks']} clicks / {arm['sends']} sends = "
                              f"{arm['click_rate']:.2%} ({arm['sends_near_preferred_hour']} "
                              "sent within an hour of the shopper's preferred hour)")
        lift = body["lift"]
        self.stdout.write(f"difference: {body['difference'] * 100:+.2f} points"
                          f"{'' if lift is None else f' (lift {lift:+.1%})'}")


def _pairs(counts: dict) -> str:
    return ", ".join(f"{k} {v}" for k, v in sorted(counts.items(), key=lambda kv: -kv[1]))


def _json_line(body: dict) -> str:
    return jsonlib.dumps(body, sort_keys=True)
