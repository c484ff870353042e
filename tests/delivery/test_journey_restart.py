"""Restart safety of the journey scheduler, with a real worker (beat inside, solo pool) on the
test database: kill it (SIGKILL, the whole process group) while due steps are being fired,
start another, and every step is fired exactly once, with exactly one decision and one send.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import pytest
from django.db import connection
from django.db.models import Count
from django.utils import timezone

from delivery.models import Decision, JourneyStep, Send
from delivery.services import record_event
from tests.delivery.conftest import phones_open_now, wait_until
from tests.factories import make_contact, make_pool_variant

ROOT = Path(__file__).resolve().parents[2]
STEPS = 60


def start_worker(tmp_path: Path, name: str, log) -> subprocess.Popen:
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_ALLOW_ASYNC_UNSAFE"} | {
        "DJANGO_ENV": "test", "CELERY_BROKER_URL": "",
        "STUDIO_DB_NAME": connection.settings_dict["NAME"],
        "CELERY_BROKER_DIR": str(tmp_path / "broker"), "JOURNEY_TICK_SECONDS": "0.2"}
    return subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "studio", "worker", "-B", "--pool", "solo",
         "--loglevel", "WARNING", "--without-mingle", "--without-gossip",
         "-s", str(tmp_path / f"beat-{name}"), "-n", f"{name}@%h"],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, text=True,
        start_new_session=True)


def kill(proc: subprocess.Popen) -> None:
    os.killpg(proc.pid, signal.SIGKILL)  # no shutdown, no ack: as if the machine died
    proc.wait(timeout=20)


def fired() -> int:
    return JourneyStep.objects.filter(status="fired").count()


@pytest.mark.django_db(transaction=True)
def test_killing_the_worker_between_due_and_sent_loses_nothing_and_doubles_nothing(
        pool_brand, tmp_path):
    make_pool_variant(pool_brand, stage="first_time_browser")
    for n, phone in enumerate(phones_open_now(STEPS, minutes=60)):
        make_contact(pool_brand, phone, first_name="Sam")
        record_event(pool_brand, event_id=f"cart-{n}", phone=phone, type="added_to_cart",
                     occurred_at=timezone.now() - timedelta(minutes=61),
                     data={"cart_url": "https://acme.co/cart/1"})
    assert JourneyStep.objects.filter(status="pending").count() == STEPS

    with (tmp_path / "worker.log").open("w") as log:
        first = start_worker(tmp_path, "first", log)
        try:
            wait_until(lambda: fired() >= 1, timeout=60)
        finally:
            kill(first)
        halfway = fired()
        second = start_worker(tmp_path, "second", log)
        try:
            wait_until(lambda: fired() == STEPS, timeout=120)
            # …and the texts themselves go out (the second worker delivers what it fired
            # and what the first left pending once the sweep picks it up).
            wait_until(lambda: Send.objects.filter(status="sent").count()
                       + Send.objects.filter(status="pending").count() == STEPS, timeout=60)
        finally:
            second.terminate()
            second.wait(timeout=20)

    assert 1 <= halfway <= STEPS
    steps = JourneyStep.objects.all()
    assert all(s.decision_id is not None for s in steps)
    assert {s.decision.idempotency_key for s in steps} == {f"journey-step:{s.pk}" for s in steps}
    assert Decision.objects.count() == STEPS  # a killed firing left no orphan decision
    per_decision = Send.objects.values("decision").annotate(n=Count("id"))
    assert len(per_decision) == STEPS and {row["n"] for row in per_decision} == {1}
    assert Send.objects.exclude(status__in=["sent", "pending"]).count() == 0
    _wait_for_other_sessions_to_end()


def _wait_for_other_sessions_to_end(timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM pg_stat_activity WHERE datname = %s "
                           "AND pid <> pg_backend_pid()", [connection.settings_dict["NAME"]])
            if cursor.fetchone()[0] == 0:
                return
        time.sleep(0.2)
