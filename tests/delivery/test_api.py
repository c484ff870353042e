"""The decision API over HTTP: auth, idempotency, typed 4xx, eligibility, events."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.utils import timezone

from delivery import services
from delivery.models import ApiKey, ArmState, Decision, Event, Send, ShortLink
from delivery.services.sending import enqueue_delivery
from tests.delivery.conftest import MERGE, phone_closed_now, phone_open_now
from tests.factories import make_api_key, make_brand, make_contact

DECISIONS, EVENTS = "/api/v1/decisions", "/api/v1/events"


def call(client, path, body, key=None, *, raw=None):
    headers = {"Authorization": f"Bearer {key}"} if key else {}
    data = raw if raw is not None else json.dumps(body)
    return client.post(path, data, content_type="application/json", headers=headers)


def ask(client, key, phone, **extra):
    body = {"phone": phone, "intent": "cart_abandonment", "stage": "active", "merge": MERGE}
    return call(client, DECISIONS, {**body, **extra}, key)


def ask_with(client, key, phone, change):
    return ask(client, key, phone, **change) if "phone" not in change else ask(
        client, key, change.pop("phone"), **change)


@pytest.fixture
def open_phone(pool_brand):
    phone = phone_open_now()
    make_contact(pool_brand, phone, consent_at=timezone.now() - timedelta(days=1))
    return phone


def error_of(response) -> dict:
    body = response.json()
    assert set(body) == {"error"} and set(body["error"]) == {"code", "message", "field"}
    return body["error"]


@pytest.mark.parametrize("header", [None, "Bearer nope", "Basic dXNlcjpwYXNz", "Bearer "])
def test_without_a_valid_key_it_is_401_with_a_typed_body(client, pool_brand, header):
    headers = {"Authorization": header} if header else {}
    response = client.post(DECISIONS, "{}", content_type="application/json", headers=headers)
    assert response.status_code == 401
    assert error_of(response)["code"] == "unauthorized"


def test_a_revoked_key_stops_working_at_once(client, api_key, open_phone):
    assert ask(client, api_key, open_phone).status_code == 200
    services.revoke_api_key(ApiKey.objects.get())
    assert ask(client, api_key, open_phone).status_code == 401


def test_an_allowed_decision_returns_text_and_stores_propensities(client, api_key, open_phone):
    response = ask(client, api_key, open_phone)
    assert response.status_code == 200
    body = response.json()
    decision = Decision.objects.get(pk=body["decision_id"])
    assert body["eligibility"]["status"] == "allow" and body["eligibility"]["reason"] is None
    assert body["variant_id"] == decision.variant_id
    assert (body["text"], body["encoding"], body["segments"]) == (
        decision.text, "GSM-7", 1)
    code = ShortLink.objects.get(decision=decision).code
    assert f"/l/{code}" in body["text"] and "Sam" in body["text"]
    assert sum(decision.propensities.values()) == pytest.approx(1.0)


def test_outside_the_window_it_defers_with_the_time(client, pool_brand, api_key):
    phone = phone_closed_now()
    make_contact(pool_brand, phone, consent_at=timezone.now() - timedelta(days=1))
    eligibility = ask(client, api_key, phone).json()["eligibility"]
    assert (eligibility["status"], eligibility["reason"]) == ("defer", "QUIET_HOURS")
    assert eligibility["send_at"] is not None


def test_a_number_without_consent_is_denied(client, api_key):
    body = ask(client, api_key, "+13125550100").json()
    assert body["eligibility"] == {"status": "deny", "reason": "NO_CONSENT", "send_at": None}
    assert body["variant_id"] is None and body["text"] is None


def test_the_key_decides_the_brand(client, open_phone):
    other_key = make_api_key(make_brand())
    body = ask(client, other_key, open_phone).json()  # consented at pool_brand, not here
    assert body["eligibility"]["reason"] == "NO_CONSENT"


def test_send_true_schedules_the_send_on_commit(client, api_key, open_phone,
                                                django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as callbacks:
        body = ask(client, api_key, open_phone, send=True).json()
    send = Send.objects.get(decision_id=body["decision_id"])
    assert [c.func for c in callbacks] == [enqueue_delivery]
    assert callbacks[0].args[0] == send.pk


def test_the_same_idempotency_key_returns_the_same_decision(client, api_key, open_phone):
    first = ask(client, api_key, open_phone, idempotency_key="flow-1:cart-9", send=True)
    again = ask(client, api_key, open_phone, idempotency_key="flow-1:cart-9", send=True)
    assert first.json() == again.json()
    assert Decision.objects.count() == 1 and Send.objects.count() == 1


def test_a_key_reused_for_another_request_is_409(client, api_key, open_phone):
    ask(client, api_key, open_phone, idempotency_key="k1")
    response = ask(client, api_key, open_phone, idempotency_key="k1", stage="lapsing")
    assert response.status_code == 409
    assert error_of(response) == {"code": "idempotency_conflict", "field": "idempotency_key",
                                  "message": error_of(response)["message"]}


@pytest.mark.parametrize(("change", "status", "code", "field"), [
    ({"phone": "555-0123"}, 422, "invalid_phone", "phone"),
    ({"phone": "+12425551234"}, 422, "invalid_phone", "phone"),
    ({"phone": None}, 422, "validation_error", "phone"),
    ({"intent": "birthday"}, 422, "validation_error", "intent"),
    ({"stage": 3}, 422, "validation_error", "stage"),
    ({"merge": {"first_name": 7, "link": "x"}}, 422, "validation_error", "merge.first_name"),
    ({"merge": {"first name": "x"}}, 422, "validation_error", "merge.first name.[key]"),
    ({"merge": {"link": MERGE["link"]}}, 422, "missing_merge_field", "merge.first_name"),
    ({"merge": {**MERGE, "link": "https://"}}, 422, "invalid_merge_value", "merge.link"),
    ({"merge": {**MERGE, "first_name": "S\x00m"}}, 422, "validation_error", "merge.first_name"),
    ({"send": "perhaps"}, 422, "validation_error", "send"),
    ({"idempotency_key": "has space"}, 422, "validation_error", "idempotency_key"),
])
def test_bad_input_gets_a_typed_4xx(client, api_key, open_phone, change, status, code, field):
    response = ask_with(client, api_key, open_phone, dict(change))
    assert response.status_code == status, response.content
    error = error_of(response)
    assert (error["code"], error["field"]) == (code, field)
    assert not Decision.objects.exists()


@pytest.mark.parametrize("raw", ["{not json", "", "[1, 2]", '"phone"', '{"phone": "\\ud800"}'])
def test_a_malformed_body_is_a_typed_4xx(client, api_key, raw):
    response = call(client, DECISIONS, None, api_key, raw=raw)
    assert response.status_code in (400, 422)
    assert error_of(response)["code"] in ("malformed_body", "validation_error")


def test_events_are_accepted_once_and_reward_once(client, pool_brand, api_key, open_phone):
    from delivery.models import DeliverySettings

    DeliverySettings.objects.create(brand=pool_brand, reward_metric="conversion")
    decision_id = ask(client, api_key, open_phone, send=True).json()["decision_id"]
    services.deliver(Send.objects.get().pk)
    event = {"event_id": "order-77", "phone": open_phone, "type": "converted",
             "decision_id": decision_id}
    first, again = call(client, EVENTS, event, api_key), call(client, EVENTS, event, api_key)
    assert (first.status_code, again.status_code) == (202, 202)
    assert (first.json()["duplicate"], again.json()["duplicate"]) == (False, True)
    arm = ArmState.objects.get(variant_id=Decision.objects.get().variant_id)
    assert (arm.successes, arm.failures) == (1, 0)
    assert Event.objects.count() == 1


def test_an_event_without_decision_goes_to_the_latest_text_sent(client, pool_brand, api_key,
                                                               open_phone):
    ask(client, api_key, open_phone, send=True)
    services.deliver(Send.objects.get().pk)
    call(client, EVENTS, {"event_id": "c-1", "phone": open_phone, "type": "clicked"}, api_key)
    assert Event.objects.get().decision == Decision.objects.get()
    assert ArmState.objects.get(variant_id=Decision.objects.get().variant_id).successes == 1


@pytest.mark.parametrize(("change", "code", "field"), [
    ({"type": "opened"}, "validation_error", "type"),
    ({"decision_id": "not-a-uuid"}, "validation_error", "decision_id"),
    ({"decision_id": "00000000-0000-4000-8000-000000000000"}, "unknown_decision",
     "decision_id"),
    ({"occurred_at": "2026-06-15T12:00:00"}, "validation_error", "occurred_at"),
    ({"occurred_at": "0001-01-01T00:00:00+14:00"}, "validation_error", "occurred_at"),
    ({"phone": "12"}, "invalid_phone", "phone"),
    ({"event_id": ""}, "validation_error", "event_id"),
])
def test_bad_events_get_a_typed_422(client, api_key, change, code, field):
    event = {"event_id": "e-1", "phone": "+12125550123", "type": "purchased", **change}
    response = call(client, EVENTS, event, api_key)
    assert response.status_code == 422
    assert (error_of(response)["code"], error_of(response)["field"]) == (code, field)
    assert not Event.objects.exists()


def test_the_openapi_document_and_docs_are_served(client, db):
    schema = client.get("/api/openapi.json").json()
    assert {"/api/v1/decisions", "/api/v1/events"} <= set(schema["paths"])
    responses = schema["paths"]["/api/v1/decisions"]["post"]["responses"]
    assert {"200", "400", "401", "409", "422"} <= set(responses)
    assert client.get("/api/docs").status_code == 200
