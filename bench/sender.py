"""Sends per second end to end: Send rows -> deliver_send -> TwilioClient -> loopback Twilio.

Every send goes the production way: the Celery task function claims its row, re-checks
eligibility under the contact's lock, calls the real `twilio` client (pointed at the
loopback Twilio-protocol server, run in its own process) and records the outcome. Worker
processes with a few threads each stand in for Celery prefork workers; the broker itself is
not measured. Rows live in a database of their own (bench_delivery).

Run: .venv/bin/python bench/sender.py [--sends 3000] [--processes 4] [--threads 2]
Writes bench/results/sender.json. Target: >= 300 sends/s on this 2-core machine.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
SERVICE_SID = "MG" + "5" * 32
# Number blocks in different zones; the bench texts whichever is inside the TCPA window now.
BLOCKS = (("+1212555", 4), ("+1808555", 4), ("+1671555", 4), ("+4420794", 5))
SERVER = """
import json, sys
sys.path.insert(0, {root!r})
from tests.servers.twilio_server import TwilioServer
with TwilioServer() as server:
    print(json.dumps({{"base_url": server.base_url, "sid": server.account_sid,
                      "token": server.auth_token}}), flush=True)
    sys.stdin.read()  # serve until the bench closes our stdin
    print(json.dumps({{"creates": len(server.messages)}}), flush=True)
"""


def cpu_seconds(pid: int) -> float:
    """User + system CPU a process has used (Linux /proc), for the CPU cost per send."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def start_twilio() -> tuple[subprocess.Popen, dict]:
    server = subprocess.Popen([sys.executable, "-c", SERVER.format(root=str(ROOT))],
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    return server, json.loads(server.stdout.readline())


def configure(twilio: dict) -> None:
    os.environ.update({
        "DJANGO_ENV": "development", "DJANGO_DEBUG": "0", "STUDIO_DB_NAME": "bench_delivery",
        "LOG_LEVEL": "WARNING", "SMS_PROVIDER": "twilio", "DJANGO_SETTINGS_MODULE":
        "studio.settings", "TWILIO_ACCOUNT_SID": twilio["sid"],
        "TWILIO_AUTH_TOKEN": twilio["token"], "TWILIO_API_BASE_URL": twilio["base_url"],
        "TWILIO_MESSAGING_SERVICE_SID": SERVICE_SID, "PUBLIC_BASE_URL": "https://sms.example",
    })
    sys.path.insert(0, str(ROOT))


def open_block() -> tuple[str, int]:
    from delivery import quiet_hours
    from delivery.phones import parse_phone

    now = datetime.now(UTC)
    for prefix, digits in BLOCKS:
        facts = parse_phone(prefix + "0" * digits)
        if all(quiet_hours.is_open(now + timedelta(minutes=m), facts.time_zones,
                                   facts.us_state) for m in (0, 15, 30)):
            return prefix, digits
    raise SystemExit("no number block is inside its send window right now")


def prepare(count: int) -> list[int]:
    """Migrate, then write `count` pending sends, one per consented contact (not timed)."""
    subprocess.run([sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"],
                   cwd=ROOT, check=True, env={**os.environ})
    import django

    django.setup()
    from brandguard.models import Brand
    from delivery.models import Decision, Send

    brand, _ = Brand.objects.get_or_create(slug="bench-sender", defaults={
        "name": "Bench Sender", "sender_name": "Acme Outdoors",
        "support_contact": "help@acme.example", "website_domain": "acme.co"})
    variant = _variant(brand)
    # A fresh run: an earlier run's texts would count against the daily cap, and the
    # worker's re-check would defer every send instead of sending it.
    Decision.objects.filter(brand=brand).delete()
    contacts = _contacts(brand, count)
    now = datetime.now(UTC)
    text = "Acme Outdoors: your cart is waiting https://acme.co/c Reply STOP to opt out"
    decisions = Decision.objects.bulk_create([
        Decision(brand=brand, contact=c, phone=c.phone, intent="welcome", stage="active",
                 variant=variant, text=text, encoding="GSM-7", segments=1, status="allow",
                 send_at=now, created_at=now) for c in contacts])
    sends = Send.objects.bulk_create([
        Send(decision=d, brand=brand, contact_id=d.contact_id, idempotency_key=f"bench:{d.pk}",
             to_phone=d.phone, body=d.text, subject=d.intent, scheduled_for=now)
        for d in decisions])
    return [s.pk for s in sends]


def _variant(brand):
    from django.contrib.auth import get_user_model

    from copygen.models import Variant

    approver, _ = get_user_model().objects.get_or_create(username="bench-sender-approver")
    variant, _ = Variant.objects.get_or_create(
        brand=brand, intent="welcome", stage="active", provider="human", status="approved",
        defaults={"approved_by": approver, "text": "Acme Outdoors: welcome! Reply STOP to opt out"})
    return variant


def _contacts(brand, count: int) -> list:
    from delivery.models import ConsentEvent, Contact
    from delivery.services import register_contact

    prefix, digits = open_block()
    phones = [f"{prefix}{i:0{digits}d}" for i in range(count)]
    have = set(Contact.objects.filter(brand=brand, phone__in=phones)
               .values_list("phone", flat=True))
    for phone in phones:
        if phone not in have:
            contact = register_contact(brand, phone)
            ConsentEvent.objects.create(brand=brand, contact=contact, phone=phone,
                                        kind="granted", source="import",
                                        consent_text="bench consent", occurred_at=datetime.now(UTC))
    return list(Contact.objects.filter(brand=brand, phone__in=phones))


def worker(ids: list[int], threads: int, ready, start, out) -> None:
    import django

    django.setup()
    from django.db import connection

    from delivery.services.providers import get_provider
    from delivery.tasks import deliver_send

    get_provider()  # build the Twilio client (and its HTTP session) before the clock runs
    chunks = [ids[i::threads] for i in range(threads)]
    latencies: list[float] = []
    results: dict[str, int] = {}
    database_cpu = [0.0]

    def run(chunk: list[int]) -> None:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_backend_pid()")
            backend = cursor.fetchone()[0]
        before = cpu_seconds(backend)
        for send_id in chunk:
            began = time.perf_counter()
            result = deliver_send(send_id)
            latencies.append(time.perf_counter() - began)
            results[result] = results.get(result, 0) + 1
        database_cpu[0] += cpu_seconds(backend) - before
        connection.close()

    ready.set()
    start.wait()
    own_before = cpu_seconds(os.getpid())
    pool = [threading.Thread(target=run, args=(c,)) for c in chunks]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join()
    out.put((latencies, results, cpu_seconds(os.getpid()) - own_before, database_cpu[0]))


def drive(ids: list[int], processes: int, threads: int) -> tuple[float, list, dict, dict]:
    from django.db import connections

    connections.close_all()  # never share a connection across fork
    ctx = mp.get_context("fork")
    start, out = ctx.Event(), ctx.Queue()
    readies, procs = [], []
    for p in range(processes):
        ready = ctx.Event()
        proc = ctx.Process(target=worker, args=(ids[p::processes], threads, ready, start, out))
        proc.start()
        readies.append(ready)
        procs.append(proc)
    for ready in readies:
        ready.wait(120)
    began = time.perf_counter()
    start.set()
    gathered = [out.get() for _ in procs]
    seconds = time.perf_counter() - began
    for proc in procs:
        proc.join()
    latencies = sorted(x for lat, *_ in gathered for x in lat)
    results: dict[str, int] = {}
    for _, counts, *_ in gathered:
        for key, value in counts.items():
            results[key] = results.get(key, 0) + value
    cpu = {"workers": sum(g[2] for g in gathered), "postgres": sum(g[3] for g in gathered)}
    return seconds, latencies, results, cpu


def report(args, seconds: float, latencies: list[float], results: dict, creates: int,
           cpu: dict) -> None:
    def pick(q: float) -> float:
        return latencies[min(len(latencies) - 1, int(q * len(latencies)))] * 1000

    rate = results.get("sent", 0) / seconds
    cpu_ms = {part: 1000 * used / len(latencies) for part, used in cpu.items()}
    capacity = 1000 * (os.cpu_count() or 1) / sum(cpu_ms.values())
    print(f"\n{'sends':>6} {'procs x threads':>15} {'seconds':>8} {'sends/s':>8} "
          f"{'p50 ms':>7} {'p99 ms':>7} {'creates at Twilio':>18}")
    print(f"{len(latencies):6d} {f'{args.processes} x {args.threads}':>15} {seconds:8.2f} "
          f"{rate:8.0f} {pick(0.5):7.1f} {pick(0.99):7.1f} {creates:18d}")
    print(f"outcomes: {results}; target >= 300 sends/s: {'met' if rate >= 300 else 'MISSED'}")
    print("CPU per send (ms): " + ", ".join(f"{k} {v:.2f}" for k, v in cpu_ms.items())
          + f" -> {capacity:.0f} sends/s if this machine's {os.cpu_count()} cores were ours "
          f"(load average now {os.getloadavg()[0]:.1f})")
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "sender.json").write_text(json.dumps({
        "sends": len(latencies), "processes": args.processes, "threads": args.threads,
        "seconds": seconds, "sends_per_s": rate, "p50_ms": pick(0.5), "p99_ms": pick(0.99),
        "outcomes": results, "creates_at_twilio": creates, "cpus": os.cpu_count(),
        "cpu_ms_per_send": cpu_ms, "capacity_if_idle_per_s": capacity,
        "load_average": os.getloadavg(), "target_met": rate >= 300}, indent=2))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sends", type=int, default=3000)
    parser.add_argument("--processes", type=int, default=4)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    server, twilio = start_twilio()
    try:
        configure(twilio)
        ids = prepare(args.sends)
        server_before = cpu_seconds(server.pid)
        seconds, latencies, results, cpu = drive(ids, args.processes, args.threads)
        cpu["twilio server"] = cpu_seconds(server.pid) - server_before
    finally:
        server.stdin.close()
        creates = json.loads(server.stdout.readline() or '{"creates": -1}')["creates"]
        server.wait(timeout=30)
    report(args, seconds, latencies, results, creates, cpu)


if __name__ == "__main__":
    main()
