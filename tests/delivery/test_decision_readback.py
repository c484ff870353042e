"""GET /api/v1/decisions/{id}: the decision, its send's current status and its events."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.utils import timezone

from delivery import services
from delivery.models import Contact, Send
from tests.delivery.conftest import MERGE, phone_closed_now, phone_open_now
from tests.factories import make_api_key, make_brand, make_contact, make_pool_variant

DECISIONS = "/api/v1/decisions"


def post(client, path, body, key):
    return client.post(path, json.dumps(body), content_type="application/json",
                       headers={"Authorization": f"Bearer {key}"})


def read(client, key, decision_id):
    return client.get(f"{DECISIONS}/{decision_id}", headers={"Authorization": f"Bearer {key}"})


def decide(client, key, phone, **extra) -> dict:
    body = {"phone": phone, "intent": "cart_abandonment", "stage": "active", "merge": MERGE}
    return post(client, DECISIONS, {**body, **extra}, key).json()


@pytest.fixture
def phone(pool_brand):
    number = phone_open_now()
    make_contact(pool_brand, number, consent_at=timezone.now() - timedelta(days=1))
    return number


def test_a_pulled_decision_reads_back_with_the_flows_reports(client, api_key, phone):
    decision = decide(client, api_key, phone)
    body = read(client, api_key, decision["decision_id"]).json()
    assert {k: body[k] for k in ("decision_id", "variant_id", "text", "eligibility")} == {
        k: decision[k] for k in ("decision_id", "variant_id", "text", "eligibility")}
    assert (body["phone"], body["intent"], body["stage"]) == (phone, "cart_abandonment",
                                                              "active")
    assert (body["send"]["by"], body["send"]["status"], body["events"]) == ("flow", "pending", [])
    for type in ("sent", "clicked", "delivered"):
        post(client, "/api/v1/events", {"event_id": type, "type": type,
                                        "decision_id": decision["decision_id"]}, api_key)
    body = read(client, api_key, decision["decision_id"]).json()
    assert body["send"]["status"] == "delivered"
    assert [(e["event_id"], e["type"]) for e in body["events"]] == [
        ("sent", "sent"), ("clicked", "clicked"), ("delivered", "delivered")]


def test_a_studio_send_reads_back_pending_then_sent_then_delivered(client, api_key, phone):
    decision_id = decide(client, api_key, phone, send=True)["decision_id"]
    send = read(client, api_key, decision_id).json()["send"]
    assert (send["by"], send["status"], send["sent_at"]) == ("studio", "pending", None)
    row = Send.objects.get(decision_id=decision_id)
    services.deliver(row.pk)
    send = read(client, api_key, decision_id).json()["send"]
    assert send["status"] == "sent" and send["sent_at"] is not None
    row.refresh_from_db()
    services.record_status_callback(sid=row.provider_sid, status="delivered")
    assert read(client, api_key, decision_id).json()["send"]["status"] == "delivered"


def test_an_undelivered_send_says_so_with_the_providers_code(client, api_key, phone):
    decision_id = decide(client, api_key, phone, send=True)["decision_id"]
    row = Send.objects.get(decision_id=decision_id)
    services.deliver(row.pk)
    row.refresh_from_db()
    services.record_status_callback(sid=row.provider_sid, status="undelivered",
                                    error_code=30006)
    send = read(client, api_key, decision_id).json()["send"]
    assert (send["status"], send["error_code"]) == ("undelivered", 30006)


def test_a_send_in_quiet_hours_reads_back_deferred_with_its_time(client, pool_brand, api_key):
    night = phone_closed_now()
    make_contact(pool_brand, night, consent_at=timezone.now() - timedelta(days=1))
    decision = decide(client, api_key, night, send=True)
    assert decision["eligibility"]["status"] == "defer"
    send = read(client, api_key, decision["decision_id"]).json()["send"]
    assert (send["status"], send["send_at"]) == ("deferred", decision["eligibility"]["send_at"])


def test_a_canceled_send_says_why(client, pool_brand, api_key, phone):
    decision_id = decide(client, api_key, phone, send=True)["decision_id"]
    services.opt_out_contact(Contact.objects.get(brand=pool_brand, phone=phone),
                             at=timezone.now(), source="keyword")
    services.deliver(Send.objects.get(decision_id=decision_id).pk)
    send = read(client, api_key, decision_id).json()["send"]
    assert (send["status"], send["reason"]) == ("canceled", "OPTED_OUT")
    assert send["detail"]


def test_a_denied_decision_has_no_send(client, api_key):
    decision = decide(client, api_key, "+13125550100")
    assert decision["eligibility"]["status"] == "deny"
    assert read(client, api_key, decision["decision_id"]).json()["send"] is None


def test_another_brands_decision_is_a_typed_404(client, api_key, phone):
    decision_id = decide(client, api_key, phone)["decision_id"]
    other = make_brand()
    make_pool_variant(other)
    for key, wanted in ((make_api_key(other), decision_id),
                        (api_key, "00000000-0000-4000-8000-000000000000")):
        response = read(client, key, wanted)
        assert response.status_code == 404
        assert response.json() == {"error": {
            "code": "not_found", "message": "no decision with this id for this brand",
            "field": "decision_id"}}
    assert read(client, api_key, "not-a-uuid").status_code == 422
    assert client.get(f"{DECISIONS}/{decision_id}").status_code == 401
