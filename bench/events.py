"""Events ingested per second through POST /api/v1/events/batch, beside one event per request.

A flow that pulled copy reports its own sends and what people did: per decision a `sent`, a
`delivered`, and for some a `clicked` (and a few `converted` without a decision, which go to
the latest text by attribution). Batches of 1,000 go to gunicorn (loopback, DEBUG off) from a
few keep-alive clients, against the embedded PostgreSQL in a database of its own
(bench_events). The same kind of events one per request (POST /api/v1/events) run beside it.
Afterwards the arm counts are checked against what was reported.

Run: .venv/bin/python bench/events.py [--decisions 6000] [--clients 2] [--workers 2]
Writes bench/results/events.json. Target: >= 5,000 events/s in batches.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import subprocess
import sys
import threading
import time
import uuid
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from bench.decisions import free_port  # noqa: E402

RESULTS = ROOT / "bench" / "results"
ENV = {
    "DJANGO_ENV": "development", "DJANGO_DEBUG": "0", "STUDIO_DB_NAME": "bench_events",
    "DELIVERY_BENCH_BARE_VIEW": "1", "LOG_LEVEL": "WARNING", "SMS_PROVIDER": "console",
    "DJANGO_SETTINGS_MODULE": "studio.settings", "DATABASE_CONN_MAX_AGE": "3600",
}
PHONES = [f"+1212555{i:04d}" for i in range(1000)]
CLICK_RATE, CONVERT_RATE = 0.05, 0.02
TARGET = 5_000


def prepare(decisions: int) -> tuple[str, list[tuple[str, str]]]:
    """Migrate, seed one brand with a pool and contacts, write this run's pulled decisions
    (in bulk: the decision API has its own benchmark). Returns (API key, [(id, phone)])."""
    os.environ.update(ENV)
    subprocess.run([sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"],
                   cwd=ROOT, check=True, env={**os.environ})
    import django

    django.setup()
    from django.utils import timezone

    from brandguard.models import Brand
    from delivery.models import Contact, Decision
    from delivery.services import create_api_key

    brand, created = Brand.objects.get_or_create(slug="bench-events", defaults={
        "name": "Bench Events", "sender_name": "Acme Outdoors",
        "support_contact": "help@acme.example", "website_domain": "acme.co"})
    if created:
        _seed(brand)
    variants = list(brand.variants.filter(status="approved").values_list("pk", flat=True))
    contacts = dict(Contact.objects.filter(brand=brand).values_list("phone", "pk"))
    now, rnd = timezone.now(), random.Random(11)
    rows = []
    for i in range(decisions):
        phone = PHONES[i % len(PHONES)]
        rows.append(Decision(
            brand=brand, contact_id=contacts[phone], phone=phone, intent="cart_abandonment",
            stage="active", variant_id=rnd.choice(variants), text="bench", encoding="GSM-7",
            segments=1, status="allow", send_at=now, created_at=now - timedelta(minutes=5)))
    Decision.objects.bulk_create(rows, batch_size=2000)
    return create_api_key(brand, name="bench")[1], [(str(d.pk), d.phone) for d in rows]


def _seed(brand) -> None:
    from django.contrib.auth import get_user_model

    from brandguard.services import save_policy_version
    from copygen.models import Variant
    from delivery.services import record_consent, register_contact

    save_policy_version(brand, rules={"max_segments": 2, "allowed_link_domains": ["acme.co"]})
    approver = get_user_model().objects.create(username=f"bench-events-{brand.pk}")
    for n in range(5):
        Variant.objects.create(brand=brand, intent="cart_abandonment", stage="active",
                               provider="human", status="approved", approved_by=approver,
                               text=f"Acme Outdoors: offer {n} acme.co/x Reply STOP to opt out")
    for phone in PHONES:
        contact = register_contact(brand, phone)
        record_consent(contact, kind="granted", source="import", consent_text="bench consent")


def make_events(decisions: list[tuple[str, str]], run: str) -> tuple[list[dict], dict]:
    rnd = random.Random(7)
    events, clicked = [], 0
    for n, (decision_id, phone) in enumerate(decisions):
        events.append({"event_id": f"{run}-s-{n}", "type": "sent", "decision_id": decision_id})
        events.append({"event_id": f"{run}-d-{n}", "type": "delivered",
                       "decision_id": decision_id, "phone": phone})
        if rnd.random() < CLICK_RATE:
            clicked += 1
            events.append({"event_id": f"{run}-c-{n}", "type": "clicked",
                           "decision_id": decision_id})
        if rnd.random() < CONVERT_RATE:
            events.append({"event_id": f"{run}-o-{n}", "type": "converted", "phone": phone})
    return events, {"decisions": len(decisions), "clicked": clicked}


def start_gunicorn(port: int, workers: int) -> subprocess.Popen:
    command = [str(ROOT / ".venv" / "bin" / "gunicorn"), "studio.wsgi:application",
               "--bind", f"127.0.0.1:{port}", "--workers", str(workers),
               "--log-level", "warning", "--timeout", "120"]
    server = subprocess.Popen(command, cwd=ROOT, env={**os.environ})
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=1)
            conn.request("GET", "/api/bench/bare")
            conn.getresponse().read()
            return server
        except OSError:
            time.sleep(0.2)
    server.terminate()
    raise SystemExit("gunicorn did not come up")


def drive(port: int, key: str, path: str, bodies: list[str], clients: int) -> dict:
    """Post every body from `clients` keep-alive connections; time the whole run."""
    queue = iter(range(len(bodies)))
    lock = threading.Lock()
    latencies: list[float] = []
    answers: list[dict] = []
    failures = [0]
    headers = {"Content-Type": "application/json", "Authorization": f"Bearer {key}"}

    def client() -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        while True:
            with lock:
                index = next(queue, None)
            if index is None:
                return
            started = time.perf_counter()
            conn.request("POST", path, bodies[index], headers)
            response = conn.getresponse()
            payload = response.read()
            latencies.append(time.perf_counter() - started)
            if response.status >= 300:
                failures[0] += 1
            answers.append(json.loads(payload))

    started = time.perf_counter()
    threads = [threading.Thread(target=client) for _ in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    seconds = time.perf_counter() - started
    ordered = sorted(latencies)
    return {"requests": len(bodies), "seconds": seconds, "non2xx": failures[0],
            "p50_ms": ordered[len(ordered) // 2] * 1000,
            "p99_ms": ordered[min(len(ordered) - 1, int(0.99 * len(ordered)))] * 1000,
            "answers": answers}


def check_counts(decision_ids: list[str], expected: dict) -> dict:
    """What the bandit learned must be exactly what was reported: one trial per decision,
    one success per clicked decision."""
    from django.db.models import Count, Q

    from delivery.models import Decision

    got = Decision.objects.filter(pk__in=decision_ids).aggregate(
        counted=Count("pk", filter=Q(counted_at__isnull=False)),
        rewarded=Count("pk", filter=Q(rewarded_at__isnull=False)))
    return {"counted": got["counted"], "rewarded": got["rewarded"],
            "ok": got["counted"] == expected["decisions"]
            and got["rewarded"] == expected["clicked"]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--decisions", type=int, default=6000)
    parser.add_argument("--single", type=int, default=1500, help="decisions reported one "
                        "event per request")
    parser.add_argument("--clients", type=int, default=2)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--batch", type=int, default=1000)
    args = parser.parse_args()
    run = uuid.uuid4().hex[:8]
    key, decisions = prepare(args.decisions + args.single)
    batched, single = decisions[:args.decisions], decisions[args.decisions:]
    events, expected = make_events(batched, run)
    bodies = [json.dumps({"events": events[i:i + args.batch]})
              for i in range(0, len(events), args.batch)]
    one_events, one_expected = make_events(single, run + "-one")
    port = free_port()
    server = start_gunicorn(port, args.workers)
    try:
        batch = drive(port, key, "/api/v1/events/batch", bodies, args.clients)
        one = drive(port, key, "/api/v1/events", [json.dumps(e) for e in one_events],
                    args.clients)
    finally:
        server.terminate()
        server.wait(timeout=30)
    accepted = sum(a.get("accepted", 0) for a in batch.pop("answers"))
    one_accepted = sum(1 for a in one.pop("answers") if a.get("duplicate") is False)
    rows = [
        {"mode": f"batch of {args.batch}", "events": len(events), "accepted": accepted,
         **batch, "events_per_s": accepted / batch["seconds"],
         "counts": check_counts([d for d, _ in batched], expected)},
        {"mode": "one per request", "events": len(one_events), "accepted": one_accepted,
         **one, "events_per_s": one_accepted / one["seconds"],
         "counts": check_counts([d for d, _ in single], one_expected)},
    ]
    ratio = rows[0]["events_per_s"] / rows[1]["events_per_s"]
    print(f"{'mode':<16} {'events':>7} {'accepted':>8} {'s':>6} {'events/s':>9} "
          f"{'p50 ms':>8} {'p99 ms':>8}  counts")
    for row in rows:
        print(f"{row['mode']:<16} {row['events']:>7} {row['accepted']:>8} "
              f"{row['seconds']:>6.2f} {row['events_per_s']:>9,.0f} {row['p50_ms']:>8.1f} "
              f"{row['p99_ms']:>8.1f}  {'exact' if row['counts']['ok'] else row['counts']}")
    met = rows[0]["events_per_s"] >= TARGET
    print(f"batch / one per request: {ratio:.1f}x; target >= {TARGET:,} events/s in batches: "
          f"{'met' if met else 'NOT met'}")
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "events.json").write_text(json.dumps(
        {"rows": rows, "ratio_batch_to_single": ratio, "target_events_per_s": TARGET,
         "met": met, "clients": args.clients, "workers": args.workers}, indent=2))


if __name__ == "__main__":
    main()
