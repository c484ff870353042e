"""`make run`: migrate, seed the demo, serve the studio with gunicorn, run one Celery worker.

Children run in their own sessions so that Ctrl-C is handled here, in order: stop the web
server and the worker, then the embedded PostgreSQL if this run started it.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

BIN = Path(sys.executable).parent


def _setup_django():
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "studio.settings")
    from django.conf import settings

    from studio import embedded_db

    # Decided before settings load, because loading them starts the server.
    data_dir = Path(os.environ.get("STUDIO_DATA_DIR") or Path(__file__).resolve().parent.parent / "var")
    was_running = embedded_db.is_running(Path(os.environ.get("STUDIO_PGDATA") or data_dir / "pgdata"))
    import django

    django.setup()
    return settings, was_running


def _spawn(args: list[str]) -> subprocess.Popen:
    return subprocess.Popen(args, start_new_session=True)


def _stop(children: list[subprocess.Popen]) -> None:
    # SIGTERM to the main processes only: gunicorn and celery shut their own children down
    # gracefully; the process group is killed only if they overstay.
    for child in children:
        if child.poll() is None:
            child.terminate()
    deadline = time.monotonic() + 20
    for child in children:
        try:
            child.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            os.killpg(child.pid, signal.SIGKILL)
            child.wait()


def main() -> int:
    settings, was_running = _setup_django()
    from django.core.management import call_command

    from studio import embedded_db
    from studio.demo import DEMO_USERS
    from studio.env import env_int

    call_command("migrate", interactive=False, verbosity=0)
    call_command("seed_demo", verbosity=0)
    host, port = settings.HOST, settings.PORT  # validated there (studio/env.py)
    bind = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
    children = [
        _spawn([str(BIN / "gunicorn"), "studio.wsgi", "--bind", bind,
                "--workers", str(env_int("WEB_CONCURRENCY", 2, minimum=1)), "--timeout", "120",
                "--access-logfile", "-"]),
        # -B runs the beat scheduler inside this one worker (the quickstart has one worker;
        # production runs `celery -A studio beat` once, separately).
        _spawn([str(BIN / "celery"), "-A", "studio", "worker", "-B", "--loglevel", "INFO",
                "--schedule", str(settings.DATA_DIR / "celerybeat-schedule"),
                "--concurrency", str(env_int("WORKER_CONCURRENCY", 2, minimum=1))]),
    ]
    print(f"\n  SMS Copy Studio is running at http://{bind}/\n")
    for demo in DEMO_USERS:
        print(f"  log in as {demo.username:<8} password {demo.password:<22} ({', '.join(demo.roles)})")
    print("\n  Press Ctrl-C to stop.\n", flush=True)

    stopping = False

    def _on_signal(signum, frame):
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, _on_signal)
    signal.signal(signal.SIGTERM, _on_signal)
    try:
        while not stopping and all(child.poll() is None for child in children):
            time.sleep(0.3)
    finally:
        print("\n  stopping…", flush=True)
        _stop(children)
        if settings.EMBEDDED_DB and not was_running:
            embedded_db.stop(settings.PGDATA)
    failed = [c for c in children if c.returncode not in (0, -signal.SIGTERM)]
    return 1 if failed and not stopping else 0


if __name__ == "__main__":
    raise SystemExit(main())
