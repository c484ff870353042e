"""A worker keeps its database connection from one text to the next, and still recovers
when the server drops it. Celery's Django fixup would otherwise open a new PostgreSQL
session for every task (a fork and a login each), which capped the quickstart's drain."""

from __future__ import annotations

import json
import time
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from brandguard.services import save_policy_version
from delivery.models import OutboxMessage, Send
from tests.delivery.conftest import phones_open_now
from tests.factories import (
    make_api_key,
    make_brand,
    make_contact,
    make_delivery_settings,
    make_pool_variant,
)
from tests.workers import celery_worker, point_publisher_at, wait_for_other_sessions_to_end

MERGE = {"first_name": "Sam", "link": "https://acme.co/cart/1"}


@pytest.fixture
def crowd(db):
    brand = make_brand()
    save_policy_version(brand, rules={"max_segments": 2, "allowed_link_domains": ["acme.co"]})
    make_delivery_settings(brand, daily_cap=None, weekly_cap=None)
    make_pool_variant(brand, text="Acme Outdoors: {first_name}, your cart is waiting {link} "
                                  "Reply STOP to opt out")
    phones = phones_open_now(40, minutes=15)
    for phone in phones:
        make_contact(brand, phone, consent_at=timezone.now() - timedelta(days=1))
    return brand, phones


def _queue(client, key: str, phones: list[str]) -> list[int]:
    response = client.post(
        "/api/v1/decisions/batch",
        json.dumps({"intent": "cart_abandonment", "stage": "active", "send": True,
                    "recipients": [{"phone": p, "merge": MERGE} for p in phones]}),
        content_type="application/json", headers={"Authorization": f"Bearer {key}"})
    assert response.status_code == 200, response.content
    results = response.json()["results"]
    assert all(r["eligibility"]["status"] == "allow" for r in results), results
    return [r["decision_id"] for r in results]


def _wait_sent(brand, count: int, log_path) -> None:
    deadline = time.monotonic() + 90
    while OutboxMessage.objects.filter(brand=brand, kind="sent").count() < count:
        if time.monotonic() > deadline:
            raise AssertionError(log_path.read_text()[-3000:])
        time.sleep(0.2)


def _sessions_opened() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_stat_clear_snapshot()")
        cursor.execute("SELECT sessions FROM pg_stat_database WHERE datname = "
                       "current_database()")
        return cursor.fetchone()[0]


def _worker_backends() -> list[int]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
                       "AND pid <> pg_backend_pid() AND backend_type = 'client backend'")
        return [row[0] for row in cursor.fetchall()]


@pytest.mark.django_db(transaction=True)
def test_a_worker_reuses_its_connection_and_reconnects_when_the_server_drops_it(
        client, crowd, tmp_path, settings):
    brand, phones = crowd
    key = make_api_key(brand)
    broker, log_path = tmp_path / "broker", tmp_path / "worker.log"
    point_publisher_at(broker)
    env = {"DJANGO_ENV": "test", "CELERY_BROKER_URL": "", "CELERY_BROKER_DIR": str(broker),
           "STUDIO_DB_NAME": connection.settings_dict["NAME"], "SMS_PROVIDER": "console",
           "DATABASE_CONN_MAX_AGE": "60", "CELERY_DB_REUSE_MAX": "1000"}
    try:
        with log_path.open("w") as log, celery_worker(env, name="connections", log=log):
            _queue(client, key, phones[:1])
            _wait_sent(brand, 1, log_path)  # the worker is up and connected
            before = _sessions_opened()
            _queue(client, key, phones[1:30])
            _wait_sent(brand, 30, log_path)
            backends = _worker_backends()
            assert backends, "the worker should keep its connection open between texts"
            # A server restart or an idle-session kill: the next task must reconnect.
            with connection.cursor() as cursor:
                for pid in backends:
                    cursor.execute("SELECT pg_terminate_backend(%s)", [pid])
            _queue(client, key, phones[30:])
            _wait_sent(brand, 40, log_path)
    finally:
        point_publisher_at(settings.BROKER_DIR)
        wait_for_other_sessions_to_end()
    opened = _sessions_opened() - before
    # 29 texts before the kill, 10 after: one new session for the reconnect (and perhaps
    # this test's own), not one or two per text.
    assert 1 <= opened <= 4, opened
    assert Send.objects.filter(brand=brand, status="sent").count() == 40
    assert OutboxMessage.objects.filter(brand=brand, kind="sent").count() == 40
