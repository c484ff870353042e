"""Login throttling: a password cannot be guessed at speed, and a lockout is clear,
recorded, scoped to one username from one address, and undone by an admin command."""

from __future__ import annotations

from datetime import timedelta

import pytest
from axes.models import AccessAttempt, AccessFailureLog
from django.conf import settings
from django.core.management import call_command

from tests.factories import make_user

PASSWORD = "correct horse battery staple"


@pytest.fixture
def user(db):
    return make_user(username="casey", password=PASSWORD)


def login(client, username, password, ip="10.0.0.1"):
    return client.post("/login/", {"username": username, "password": password},
                       REMOTE_ADDR=ip)


def signed_in(client) -> bool:
    return "_auth_user_id" in client.session


def lock_out(client, username="casey", ip="10.0.0.1"):
    answers = [login(client, username, f"guess-{n}", ip).status_code
               for n in range(settings.AXES_FAILURE_LIMIT)]
    return answers


def test_guessing_locks_the_account_from_that_address_and_the_right_password_waits(
        client, user):
    answers = lock_out(client)
    assert answers[:-1] == [200] * (settings.AXES_FAILURE_LIMIT - 1)  # the form again
    assert answers[-1] == 429
    locked = login(client, "casey", PASSWORD)
    assert locked.status_code == 429 and not signed_in(client)
    page = locked.content.decode()
    assert "Sign-in paused" in page and "casey" in page
    assert f"for {settings.AXES_COOLOFF_TIME.seconds // 60} minutes" in page
    assert "axes_reset_username casey" in page


def test_the_lockout_is_per_username_and_address(client, user, client_factory):
    make_user(username="avery", password=PASSWORD)
    lock_out(client)
    elsewhere = client_factory()
    assert login(elsewhere, "casey", PASSWORD, ip="10.0.0.2").status_code == 302
    colleague = client_factory()
    assert login(colleague, "avery", PASSWORD).status_code == 302


def test_every_failure_and_the_lockout_are_recorded_for_admins(client, user, client_factory):
    lock_out(client)
    attempt = AccessAttempt.objects.get(username="casey")
    assert attempt.failures_since_start == settings.AXES_FAILURE_LIMIT
    assert attempt.ip_address == "10.0.0.1"
    assert AccessFailureLog.objects.filter(username="casey").count() == settings.AXES_FAILURE_LIMIT
    admin = client_factory()
    admin.force_login(make_user(username="root", is_staff=True, is_superuser=True))
    page = admin.get("/admin/axes/accessattempt/")
    assert page.status_code == 200 and "casey" in page.content.decode()


def test_an_admin_command_unlocks_at_once(client, user, capsys):
    lock_out(client)
    call_command("axes_reset_username", "casey")
    assert "removed" in capsys.readouterr().out
    assert login(client, "casey", PASSWORD).status_code == 302 and signed_in(client)


def test_the_lock_lifts_after_the_cool_off(client, user):
    lock_out(client)
    AccessAttempt.objects.update(attempt_time=AccessAttempt.objects.get().attempt_time
                                 - settings.AXES_COOLOFF_TIME - timedelta(seconds=1))
    assert login(client, "casey", PASSWORD).status_code == 302


def test_seeding_the_demo_again_unlocks_its_logins(client, db, capsys):
    call_command("seed_demo", "--no-guidelines")
    from studio.demo import DEMO_USERS

    demo = DEMO_USERS[0]
    lock_out(client, demo.username)
    assert login(client, demo.username, demo.password).status_code == 429
    call_command("seed_demo", "--no-guidelines")
    assert "failed demo login" in capsys.readouterr().out
    assert login(client, demo.username, demo.password).status_code == 302


@pytest.fixture
def client_factory():
    from django.test import Client

    return Client
