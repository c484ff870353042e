"""The first hour on a fresh machine: `make test`'s chromium step, the guard command's exit
status, PORT/HOST and the favicon."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from tests.factories import CLEAN_TEXT, make_policy

ROOT = Path(__file__).resolve().parents[2]


# --- make test installs chromium, or says in one line what to run ---------------------------

def test_make_test_runs_the_chromium_step_before_pytest():
    dry = subprocess.run(["make", "-n", "test"], cwd=ROOT, capture_output=True, text=True,
                         check=True).stdout.splitlines()
    step = next(i for i, line in enumerate(dry) if "ensure-chromium" in line)
    pytest_line = next(i for i, line in enumerate(dry) if "-m pytest" in line)
    assert step < pytest_line


def test_the_chromium_step_passes_when_chromium_is_there():
    result = subprocess.run(["sh", ".ci/ensure-chromium"], cwd=ROOT, capture_output=True,
                            text=True)
    assert result.returncode == 0
    assert result.stderr == ""


def test_without_apt_the_chromium_step_fails_with_one_line_saying_what_to_run(tmp_path):
    # A PATH holding only `id` and `sh`: no apt-get, so the script must not try to install.
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for tool in ("id", "sh"):
        (bin_dir / tool).symlink_to(shutil.which(tool))
    result = subprocess.run(
        [str(bin_dir / "sh"), ".ci/ensure-chromium"], cwd=ROOT, capture_output=True, text=True,
        env={"PATH": str(bin_dir), "CHROMIUM": str(tmp_path / "no-chromium")},
    )
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1
    assert "apt-get install -y chromium" in lines[0]


# --- manage.py guard exit status ----------------------------------------------------------

@pytest.fixture
def guarded_brand(brand):
    make_policy(brand)
    return brand


def test_guard_passes_with_status_0(guarded_brand, capsys):
    call_command("guard", CLEAN_TEXT, "--brand", guarded_brand.slug)
    assert capsys.readouterr().out.startswith("PASS")


def test_guard_blocks_with_status_1_and_still_prints_the_report(guarded_brand, capsys):
    with pytest.raises(CommandError) as caught:
        call_command("guard", "Buy cheap stuff at bit.ly/x", "--brand", guarded_brand.slug)
    assert caught.value.returncode == 1
    out = capsys.readouterr().out
    assert out.startswith("BLOCKED")
    assert "PUBLIC_SHORTENER" in out


def test_guard_blocked_in_json_mode_still_writes_the_json(guarded_brand, capsys):
    with pytest.raises(CommandError) as caught:
        call_command("guard", "Buy cheap stuff", "--brand", guarded_brand.slug, "--json")
    assert caught.value.returncode == 1
    assert '"passed": false' in capsys.readouterr().out


def test_guard_with_an_unknown_brand_is_a_usage_error(db):
    with pytest.raises(CommandError) as caught:
        call_command("guard", "hi", "--brand", "no-such-brand")
    assert caught.value.returncode == 2


def _manage(*args: str, **env: str) -> subprocess.CompletedProcess:
    full_env = {k: v for k, v in os.environ.items()
                if k not in ("PORT", "HOST", "PUBLIC_BASE_URL", "SHORT_LINK_BASE_URL")}
    full_env.update(env)
    return subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=full_env,
                          capture_output=True, text=True, timeout=120)


@pytest.mark.django_db(transaction=True)
def test_guard_exit_status_from_the_shell(guarded_brand):
    # Committed rows in the test database, reached by a subprocess through STUDIO_DB_NAME.
    from django.db import connection

    db_env = {"STUDIO_DB_NAME": connection.settings_dict["NAME"]}
    slug = guarded_brand.slug
    assert _manage("guard", CLEAN_TEXT, "--brand", slug, **db_env).returncode == 0
    blocked = _manage("guard", "Buy cheap stuff", "--brand", slug, **db_env)
    assert blocked.returncode == 1
    assert "blocked by" in blocked.stderr
    assert _manage("guard", "--brand", slug, **db_env).returncode == 2  # the text is missing
    assert _manage("guard", "hi", "--brand", "nope", **db_env).returncode == 2


# --- PORT and HOST -----------------------------------------------------------------------

_SHOW_URLS = ("from django.conf import settings; from delivery.services.rendering import "
              "short_link_base; print(settings.HOST, settings.PORT, settings.PUBLIC_BASE_URL, "
              "short_link_base())")


def test_public_base_url_and_short_links_follow_port_when_unset():
    result = _manage("shell", "--no-imports", "-c", _SHOW_URLS, PORT="8123")
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["127.0.0.1", "8123", "http://127.0.0.1:8123",
                                     "http://127.0.0.1:8123"]


def test_a_wildcard_host_keeps_a_loopback_public_url():
    result = _manage("shell", "--no-imports", "-c", _SHOW_URLS, HOST="0.0.0.0", PORT="9001")
    assert result.stdout.split() == ["0.0.0.0", "9001", "http://127.0.0.1:9001",
                                     "http://127.0.0.1:9001"]


def test_an_explicit_public_base_url_wins_over_port():
    result = _manage("shell", "--no-imports", "-c", _SHOW_URLS, PORT="8123",
                     PUBLIC_BASE_URL="https://sms.example/")
    assert result.stdout.split()[2:] == ["https://sms.example", "https://sms.example"]


@pytest.mark.parametrize("port", ["http", "0", "70000"])
def test_a_bad_port_stops_the_process_naming_the_variable(port):
    result = _manage("check", PORT=port)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "PORT" in lines[0]


# --- favicon -----------------------------------------------------------------------------

def test_favicon_ico_redirects_to_a_real_icon(client):
    response = client.get("/favicon.ico")
    assert response.status_code == 301
    icon = client.get(response["Location"])
    assert icon.status_code == 200
    body = b"".join(icon.streaming_content)
    assert body[:4] == b"\x00\x00\x01\x00"  # the ICO header


def test_every_page_declares_its_icon(client, db):
    html = client.get("/login/").content.decode()
    assert 'rel="icon"' in html and "favicon.ico" in html
