"""Every shell command the README shows runs as printed.

Each fenced block whose info string starts with ``sh`` is collected from README.md and run
with bash (``-euo pipefail``) from the repository root, so a block passes only if every
command in it succeeds; ``curl`` is wrapped with ``--fail-with-body`` so an HTTP error fails
the block too. Blocks are picked up automatically: add a ```sh block to the README and this
test runs it.

The blocks run against ``make run``'s own server: the real runner (``python -m
studio.runner``) started on a free port with the quick-start settings (``DJANGO_ENV=
development``, the console SMS provider, no model configured) on a private database it
migrates and seeds itself, as on a fresh machine, and drops afterwards. In each block
``http://127.0.0.1:8000`` is replaced by that server's address.

Not run:
- commands listed in ``LONG_RUNNING`` below (each with its reason): they are removed from
  their block and the rest of the block still runs;
- a block marked ```` ```sh no-run <reason> ````, e.g. ```` ```sh no-run needs a Twilio
  account ```` — for commands that need something this machine cannot provide. The reason
  is required and is checked here.
"""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from urllib.request import urlopen

import pytest

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
README_BASE_URL = "http://127.0.0.1:8000"

# A command matching one of these is never run here, for the reason given.
LONG_RUNNING: dict[str, str] = {
    r"^make run\b": "serves until Ctrl-C; this test starts the same runner itself",
    r"^make test\b": "runs the whole suite, this test included",
}

_FENCE = re.compile(r"^```(?P<info>[^\n`]*)\n(?P<body>.*?)^```\s*$", re.M | re.S)


@dataclass(frozen=True)
class Block:
    line: int
    info: str
    body: str

    @property
    def no_run_reason(self) -> str | None:
        words = self.info.split(None, 2)
        if len(words) >= 2 and words[1] == "no-run":
            return words[2].strip() if len(words) == 3 else ""
        return None


def shell_blocks() -> list[Block]:
    text = README.read_text()
    blocks = []
    for m in _FENCE.finditer(text):
        info = m.group("info").strip()
        if info.split()[:1] == ["sh"]:
            blocks.append(Block(text.count("\n", 0, m.start()) + 1, info, m.group("body")))
    return blocks


def commands(body: str) -> list[str]:
    """Logical command lines: backslash continuations and open quotes joined."""
    out: list[str] = []
    current = ""
    for line in body.splitlines():
        current = f"{current}\n{line}" if current else line
        if current.endswith("\\") or current.count("'") % 2 or current.count('"') % 2:
            continue
        if current.strip():
            out.append(current)
        current = ""
    if current.strip():
        out.append(current)
    return out


def long_running_reason(command: str) -> str | None:
    for pattern, reason in LONG_RUNNING.items():
        if re.search(pattern, command.strip()):
            return reason
    return None


def runnable_script(block: Block) -> str:
    kept = [c for c in commands(block.body) if long_running_reason(c) is None]
    return "\n".join(kept)


RUNNABLE = [b for b in shell_blocks() if b.no_run_reason is None and runnable_script(b).strip()]


def test_the_readme_has_shell_blocks_and_every_exclusion_is_explained():
    blocks = shell_blocks()
    assert len(RUNNABLE) >= 2, "the README's command blocks were not found"
    excluded = [c for b in blocks for c in commands(b.body) if long_running_reason(c)]
    # Only the long-running commands are left out, and both are still in the README.
    assert sorted(c.split("#")[0].strip() for c in excluded) == ["make run", "make test"]
    for block in blocks:
        assert block.no_run_reason != "", f"README line {block.line}: no-run needs a reason"


def test_commands_are_split_on_lines_but_keep_continuations_and_quotes():
    body = 'A=1\ncurl -s x \\\n  -d \'{"a":\n 1}\'\necho "done"\n'
    assert commands(body) == ["A=1", "curl -s x \\\n  -d '{\"a\":\n 1}'", 'echo "done"']
    assert long_running_reason("make run    # serve") and not long_running_reason("echo make run")
    block = Block(1, "sh no-run needs a Twilio account", "")
    assert block.no_run_reason == "needs a Twilio account"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def quickstart(tmp_path_factory, django_db_blocker):
    """`make run`'s runner on a free port and a private, freshly migrated database."""
    from django.conf import settings
    from django.db import connection

    tmp = tmp_path_factory.mktemp("readme")
    port = _free_port()
    db_name = f"readme_{uuid.uuid4().hex[:10]}"
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("OPENAI_", "LLM_", "TWILIO_", "PYTEST", "DJANGO_ALLOW_ASYNC"))
           and k not in ("CELERY_BROKER_URL", "CELERY_RESULT_BACKEND", "PUBLIC_BASE_URL",
                         "SHORT_LINK_BASE_URL", "HOST")}
    env |= {"DJANGO_ENV": "development", "PORT": str(port), "SMS_PROVIDER": "console",
            # Its own embedded server in its own folder, as on a fresh machine: the runner
            # starts and stops it, and nothing it does reaches the test session's server.
            "STUDIO_DATA_DIR": str(tmp), "STUDIO_PGDATA": str(tmp / "pgdata"),
            "CELERY_BROKER_DIR": str(tmp / "broker"), "WEB_CONCURRENCY": "1",
            "WORKER_CONCURRENCY": "1"}
    if settings.EMBEDDED_DB:
        env["STUDIO_DB_NAME"] = db_name  # the runner's settings create it
    else:
        url = env["DATABASE_URL"]
        env["DATABASE_URL"] = re.sub(r"/[^/?]*(\?|$)", rf"/{db_name}\1", url.split("://", 1)[1],
                                     count=1).join([url.split("://", 1)[0] + "://", ""])
        with django_db_blocker.unblock(), connection.cursor() as cursor:
            cursor.execute(f'CREATE DATABASE "{db_name}"')
    log_path = tmp / "runner.log"
    with log_path.open("w") as log:
        runner = subprocess.Popen([sys.executable, "-m", "studio.runner"], cwd=ROOT, env=env,
                                  stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_until_up(base, runner, log_path)
        yield {"base": base, "env": env}
    finally:
        runner.send_signal(signal.SIGINT)  # what Ctrl-C does: web server and worker stop
        try:
            runner.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(runner.pid, signal.SIGKILL)
            runner.wait()
        with django_db_blocker.unblock(), connection.cursor() as cursor:
            cursor.execute(f'DROP DATABASE IF EXISTS "{db_name}" WITH (FORCE)')


def _wait_until_up(base: str, runner: subprocess.Popen, log_path: Path) -> None:
    deadline = time.monotonic() + 240  # a fresh database: every migration and the demo seed
    while time.monotonic() < deadline:
        if runner.poll() is not None:
            pytest.fail(f"the runner exited with {runner.returncode}:\n{log_path.read_text()}")
        try:
            with urlopen(f"{base}/healthz", timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.5)
    pytest.fail(f"the runner did not answer on {base} in time:\n{log_path.read_text()}")


# HTTP errors fail the block like any other failing command.
_PRELUDE = 'curl() { command curl --fail-with-body --max-time 60 "$@"; }\n'


@pytest.mark.parametrize("block", RUNNABLE, ids=[f"README-line-{b.line}" for b in RUNNABLE])
def test_the_readme_block_runs_as_printed(block, quickstart):
    script = runnable_script(block).replace(README_BASE_URL, quickstart["base"])
    result = subprocess.run(["bash", "-euo", "pipefail", "-c", _PRELUDE + script], cwd=ROOT,
                            env=quickstart["env"], capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, (
        f"README line {block.line} failed ({result.returncode}):\n{script}\n"
        f"--- stdout\n{result.stdout[-3000:]}\n--- stderr\n{result.stderr[-3000:]}")
    assert "unrecognized arguments" not in result.stderr
