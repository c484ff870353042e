"""decide(): eligibility from the database, the bandit over approved copy, rendering with
first-party short links, the brandguard re-check, idempotency and scheduling."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest

from delivery import services
from delivery.models import ArmState, Decision, OutboxMessage, Send, ShortLink
from delivery.services.sending import enqueue_delivery
from tests.delivery.conftest import MERGE, NIGHT_NY, NOON_NY, NY
from tests.factories import (
    make_contact,
    make_delivery_settings,
    make_pool_variant,
    make_user,
)

CONSENTED = NOON_NY - timedelta(days=10)


def decide(brand, phone=NY, *, now=NOON_NY, merge=MERGE, **kw):
    kw.setdefault("intent", "cart_abandonment")
    kw.setdefault("stage", "active")
    return services.decide(brand, services.DecisionRequest(phone=phone, merge=merge, now=now, **kw))


@pytest.fixture
def contact(pool_brand):
    return make_contact(pool_brand, NY, consent_at=CONSENTED)


def test_inside_the_window_it_allows_now_and_stores_what_the_bandit_saw(pool_brand, contact):
    decision = decide(pool_brand, rng=random.Random(7))
    pool = set(pool_brand.variants.values_list("id", flat=True))
    assert (decision.status, decision.send_at) == ("allow", NOON_NY)
    assert decision.variant_id in pool
    assert {int(k) for k in decision.propensities} == pool
    assert sum(decision.propensities.values()) == pytest.approx(1.0)
    assert Decision.objects.get().propensities == decision.propensities


def test_at_night_it_defers_to_eight_in_the_morning_in_new_york(pool_brand, contact):
    decision = decide(pool_brand, now=NIGHT_NY)
    assert (decision.status, decision.reason) == ("defer", "QUIET_HOURS")
    assert decision.send_at == datetime(2026, 6, 16, 12, 0, tzinfo=UTC)  # 08:00 EDT


def test_a_number_with_two_zones_waits_for_the_later_one(pool_brand):
    make_contact(pool_brand, "+12085550123", consent_at=CONSENTED)  # Boise and Los Angeles
    at_eight_boise = datetime(2026, 6, 15, 14, 0, tzinfo=UTC)  # 07:00 in Los Angeles
    decision = decide(pool_brand, "+12085550123", now=at_eight_boise)
    assert decision.status == "defer"
    assert decision.send_at == datetime(2026, 6, 15, 15, 0, tzinfo=UTC)  # 08:00 in LA


def test_florida_closes_at_eight_pm(pool_brand):
    make_contact(pool_brand, "+13055550123", consent_at=CONSENTED)
    half_past_eight_miami = datetime(2026, 6, 16, 0, 30, tzinfo=UTC)
    assert decide(pool_brand, "+13055550123", now=half_past_eight_miami).reason == "QUIET_HOURS"


def test_a_brand_quiet_period_narrows_the_window(pool_brand, contact):
    from datetime import time

    make_delivery_settings(pool_brand, quiet_start=time(18, 0), quiet_end=time(10, 0))
    nine_am = datetime(2026, 6, 15, 13, 0, tzinfo=UTC)
    assert decide(pool_brand, now=nine_am).send_at == datetime(2026, 6, 15, 14, 0, tzinfo=UTC)


@pytest.mark.parametrize(("setup", "reason"), [
    ("opted_out", "OPTED_OUT"), ("no_contact", "NO_CONSENT"), ("held", "HELD_FOR_REVIEW"),
])
def test_it_denies_without_choosing_copy(pool_brand, setup, reason):
    if setup != "no_contact":
        contact = make_contact(pool_brand, NY, consent_at=CONSENTED)
        if setup == "opted_out":
            services.opt_out_contact(contact, at=CONSENTED, source="keyword")
        else:
            services.contacts.hold_contact_for_review(contact, reason="ambiguous reply")
    decision = decide(pool_brand)
    assert (decision.status, decision.reason) == ("deny", reason)
    assert decision.variant_id is None and decision.text == "" and decision.send_at is None


def test_a_purchase_suppresses_the_cart_nudge(pool_brand, contact):
    services.record_event(pool_brand, event_id="order-1", phone=NY, type="purchased",
                          occurred_at=NOON_NY - timedelta(hours=2), now=NOON_NY)
    assert decide(pool_brand).reason == "SUPPRESSED"
    assert decide(pool_brand, intent="welcome", stage="active").reason != "SUPPRESSED"


def test_florida_allows_three_texts_on_a_subject_per_rolling_day(pool_brand):
    make_delivery_settings(pool_brand, daily_cap=None)  # the state's cap alone
    make_contact(pool_brand, "+13055550123", consent_at=CONSENTED)
    for hour in range(3):
        sent = decide(pool_brand, "+13055550123", now=NOON_NY + timedelta(hours=hour),
                      send=True)
        assert sent.status == "allow"
    fourth = decide(pool_brand, "+13055550123", now=NOON_NY + timedelta(hours=3))
    assert (fourth.status, fourth.reason) == ("defer", "FREQ_CAP")
    assert fourth.send_at >= NOON_NY + timedelta(hours=24)


def test_only_approved_current_variants_are_chosen(pool_brand, contact):
    approver = make_user(brand=pool_brand)
    make_pool_variant(pool_brand, text="Acme Outdoors: draft {link}", status="draft",
                      approved_by=None)
    make_pool_variant(pool_brand, text="Acme Outdoors: old {link}", is_current=False,
                      approved_by=approver)
    chosen = {decide(pool_brand, rng=random.Random(i)).variant.status for i in range(20)}
    assert chosen == {"approved"}
    assert len(Decision.objects.first().propensities) == 2


def test_an_empty_pool_is_a_denial_with_its_own_reason(pool_brand, contact):
    decision = decide(pool_brand, intent="win_back", stage="churned")
    assert (decision.status, decision.reason) == ("deny", "NO_APPROVED_VARIANT")


def test_merge_fields_render_and_links_become_first_party_short_links(pool_brand, contact,
                                                                      settings):
    settings.PUBLIC_BASE_URL = "https://studio.example"
    decision = decide(pool_brand)
    link = ShortLink.objects.get(decision=decision)
    assert "Sam" in decision.text and "{" not in decision.text
    assert f"https://studio.example/l/{link.code}" in decision.text
    assert "acme.co/cart" not in decision.text
    assert link.destination == MERGE["link"]
    assert (decision.encoding, decision.segments) == ("GSM-7", 1)


def test_a_missing_merge_field_is_a_typed_error(pool_brand, contact):
    with pytest.raises(services.MissingMergeField) as caught:
        decide(pool_brand, merge={"link": MERGE["link"]})
    assert caught.value.field == "merge.first_name"
    assert not Decision.objects.exists()


@pytest.mark.parametrize(("merge", "rule"), [
    ({**MERGE, "link": "https://evil.example/cart"}, "LINK_DOMAIN"),
    ({**MERGE, "link": "https://bit.ly/abc"}, "PUBLIC_SHORTENER"),
    ({**MERGE, "first_name": "Sam, visit bit.ly/x"}, "PUBLIC_SHORTENER"),
    ({**MERGE, "first_name": "x" * 300}, "LENGTH"),
])
def test_the_rendered_text_is_rechecked_and_a_blocking_finding_denies(pool_brand, contact,
                                                                      merge, rule):
    decision = decide(pool_brand, merge=merge, send=True)
    assert (decision.status, decision.reason) == ("deny", "CONTENT_BLOCKED")
    assert rule in {f["rule"] for f in decision.guard_findings}
    assert not Send.objects.exists()
    assert OutboxMessage.objects.get().why_not == "CONTENT_BLOCKED"


def test_the_same_idempotency_key_returns_the_same_decision(pool_brand, contact):
    first = decide(pool_brand, idempotency_key="cart-42", send=True)
    again = decide(pool_brand, idempotency_key="cart-42", send=True, now=NIGHT_NY)
    assert again.pk == first.pk
    assert Decision.objects.count() == 1 and Send.objects.count() == 1


def test_a_replay_writes_nothing_more(pool_brand, contact):
    first = decide(pool_brand, idempotency_key="cart-42")
    links = list(ShortLink.objects.values_list("code", flat=True))
    again = decide(pool_brand, idempotency_key="cart-42")
    assert (again.pk, again.text) == (first.pk, first.text)
    assert list(ShortLink.objects.values_list("code", flat=True)) == links


def test_a_replay_gets_its_stored_answer_after_the_copy_changed(pool_brand, contact):
    first = decide(pool_brand, idempotency_key="cart-42")
    # Every approved variant now needs a merge field the flow never sends: a new request
    # would be refused, the retry of an answered one is not.
    pool_brand.variants.update(text="Acme Outdoors: {first_name}, {coupon} {link} "
                                     "Reply STOP to opt out")
    with pytest.raises(services.MissingMergeField):
        decide(pool_brand, idempotency_key="cart-43")
    assert decide(pool_brand, idempotency_key="cart-42").pk == first.pk


def test_a_formatted_number_finds_the_contact_by_its_e164_form(pool_brand, contact):
    decision = decide(pool_brand, "+1 (212) 555-0123")
    assert (decision.status, decision.phone, decision.contact_id) == ("allow", NY, contact.pk)


@pytest.mark.parametrize("phone", ["+12120000000", "+1212555012"])
def test_an_unknown_number_in_e164_form_is_still_validated(pool_brand, contact, phone):
    with pytest.raises(services.InvalidPhoneNumber):
        decide(pool_brand, phone)
    assert not Decision.objects.exists()


def test_an_unknown_valid_number_is_denied_without_consent(pool_brand, contact):
    decision = decide(pool_brand, "+12125550199")
    assert (decision.status, decision.reason, decision.contact_id) == ("deny", "NO_CONSENT",
                                                                       None)
    assert Decision.objects.get().phone == "+12125550199"


def test_reusing_a_key_for_another_request_is_a_conflict(pool_brand, contact):
    decide(pool_brand, idempotency_key="cart-42")
    with pytest.raises(services.IdempotencyConflict):
        decide(pool_brand, idempotency_key="cart-42", merge={**MERGE, "first_name": "Alex"})


def test_the_bandit_favours_the_arm_that_earns_rewards(pool_brand, contact):
    good, bad = pool_brand.variants.order_by("id")
    for variant, wins, losses in ((good, 90, 10), (bad, 5, 95)):
        ArmState.objects.create(brand=pool_brand, intent="cart_abandonment", stage="active",
                                variant=variant, successes=wins, failures=losses)
    decision = decide(pool_brand, rng=random.Random(3))
    assert decision.propensities[str(good.pk)] > 0.99
    assert decision.variant_id == good.pk


def test_a_new_variant_starts_from_its_siblings_and_still_gets_explored(pool_brand, contact):
    old_a, old_b = pool_brand.variants.order_by("id")
    for variant in (old_a, old_b):
        ArmState.objects.create(brand=pool_brand, intent="cart_abandonment", stage="active",
                                variant=variant, successes=5, failures=95)
    new = make_pool_variant(pool_brand, text="Acme Outdoors: {first_name}, new: {link} "
                                             "Reply STOP to opt out")
    decision = decide(pool_brand, rng=random.Random(5))
    assert 0.05 < decision.propensities[str(new.pk)] < 0.95
    assert ArmState.objects.filter(variant=new).exists()  # created at first sight


def test_with_send_an_allowed_decision_writes_the_send_and_enqueues_on_commit(
        pool_brand, contact, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as callbacks:
        decision = decide(pool_brand, send=True)
    send = Send.objects.get()
    assert (send.decision, send.status, send.scheduled_for) == (decision, "pending", NOON_NY)
    assert send.idempotency_key == f"decision:{decision.pk}"
    assert [(c.func, c.args) for c in callbacks] == [(enqueue_delivery, (send.pk, NOON_NY))]


def test_a_deferred_send_is_enqueued_with_its_eta(pool_brand, contact,
                                                  django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as callbacks:
        decision = decide(pool_brand, send=True, now=NIGHT_NY)
    assert callbacks[0].args == (Send.objects.get().pk, decision.send_at)
    assert Send.objects.get().scheduled_for == datetime(2026, 6, 16, 12, 0, tzinfo=UTC)


def test_without_send_nothing_is_scheduled(pool_brand, contact,
                                           django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as callbacks:
        decide(pool_brand, send=False)
    assert callbacks == [] and not Send.objects.exists()
