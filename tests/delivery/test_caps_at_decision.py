"""Caps are judged at decision time with the sends already queued: the answer says what
will happen, and the worker's re-check agrees with it."""

from __future__ import annotations

import threading
from datetime import datetime, timedelta

import pytest
from django.db import connection
from django.utils import timezone

from delivery import services
from delivery.models import DeliverySettings, Send
from tests.delivery.conftest import MERGE, NOON_NY, NY, phone_open_now
from tests.delivery.test_api import ask
from tests.factories import make_contact, make_delivery_settings


@pytest.fixture
def open_phone(pool_brand):
    phone = phone_open_now(minutes=60)
    make_contact(pool_brand, phone, consent_at=timezone.now() - timedelta(days=1))
    return phone


def test_a_second_send_under_a_daily_cap_is_not_allowed_now(client, pool_brand, api_key,
                                                             open_phone):
    make_delivery_settings(pool_brand, daily_cap=1)
    first = ask(client, api_key, open_phone, send=True).json()["eligibility"]
    second = ask(client, api_key, open_phone, send=True).json()["eligibility"]
    assert first["status"] == "allow"
    assert (second["status"], second["reason"]) == ("defer", "FREQ_CAP")
    send_at = datetime.fromisoformat(second["send_at"])
    assert send_at >= datetime.fromisoformat(first["send_at"]) + timedelta(hours=24)


def test_the_worker_sends_the_allowed_text_when_a_later_one_is_queued_behind_it(
        client, pool_brand, api_key, open_phone):
    make_delivery_settings(pool_brand, daily_cap=1)
    first = ask(client, api_key, open_phone, send=True).json()
    ask(client, api_key, open_phone, send=True)
    send = Send.objects.get(decision_id=first["decision_id"])
    # The worker picks it up a little after the decision; the deferred text queued 24 h
    # after the first's decided time must not push the first back.
    outcome = services.deliver(send.pk, now=timezone.now() + timedelta(seconds=30))
    assert outcome.result == "sent"


@pytest.mark.django_db(transaction=True)
def test_concurrent_sends_to_one_person_are_judged_one_after_the_other(pool_brand):
    make_delivery_settings(pool_brand, daily_cap=1)
    make_contact(pool_brand, NY, consent_at=NOON_NY - timedelta(days=1))
    start = threading.Barrier(4)
    answers: list[tuple[str, datetime | None]] = []

    def work(key: str) -> None:
        try:
            start.wait()
            decision = services.decide(pool_brand, services.DecisionRequest(
                phone=NY, intent="cart_abandonment", stage="active", merge=MERGE, send=True,
                idempotency_key=key, now=NOON_NY))
            answers.append((decision.status, decision.send_at))
        finally:
            connection.close()

    threads = [threading.Thread(target=work, args=(f"k{i}",)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(status for status, _ in answers) == ["allow", "defer", "defer", "defer"]
    times = sorted(at for _, at in answers)
    assert all(later - earlier >= timedelta(hours=24) for earlier, later in
               zip(times, times[1:], strict=False))
    assert Send.objects.count() == 4


def test_a_brand_that_never_saved_settings_caps_one_text_a_day(client, pool_brand, api_key,
                                                               open_phone):
    assert not DeliverySettings.objects.filter(brand=pool_brand).exists()
    first = ask(client, api_key, open_phone, send=True).json()["eligibility"]
    second = ask(client, api_key, open_phone, send=True).json()["eligibility"]
    assert (first["status"], second["status"], second["reason"]) == ("allow", "defer",
                                                                      "FREQ_CAP")


def test_a_decision_without_send_counts_queued_sends_but_queues_nothing(
        client, pool_brand, api_key, open_phone):
    ask(client, api_key, open_phone, send=True)
    preview = ask(client, api_key, open_phone).json()["eligibility"]
    assert (preview["status"], preview["reason"]) == ("defer", "FREQ_CAP")
    assert Send.objects.count() == 1


def test_the_deferred_text_goes_at_its_time_unless_the_first_went_late(pool_brand):
    make_contact(pool_brand, NY, consent_at=NOON_NY - timedelta(days=1))
    first, second = (services.decide(pool_brand, services.DecisionRequest(
        phone=NY, intent="cart_abandonment", stage="active", merge=MERGE, send=True,
        now=NOON_NY)) for _ in range(2))
    assert second.send_at == NOON_NY + timedelta(hours=24)
    assert services.deliver(first.send.pk, now=NOON_NY).result == "sent"
    assert services.deliver(second.send.pk, now=second.send_at).result == "sent"


def test_a_late_first_text_pushes_the_one_behind_it_by_its_lateness(pool_brand):
    make_contact(pool_brand, NY, consent_at=NOON_NY - timedelta(days=1))
    first, second = (services.decide(pool_brand, services.DecisionRequest(
        phone=NY, intent="cart_abandonment", stage="active", merge=MERGE, send=True,
        now=NOON_NY)) for _ in range(2))
    late = NOON_NY + timedelta(minutes=10)
    assert services.deliver(first.send.pk, now=late).result == "sent"
    assert services.deliver(second.send.pk, now=second.send_at).result == "rescheduled"
    second.send.refresh_from_db()
    assert second.send.scheduled_for == late + timedelta(hours=24)
