"""The CPU and queries one behaviour event costs in-process, one by one and in batches.

What `bench/journeys.py` offers over HTTP, without HTTP: a brand with consented shoppers,
its journeys, a month of clicks (so the personal send time reads a real brand curve) and
a stream of behaviour events (views, carts, checkouts, purchases, sign-ups) recorded
through `delivery.services.record_event` one at a time, and through
`delivery.services.record_behaviour_events` in batches of --batch (what
`POST /api/v1/events/batch` runs). Both paths write the same steps (checked). Rows live in
a database of their own (bench_journey_ingest).

Run: .venv/bin/python bench/journey_ingest.py [--events 1500] [--batch 20] [--profile]
Writes bench/results/journey_ingest.json. The target it serves: 200 events/s on this
machine's two cores leaves at most ~5 ms of CPU per event for the web tier.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import os
import pstats
import random
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
RESULTS = ROOT / "bench" / "results"
ENV = {"DJANGO_ENV": "development", "DJANGO_DEBUG": "0", "STUDIO_DB_NAME": "bench_journey_ingest",
       "LOG_LEVEL": "WARNING", "SMS_PROVIDER": "console",
       "DJANGO_SETTINGS_MODULE": "studio.settings"}
SHOPPERS = 600
CLICKS = 3000
CONSENT = "I agree to receive recurring marketing texts. Reply STOP to opt out."


def prepare(slug: str):
    from brandguard.models import Brand
    from delivery.models import ConsentEvent, Contact, Event
    from delivery.services import register_contact

    Brand.objects.filter(slug=slug).delete()
    brand = Brand.objects.create(slug=slug, name=slug, sender_name="Acme Outdoors",
                                 website_domain="acme.co", support_contact="help@acme.example")
    areas = ("212", "312", "213", "305")
    phones = [f"+1{areas[i % 4]}555{i:04d}" for i in range(SHOPPERS)]
    now = datetime.now(UTC)
    for phone in phones:
        contact = register_contact(brand, phone)
        ConsentEvent.objects.create(brand=brand, contact=contact, phone=phone, kind="granted",
                                    source="import", consent_text=CONSENT,
                                    occurred_at=now - timedelta(days=40))
    contacts = dict(Contact.objects.filter(brand=brand).values_list("phone", "pk"))
    rnd = random.Random(3)
    Event.objects.bulk_create([Event(
        brand=brand, event_id=f"click-{n}", phone=(p := rnd.choice(phones)),
        contact_id=contacts[p], type="clicked",
        occurred_at=now - timedelta(minutes=rnd.uniform(10, 29 * 24 * 60)))
        for n in range(CLICKS)])
    return brand, phones


def stream(phones: list[str], total: int, run: str, now: datetime) -> list[dict]:
    rnd = random.Random(11)
    out = []
    for n in range(total):
        phone = phones[rnd.randrange(len(phones))]
        roll = rnd.random()
        product = {"id": f"sku-{n % 40}", "name": "Tent", "category": f"c{n % 7}",
                   "price": 99.0, "url": "https://acme.co/p"}
        body: dict = {"event_id": f"{run}-{n}", "phone": phone,
                      "occurred_at": now - timedelta(seconds=total - n)}
        if roll < 0.65:
            body.update(type="product_viewed", data={"product": product})
        elif roll < 0.82:
            body.update(type="added_to_cart", data={"product": product,
                                                    "cart_url": "https://acme.co/cart"})
        elif roll < 0.87:
            body.update(type="checkout_started", data={"cart_url": "https://acme.co/cart"})
        elif roll < 0.95:
            body.update(type="purchased", data={"order": {
                "id": f"o{n}", "value": 99.0, "items": [{"id": product["id"], "quantity": 1}]}})
        else:
            body.update(type="subscribed", data={})
        out.append(body)
    return out


def run_one_by_one(brand, bodies: list[dict]) -> None:
    from delivery.services import record_event

    for body in bodies:
        record_event(brand, **body)


def run_batches(brand, bodies: list[dict], size: int) -> None:
    from delivery.services import BehaviourReport, record_behaviour_events

    for first in range(0, len(bodies), size):
        record_behaviour_events(brand, [
            BehaviourReport(b["event_id"], b["type"], phone=b["phone"],
                            occurred_at=b["occurred_at"], data=b["data"])
            for b in bodies[first:first + size]])


def measure(label: str, work, profile: bool) -> dict:
    from django.db import connection

    queries = [0]

    def count(execute, sql, params, many, context):
        queries[0] += 1
        return execute(sql, params, many, context)

    profiler = cProfile.Profile() if profile else None
    with connection.execute_wrapper(count):
        started_cpu, started = time.process_time(), time.perf_counter()
        if profiler is not None:
            profiler.enable()
        work()
        if profiler is not None:
            profiler.disable()
        cpu, wall = time.process_time() - started_cpu, time.perf_counter() - started
    if profiler is not None:
        out = io.StringIO()
        pstats.Stats(profiler, stream=out).sort_stats("cumulative").print_stats(45)
        print(f"--- {label} ---\n{out.getvalue()}")
    return {"path": label, "cpu_s": cpu, "wall_s": wall, "queries": queries[0]}


def steps_of(slug: str) -> list[tuple]:
    from delivery.models import JourneyStep

    return sorted(JourneyStep.objects.filter(brand__slug=slug).values_list(
        "contact__phone", "intent", "key", "status", "reason", "trigger_at"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=1500)
    parser.add_argument("--batch", type=int, default=20)
    parser.add_argument("--profile", action="store_true")
    args = parser.parse_args()
    os.environ.update(ENV)
    subprocess.run([sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"],
                   cwd=ROOT, check=True, env={**os.environ})
    import django

    django.setup()
    from django.conf import settings

    settings.DEBUG = False
    rows = []
    results_steps = []
    base = datetime.now(UTC)
    for label, slug in (("one by one", "bench-ingest-single"),
                        (f"batches of {args.batch}", "bench-ingest-batch")):
        brand, phones = prepare(slug)
        bodies = stream(phones, args.events, "e", base)
        work = (partial(run_one_by_one, brand, bodies) if label == "one by one"
                else partial(run_batches, brand, bodies, args.batch))
        row = measure(label, work, args.profile)
        row.update(events=len(bodies), cpu_ms_per_event=row["cpu_s"] * 1000 / len(bodies),
                   wall_ms_per_event=row["wall_s"] * 1000 / len(bodies),
                   queries_per_event=row["queries"] / len(bodies),
                   events_per_s=len(bodies) / row["wall_s"])
        rows.append(row)
        results_steps.append(steps_of(slug))
    same = results_steps[0] == results_steps[1]
    print(f"\n{'path':<16} {'events':>6} {'CPU ms/event':>12} {'wall ms/event':>13} "
          f"{'queries/event':>13} {'events/s':>9}")
    for row in rows:
        print(f"{row['path']:<16} {row['events']:6d} {row['cpu_ms_per_event']:12.2f} "
              f"{row['wall_ms_per_event']:13.2f} {row['queries_per_event']:13.1f} "
              f"{row['events_per_s']:9.0f}")
    ratio = rows[0]["cpu_ms_per_event"] / rows[1]["cpu_ms_per_event"]
    load = os.getloadavg()
    print(f"batches cost {1 / ratio:.2f}x the CPU of one by one; same steps written: {same}; "
          f"load average {load[0]:.1f}")
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "journey_ingest.json").write_text(json.dumps({
        "rows": rows, "batch_cpu_ratio": 1 / ratio, "same_steps": same, "cpus": os.cpu_count(),
        "load_average": load}, indent=2))


if __name__ == "__main__":
    main()
