"""Quick-start drain: texts/s from queued `send: true` decisions into the console outbox.

Everything runs with `make run`'s defaults: the filesystem broker (a fresh folder), one
Celery worker started the way studio/runner.py starts it (`-B`, concurrency 2, the prefork
pool), the console provider. The bench queues N decisions for N consented people through
the batch service (each enqueues its deliver_send task on commit, as the API does), then
waits until every one is in the outbox as sent, and checks each went out exactly once.

Run: .venv/bin/python bench/drain.py [--sends 2000]
Writes bench/results/drain.json. Target: >= 100 texts/s drained.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
# Number blocks in different zones; the bench texts whichever is inside the window now.
BLOCKS = ("+1212", "+1808", "+1671")
MERGE = {"first_name": "Sam", "link": "https://acme.co/cart/123"}


def configure(broker: Path) -> None:
    os.environ.update({
        "DJANGO_ENV": "development", "DJANGO_DEBUG": "0", "STUDIO_DB_NAME": "bench_delivery",
        "LOG_LEVEL": "WARNING", "SMS_PROVIDER": "console", "CELERY_BROKER_URL": "",
        "CELERY_BROKER_DIR": str(broker), "DJANGO_SETTINGS_MODULE": "studio.settings",
    })
    # A fresh machine has no bench database yet; migrate is a no-op once it is current.
    subprocess.run([sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"],
                   cwd=ROOT, check=True, env={**os.environ})
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()


def open_block() -> str:
    from delivery import quiet_hours
    from delivery.phones import parse_phone

    now = datetime.now(UTC)
    for block in BLOCKS:
        facts = parse_phone(f"{block}5550100")
        if all(quiet_hours.is_open(now + timedelta(minutes=m), facts.time_zones,
                                   facts.us_state) for m in (0, 10, 20)):
            return block
    raise SystemExit("no number block is inside its send window right now")


def seed(count: int):
    from brandguard.models import Brand
    from brandguard.services import save_policy_version
    from copygen.models import Variant
    from delivery.models import Contact, Decision
    from delivery.services import record_consent, register_contact

    brand, created = Brand.objects.get_or_create(slug="bench-drain", defaults={
        "name": "Drain Outdoors", "sender_name": "Acme Outdoors",
        "support_contact": "help@acme.example", "website_domain": "acme.co"})
    if created:
        from django.contrib.auth import get_user_model

        save_policy_version(brand, rules={"max_segments": 2,
                                          "allowed_link_domains": ["acme.co"]})
        approver = get_user_model().objects.create(username=f"drain-approver-{brand.pk}")
        Variant.objects.create(
            brand=brand, intent="cart_abandonment", stage="active", provider="human",
            status="approved", approved_by=approver,
            text="Acme Outdoors: {first_name}, your cart is waiting {link} "
                 "Reply STOP to opt out")
    # A fresh run: earlier runs' texts would count against the daily cap.
    Decision.objects.filter(brand=brand).delete()
    block = open_block()
    phones = [f"{block}555{n:04d}" for n in range(count)]
    have = set(Contact.objects.filter(brand=brand, phone__in=phones)
               .values_list("phone", flat=True))
    for phone in phones:
        if phone not in have:
            contact = register_contact(brand, phone)
            record_consent(contact, kind="granted", source="import",
                           consent_text="bench consent",
                           occurred_at=datetime.now(UTC) - timedelta(days=1))
    return brand, phones


def start_worker(broker: Path) -> subprocess.Popen:
    """As studio/runner.py starts it (its defaults), logging warnings only."""
    return subprocess.Popen(
        [str(ROOT / ".venv" / "bin" / "celery"), "-A", "studio", "worker", "-B",
         "--loglevel", "WARNING", "--schedule", str(broker / "celerybeat-schedule"),
         "--concurrency", "2"], cwd=ROOT, env={**os.environ}, start_new_session=True)


def session_cpu(session: int) -> dict[int, float]:
    """User + system CPU of each live process in the worker's session (main, pool, beat)."""
    found = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[3]) == session:
            found[int(entry.name)] = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return found


def cpu_by_role(session: int, before: dict[int, float], after: dict[int, float]) -> dict:
    """Seconds of CPU spent meanwhile by the worker's main process and by the rest (the
    pool's children, which run the tasks, and beat)."""
    main = after.get(session, 0.0) - before.get(session, 0.0)
    rest = sum(cpu - before.get(pid, 0.0) for pid, cpu in after.items() if pid != session)
    return {"main": main, "pool_and_beat": rest}


def sent_count(brand) -> int:
    from delivery.models import OutboxMessage

    return OutboxMessage.objects.filter(brand=brand, kind="sent").count()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sends", type=int, default=2000)
    parser.add_argument("--timeout", type=int, default=300)
    args = parser.parse_args()
    broker = Path(tempfile.mkdtemp(prefix="drain-broker-"))
    configure(broker)
    from django.conf import settings
    from django.db.models import Count

    from delivery.models import Send
    from delivery.services.batch import BatchRequest, Recipient, decide_batch
    from studio.celery import ensure_broker_folders

    ensure_broker_folders(settings)
    brand, phones = seed(args.sends)
    worker = start_worker(broker)
    try:
        # Warm-up: one text through the worker, so its start-up is not counted.
        decide_batch(brand, BatchRequest("cart_abandonment", "active",
                                         [Recipient(phones[0], MERGE)], send=True))
        deadline = time.monotonic() + 60
        while sent_count(brand) < 1:
            if time.monotonic() > deadline:
                raise SystemExit("the worker never sent the warm-up text")
            time.sleep(0.1)
        cpu_before = session_cpu(worker.pid)
        started = time.monotonic()
        for start in range(1, len(phones), 1000):
            decide_batch(brand, BatchRequest(
                "cart_abandonment", "active",
                [Recipient(p, MERGE) for p in phones[start:start + 1000]], send=True))
        queued = time.monotonic() - started
        deadline = time.monotonic() + args.timeout
        while (done := sent_count(brand)) < len(phones) and time.monotonic() < deadline:
            time.sleep(0.2)
        seconds = time.monotonic() - started
        roles = cpu_by_role(worker.pid, cpu_before, session_cpu(worker.pid))
        worker_cpu = sum(roles.values())
    finally:
        worker.terminate()
        try:
            worker.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(worker.pid, 9)
    drained = done - 1
    statuses = dict(Send.objects.filter(brand=brand).values_list("status")
                    .annotate(n=Count("id")))
    duplicates = sent_count(brand) - Send.objects.filter(brand=brand, sent_at__isnull=False
                                                         ).count()
    rate = drained / seconds
    cpu_ms = 1000 * worker_cpu / max(1, drained)
    result = {"sends": len(phones) - 1, "drained": drained, "seconds": seconds,
              "queue_seconds": queued, "texts_per_s": rate, "send_statuses": statuses,
              "outbox_rows_beyond_sends": duplicates,
              "worker_cpu_ms_per_text": cpu_ms,
              "worker_cpu_ms_per_text_by_process": {
                  role: 1000 * seconds / max(1, drained) for role, seconds in roles.items()},
              "broker": settings.CELERY_BROKER_URL,
              "transport_options": {k: v for k, v in
                                    settings.CELERY_BROKER_TRANSPORT_OPTIONS.items()
                                    if "folder" not in k},
              "prefetch_multiplier": settings.CELERY_WORKER_PREFETCH_MULTIPLIER,
              "broker_transport": settings.CELERY_BROKER_TRANSPORT,
              "remote_control": settings.CELERY_WORKER_ENABLE_REMOTE_CONTROL,
              "load_average": os.getloadavg(), "target_met": rate >= 100}
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    print(f"{'queued':>8} {'drained':>8} {'seconds':>8} {'queue s':>8} {'texts/s':>8} "
          f"{'worker CPU ms/text':>19}")
    print(f"{len(phones) - 1:8d} {drained:8d} {seconds:8.1f} {queued:8.1f} {rate:8.1f} "
          f"{cpu_ms:19.2f}")
    print("worker CPU ms/text by process: " + ", ".join(
        f"{role} {ms:.2f}" for role, ms in result["worker_cpu_ms_per_text_by_process"].items()))
    print(f"send statuses {statuses}; outbox rows beyond sends: {duplicates}; "
          f"target >= 100 texts/s: {'met' if rate >= 100 else 'NOT met'}")
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "drain.json").write_text(json.dumps(result, indent=2, default=str))


if __name__ == "__main__":
    main()
