"""A task crosses a real, separate worker process on both brokers. No eager mode."""

from __future__ import annotations

from pathlib import Path

import pytest
import redis
from celery import Celery

from tests.workers import celery_worker

ROOT = Path(__file__).resolve().parents[2]
REDIS_URL = "redis://127.0.0.1:6379/15"


def _worker(env_overrides: dict[str, str]):
    return celery_worker(env_overrides, name="test")


def _redis_available() -> None:
    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2).ping()
    except redis.RedisError as exc:  # the suite must fail loudly, never skip
        pytest.fail(f"Redis is required on 127.0.0.1:6379 for this test: {exc}")


def test_a_task_crosses_a_real_worker_on_the_quickstart_filesystem_broker(tmp_path):
    broker_dir = tmp_path / "broker"
    overrides = {"CELERY_BROKER_DIR": str(broker_dir)}
    overrides["CELERY_BROKER_URL"] = ""
    app = Celery("probe", broker="filesystem://", backend=f"file://{broker_dir / 'results'}")
    app.conf.broker_transport_options = {
        "data_folder_in": str(broker_dir / "queue"),
        "data_folder_out": str(broker_dir / "queue"),
        "control_folder": str(broker_dir / "control"),
    }
    for sub in ("queue", "control", "results"):
        (broker_dir / sub).mkdir(parents=True)
    with _worker(overrides) as proc:
        result = app.send_task("studio.ping", args=["fs"])
        try:
            assert result.get(timeout=60) == "pong:fs"
        except Exception:
            proc.terminate()
            raise AssertionError(proc.communicate(timeout=20)[0]) from None


def test_a_task_crosses_a_real_worker_on_redis():
    _redis_available()
    redis.Redis.from_url(REDIS_URL).flushdb()
    app = Celery("probe", broker=REDIS_URL, backend=REDIS_URL)
    with _worker({"CELERY_BROKER_URL": REDIS_URL}) as proc:
        result = app.send_task("studio.ping", args=["redis"])
        try:
            assert result.get(timeout=60) == "pong:redis"
        except Exception:
            proc.terminate()
            raise AssertionError(proc.communicate(timeout=20)[0]) from None
