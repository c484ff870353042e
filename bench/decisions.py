"""Throughput and latency of POST /api/v1/decisions beside a bare view and a floor view.

Both run on the same gunicorn (loopback, a few workers, production-like settings: DEBUG off)
against the embedded PostgreSQL, in a database of their own (bench_delivery). The load is
`wrk` (apt-get install wrk) at 64 concurrent keep-alive connections for a bounded time; if
wrk is missing, a Python generator (threads with http.client keep-alive) stands in.

Run: .venv/bin/python bench/decisions.py [--duration 10] [--rounds 3] [--workers 4]
     [--worker-class sync] [--batch-size 1000]
Writes bench/results/decisions.json. Each round runs, back to back on one server: the bare
JSON view (Django's full stack, no database), the floor view (delivery/bench_views.py: the
one read and the one durable insert a decision cannot avoid, no other Python) and the
decision API. Targets: decisions >= 50 % of the floor's req/s at 64 clients (closed loop:
every client sends again as soon as it has its answer), and p99 <= 25 ms offered open loop
at half the measured closed-loop maximum (latency from each request's scheduled time).
Then the batch call (POST /api/v1/decisions/batch, --batch-size recipients per request,
first names in turn, as many clients as workers): >= 8x the single call's decisions/s, and
>= 5,000/s; its server CPU per decision (gunicorn and PostgreSQL) is reported beside it.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
ENV = {
    "DJANGO_ENV": "development", "DJANGO_DEBUG": "0", "STUDIO_DB_NAME": "bench_delivery",
    "DELIVERY_BENCH_BARE_VIEW": "1", "LOG_LEVEL": "WARNING", "SMS_PROVIDER": "console",
    "DJANGO_SETTINGS_MODULE": "studio.settings",
    # Connections live through the whole run, so the CPU accounting follows the same
    # PostgreSQL backends from start to end (a reconnect would hide a backend's work).
    "DATABASE_CONN_MAX_AGE": "3600",
}
PHONES = [f"+1212555{i:04d}" for i in range(200)]
BARE, DECISIONS = "bare view (GET /api/bench/bare)", "POST /api/v1/decisions"
FLOOR = "floor view (POST /api/bench/floor)"
MERGE = {"first_name": "Sam", "link": "https://acme.co/cart/123"}
WRK_SCRIPT = """
local phones = {%(phones)s}
local n = 0
request = function()
  n = n + 1
  if wrk.method == "GET" then return wrk.format() end
  local body = string.format(%(body)s, phones[(n %% #phones) + 1])
  return wrk.format(nil, nil, nil, body)
end
done = function(summary, latency, requests)
  io.write(string.format('JSON{"requests": %%d, "seconds": %%f, "errors": %%d, '
    .. '"non2xx": %%d, "p50_ms": %%f, "p90_ms": %%f, "p99_ms": %%f, "max_ms": %%f}\\n',
    summary.requests, summary.duration / 1e6,
    summary.errors.connect + summary.errors.read + summary.errors.write
      + summary.errors.timeout, summary.errors.status,
    latency:percentile(50) / 1000, latency:percentile(90) / 1000,
    latency:percentile(99) / 1000, latency.max / 1000))
end
"""


def prepare() -> tuple[str, int]:
    """Migrate the bench database and seed one brand with a pool; return an API key and
    the brand's id."""
    os.environ.update(ENV)
    subprocess.run([sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"],
                   cwd=ROOT, check=True, env={**os.environ})
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from brandguard.models import Brand
    from brandguard.services import save_policy_version
    from copygen.models import Variant
    from delivery.services import create_api_key, record_consent, register_contact

    brand, created = Brand.objects.get_or_create(slug="bench-delivery", defaults={
        "name": "Bench Outdoors", "sender_name": "Acme Outdoors",
        "support_contact": "help@acme.example", "website_domain": "acme.co"})
    if created:
        _seed(brand, save_policy_version, Variant, register_contact, record_consent)
    return create_api_key(brand, name="bench")[1], brand.pk


def _seed(brand, save_policy_version, variant_model, register_contact, record_consent) -> None:
    from django.contrib.auth import get_user_model

    save_policy_version(brand, rules={"max_segments": 2, "allowed_link_domains": ["acme.co"],
                                      "merge_fields": {"first_name": {"max_length": 12},
                                                       "link": {"max_length": 40}}})
    approver = get_user_model().objects.create(username=f"bench-approver-{brand.pk}")
    for opener in ("your cart is waiting", "still thinking it over?", "your picks are here"):
        variant_model.objects.create(
            brand=brand, intent="cart_abandonment", stage="active", provider="human",
            status="approved", approved_by=approver,
            text=f"Acme Outdoors: {{first_name}}, {opener} {{link}} Reply STOP to opt out")
    for phone in PHONES:
        contact = register_contact(brand, phone)
        record_consent(contact, kind="granted", source="import", consent_text="bench consent")


def cpu_seconds(pid: int) -> float:
    """User + system CPU a process has used (Linux /proc)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def server_pids(master: int) -> list[int]:
    """The gunicorn master, its workers, and the PostgreSQL backends of the bench database."""
    workers = [int(p.name) for p in Path("/proc").iterdir() if p.name.isdigit()
               and _parent(int(p.name)) == master]
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
                       "AND pid <> pg_backend_pid()")
        backends = [row[0] for row in cursor.fetchall()]
    return [master, *workers, *backends]


def _parent(pid: int) -> int:
    try:
        return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])
    except OSError:
        return -1


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_gunicorn(port: int, args: argparse.Namespace) -> subprocess.Popen:
    command = [str(ROOT / ".venv" / "bin" / "gunicorn"), "studio.wsgi:application",
               "--bind", f"127.0.0.1:{port}", "--workers", str(args.workers),
               "--worker-class", args.worker_class, "--threads", str(args.threads),
               "--keep-alive", "5", "--log-level", "warning", "--backlog", "512"]
    server = subprocess.Popen(command, cwd=ROOT, env={**os.environ})
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/api/bench/bare", timeout=1)
            return server
        except OSError:
            time.sleep(0.2)
    server.terminate()
    raise SystemExit("gunicorn did not come up")


def body_template() -> str:
    body = {"phone": "%s", "intent": "cart_abandonment", "stage": "active", "merge": MERGE,
            "send": False}
    return json.dumps(body)


def run_wrk(url: str, *, post: bool, key: str, duration: int, connections: int) -> dict:
    phones = ", ".join(f'"{p}"' for p in PHONES)
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(WRK_SCRIPT % {"phones": phones, "body": json.dumps(body_template())})
        if post:
            script.write('wrk.method = "POST"\nwrk.headers["Content-Type"] = '
                         f'"application/json"\nwrk.headers["Authorization"] = "Bearer {key}"\n')
    command = ["wrk", "-t", "2", "-c", str(connections), "-d", f"{duration}s", "--timeout",
               "5s", "-s", script.name, url]
    output = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    os.unlink(script.name)
    line = next(row for row in output.splitlines() if row.startswith("JSON"))
    stats = json.loads(line[4:])
    stats["rps"] = stats["requests"] / stats["seconds"]
    return stats


def exchange(conn: http.client.HTTPConnection, method: str, path: str, body: str | None,
             headers: dict) -> bool:
    """One request on a keep-alive connection (reopened when the server closed it)."""
    try:
        conn.request(method, path, body, headers)
        response = conn.getresponse()
        response.read()
        return response.status < 300
    except OSError:
        conn.close()
        return False


def split_url(url: str) -> tuple[str, int, str]:
    host, port = url.split("//")[1].split("/")[0].split(":")
    return host, int(port), "/" + url.split("//")[1].split("/", 1)[1]


def closed_loop(url: str, *, key: str, body: Callable[[int], str | None], duration: int,
                connections: int, timeout: float = 5) -> tuple[list[float], int, float]:
    """`connections` threads, one keep-alive connection each, every one sending again as
    soon as it has its answer (POST `body(n)`, or GET when it is None) until `duration`
    is up. Returns the latencies (s), the failed requests and the seconds it took."""
    host, port, path = split_url(url)
    latencies: list[float] = []
    errors = [0]
    stop = time.monotonic() + duration

    def client(index: int) -> None:
        conn = http.client.HTTPConnection(host, port, timeout=timeout)
        headers = {"Content-Type": "application/json", "Authorization": f"Bearer {key}"}
        n = index
        while time.monotonic() < stop:
            n += 1
            payload = body(n)
            started = time.perf_counter()
            ok = exchange(conn, "GET" if payload is None else "POST", path, payload, headers)
            latencies.append(time.perf_counter() - started)
            errors[0] += not ok

    started = time.monotonic()
    threads = [threading.Thread(target=client, args=(i,)) for i in range(connections)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return sorted(latencies), errors[0], time.monotonic() - started


def run_python(url: str, *, post: bool, key: str, duration: int, connections: int) -> dict:
    """Fallback load generator for wrk: a closed loop of single requests."""
    template = body_template()

    def body(n: int) -> str | None:
        return template.replace("%s", PHONES[n % len(PHONES)]) if post else None

    ordered, errors, seconds = closed_loop(url, key=key, body=body, duration=duration,
                                           connections=connections)

    def pick(q: float) -> float:
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000

    return {"requests": len(ordered), "seconds": seconds, "errors": 0, "non2xx": errors,
            "p50_ms": pick(0.5), "p90_ms": pick(0.9), "p99_ms": pick(0.99),
            "max_ms": ordered[-1] * 1000, "rps": len(ordered) / seconds}


def run_open_loop(url: str, *, key: str, rate: float, duration: int, connections: int) -> dict:
    """Requests offered at a fixed `rate` (not as fast as the server answers), from up to
    `connections` clients. Latency runs from each request's scheduled time, so a request
    that had to wait for a free client counts its wait (no coordinated omission)."""
    host, port, path = split_url(url)
    total = int(rate * duration)
    begin = time.monotonic() + 0.2
    counter = iter(range(total))
    lock = threading.Lock()
    latencies: list[float] = []
    errors = [0]

    def client() -> None:
        conn = http.client.HTTPConnection(host, port, timeout=5)
        headers = {"Content-Type": "application/json", "Authorization": f"Bearer {key}"}
        while True:
            with lock:
                index = next(counter, None)
            if index is None:
                return
            scheduled = begin + index / rate
            time.sleep(max(0.0, scheduled - time.monotonic()))
            body = body_template().replace("%s", PHONES[index % len(PHONES)])
            ok = exchange(conn, "POST", path, body, headers)
            latencies.append(time.monotonic() - scheduled)
            errors[0] += not ok

    threads = [threading.Thread(target=client) for _ in range(connections)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    ordered = sorted(latencies)

    def pick(q: float) -> float:
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000

    return {"offered_rps": rate, "requests": len(ordered), "errors": errors[0],
            "p50_ms": pick(0.5), "p90_ms": pick(0.9), "p99_ms": pick(0.99),
            "max_ms": ordered[-1] * 1000}


# A campaign's people have different names: the batch bodies cycle through these, so every
# text the guard sees is not the same text.
NAMES = ("Sam", "Ada", "Bo", "Priya", "Mateo", "Chloé", "Olu", "Wei", "Fatima", "Liam", "Noa",
         "Jonas", "Aiko", "Grace", "Omar", "Zoë", "Ivan", "Lucía", "Kofi", "Mia", "Ravi",
         "Hana", "Emeka", "Sofia", "Tom", "Yara", "Diego", "Elif", "Nina", "Arjun", "Lena",
         "Kai", "Amara", "Hugo", "Maya", "Tariq", "Ines", "Leo", "Sana", "Finn")


def name(n: int) -> str:
    return NAMES[(n * 7) % len(NAMES)]


def run_batch(url: str, *, key: str, size: int, duration: int, connections: int) -> dict:
    """Closed loop of batch calls, `size` recipients each (the contacts in turn)."""
    bodies = [json.dumps({"intent": "cart_abandonment", "stage": "active", "send": False,
                          "recipients": [{"phone": PHONES[(start + i) % len(PHONES)],
                                          "merge": {**MERGE, "first_name": name(start + i)}}
                                         for i in range(size)]})
              for start in range(0, len(PHONES), 37)]
    ordered, errors, seconds = closed_loop(url, key=key, body=lambda n: bodies[n % len(bodies)],
                                           duration=duration, connections=connections,
                                           timeout=60)
    return {"requests": len(ordered), "batch_size": size, "seconds": seconds,
            "errors": errors, "decisions_per_s": len(ordered) * size / seconds,
            "p50_ms": ordered[len(ordered) // 2] * 1000, "max_ms": ordered[-1] * 1000}


def measure(base: str, key: str, args: argparse.Namespace, master: int) -> list[dict]:
    """`args.rounds` rounds, each the bare view then the decisions, back to back: this
    machine's speed drifts by tens of percent from minute to minute, so a ratio is only
    meaningful between neighbours, and the median round is the one reported."""
    load = run_wrk if shutil.which("wrk") and not args.python_client else run_python
    targets = {BARE: (f"{base}/api/bench/bare", False),
               FLOOR: (f"{base}/api/bench/floor?brand={args.brand_id}", True),
               DECISIONS: (f"{base}/api/v1/decisions", True)}
    for url, post in targets.values():  # warm up: imports, prepared statements, caches
        load(url, post=post, key=key, duration=3, connections=args.connections)
    rounds = []
    for _ in range(args.rounds):
        results = {}
        for name, (url, post) in targets.items():
            pids = server_pids(master)
            before = {pid: cpu_seconds(pid) for pid in pids}
            results[name] = load(url, post=post, key=key, duration=args.duration,
                                 connections=args.connections)
            alive = set(server_pids(master))
            used = sum(cpu_seconds(pid) - before[pid] for pid in pids if pid in alive)
            results[name]["server_cpu_ms_per_request"] = 1000 * used / results[name]["requests"]
            results[name]["generator"] = load.__name__.removeprefix("run_")
        rounds.append(results)
    return rounds


def report_open_loop(rows: list[dict]) -> None:
    print("\nopen loop (requests offered at a fixed rate; latency from the scheduled time)")
    print(f"{'offered req/s':>14} {'requests':>9} {'p50 ms':>8} {'p90 ms':>8} {'p99 ms':>8} "
          f"{'errors':>7}")
    for row in rows:
        print(f"{row['offered_rps']:14.0f} {row['requests']:9d} {row['p50_ms']:8.1f} "
              f"{row['p90_ms']:8.1f} {row['p99_ms']:8.1f} {row['errors']:7d}")


def report(rounds: list[dict], args: argparse.Namespace) -> dict:
    ratios = [r[DECISIONS]["rps"] / r[FLOOR]["rps"] for r in rounds]
    median = sorted(range(len(rounds)), key=ratios.__getitem__)[len(rounds) // 2]
    results, ratio = rounds[median], ratios[median]
    api = results[DECISIONS]
    print(f"\n{'round':>5} {'endpoint':34} {'req/s':>9} {'p50 ms':>8} {'p90 ms':>8} "
          f"{'p99 ms':>8} {'errors':>7} {'CPU ms/req':>11}")
    for index, row_set in enumerate(rounds, 1):
        for name, row in row_set.items():
            print(f"{index:>5} {name:34} {row['rps']:9.0f} {row['p50_ms']:8.1f} "
                  f"{row['p90_ms']:8.1f} {row['p99_ms']:8.1f} "
                  f"{row['errors'] + row['non2xx']:7d} {row['server_cpu_ms_per_request']:11.2f}")
    print(f"\ndecisions / floor per round: {', '.join(f'{r:.0%}' for r in ratios)}; median "
          f"round {median + 1}: {ratio:.0%} (target >= 50 %); decisions / bare "
          f"{api['rps'] / results[BARE]['rps']:.0%}; closed-loop p99 {api['p99_ms']:.1f} ms; "
          f"load average {os.getloadavg()[0]:.1f}")
    summary = {
        "config": {"workers": args.workers, "threads": args.threads,
                   "worker_class": args.worker_class, "connections": args.connections,
                   "duration_s": args.duration, "rounds": args.rounds, "cpus": os.cpu_count()},
        "results": results, "ratio": ratio, "ratios": ratios, "rounds": rounds,
        "load_average": os.getloadavg(),
        "targets_met": {"floor_ratio_50pct": ratio >= 0.50},
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "decisions.json").write_text(json.dumps(summary, indent=2))
    return summary


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=int, default=10)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--worker-class", default="sync")
    parser.add_argument("--python-client", action="store_true")
    parser.add_argument("--open-loop", type=float, nargs="*", default=[],
                        metavar="RATE", help="also offer decisions at these fixed rates "
                        "(always: at half the measured closed-loop maximum)")
    parser.add_argument("--batch-size", type=int, default=1000)
    parser.add_argument("--batch-duration", type=int, default=0,
                        help="seconds of batch calls (default: --duration)")
    args = parser.parse_args()
    key, args.brand_id = prepare()
    port = free_port()
    server = start_gunicorn(port, args)
    base = f"http://127.0.0.1:{port}"
    try:
        summary = report(measure(base, key, args, server.pid), args)
        half = summary["results"][DECISIONS]["rps"] / 2
        open_loop = [run_open_loop(f"{base}/api/v1/decisions", key=key, rate=rate,
                                   duration=args.duration, connections=args.connections)
                     for rate in [half, *args.open_loop]]
        report_open_loop(open_loop)
        summary["open_loop"] = open_loop
        summary["targets_met"]["p99_25ms_at_half_max"] = open_loop[0]["p99_ms"] <= 25.0
        pids = server_pids(server.pid)
        before = {pid: cpu_seconds(pid) for pid in pids}
        batch = run_batch(f"{base}/api/v1/decisions/batch", key=key, size=args.batch_size,
                          duration=args.batch_duration or args.duration,
                          connections=args.workers)
        alive = set(server_pids(server.pid))
        used = sum(cpu_seconds(pid) - before[pid] for pid in pids if pid in alive)
        batch["server_cpu_ms_per_decision"] = 1000 * used / (batch["requests"]
                                                             * args.batch_size)
        single = summary["results"][DECISIONS]["rps"]
        batch["x_single"] = batch["decisions_per_s"] / single
        print(f"\nbatch: {batch['requests']} calls of {args.batch_size} in "
              f"{batch['seconds']:.1f} s = {batch['decisions_per_s']:,.0f} decisions/s "
              f"(p50 {batch['p50_ms']:.0f} ms per call, {batch['errors']} errors, "
              f"{batch['server_cpu_ms_per_decision']:.3f} ms server CPU per decision) = "
              f"{batch['x_single']:.1f}x the single call's {single:,.0f}/s "
              f"(targets: >= 8x, >= 5,000/s)")
        summary["batch"] = batch
        summary["targets_met"] |= {"batch_8x": batch["x_single"] >= 8,
                                   "batch_5000_per_s": batch["decisions_per_s"] >= 5000}
        print(f"targets met: {summary['targets_met']}")
        (RESULTS / "decisions.json").write_text(json.dumps(summary, indent=2))
    finally:
        server.terminate()
        server.wait(timeout=30)


if __name__ == "__main__":
    main()
