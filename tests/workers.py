"""A real Celery worker process for tests that need tasks to cross a broker."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

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
