"""deliver(): the console provider end to end, the last-moment eligibility re-check, the
validity period, and exactly-once under redelivery and lost workers."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone

from delivery import services
from delivery.models import ArmState, Decision, OutboxMessage, Send
from delivery.services.sending import enqueue_delivery
from delivery.tasks import deliver_send
from tests.delivery.conftest import MERGE, NOON_NY, NY, phone_open_now
from tests.factories import make_contact, make_delivery_settings, make_pool_variant

CONSENTED = NOON_NY - timedelta(days=10)


def queue(brand, phone=NY, *, now=NOON_NY) -> Send:
    decision = services.decide(brand, services.DecisionRequest(
        phone=phone, intent="cart_abandonment", stage="active", merge=MERGE, send=True, now=now))
    return decision.send


@pytest.fixture
def contact(pool_brand):
    # These tests send several texts to one person; the brand's default cap (one a day) is
    # tested in test_caps_at_decision.py.
    make_delivery_settings(pool_brand, daily_cap=None)
    return make_contact(pool_brand, NY, consent_at=CONSENTED)


def test_the_console_provider_records_the_text_in_the_outbox(pool_brand, contact):
    send = queue(pool_brand)
    assert services.deliver(send.pk, now=NOON_NY).result == "sent"
    send.refresh_from_db()
    outbox = OutboxMessage.objects.get(kind="sent")
    assert (send.status, send.provider, send.sent_at) == ("sent", "console", NOON_NY)
    assert (outbox.to_phone, outbox.body, outbox.send) == (NY, send.body, send)
    assert send.provider_sid.startswith("CO")


def test_a_send_counts_as_one_trial_of_its_arm(pool_brand, contact):
    send = queue(pool_brand)
    services.deliver(send.pk, now=NOON_NY)
    services.deliver(send.pk, now=NOON_NY)
    arm = ArmState.objects.get(variant_id=send.decision.variant_id)
    assert (arm.successes, arm.failures) == (0, 1)
    assert Decision.objects.get().counted_at == NOON_NY


@pytest.mark.parametrize(("now", "seconds"), [
    (datetime(2026, 6, 16, 0, 30, tzinfo=UTC), 30 * 60),  # 20:30 in New York
    (datetime(2026, 6, 16, 0, 59, 30, tzinfo=UTC), 30),
    (datetime(2026, 6, 15, 12, 0, tzinfo=UTC), 36_000),  # 13 h left, Twilio's cap is 10 h
])
def test_the_validity_period_ends_when_the_window_closes(pool_brand, contact, now, seconds):
    send = queue(pool_brand, now=now)
    services.deliver(send.pk, now=now)
    send.refresh_from_db()
    assert send.validity_period == seconds


def test_the_earliest_closing_zone_sets_the_validity(pool_brand):
    make_contact(pool_brand, "+12085550123", consent_at=CONSENTED)  # Boise closes first
    now = datetime(2026, 6, 16, 2, 30, tzinfo=UTC)  # 20:30 in Boise, 19:30 in Los Angeles
    send = queue(pool_brand, "+12085550123", now=now)
    services.deliver(send.pk, now=now)
    assert Send.objects.get().validity_period == 30 * 60


def test_a_stop_before_delivery_cancels_the_send_with_the_reason(pool_brand, contact):
    send = queue(pool_brand)
    services.opt_out_contact(contact, at=NOON_NY + timedelta(minutes=1), source="keyword")
    assert services.deliver(send.pk, now=NOON_NY + timedelta(minutes=2)).result == "canceled"
    send.refresh_from_db()
    assert send.status == "canceled" and send.sent_at is None
    blocked = OutboxMessage.objects.get()
    assert (blocked.kind, blocked.why_not) == ("blocked", "OPTED_OUT")


def test_a_send_whose_window_closed_meanwhile_is_deferred_not_sent(
        pool_brand, contact, django_capture_on_commit_callbacks):
    before_nine = datetime(2026, 6, 16, 0, 59, tzinfo=UTC)
    send = queue(pool_brand, now=before_nine)
    late = before_nine + timedelta(minutes=5)  # the worker was busy: 21:04 in New York
    with django_capture_on_commit_callbacks() as callbacks:
        assert services.deliver(send.pk, now=late).result == "rescheduled"
    send.refresh_from_db()
    morning = datetime(2026, 6, 16, 12, 0, tzinfo=UTC)
    assert (send.status, send.scheduled_for) == ("pending", morning)
    assert [(c.func, c.args) for c in callbacks] == [(enqueue_delivery, (send.pk, morning))]
    assert not OutboxMessage.objects.exists()


def test_a_send_does_not_count_against_its_own_cap(pool_brand):
    # Florida: three per rolling day on a subject. The third, re-checked, must still go.
    make_delivery_settings(pool_brand, daily_cap=None)
    make_contact(pool_brand, "+13055550123", consent_at=CONSENTED)
    sends = [queue(pool_brand, "+13055550123", now=NOON_NY + timedelta(minutes=m))
             for m in range(3)]
    results = [services.deliver(s.pk, now=NOON_NY + timedelta(minutes=5)).result for s in sends]
    assert results == ["sent", "sent", "sent"]


def test_a_task_delivered_three_times_sends_once(pool_brand):
    phone = phone_open_now()
    make_contact(pool_brand, phone, consent_at=timezone.now() - timedelta(days=1))
    send = queue(pool_brand, phone, now=timezone.now())
    results = [deliver_send(send.pk) for _ in range(3)]
    assert results == ["sent", "skipped", "skipped"]
    assert OutboxMessage.objects.filter(kind="sent").count() == 1


def test_an_unknown_send_id_is_skipped(db):
    assert services.deliver(987654, now=NOON_NY).result == "skipped"


def test_a_claim_whose_worker_died_before_the_call_is_sent_after_the_lease(pool_brand,
                                                                          contact):
    send = queue(pool_brand)
    Send.objects.filter(pk=send.pk).update(status="claimed", claimed_at=NOON_NY)
    assert services.deliver(send.pk, now=NOON_NY + timedelta(seconds=10)).result == "skipped"
    later = NOON_NY + timedelta(minutes=5)
    assert services.deliver(send.pk, now=later).result == "sent"
    assert OutboxMessage.objects.filter(kind="sent").count() == 1


def test_a_claim_whose_worker_died_after_the_call_is_reconciled_not_resent(pool_brand,
                                                                         contact):
    send = queue(pool_brand)
    services.deliver(send.pk, now=NOON_NY)
    # As if the worker died after the outbox write but before recording the outcome.
    Send.objects.filter(pk=send.pk).update(status="claimed", claimed_at=NOON_NY,
                                           provider_sid=None)
    later = NOON_NY + timedelta(minutes=5)
    assert services.deliver(send.pk, now=later).result == "reconciled"
    assert OutboxMessage.objects.filter(kind="sent").count() == 1
    assert Send.objects.get().status == "sent"


def test_the_sweeper_re_enqueues_only_sends_that_lost_their_task(
        pool_brand, contact, django_capture_on_commit_callbacks):
    overdue, fresh, claimed = queue(pool_brand), queue(pool_brand), queue(pool_brand)
    Send.objects.filter(pk=fresh.pk).update(scheduled_for=NOON_NY + timedelta(minutes=9))
    Send.objects.filter(pk=claimed.pk).update(status="claimed",
                                              claimed_at=NOON_NY + timedelta(minutes=9))
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        swept = services.sweep_stalled_sends(now=NOON_NY + timedelta(minutes=10))
    assert swept == [overdue.pk]
    assert [(c.func, c.args) for c in callbacks] == [(enqueue_delivery, (overdue.pk, None))]


def test_a_send_whose_variant_was_retired_meanwhile_is_canceled(pool_brand, contact):
    from copygen.models import Variant

    send = queue(pool_brand)
    Variant.objects.filter(pk=send.decision.variant_id).update(status=Variant.Status.RETIRED)
    assert services.deliver(send.pk, now=NOON_NY + timedelta(minutes=5)).result == "canceled"
    send.refresh_from_db()
    assert send.status == "canceled" and send.sent_at is None
    assert OutboxMessage.objects.get().why_not == "VARIANT_WITHDRAWN"


NO_STOP_LINE = "Acme Outdoors: {first_name}, still looking? {link}"


def queue_browse(brand, *, now) -> Send:
    decision = services.decide(brand, services.DecisionRequest(
        phone=NY, intent="browse_abandonment", stage="active", merge=MERGE, send=True, now=now))
    assert decision.status == "allow", decision.detail
    return decision.send


def test_a_follow_up_without_opt_out_words_goes_out_after_a_first_text_that_arrived(
        pool_brand, contact):
    make_pool_variant(pool_brand, intent="browse_abandonment", text=NO_STOP_LINE)
    first = queue(pool_brand)
    assert services.deliver(first.pk, now=NOON_NY).result == "sent"
    later = NOON_NY + timedelta(hours=1)
    follow_up = queue_browse(pool_brand, now=later)
    assert services.deliver(follow_up.pk, now=later).result == "sent"


def test_a_follow_up_becomes_the_first_text_when_the_one_before_never_arrived(
        pool_brand, contact):
    make_pool_variant(pool_brand, intent="browse_abandonment", text=NO_STOP_LINE)
    first = queue(pool_brand)
    services.deliver(first.pk, now=NOON_NY)
    later = NOON_NY + timedelta(hours=1)
    follow_up = queue_browse(pool_brand, now=later)  # judged as a follow-up: allowed
    first.refresh_from_db()
    services.record_status_callback(sid=first.provider_sid, status="undelivered",
                                    error_code=30003)
    assert services.deliver(follow_up.pk, now=later).result == "canceled"
    blocked = OutboxMessage.objects.get(kind="blocked")
    assert blocked.why_not == "FIRST_MESSAGE_WITHOUT_OPT_OUT"
    assert Send.objects.get(pk=follow_up.pk).sent_at is None


def test_a_text_still_waiting_does_not_make_the_next_one_a_follow_up(pool_brand, contact):
    make_pool_variant(pool_brand, intent="browse_abandonment", text=NO_STOP_LINE)
    queue(pool_brand)  # pending: nothing has reached the person yet
    decision = services.decide(pool_brand, services.DecisionRequest(
        phone=NY, intent="browse_abandonment", stage="active", merge=MERGE, send=True, now=NOON_NY))
    assert (decision.status, decision.reason) == ("deny", "CONTENT_BLOCKED")
    assert "OPTOUT_FIRST" in {f["rule"] for f in decision.guard_findings}
