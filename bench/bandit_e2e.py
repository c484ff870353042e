"""The bandit end to end through the HTTP API: 5 variants with true click rates 2-8 %.

Both ways a flow uses the studio, each for `--decisions` decisions in rounds (rewards reach
the bandit only after each round, like a flow's periodic report):
- pulled: POST /api/v1/decisions (send: false); the flow "sends" the copy itself and reports
  `sent` for each, `clicked` for those the simulated person clicked, via /api/v1/events/batch;
- studio: send: true; a real Celery worker texts each through the loopback Twilio server,
  the flow waits until GET /api/v1/decisions/{id} says sent, and people click the short
  link in the text (GET /l/<code>).
gunicorn serves the app on loopback against the embedded PostgreSQL, in a database of its
own (bench_bandit_e2e), with tasks through Redis (db 13, as in production); the flow driver
is tests/bandit_flow.py, the same as the suite's.

Run: .venv/bin/python bench/bandit_e2e.py [--decisions 20000] [--round 500] [--modes pulled studio]
Writes bench/results/bandit_e2e.json. Target: regret <= 15 % of an equal split.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from bench.decisions import free_port  # noqa: E402
from bench.sender import SERVICE_SID, open_block, start_twilio  # noqa: E402
from tests.bandit_flow import BROWSER, run_flow  # noqa: E402

RESULTS = ROOT / "bench" / "results"
RATES = (0.02, 0.035, 0.05, 0.065, 0.08)
OPENERS = ("your cart is waiting", "still thinking it over?", "your picks are here",
           "the gear you picked is still here", "ready when you are")
TARGET = 0.15


class LoopbackHttp:
    """Keep-alive HTTP to gunicorn, one connection per thread."""

    def __init__(self, port: int, key: str) -> None:
        self.port, self.local = port, threading.local()
        self.auth = {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}

    def _call(self, method: str, path: str, body: str | None, headers: dict
              ) -> tuple[int, bytes]:
        for attempt in (1, 2):
            conn = getattr(self.local, "conn", None)
            if conn is None:
                conn = self.local.conn = http.client.HTTPConnection("127.0.0.1", self.port,
                                                                    timeout=60)
            try:
                conn.request(method, path, body, headers)
                response = conn.getresponse()
                return response.status, response.read()
            except (http.client.HTTPException, OSError):
                conn.close()
                self.local.conn = None
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")

    def post(self, path: str, body: dict) -> tuple[int, dict]:
        status, raw = self._call("POST", path, json.dumps(body), self.auth)
        return status, json.loads(raw)

    def get_json(self, path: str) -> tuple[int, dict]:
        status, raw = self._call("GET", path, None, self.auth)
        return status, json.loads(raw)

    def visit(self, path: str) -> int:
        return self._call("GET", path, None, {"User-Agent": BROWSER})[0]


def migrate(env: dict[str, str]) -> None:
    os.environ.update(env)
    subprocess.run([sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"],
                   cwd=ROOT, check=True, env={**os.environ})
    import django

    django.setup()


def prepare() -> tuple[str, dict[int, float], list[str]]:
    """A new brand per mode (fresh arms) with 5 variants and contacts in an open zone."""
    from django.contrib.auth import get_user_model

    from brandguard.models import Brand
    from brandguard.services import save_policy_version
    from copygen.models import Variant
    from delivery.models import DeliverySettings
    from delivery.services import create_api_key, record_consent, register_contact

    n = Brand.objects.count() + 1
    brand = Brand.objects.create(slug=f"bench-bandit-{n}-{os.getpid()}", name=f"Bench {n}",
                                 sender_name="Acme Outdoors",
                                 support_contact="help@acme.example", website_domain="acme.co")
    save_policy_version(brand, rules={
        "max_segments": 2, "allowed_link_domains": ["acme.co"],
        "merge_fields": {"first_name": {"max_length": 12}, "link": {"max_length": 40}}})
    DeliverySettings.objects.create(brand=brand, daily_cap=None, weekly_cap=None)
    approver = get_user_model().objects.create(username=f"bench-bandit-{brand.pk}")
    rates = {}
    for opener, rate in zip(OPENERS, RATES, strict=True):
        variant = Variant.objects.create(
            brand=brand, intent="cart_abandonment", stage="active", provider="human",
            status="approved", approved_by=approver,
            text=f"Acme Outdoors: {{first_name}}, {opener} {{link}} Reply STOP to opt out")
        rates[variant.pk] = rate
    prefix, digits = open_block()
    phones = [f"{prefix}{i:0{digits}d}" for i in range(200)]
    for phone in phones:
        contact = register_contact(brand, phone)
        record_consent(contact, kind="granted", source="import", consent_text="bench consent")
    return create_api_key(brand, name="bench")[1], rates, phones


def start(command: list[str], env: dict[str, str], log) -> subprocess.Popen:
    return subprocess.Popen(command, cwd=ROOT, env={**os.environ, **env}, stdout=log,
                            stderr=subprocess.STDOUT)


def wait_for(port: int) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=1)
            conn.request("GET", "/healthz")
            conn.getresponse().read()
            return
        except OSError:
            time.sleep(0.2)
    raise SystemExit("gunicorn did not come up")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--decisions", type=int, default=20_000)
    parser.add_argument("--round", type=int, default=500)
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--modes", nargs="+", default=["pulled", "studio"])
    parser.add_argument("--broker", default="redis://127.0.0.1:6379/13", help=(
        "the production broker; '' for the quickstart's filesystem broker, which polls "
        "once a second and so paces the studio mode at a few texts per second"))
    args = parser.parse_args()
    twilio_proc, twilio = start_twilio()
    broker = Path(tempfile.mkdtemp(prefix="bandit-e2e-broker-"))
    env = {"DJANGO_ENV": "development", "DJANGO_DEBUG": "0", "LOG_LEVEL": "WARNING",
           "STUDIO_DB_NAME": "bench_bandit_e2e", "DJANGO_SETTINGS_MODULE": "studio.settings",
           "CELERY_BROKER_URL": args.broker, "CELERY_BROKER_DIR": str(broker),
           "SMS_PROVIDER": "twilio", "TWILIO_ACCOUNT_SID": twilio["sid"],
           "TWILIO_AUTH_TOKEN": twilio["token"], "TWILIO_API_BASE_URL": twilio["base_url"],
           "TWILIO_MESSAGING_SERVICE_SID": SERVICE_SID, "PUBLIC_BASE_URL": "https://sms.example"}
    migrate(env)
    port = free_port()
    log = (broker / "servers.log").open("w")  # gunicorn's and the worker's warnings
    procs = [
        start([str(ROOT / ".venv/bin/gunicorn"), "studio.wsgi:application", "--bind",
               f"127.0.0.1:{port}", "--workers", "3", "--log-level", "warning"], env, log),
        start([sys.executable, "-m", "celery", "-A", "studio", "worker", "--loglevel",
               "WARNING", "--concurrency", "3", "--without-mingle", "--without-gossip",
               "-n", f"bandit-e2e-{os.getpid()}@%h"], env, log),
    ]
    rows = []
    try:
        wait_for(port)
        with ThreadPoolExecutor(args.clients) as pool:
            for mode in args.modes:
                key, rates, phones = prepare()
                tally = run_flow(LoopbackHttp(port, key), mode=mode, rates=rates,
                                 phones=phones, decisions=args.decisions,
                                 round_size=args.round, seed=11, mapper=pool.map,
                                 wait_timeout=600)
                best = max(rates, key=rates.__getitem__)
                rows.append({"mode": mode, "decisions": len(tally.chosen),
                             "clicks": tally.clicks, "regret": tally.regret,
                             "uniform_regret": tally.uniform_regret,
                             "ratio": tally.regret / tally.uniform_regret,
                             "best_share_last_quarter": tally.share(
                                 best, last=len(tally.chosen) // 4),
                             "seconds": tally.seconds})
    finally:
        for proc in procs:
            proc.terminate()
        for proc in procs:
            proc.wait(timeout=30)
        twilio_proc.stdin.close()  # type: ignore[union-attr]
        twilio_proc.wait(timeout=30)
        log.close()
    report(rows, args)


def report(rows: list[dict], args: argparse.Namespace) -> None:
    print(f"5 arms {RATES[0]:.0%}-{RATES[-1]:.0%}, rounds of {args.round}")
    print(f"{'mode':<8} {'decisions':>9} {'clicks':>6} {'regret':>7} {'equal split':>11} "
          f"{'ratio':>6} {'best arm, last 1/4':>18} {'s':>6}")
    for row in rows:
        print(f"{row['mode']:<8} {row['decisions']:>9} {row['clicks']:>6} "
              f"{row['regret']:>7.1f} {row['uniform_regret']:>11.1f} {row['ratio']:>6.1%} "
              f"{row['best_share_last_quarter']:>18.1%} {row['seconds']:>6.0f}")
    met = all(row["ratio"] <= TARGET for row in rows)
    print(f"target: regret <= {TARGET:.0%} of an equal split in every mode: "
          f"{'met' if met else 'NOT met'}")
    # Modes may run separately (--modes): keep the other mode's last row.
    path = RESULTS / "bandit_e2e.json"
    kept = json.loads(path.read_text())["rows"] if path.exists() else []
    rows = [r for r in kept if r["mode"] not in args.modes] + [
        {**row, "round": args.round} for row in rows]
    path.write_text(json.dumps({"rates": RATES, "rows": rows, "target": TARGET,
                                "met": all(r["ratio"] <= TARGET for r in rows)}, indent=2))


if __name__ == "__main__":
    main()
