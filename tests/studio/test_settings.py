"""Configuration fails early, in one line naming the variable; production passes --deploy."""

import os
import secrets
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _manage(*args: str, **env: str) -> subprocess.CompletedProcess:
    full_env = {k: v for k, v in os.environ.items() if k not in ("DJANGO_ENV", "DATABASE_URL")}
    full_env.update(env)
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=full_env,
        capture_output=True, text=True, timeout=120,
    )


def test_a_malformed_database_url_fails_at_start_naming_the_variable():
    result = _manage("check", DATABASE_URL="mysql://root@localhost/studio")
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1
    assert "DATABASE_URL" in lines[0]


def test_an_unknown_django_env_fails_at_start_naming_the_variable():
    result = _manage("check", DJANGO_ENV="staging")
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "DJANGO_ENV" in lines[0]


def test_production_without_a_secret_key_refuses_to_start():
    result = _manage("check", DJANGO_ENV="production", DJANGO_ALLOWED_HOSTS="studio.example")
    assert result.returncode == 2
    assert "DJANGO_SECRET_KEY" in result.stderr


def test_production_settings_pass_the_deploy_check_with_no_warnings():
    result = _manage(
        "check", "--deploy", "--fail-level", "WARNING",
        DJANGO_ENV="production",
        DJANGO_SECRET_KEY=secrets.token_urlsafe(64),
        DJANGO_ALLOWED_HOSTS="studio.example",
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout
