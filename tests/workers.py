"""A real Celery worker process for tests that need tasks to cross a broker."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from kombu import pools as kombu_pools

ROOT = Path(__file__).resolve().parents[1]


@contextmanager
def celery_worker(env_overrides: dict[str, str], *, name: str = "test", log=subprocess.PIPE,
                  drop_env: tuple[str, ...] = ()) -> Iterator[subprocess.Popen]:
    """Start `celery -A studio worker` (solo pool) with the given environment; stop it after."""
    env = {k: v for k, v in os.environ.items() if k not in drop_env} | env_overrides
    proc = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "studio", "worker", "--pool", "solo",
         "--loglevel", "WARNING", "--without-mingle", "--without-gossip",
         "-n", f"{name}-{uuid.uuid4().hex[:8]}@%h"],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, text=True,
    )
    try:
        yield proc
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def point_publisher_at(broker_dir: Path) -> None:
    """Make this process publish to `broker_dir` (the filesystem broker a test's own worker
    consumes). The producer pool of an earlier publish keeps the old folders: dropped."""
    from studio.celery import app

    for sub in ("queue", "control", "results"):
        (broker_dir / sub).mkdir(parents=True, exist_ok=True)
    # Keep the other transport options (polling interval…): only the folders move.
    app.conf.broker_transport_options = {
        **app.conf.broker_transport_options,
        "data_folder_in": str(broker_dir / "queue"), "data_folder_out": str(broker_dir / "queue"),
        "control_folder": str(broker_dir / "control"), "store_processed": False,
    }
    app.conf.result_backend = f"file://{broker_dir / 'results'}"
    # kombu keeps producer pools in a process-wide registry keyed by the connection's
    # settings: pointing back at folders used before would find the closed pool again.
    app._pool = None
    app.amqp._producer_pool = None
    kombu_pools.reset()


def wait_for_other_sessions_to_end(timeout: float = 10.0) -> None:
    """PostgreSQL ends a stopped worker's backend asynchronously; the test database can only
    be flushed or dropped once it is gone."""
    import time

    from django.db import connection

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM pg_stat_activity WHERE datname = %s "
                           "AND pid <> pg_backend_pid()", [connection.settings_dict["NAME"]])
            if cursor.fetchone()[0] == 0:
                return
        time.sleep(0.2)
