"""Rewards: clicks or conversions per brand, opt-out penalties, idempotent and safe under
concurrency (F() updates from many threads, each with its own connection)."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from django.db import connection

from delivery import services
from delivery.models import ArmState, Decision, Event
from tests.delivery.conftest import MERGE, NOON_NY, NY
from tests.factories import make_contact, make_delivery_settings


def sent_decision(brand, phone=NY, *, at=NOON_NY) -> Decision:
    decision = services.decide(brand, services.DecisionRequest(
        phone=phone, intent="cart_abandonment", stage="active", merge=MERGE, send=True, now=at))
    services.deliver(decision.send.pk, now=at)
    decision.refresh_from_db()
    return decision


def arm(decision) -> tuple[int, int, int]:
    state = ArmState.objects.get(variant_id=decision.variant_id)
    return state.successes, state.failures, state.penalties


@pytest.fixture
def contact(pool_brand):
    return make_contact(pool_brand, NY, consent_at=NOON_NY - timedelta(days=3))


def test_a_click_turns_the_trial_into_a_success_once(pool_brand, contact):
    decision = sent_decision(pool_brand)
    assert arm(decision) == (0, 1, 0)
    for _ in range(2):
        services.record_event(pool_brand, event_id="click-1", phone=NY, type="clicked",
                              decision_id=decision.pk, now=NOON_NY)
    assert arm(decision) == (1, 0, 0) and Event.objects.count() == 1


def test_a_trial_of_an_arm_without_a_row_yet_creates_it_and_counts_once(pool_brand, contact):
    decision = services.decide(pool_brand, services.DecisionRequest(
        phone=NY, intent="cart_abandonment", stage="active", merge=MERGE, now=NOON_NY))
    ArmState.objects.all().delete()  # e.g. decisions written in bulk, never through decide
    assert services.count_trial(decision, at=NOON_NY) is True
    assert services.count_trial(decision, at=NOON_NY) is False
    assert arm(decision) == (0, 1, 0)


def test_with_the_conversion_metric_a_click_is_not_a_reward(pool_brand, contact):
    make_delivery_settings(pool_brand, reward_metric="conversion")
    decision = sent_decision(pool_brand)
    services.record_event(pool_brand, event_id="c", phone=NY, type="clicked",
                          decision_id=decision.pk, now=NOON_NY)
    assert arm(decision) == (0, 1, 0)
    services.record_event(pool_brand, event_id="o", phone=NY, type="purchased",
                          decision_id=decision.pk, now=NOON_NY)
    assert arm(decision) == (1, 0, 0)


def test_a_decision_that_never_went_out_earns_nothing(pool_brand, contact):
    decision = services.decide(pool_brand, services.DecisionRequest(
        phone=NY, intent="cart_abandonment", stage="active", merge=MERGE, now=NOON_NY))
    services.record_event(pool_brand, event_id="c", phone=NY, type="clicked",
                          decision_id=decision.pk, now=NOON_NY)
    assert arm(decision) == (0, 0, 0)


def test_an_event_outside_the_attribution_window_rewards_nothing(pool_brand, contact):
    decision = sent_decision(pool_brand)
    services.record_event(pool_brand, event_id="late", phone=NY, type="clicked",
                          occurred_at=NOON_NY + timedelta(days=8), now=NOON_NY)
    assert Event.objects.get().decision is None and arm(decision) == (0, 1, 0)


def test_an_opt_out_soon_after_a_send_is_a_penalty_once(pool_brand, contact):
    decision = sent_decision(pool_brand)
    services.opt_out_contact(contact, at=NOON_NY + timedelta(days=2), source="keyword")
    services.opt_out_contact(contact, at=NOON_NY + timedelta(days=2), source="keyword")
    assert arm(decision) == (0, 1, 1)


def test_an_opt_out_long_after_the_last_send_is_not_a_penalty(pool_brand, contact):
    make_delivery_settings(pool_brand, penalty_window_days=3)
    decision = sent_decision(pool_brand)
    services.opt_out_contact(contact, at=NOON_NY + timedelta(days=4), source="keyword")
    assert arm(decision) == (0, 1, 0)


@pytest.mark.django_db(transaction=True)
def test_concurrent_counts_from_many_workers_lose_no_update(pool_brand):
    decisions = []
    for i in range(8):
        phone = f"+1212555{i:04d}"
        make_contact(pool_brand, phone, consent_at=NOON_NY - timedelta(days=1))
        decisions.append(services.decide(pool_brand, services.DecisionRequest(
            phone=phone, intent="cart_abandonment", stage="active", merge=MERGE, now=NOON_NY)))
    variant = decisions[0].variant_id
    Decision.objects.update(variant_id=variant)  # one arm, eight decisions
    start = threading.Barrier(len(decisions))

    def work(decision):
        try:
            start.wait()
            services.count_trial(decision, at=NOON_NY)
            services.reward_decision(decision, at=NOON_NY)
            services.reward_decision(decision, at=NOON_NY)  # a replay changes nothing
        finally:
            connection.close()

    threads = [threading.Thread(target=work, args=(Decision.objects.get(pk=d.pk),))
               for d in decisions]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    state = ArmState.objects.get(variant_id=variant)
    assert (state.successes, state.failures) == (8, 0)
