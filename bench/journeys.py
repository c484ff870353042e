"""Event → decision for a due journey step, while behaviour events arrive at a fixed rate.

Production shape on loopback: gunicorn serves the events API; a real Celery worker with
beat inside (`celery -A studio worker -B`, one solo process) runs the journey tick every
JOURNEY_TICK_SECONDS and delivers the texts through the console provider. Events are
offered open-loop at --rate per second (default 200): most are product views and carts
(they write, schedule and cancel steps), one in --welcome-every is a `subscribed` event of
a consented person, whose welcome step (wait 0) is due the moment it is stored. Latency is
the decision's time (the tick's `now`, in the database) minus the moment the event was due
to be offered, so it includes any wait in the client and in the web tier.

The events go as a flow with a busy stream would send them: every --batch-ms (100 ms) the
events due in that window go as one `POST /api/v1/events/batch` (20 events at 200/s), from
--clients keep-alive connections; --batch-ms 0 sends one `POST /api/v1/events` per event.
Rows live in a database of their own (bench_journeys).

Run: .venv/bin/python bench/journeys.py [--rate 200] [--seconds 20] [--tick 1.0] [--batch-ms 100]
Writes bench/results/journeys.json. Target: p99 <= 2 s at 200 events/s.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
DATABASE = "bench_journeys"
# US blocks in several zones; the bench uses whichever is inside the TCPA window now (the
# welcome must be allowed now, or it is deferred and the latency means nothing).
BLOCKS = ("+1212555", "+1312555", "+1213555", "+1808555")
CONSENT = "I agree to receive recurring marketing texts. Reply STOP to opt out."


def configure(tick: float) -> None:
    os.environ.update({
        "DJANGO_ENV": "development", "DJANGO_DEBUG": "0", "STUDIO_DB_NAME": DATABASE,
        "LOG_LEVEL": "WARNING", "SMS_PROVIDER": "console", "DJANGO_SETTINGS_MODULE":
        "studio.settings", "JOURNEY_TICK_SECONDS": str(tick), "CELERY_BROKER_URL": "",
        "CELERY_BROKER_DIR": tempfile.mkdtemp(prefix="bench-journeys-broker-"),
        "SWEEP_STALLED_SENDS_SECONDS": "600",
    })
    sys.path.insert(0, str(ROOT))


def open_block() -> str:
    from delivery import quiet_hours
    from delivery.phones import parse_phone

    now = datetime.now(UTC)
    for prefix in BLOCKS:
        facts = parse_phone(prefix + "0100")
        if all(quiet_hours.is_open(now + timedelta(minutes=m), facts.time_zones,
                                   facts.us_state) for m in (0, 10, 20)):
            return prefix
    raise SystemExit("no number block is inside its send window right now")


def prepare(people: int) -> tuple[str, list[str]]:
    """Migrate, reset the bench brand, write consented contacts and welcome copy."""
    subprocess.run([sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"],
                   cwd=ROOT, check=True, env={**os.environ})
    import django

    django.setup()
    from django.contrib.auth import get_user_model

    from brandguard.models import Brand
    from copygen.models import Variant
    from delivery.models import ConsentEvent, Contact
    from delivery.services import create_api_key, register_contact

    Brand.objects.filter(slug="bench-journeys").delete()
    brand = Brand.objects.create(slug="bench-journeys", name="Bench Journeys",
                                 sender_name="Acme Outdoors", website_domain="acme.co",
                                 support_contact="help@acme.example")
    approver, _ = get_user_model().objects.get_or_create(username="bench-journeys-approver")
    for stage in ("first_time_browser", "new_customer"):
        Variant.objects.create(brand=brand, intent="welcome", stage=stage, provider="human",
                               status="approved", is_current=True, approved_by=approver,
                               text="Acme Outdoors: welcome aboard! {link} Reply STOP to opt out")
    prefix = open_block()
    phones = [f"{prefix}{i:04d}" for i in range(people)]
    now = datetime.now(UTC)
    for phone in phones:
        contact = register_contact(brand, phone)
        ConsentEvent.objects.create(brand=brand, contact=contact, phone=phone, kind="granted",
                                    source="import", consent_text=CONSENT, occurred_at=now)
    assert Contact.objects.filter(brand=brand).count() == people
    return create_api_key(brand, name="bench")[1], phones


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_services(port: int, workers: int) -> list[subprocess.Popen]:
    web = subprocess.Popen(
        [str(ROOT / ".venv" / "bin" / "gunicorn"), "studio.wsgi:application", "--bind",
         f"127.0.0.1:{port}", "--workers", str(workers), "--log-level", "warning"],
        cwd=ROOT, env={**os.environ})
    beat = Path(os.environ["CELERY_BROKER_DIR"]) / "beat-schedule"
    worker = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "studio", "worker", "-B", "--pool", "solo",
         "--loglevel", "WARNING", "--without-mingle", "--without-gossip", "-s", str(beat)],
        cwd=ROOT, env={**os.environ})
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1)
            return [web, worker]
        except OSError:
            time.sleep(0.2)
    for proc in (web, worker):
        proc.terminate()
    raise SystemExit("gunicorn did not come up")


def events(phones: list[str], total: int, welcome_every: int) -> list[dict]:
    """The offered events, in order: views and carts, and now and then a subscription."""
    out = []
    subscribers = iter(phones[: total // welcome_every + 1])
    browsers = phones[len(phones) // 2:]
    for n in range(total):
        if n % welcome_every == 0:
            out.append({"event_id": f"sub-{n}", "type": "subscribed", "phone": next(subscribers)})
        elif n % 5 == 0:
            out.append({"event_id": f"cart-{n}", "type": "added_to_cart",
                        "phone": browsers[n % len(browsers)],
                        "cart_url": "https://acme.co/cart"})
        else:
            out.append({"event_id": f"view-{n}", "type": "product_viewed",
                        "phone": browsers[n % len(browsers)],
                        "product": {"id": f"sku-{n % 40}", "name": "Tent",
                                    "category": f"c{n % 7}", "url": "https://acme.co/p"}})
    return out


def offer(port: int, key: str, bodies: list[dict], rate: float, clients: int,
          batch_ms: float = 0) -> tuple[list[float], float, float]:
    """Open loop: event i is due at start + i/rate, whoever sends it; returns the API's
    answer latencies measured from each event's scheduled time. With `batch_ms`, the events
    due in each window of that length go together to /api/v1/events/batch at its end (a
    flow's event stream flushed every 100 ms, say), so each one's latency includes its wait
    for the flush. Also returns the wall-clock time event 0 was due and the seconds from
    then to the last answer (what the achieved rate is measured over)."""
    per = max(1, round(rate * batch_ms / 1000)) if batch_ms else 1
    groups = [list(range(i, min(i + per, len(bodies)))) for i in range(0, len(bodies), per)]
    path = "/api/v1/events/batch" if batch_ms else "/api/v1/events"
    start = time.perf_counter() + 0.5
    start_wall = time.time() + (start - time.perf_counter())
    latencies: list[float] = []
    lock = threading.Lock()

    def run(offset: int) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        headers = {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}
        for group in groups[offset::clients]:
            due = start + (group[-1] + 1) / rate if batch_ms else start + group[0] / rate
            pause = due - time.perf_counter()
            if pause > 0:
                time.sleep(pause)
            payload = ({"events": [bodies[i] for i in group]} if batch_ms else bodies[group[0]])
            conn.request("POST", path, json.dumps(payload), headers)
            response = conn.getresponse()
            answer = json.loads(response.read() or b"{}")
            if response.status not in (200, 202) or answer.get("errors"):
                raise SystemExit(f"events refused: {response.status} {answer}")
            done = time.perf_counter()
            with lock:
                latencies.extend(done - (start + i / rate) for i in group)
        conn.close()

    threads = [threading.Thread(target=run, args=(c,)) for c in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return sorted(latencies), start_wall, time.perf_counter() - start


def step_latencies(expected: int, start_wall: float, rate: float,
                   timeout: float = 120) -> list[float]:
    """For each welcome step: its decision's time minus the moment its `subscribed` event
    was due to be offered (event `sub-<i>` at start + i/rate), so a wait in the client's
    batch counts too."""
    from delivery.models import JourneyStep

    deadline = time.monotonic() + timeout
    steps = JourneyStep.objects.filter(brand__slug="bench-journeys", intent="welcome")
    while steps.filter(status="pending").exists() and time.monotonic() < deadline:
        time.sleep(0.5)
    rows = steps.filter(status="fired").values_list("decision__created_at",
                                                   "trigger_event__event_id")
    found = sorted(decided.timestamp() - (start_wall + int(event_id.split("-")[1]) / rate)
                   for decided, event_id in rows)
    if len(found) != expected:
        print(f"warning: {len(found)} of {expected} welcome steps fired")
    return found


def pick(values: list[float], q: float) -> float:
    return values[min(len(values) - 1, int(q * len(values)))] if values else float("nan")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rate", type=float, default=200)
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--tick", type=float, default=1.0)
    parser.add_argument("--welcome-every", type=int, default=10)
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--web-workers", type=int, default=2)
    parser.add_argument("--batch-ms", type=float, default=100,
                        help="flush the events due in each window of this many ms as one "
                             "/events/batch request (0: one POST /events per event)")
    args = parser.parse_args()
    configure(args.tick)
    total = int(args.rate * args.seconds)
    key, phones = prepare(max(600, total // args.welcome_every * 2 + 100))
    bodies = events(phones, total, args.welcome_every)
    procs = start_services(free_port_value := free_port(), args.web_workers)
    try:
        time.sleep(2)  # the worker's first beat tick
        answered, start_wall, offered_for = offer(free_port_value, key, bodies, args.rate,
                                                  args.clients, args.batch_ms)
        fired = step_latencies(sum(1 for b in bodies if b["type"] == "subscribed"),
                               start_wall, args.rate)
    finally:
        for proc in procs:
            proc.terminate()
        for proc in procs:
            proc.wait(timeout=30)
    achieved = len(answered) / offered_for
    p99 = pick(fired, 0.99)
    print(f"\n{'events':>7} {'offered/s':>9} {'achieved/s':>10} {'API p99 ms':>10} "
          f"{'due steps':>9} {'step p50 s':>10} {'step p99 s':>10} {'max s':>6} {'tick s':>6}")
    print(f"{len(answered):7d} {args.rate:9.0f} {achieved:10.0f} "
          f"{pick(answered, 0.99) * 1000:10.1f} {len(fired):9d} {pick(fired, 0.5):10.2f} "
          f"{p99:10.2f} {max(fired, default=float('nan')):6.2f} {args.tick:6.1f}")
    met = p99 <= 2.0 and achieved >= 0.95 * args.rate
    print(f"target: event -> decision p99 <= 2 s at {args.rate:.0f} events/s: "
          f"{'met' if met else 'MISSED'} (load average {os.getloadavg()[0]:.1f})")
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "journeys.json").write_text(json.dumps({
        "events": len(answered), "offered_per_s": args.rate, "achieved_per_s": achieved,
        "api_p50_ms": pick(answered, 0.5) * 1000, "api_p99_ms": pick(answered, 0.99) * 1000,
        "due_steps": len(fired), "step_p50_s": pick(fired, 0.5), "step_p99_s": p99,
        "step_max_s": max(fired, default=None), "tick_s": args.tick,
        "web_workers": args.web_workers, "batch_ms": args.batch_ms, "cpus": os.cpu_count(),
        "load_average": os.getloadavg(), "target_met": met}, indent=2))


if __name__ == "__main__":
    main()
