"""The Twilio path end to end: the real `twilio` client against the loopback Twilio server,
and Twilio's signed webhooks posted back to the Django app served by `live_server`.

Assertions are on what crossed the wire (`twilio.requests`, `twilio.messages`).
"""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from django.db import DatabaseError, connection, transaction
from django.utils import timezone

from delivery import services
from delivery.models import ConsentEvent, Contact, InboundMessage, Send, SendStatusEvent
from delivery.tasks import deliver_send
from tests.delivery.conftest import MERGE, NOON_NY, NY, SERVICE_SID, phone_open_now, wait_until
from tests.factories import make_contact, make_delivery_settings

pytestmark = pytest.mark.django_db(transaction=True)
LATER = NOON_NY + timedelta(minutes=3)


def queue(brand, phone=NY, *, now=NOON_NY) -> Send:
    return services.decide(brand, services.DecisionRequest(
        phone=phone, intent="cart_abandonment", stage="active", merge=MERGE, send=True,
        now=now)).send


def creates(twilio) -> list:
    return [r for r in twilio.requests if r.method == "POST"]


@pytest.fixture
def contact(pool_brand):
    make_delivery_settings(pool_brand, daily_cap=None)  # several texts to one person
    return make_contact(pool_brand, NY, consent_at=NOON_NY - timedelta(days=3))


def test_a_send_reaches_twilio_with_service_callback_and_validity(signed_app, twilio,
                                                                  pool_brand, contact):
    send = queue(pool_brand)
    assert services.deliver(send.pk, now=NOON_NY).result == "sent"
    [message] = twilio.messages
    assert message.params["To"] == NY and message.params["Body"] == send.body
    assert message.params["MessagingServiceSid"] == SERVICE_SID
    assert message.params["StatusCallback"] == (
        f"{signed_app}/webhooks/twilio/status?send={send.pk}")
    assert message.params["ValidityPeriod"] == str(9 * 3600)  # noon to 21:00 in New York
    send.refresh_from_db()
    assert (send.status, send.provider_sid, send.provider) == ("accepted", message.sid, "twilio")


def test_status_callbacks_are_signed_deduplicated_and_only_move_forward(signed_app, twilio,
                                                                        pool_brand, contact):
    send = queue(pool_brand)
    services.deliver(send.pk, now=NOON_NY)
    sid = twilio.messages[0].sid
    assert twilio.post_status_callback(sid, "sent", idempotency_token="t-sent") == 200
    assert twilio.post_status_callback(sid, "delivered", idempotency_token="t-dlv") == 200
    assert twilio.post_status_callback(sid, "delivered", idempotency_token="t-dlv") == 200
    assert twilio.post_status_callback(sid, "sending", idempotency_token="t-late") == 200
    assert twilio.post_status_callback(sid, "failed", signature="forged") == 403
    assert twilio.post_status_callback(sid, "failed", signature="missing") == 403
    send.refresh_from_db()
    assert send.status == "delivered"  # terminal stays final; the late "sending" is stale
    events = list(SendStatusEvent.objects.order_by("id").values_list("status", "applied"))
    assert events == [("sent", True), ("delivered", True), ("sending", False)]


def test_transient_500_and_429_are_retried_and_send_once(signed_app, twilio, pool_brand,
                                                         contact):
    twilio.enqueue(status=500)
    twilio.enqueue(status=429)
    send = queue(pool_brand)
    first = services.deliver(send.pk, now=NOON_NY)
    assert (first.result, first.retry_in) == ("retry", 15)
    assert Send.objects.get().error_code == 20500
    assert services.deliver(send.pk, now=NOON_NY + timedelta(seconds=15)).retry_in == 30
    assert services.deliver(send.pk, now=NOON_NY + timedelta(seconds=45)).result == "sent"
    assert len(creates(twilio)) == 3 and len(twilio.messages) == 1
    assert Send.objects.get().attempts == 3


def test_retries_stop_at_the_cap(signed_app, twilio, pool_brand, contact):
    for _ in range(5):
        twilio.enqueue(status=503)
    send = queue(pool_brand)
    results = [services.deliver(send.pk, now=NOON_NY + timedelta(minutes=i)).result
               for i in range(6)]
    assert results == ["retry"] * 4 + ["failed", "skipped"]
    send.refresh_from_db()
    assert send.status == "failed" and send.error_message.startswith("gave up after 5")
    assert len(creates(twilio)) == 5 and not twilio.messages


def test_21610_opts_the_contact_out_and_is_never_retried(signed_app, twilio, pool_brand,
                                                          contact):
    twilio.opt_out(NY)  # the person had texted STOP to the sender
    send = queue(pool_brand)
    assert services.deliver(send.pk, now=NOON_NY).result == "failed"
    assert services.deliver(send.pk, now=LATER).result == "skipped"
    send.refresh_from_db()
    contact.refresh_from_db()
    assert (send.status, send.error_code) == ("failed", 21610)
    assert contact.opted_out
    assert ConsentEvent.objects.filter(kind="revoked", source="provider").count() == 1
    assert len(creates(twilio)) == 1
    again = services.decide(pool_brand, services.DecisionRequest(
        phone=NY, intent="cart_abandonment", stage="active", merge=MERGE, now=LATER))
    assert again.reason == "OPTED_OUT"


def test_a_permanent_error_fails_without_retry(signed_app, twilio, pool_brand, contact):
    twilio.enqueue(status=400, code=21211)
    send = queue(pool_brand)
    assert services.deliver(send.pk, now=NOON_NY).result == "failed"
    assert Send.objects.get().error_code == 21211 and len(creates(twilio)) == 1


def test_a_timeout_is_reconciled_instead_of_sending_twice(signed_app, twilio, settings,
                                                          pool_brand, contact):
    settings.TWILIO_TIMEOUT = 0.5
    twilio.enqueue(status=201, delay=2)  # Twilio makes the message, answers too late
    send = queue(pool_brand)
    outcome = services.deliver(send.pk, now=NOON_NY)
    assert outcome.result == "retry" and Send.objects.get().status == "unknown"
    assert services.deliver(send.pk, now=NOON_NY + timedelta(seconds=30)).result == "skipped"
    assert services.deliver(send.pk, now=LATER).result == "reconciled"
    send.refresh_from_db()
    assert send.provider_sid == twilio.messages[0].sid and send.status == "accepted"
    assert len(creates(twilio)) == 1 and len(twilio.messages) == 1


def test_a_timeout_twilio_never_acted_on_is_sent_after_reconciling(signed_app, twilio,
                                                                   settings, pool_brand,
                                                                   contact):
    settings.TWILIO_TIMEOUT = 0.5
    twilio.enqueue(status=500, delay=2)  # no message made, and no answer in time
    send = queue(pool_brand)
    assert services.deliver(send.pk, now=NOON_NY).result == "retry"
    assert services.deliver(send.pk, now=LATER).result == "sent"
    assert len(creates(twilio)) == 2 and len(twilio.messages) == 1


def test_a_callback_for_a_timed_out_create_adopts_the_message(signed_app, twilio, settings,
                                                               pool_brand, contact):
    settings.TWILIO_TIMEOUT = 0.5
    twilio.enqueue(status=201, delay=2)
    send = queue(pool_brand)
    services.deliver(send.pk, now=NOON_NY)
    wait_until(lambda: len(twilio.messages) == 1)
    assert twilio.post_status_callback(twilio.messages[0].sid, "sent") == 200
    send.refresh_from_db()
    assert (send.status, send.provider_sid) == ("sent", twilio.messages[0].sid)
    assert services.deliver(send.pk, now=LATER).result == "skipped"
    assert len(creates(twilio)) == 1


def test_stop_posted_by_twilio_while_a_send_is_queued_means_no_provider_call(
        signed_app, twilio, pool_brand, contact):
    send = queue(pool_brand)
    inbound = f"{signed_app}/webhooks/twilio/inbound"
    assert twilio.post_inbound(inbound, NY, "+15017122661", "STOP") == 200
    assert Contact.objects.get().opted_out
    assert services.deliver(send.pk, now=LATER).result == "canceled"
    assert twilio.requests == []


def test_forged_inbound_webhooks_change_nothing(signed_app, twilio, pool_brand, contact):
    inbound = f"{signed_app}/webhooks/twilio/inbound"
    assert twilio.post_inbound(inbound, NY, "+15017122661", "STOP", signature="forged") == 403
    assert twilio.post_inbound(inbound, NY, "+15017122661", "STOP", signature="missing") == 403
    assert not Contact.objects.get().opted_out and not InboundMessage.objects.exists()


def _in_thread(fn, results: list) -> threading.Thread:
    def run() -> None:
        try:
            results.append(fn())
        finally:
            connection.close()  # each thread has its own connection

    thread = threading.Thread(target=run)
    thread.start()
    return thread


def test_no_opt_out_is_recorded_while_a_provider_call_is_in_flight(signed_app, twilio,
                                                                   settings, pool_brand,
                                                                   contact):
    settings.TWILIO_TIMEOUT = 5
    twilio.enqueue(status=201, delay=1)
    first, second = queue(pool_brand), queue(pool_brand)
    results: list = []
    worker = _in_thread(lambda: services.deliver(first.pk, now=NOON_NY).result, results)
    wait_until(lambda: len(twilio.requests) == 1)  # the create is at Twilio now
    with pytest.raises(DatabaseError), transaction.atomic():
        Contact.objects.select_for_update(nowait=True).get(pk=contact.pk)
    # Twilio's STOP webhook waits for the call to finish, then opts the person out...
    assert twilio.post_inbound(f"{signed_app}/webhooks/twilio/inbound", NY, "+15017122661",
                               "STOP") == 200
    worker.join()
    assert results == ["sent"] and Contact.objects.get().opted_out
    # ...and nothing is sent after it.
    assert services.deliver(second.pk, now=LATER).result == "canceled"
    assert len(creates(twilio)) == 1


def test_a_task_delivered_three_times_makes_one_provider_call(signed_app, twilio, pool_brand):
    phone = phone_open_now()
    make_contact(pool_brand, phone, consent_at=timezone.now() - timedelta(days=1))
    send = queue(pool_brand, phone, now=timezone.now())
    assert [deliver_send(send.pk) for _ in range(3)] == ["sent", "skipped", "skipped"]
    assert len(creates(twilio)) == 1


def test_three_concurrent_deliveries_make_one_provider_call(signed_app, twilio, pool_brand):
    phone = phone_open_now()
    make_contact(pool_brand, phone, consent_at=timezone.now() - timedelta(days=1))
    send = queue(pool_brand, phone, now=timezone.now())
    twilio.enqueue(status=201, delay=0.3)  # keep the winner's call open while others try
    start, results = threading.Barrier(3), []

    def redelivered() -> str:
        start.wait()  # all three at once, as three workers picking up the same message
        return deliver_send(send.pk)

    workers = [_in_thread(redelivered, results) for _ in range(3)]
    for worker in workers:
        worker.join()
    assert sorted(results) == ["sent", "skipped", "skipped"]
    assert len(creates(twilio)) == 1 and len(twilio.messages) == 1
