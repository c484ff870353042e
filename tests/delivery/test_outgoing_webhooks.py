"""Signed outgoing webhooks: what is emitted and when (outbox, same transaction), signing,
retries with backoff until a real loopback receiver acknowledges, and the studio page."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.db import connection, transaction
from django.utils import timezone

from delivery import services, webhook_signing
from delivery.models import Send, WebhookDelivery
from delivery.services import webhooks
from tests.delivery.conftest import MERGE, NOON_NY, NY, phone_open_now, wait_until
from tests.factories import make_api_key, make_contact
from tests.servers.webhook_receiver import WebhookReceiver
from tests.workers import celery_worker, point_publisher_at, wait_for_other_sessions_to_end

NOWHERE = "http://127.0.0.1:9/hooks"  # nothing listens: these tests only look at the outbox


def endpoint_for(brand, url=NOWHERE, types=("send.status_changed", "contact.opted_out",
                                            "contact.opted_in")):
    return webhooks.create_webhook_endpoint(brand, url=url, event_types=list(types))


def payloads(event_type=None) -> list[dict]:
    rows = WebhookDelivery.objects.order_by("id")
    if event_type:
        rows = rows.filter(event_type=event_type)
    return [row.payload for row in rows]


# -- signing (pure) ----------------------------------------------------------------------------

def test_a_signature_holds_only_for_its_secret_body_and_a_fresh_time():
    secret, body, now = webhook_signing.new_secret(), b'{"id":"evt"}', 1_800_000_000
    header = webhook_signing.header_value(secret, now, body)
    assert header.startswith(f"t={now},v1=")
    assert webhook_signing.verify(secret, header, body, now=now + 299)
    assert not webhook_signing.verify(secret, header, body, now=now + 301)  # replayed late
    assert not webhook_signing.verify(secret, header, body + b" ", now=now)
    assert not webhook_signing.verify(webhook_signing.new_secret(), header, body, now=now)
    rolled = f"{header},v1={'0' * 64}"  # several v1 values while a secret is rolled
    assert webhook_signing.verify(secret, rolled, body, now=now)
    for broken in ("", "t=abc,v1=00", f"v1={header.split('v1=')[1]}", f"t={now}"):
        assert not webhook_signing.verify(secret, broken, body, now=now)


# -- what is emitted, in the same transaction ---------------------------------------------------

def test_an_opt_out_writes_its_webhook_with_the_change_and_sends_it_after_commit(
        pool_brand, django_capture_on_commit_callbacks):
    endpoint_for(pool_brand)
    contact = make_contact(pool_brand, NY)
    with django_capture_on_commit_callbacks() as callbacks:
        services.opt_out_contact(contact, at=NOON_NY, source="api", detail="event o-1")
        services.opt_out_contact(contact, at=NOON_NY, source="api")  # no change: no event
    [payload] = payloads()
    assert payload["type"] == "contact.opted_out" and payload["id"]
    assert payload["data"] == {"phone": NY, "contact_id": contact.pk, "source": "api",
                               "detail": "event o-1", "occurred_at": NOON_NY.isoformat()}
    assert len(callbacks) == 1


def test_a_change_that_rolls_back_leaves_no_webhook(pool_brand):
    endpoint_for(pool_brand)
    contact = make_contact(pool_brand, NY)
    with pytest.raises(RuntimeError), transaction.atomic():
        services.opt_out_contact(contact, at=NOON_NY, source="api")
        raise RuntimeError("the caller's transaction fails after the opt-out")
    assert not WebhookDelivery.objects.exists()


def test_an_opt_in_is_emitted_too(pool_brand):
    endpoint_for(pool_brand)
    contact = make_contact(pool_brand, NY)
    services.opt_out_contact(contact, at=NOON_NY, source="keyword")
    services.opt_in_contact(contact, at=NOON_NY + timedelta(hours=1), keyword="start",
                            inbound_message_sid="SM" + "1" * 32)
    assert [p["type"] for p in payloads()] == ["contact.opted_out", "contact.opted_in"]
    assert payloads("contact.opted_in")[0]["data"]["detail"] == "START"


def test_only_active_endpoints_that_want_the_type_get_the_event(pool_brand):
    sends_only, _ = endpoint_for(pool_brand, types=["send.status_changed"])
    disabled, _ = endpoint_for(pool_brand)
    webhooks.set_webhook_endpoint_active(disabled, active=False)
    everything, _ = endpoint_for(pool_brand, types=[])
    services.opt_out_contact(make_contact(pool_brand, NY), at=NOON_NY, source="api")
    assert list(WebhookDelivery.objects.values_list("endpoint_id", flat=True)) == [
        everything.pk]


def test_a_studio_sends_status_changes_are_emitted_once_each_in_the_apis_words(pool_brand):
    endpoint_for(pool_brand, types=["send.status_changed"])
    make_contact(pool_brand, NY, consent_at=NOON_NY - timedelta(days=3))
    decision = services.decide(pool_brand, services.DecisionRequest(phone=NY, intent="cart_abandonment",
                               stage="active", merge=MERGE, send=True, now=NOON_NY))
    services.deliver(decision.send.pk, now=NOON_NY)
    sid = Send.objects.get().provider_sid
    for status in ("sent", "delivered", "delivered"):  # a retried callback changes nothing
        services.record_status_callback(sid=sid, status=status)
    changes = [(p["data"]["previous_status"], p["data"]["status"]) for p in payloads()]
    assert changes == [("pending", "sent"), ("sent", "delivered")]
    data = payloads()[0]["data"]
    assert (data["decision_id"], data["phone"]) == (str(decision.pk), NY)
    assert len({p["id"] for p in payloads()}) == 2


def test_a_canceled_send_is_emitted_with_its_reason(pool_brand):
    endpoint_for(pool_brand)
    contact = make_contact(pool_brand, NY, consent_at=NOON_NY - timedelta(days=3))
    decision = services.decide(pool_brand, services.DecisionRequest(phone=NY, intent="cart_abandonment",
                               stage="active", merge=MERGE, send=True, now=NOON_NY))
    services.opt_out_contact(contact, at=NOON_NY, source="keyword")
    services.deliver(decision.send.pk, now=NOON_NY)
    [change] = payloads("send.status_changed")
    assert (change["data"]["status"], change["data"]["reason"]) == ("canceled", "OPTED_OUT")


# -- delivery: signed, retried with backoff, given up -------------------------------------------

def test_each_attempt_is_signed_and_failures_back_off_until_the_last(pool_brand, settings):
    settings.WEBHOOK_MAX_ATTEMPTS, settings.WEBHOOK_RETRY_BASE_SECONDS = 3, 30
    with WebhookReceiver() as receiver:
        endpoint, receiver.secret = endpoint_for(pool_brand, url=receiver.url)
        receiver.fail_next(5)
        services.opt_out_contact(make_contact(pool_brand, NY), at=NOON_NY, source="api")
        row = WebhookDelivery.objects.get()
        now = timezone.now()
        assert webhooks.deliver_webhook(row.pk, now=now).retry_in == 30
        assert webhooks.deliver_webhook(row.pk, now=now + timedelta(seconds=10)).result == (
            "skipped")  # not due yet
        assert webhooks.deliver_webhook(row.pk, now=now + timedelta(seconds=30)).retry_in == 60
        assert webhooks.deliver_webhook(row.pk, now=now + timedelta(seconds=90)).result == (
            "failed")
    row.refresh_from_db()
    assert (row.status, row.attempts, row.last_status_code) == ("failed", 3, 500)
    assert [r.status for r in receiver.requests] == [500, 500, 500]
    assert all(r.signature_ok for r in receiver.requests)
    assert webhooks.deliver_webhook(row.pk, now=now + timedelta(days=1)).result == "skipped"


def test_an_unreachable_endpoint_is_retried_with_the_reason_logged(pool_brand):
    endpoint_for(pool_brand)  # nothing listens on port 9
    services.opt_out_contact(make_contact(pool_brand, NY), at=NOON_NY, source="api")
    row = WebhookDelivery.objects.get()
    assert webhooks.deliver_webhook(row.pk).result == "retry"
    row.refresh_from_db()
    assert row.status == "pending" and row.last_status_code is None
    assert row.last_error.startswith("could not connect")


@pytest.mark.django_db(transaction=True)
def test_a_receiver_that_fails_twice_gets_the_same_signed_event_until_it_acknowledges(
        client, pool_brand, tmp_path, settings):
    phone = phone_open_now()
    make_contact(pool_brand, phone)
    key = make_api_key(pool_brand)
    broker = tmp_path / "broker"
    point_publisher_at(broker)
    env = {"DJANGO_ENV": "test", "CELERY_BROKER_URL": "", "CELERY_BROKER_DIR": str(broker),
           "STUDIO_DB_NAME": connection.settings_dict["NAME"],
           "WEBHOOK_RETRY_BASE_SECONDS": "0.5"}
    try:
        with WebhookReceiver() as receiver, (tmp_path / "worker.log").open("w") as log, \
                celery_worker(env, name="webhooks", log=log):
            _, receiver.secret = endpoint_for(pool_brand, url=receiver.url)
            receiver.fail_next(2)
            # A flow reports an opt-out through the API; the brand's endpoint hears of it.
            response = client.post("/api/v1/events", json.dumps(
                {"event_id": "o-1", "type": "opted_out", "phone": phone}),
                content_type="application/json", headers={"Authorization": f"Bearer {key}"})
            assert response.status_code == 202
            wait_until(lambda: WebhookDelivery.objects.filter(status="delivered").exists(),
                       timeout=60)
    finally:
        point_publisher_at(settings.BROKER_DIR)
        wait_for_other_sessions_to_end()
    requests = receiver.requests
    assert [r.status for r in requests] == [500, 500, 200]
    assert all(r.signature_ok for r in requests)
    assert len({r.body for r in requests}) == 1  # the same event, byte for byte
    assert len({r.headers["studio-event-id"] for r in requests}) == 1
    assert [r.headers["studio-delivery-attempt"] for r in requests] == ["1", "2", "3"]
    first_gap, second_gap = (requests[1].at - requests[0].at, requests[2].at - requests[1].at)
    assert first_gap >= 0.5 and second_gap >= 1.0  # 0.5 s, then twice that
    [event] = receiver.processed  # the receiver acted once
    assert event["type"] == "contact.opted_out" and event["data"]["phone"] == phone
    assert event["id"] == requests[0].headers["studio-event-id"]
    row = WebhookDelivery.objects.get()
    assert (row.attempts, row.last_status_code, row.last_error) == (3, 200, "")


def test_the_sweep_picks_up_only_due_deliveries_whose_task_was_lost(
        pool_brand, django_capture_on_commit_callbacks):
    endpoint_for(pool_brand)
    services.opt_out_contact(make_contact(pool_brand, NY), at=NOON_NY, source="api")
    row = WebhookDelivery.objects.get()
    now = timezone.now()
    assert webhooks.sweep_due_webhooks(now=now) == []  # just written: its task is on its way
    with django_capture_on_commit_callbacks() as callbacks:
        assert webhooks.sweep_due_webhooks(now=now + timedelta(minutes=5)) == [row.pk]
    assert len(callbacks) == 1
    webhooks.deliver_webhook(row.pk)  # port 9: fails, leaves it pending
    assert webhooks.sweep_due_webhooks(now=timezone.now()) == []  # next try not due yet


# -- the studio page ---------------------------------------------------------------------------

PAGE = "/studio/b/{}/webhooks/"


def test_a_brand_manager_adds_an_endpoint_and_sees_its_secret_only_once(client, brand, manager):
    client.force_login(manager)
    url = PAGE.format(brand.slug)
    response = client.post(url + "new/", {"url": "https://hooks.acme.co/studio",
                                          "event_types": ["contact.opted_out"]})
    assert (response.status_code, response["Location"]) == (302, url)  # a reload re-posts nothing
    endpoint = brand.webhook_endpoints.get()
    assert endpoint.event_types == ["contact.opted_out"] and endpoint.created_by == manager
    shown = client.get(url)
    assert endpoint.secret in shown.content.decode() and shown["Cache-Control"] == "no-store"
    page = client.get(url).content.decode()
    assert endpoint.secret not in page and endpoint.masked_secret in page
    assert "https://hooks.acme.co/studio" in page


def test_a_bad_endpoint_gets_field_errors_and_nothing_is_saved(client, brand, manager):
    client.force_login(manager)
    response = client.post(PAGE.format(brand.slug) + "new/",
                           {"url": "ftp://hooks.acme.co", "event_types": []})
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert set(errors) == {"url", "event_types"}
    assert not brand.webhook_endpoints.exists()


def test_only_brand_managers_reach_the_webhooks_page(client, brand, copywriter, approver):
    for user in (copywriter, approver):
        client.force_login(user)
        assert client.get(PAGE.format(brand.slug)).status_code == 403
        assert client.post(PAGE.format(brand.slug) + "new/", {
            "url": "https://x.acme.co", "event_types": ["contact.opted_in"]}).status_code == 403
    assert not brand.webhook_endpoints.exists()


def test_rolling_a_secret_shows_the_new_one_once_and_signs_with_it(client, brand, manager):
    endpoint, old = endpoint_for(brand)
    client.force_login(manager)
    response = client.post(PAGE.format(brand.slug) + f"{endpoint.pk}/roll-secret/", follow=True)
    endpoint.refresh_from_db()
    assert endpoint.secret != old and endpoint.secret in response.content.decode()
    assert endpoint.secret not in client.get(PAGE.format(brand.slug)).content.decode()


def test_retry_now_sends_a_given_up_delivery_again(client, brand, manager,
                                                   django_capture_on_commit_callbacks):
    with WebhookReceiver() as receiver:
        _, receiver.secret = endpoint_for(brand, url=receiver.url)
        services.opt_out_contact(make_contact(brand, NY), at=NOON_NY, source="api")
        row = WebhookDelivery.objects.get()
        WebhookDelivery.objects.filter(pk=row.pk).update(status="failed", attempts=12)
        client.force_login(manager)
        log = client.get(PAGE.format(brand.slug) + "?status=failed").content.decode()
        assert str(row.event_id) in log and "Retry now" in log
        with django_capture_on_commit_callbacks() as callbacks:
            response = client.post(PAGE.format(brand.slug) + f"deliveries/{row.pk}/retry/")
        assert response.status_code == 302 and len(callbacks) == 1
        row.refresh_from_db()
        assert row.status == "pending"
        assert webhooks.deliver_webhook(row.pk).result == "delivered"  # what the task runs
    assert [r.status for r in receiver.requests] == [200]
