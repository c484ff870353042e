"""Contact import throughput: `delivery.services.imports.import_contacts` on a generated CSV.

The file looks like a real export: phone, first_name, city, consent_status, the consent
wording (about 230 characters), consented_at, the form URL and an IP; 2 % of rows have a bad
number (refused) and 5 % carry no proof (kept without consent). Three timings in one run:
the pure reader alone (parse and check every row), a first import into a fresh brand (every
contact and grant is new) and the same file again (everything is found; nothing changes).

Run: .venv/bin/python bench/import_contacts.py [--rows 50000]
Writes bench/results/import_contacts.json. Target: >= 5,000 rows/s on this 2-core machine.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
TARGET = 5_000
AREAS = ("212", "312", "415", "303", "512", "617", "206", "305", "404", "702")
WORDING = ("By checking this box I agree to receive recurring automated marketing texts from "
           "Acme Outdoors at the number provided. Consent is not a condition of purchase. "
           "Msg frequency varies. Msg & data rates may apply. Reply STOP to cancel.")


def configure() -> None:
    os.environ.update({"DJANGO_ENV": "development", "DJANGO_DEBUG": "0",
                       "STUDIO_DB_NAME": "bench_delivery", "LOG_LEVEL": "WARNING",
                       "DJANGO_SETTINGS_MODULE": "studio.settings"})
    sys.path.insert(0, str(ROOT))
    subprocess.run([sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"],
                   cwd=ROOT, check=True, env={**os.environ})
    import django

    django.setup()


def make_file(rows: int, seed: int = 7) -> str:
    from delivery.phones import InvalidPhone, parse_phone

    rng = random.Random(seed)
    start = datetime(2026, 1, 1, tzinfo=UTC)
    lines = ["phone,first_name,city,consent_status,consent_text,consented_at,source_detail,ip"]
    seen: set[str] = set()
    while len(lines) <= rows:
        phone = f"+1{rng.choice(AREAS)}{rng.randint(200, 999)}{rng.randint(0, 9999):04d}"
        try:
            parse_phone(phone)
        except InvalidPhone:
            continue
        if phone in seen:
            continue
        seen.add(phone)
        roll = rng.random()
        if roll < 0.02:
            phone = phone[1:]  # no +: refused
        text = "" if 0.02 <= roll < 0.07 else f'"{WORDING}"'
        at = (start + timedelta(minutes=rng.randint(0, 400_000))).isoformat()
        lines.append(f"{phone},Sam{len(lines)},Springfield,granted,{text},{at},"
                     f"https://acme.co/sms-signup,203.0.113.{rng.randint(1, 254)}")
    return "\n".join(lines) + "\n"


def timed(fn) -> tuple[float, float, object]:
    """(wall seconds, this process's CPU seconds, result). PostgreSQL's own CPU is not in the
    second number; on a shared machine the wall time includes waiting for a core."""
    started, cpu = time.perf_counter(), time.process_time()
    result = fn()
    return time.perf_counter() - started, time.process_time() - cpu, result


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=50_000)
    args = parser.parse_args()
    configure()
    from brandguard.models import Brand
    from delivery import contact_files
    from delivery.services.imports import import_contacts

    text = make_file(args.rows)
    now = datetime.now(UTC)
    read_s, read_cpu, _ = timed(lambda: sum(1 for _ in contact_files.read(text, "csv", now=now)[1]))
    brand = Brand.objects.create(slug=f"bench-import-{int(time.time())}", name="Bench Import",
                                 sender_name="Acme Outdoors", website_domain="acme.co")
    try:
        first_s, first_cpu, first = timed(lambda: import_contacts(brand, text, "csv"))
        again_s, again_cpu, again = timed(lambda: import_contacts(brand, text, "csv"))
    finally:
        brand.delete()
    runs = [("reader only (pure)", read_s, read_cpu, None),
            ("first import", first_s, first_cpu, first),
            ("same file again", again_s, again_cpu, again)]
    table = []
    load = os.getloadavg()[0]
    print(f"load average {load:.1f} on {os.cpu_count()} cores")
    print(f"{'run':<22}{'rows':>8}{'seconds':>10}{'rows/s':>10}{'µs CPU/row':>12}  counts")
    for name, seconds, cpu, report in runs:
        rate = args.rows / seconds
        counts = report.counts() if report is not None else {}  # type: ignore[attr-defined]
        table.append({"run": name, "rows": args.rows, "seconds": round(seconds, 3),
                      "rows_per_s": round(rate), "cpu_us_per_row": round(cpu / args.rows * 1e6),
                      "counts": counts})
        shown = ", ".join(f"{k} {v}" for k, v in counts.items() if k != "rows")
        print(f"{name:<22}{args.rows:>8}{seconds:>10.2f}{rate:>10,.0f}"
              f"{cpu / args.rows * 1e6:>12,.0f}  {shown}")
    slowest = min(row["rows_per_s"] for row in table[1:])
    print(f"slowest import run: {slowest:,} rows/s (target >= {TARGET:,}: "
          f"{'met' if slowest >= TARGET else 'NOT met'})")
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "import_contacts.json").write_text(json.dumps(
        {"target_rows_per_s": TARGET, "met": slowest >= TARGET, "runs": table,
         "load_average": round(load, 1),
         "measured_at": datetime.now(UTC).isoformat()}, indent=2) + "\n")


if __name__ == "__main__":
    main()
