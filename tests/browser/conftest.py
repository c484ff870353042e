"""Real headless Chromium (the Debian package, never a downloaded browser) against the app
on pytest-django's live_server, a REAL Celery worker subprocess on a private filesystem
broker, and the loopback OpenAI-protocol server standing in for the model."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest
from django.db import connection

from tests.servers.openai_server import OpenAIServer
from tests.workers import celery_worker as worker_process
from tests.workers import point_publisher_at

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / "test-artifacts" / "screenshots"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                 "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():  # the suite fails loudly rather than skipping
        pytest.fail(f"{CHROMIUM} is missing: apt-get install chromium")
    # Playwright's sync API runs an asyncio loop on this thread, which trips Django's
    # "no ORM in async code" guard although every ORM call here is plain synchronous code.
    # Module scope: the loop and the override end with the browser tests, so no later test
    # (or subprocess such as the deploy check) inherits either.
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as playwright:
            chromium = playwright.chromium.launch(executable_path=CHROMIUM, headless=True,
                                                  args=CHROMIUM_ARGS)
            yield chromium
            chromium.close()
    finally:
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture(autouse=True)
def _no_login_lockouts(transactional_db):
    """Browser tests sign in many times from 127.0.0.1; a lockout left by one test (or by
    someone's hand on the dev server) must not fail the next. django-axes' own reset."""
    from axes.utils import reset

    reset()
    yield
    reset()


@pytest.fixture
def llm_server():
    with OpenAIServer() as server:
        yield server


@pytest.fixture
def celery_worker(live_server, llm_server, tmp_path, settings):
    """A separate worker process on the live test database and a private broker folder."""
    broker_dir = tmp_path / "broker"
    point_publisher_at(broker_dir)
    settings.OPENAI_BASE_URL = llm_server.base_url  # the footer and the generate page
    settings.OPENAI_API_KEY = "test-key"
    env = {"DJANGO_ENV": "test", "CELERY_BROKER_URL": "",
           "STUDIO_DB_NAME": connection.settings_dict["NAME"],
           "CELERY_BROKER_DIR": str(broker_dir), "OPENAI_BASE_URL": llm_server.base_url,
           "OPENAI_API_KEY": "test-key", "LLM_MODEL": "loopback-model",
           "LLM_TIMEOUT": "10", "LLM_MAX_RETRIES": "0"}
    try:
        with (tmp_path / "worker.log").open("w") as log, worker_process(
                env, name="browser", log=log, drop_env=("DJANGO_ALLOW_ASYNC_UNSAFE",)) as proc:
            yield proc
    finally:
        point_publisher_at(Path(settings.BROKER_DIR))
        _wait_for_other_sessions_to_end()


def _wait_for_other_sessions_to_end(timeout: float = 10.0) -> None:
    """PostgreSQL ends a dead client's backend asynchronously; without waiting, dropping the
    test database at session end can still see the worker's session and fail."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM pg_stat_activity WHERE datname = %s "
                           "AND pid <> pg_backend_pid()", [connection.settings_dict["NAME"]])
            if cursor.fetchone()[0] == 0:
                return
        time.sleep(0.2)


CSP_VIOLATION = ("Content Security Policy", "Content-Security-Policy")


@pytest.fixture
def open_page(browser):
    """A logged-out page in a fresh browser context; contexts are closed afterwards so the
    live server's keep-alive threads (each holding a database session) finish.

    Every page runs under the production Content-Security-Policy; a violation Chromium
    reports in the console (an inline style or script, an eval, an outside host) fails
    the test that caused it."""
    contexts, violations = [], []

    def on_console(message) -> None:
        if any(marker in message.text for marker in CSP_VIOLATION):
            violations.append(f"{message.type}: {message.text}")

    def open_(width: int = 1280, height: int = 900):
        context = browser.new_context(viewport={"width": width, "height": height})
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(15_000)
        page.on("console", on_console)
        return page

    open_.violations = violations  # type: ignore[attr-defined]
    yield open_
    for context in contexts:
        context.close()
    assert not violations, "Content-Security-Policy violations:\n" + "\n".join(violations)


@pytest.fixture
def shoot():
    """Save a full-page screenshot under test-artifacts/screenshots (git-ignored)."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)

    def save(page, name: str) -> Path:
        path = SCREENSHOTS / f"{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return save
