"""The contacts API over HTTP: proof, batches, the ledger's ordering, opt-outs, tenants."""

from __future__ import annotations

import hashlib
import json
from datetime import timedelta

import pytest
from django.utils import timezone

from delivery.models import ConsentEvent, Contact, Decision, OutboxMessage, Send
from tests.delivery.conftest import phone_open_now
from tests.delivery.test_api import ask, error_of
from tests.delivery.test_webhooks import inbound
from tests.factories import CONSENT_TEXT, make_api_key, make_brand, make_contact

CONTACTS = "/api/v1/contacts"


def post(client, key, body, path=CONTACTS):
    return client.post(path, json.dumps(body), content_type="application/json",
                       headers={"Authorization": f"Bearer {key}"})


def get(client, key, phone):
    return client.get(f"{CONTACTS}/{phone}", headers={"Authorization": f"Bearer {key}"})


def grant(phone, *, at=None, **consent):
    body = {"status": "granted", "source": "web_form", "consent_text": CONSENT_TEXT,
            "source_detail": "https://acme.co/sms-signup", "ip": "203.0.113.7",
            "user_agent": "Mozilla/5.0", **consent}
    if at is not None:
        body["occurred_at"] = at.isoformat()
    return {"phone": phone, "attributes": {"first_name": "Sam"}, "consent": body}


# --- proof ---------------------------------------------------------------------------------

def test_a_grant_with_its_wording_is_recorded_and_the_decision_api_then_allows(
        client, api_key, pool_brand):
    phone = phone_open_now()
    response = post(client, api_key, grant(phone, at=timezone.now() - timedelta(minutes=5)))
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["phone"] == phone and body["consent"]["state"] == "granted"
    assert body["consent"]["source"] == "web_form" and body["held_for_review"] is False
    event = ConsentEvent.objects.get(phone=phone)
    assert event.consent_text == CONSENT_TEXT and event.ip == "203.0.113.7"
    assert event.text_sha256 == hashlib.sha256(CONSENT_TEXT.encode()).hexdigest()
    decision = ask(client, api_key, phone)
    assert decision.json()["eligibility"]["status"] == "allow"


@pytest.mark.parametrize(("consent", "field"), [
    ({"consent_text": None}, "consent.consent_text"),
    ({"consent_text": None, "text_version": "v3"}, "consent.text_sha256"),
    ({"consent_text": "", "text_version": None}, "consent.consent_text"),
])
def test_a_grant_without_proof_is_a_typed_422_naming_the_field_and_stores_nothing(
        client, api_key, consent, field):
    response = post(client, api_key, grant("+12125550199", **consent))
    assert response.status_code == 422
    error = error_of(response)
    assert error["code"] == "consent_proof_missing" and error["field"] == field
    assert not Contact.objects.filter(phone="+12125550199").exists()


def test_a_version_and_hash_are_proof_enough_but_a_contradicting_hash_is_refused(
        client, api_key):
    digest = hashlib.sha256(b"v3 wording").hexdigest()
    ok = post(client, api_key, grant("+12125550198", consent_text=None, text_version="v3",
                                     text_sha256=digest))
    assert ok.status_code == 200 and ok.json()["consent"]["state"] == "granted"
    bad = post(client, api_key, grant("+12125550197", text_sha256="0" * 64))
    assert bad.status_code == 422
    assert error_of(bad) == {"code": "consent_proof_mismatch", "field": "consent.text_sha256",
                             "message": "text_sha256 is not the SHA-256 of consent_text"}


def test_a_consent_dated_in_the_future_or_a_bad_number_is_refused(client, api_key):
    future = post(client, api_key, grant("+12125550196",
                                         at=timezone.now() + timedelta(days=1)))
    assert future.status_code == 422 and error_of(future)["field"] == "consent.occurred_at"
    bad = post(client, api_key, grant("+1 212 555"))
    assert bad.status_code == 422 and error_of(bad)["code"] == "invalid_phone"


def test_a_contact_without_consent_is_kept_but_never_texted(client, api_key):
    response = post(client, api_key, {"phone": "+1 (212) 555-0195", "attributes": {"x": "y"}})
    assert response.status_code == 200
    assert response.json()["phone"] == "+12125550195"
    assert response.json()["consent"]["state"] == "none"
    assert ask(client, api_key, "+12125550195").json()["eligibility"]["reason"] == "NO_CONSENT"


def test_posting_the_same_person_twice_changes_nothing(client, api_key):
    at = timezone.now() - timedelta(hours=1)
    for _ in range(2):
        assert post(client, api_key, grant("+12125550194", at=at)).status_code == 200
    assert ConsentEvent.objects.filter(phone="+12125550194").count() == 1


# --- the ledger decides by time --------------------------------------------------------------

def test_a_grant_never_overrides_a_later_stop(client, api_key, pool_brand, settings):
    settings.TWILIO_AUTH_TOKEN = "test-auth-token-0123456789abcdef"
    settings.PUBLIC_BASE_URL = "https://sms.example.com"
    phone = phone_open_now()
    granted_at = timezone.now() - timedelta(days=2)
    assert post(client, api_key, grant(phone, at=granted_at)).status_code == 200
    assert inbound(client, "STOP", phone=phone).status_code == 200
    # The same grant arriving late (a delayed import, a retried webhook from the form tool):
    late = post(client, api_key, grant(phone, at=granted_at - timedelta(hours=1)))
    assert late.json()["consent"]["state"] == "opted_out"
    # Even a newer form grant does not lift a STOP: only the person's START does.
    newer = post(client, api_key, grant(phone, at=timezone.now()))
    assert newer.json()["consent"]["state"] == "opted_out"
    assert "START" in newer.json()["reason"]
    assert ask(client, api_key, phone).json()["eligibility"]["reason"] == "OPTED_OUT"
    kinds = list(ConsentEvent.objects.filter(phone=phone).order_by("occurred_at")
                 .values_list("kind", "source"))
    assert kinds == [("granted", "web_form"), ("granted", "web_form"), ("revoked", "keyword"),
                     ("granted", "web_form")]


def test_a_revocation_reported_through_the_api_wins_over_an_older_grant(client, api_key):
    now = timezone.now()
    post(client, api_key, grant("+12125550193", at=now - timedelta(days=3)))
    revoked = post(client, api_key, {"phone": "+12125550193", "consent": {
        "status": "revoked", "source": "api", "occurred_at": (now - timedelta(days=1)).isoformat(),
        "source_detail": "unsubscribed in the e-mail preference centre"}})
    assert revoked.json()["consent"]["state"] == "opted_out"
    replay = post(client, api_key, grant("+12125550193", at=now - timedelta(days=3)))
    assert replay.json()["consent"]["state"] == "opted_out"
    assert ask(client, api_key, "+12125550193").json()["eligibility"]["reason"] == "OPTED_OUT"


# --- batch ---------------------------------------------------------------------------------

def test_a_batch_answers_each_item_in_order_and_one_bad_row_sinks_nothing(client, api_key):
    items = [
        grant("+12125550181"),
        grant("not a phone"),
        grant("+12125550182", consent_text=None),
        {"phone": "+12125550183", "consent": {"status": "granted"}},
        {"phone": "+12125550184"},
    ]
    response = post(client, api_key, {"contacts": items}, f"{CONTACTS}/batch")
    assert response.status_code == 200
    body = response.json()
    assert (body["accepted"], body["refused"]) == (2, 3)
    results = body["results"]
    assert [r["index"] for r in results] == [0, 1, 2, 3, 4]
    assert [r["status"] for r in results] == ["accepted", "refused", "refused", "refused",
                                               "accepted"]
    assert results[1]["error"]["code"] == "invalid_phone"
    assert results[2]["error"] == {"code": "consent_proof_missing",
                                   "field": "consent.consent_text",
                                   "message": results[2]["error"]["message"]}
    assert results[3]["error"]["code"] == "validation_error"
    assert results[3]["error"]["field"] == "consent.source"
    assert results[0]["contact"]["consent"]["state"] == "granted"
    assert set(Contact.objects.values_list("phone", flat=True)) == {"+12125550181",
                                                                    "+12125550184"}


def test_a_batch_over_1000_items_is_refused_whole(client, api_key):
    response = post(client, api_key, {"contacts": [{"phone": "+12125550100"}] * 1001},
                    f"{CONTACTS}/batch")
    assert response.status_code == 422 and error_of(response)["field"] == "contacts"
    assert not Contact.objects.exists()


# --- one person ----------------------------------------------------------------------------

def test_get_shows_the_ledger_with_its_proof_the_number_and_the_last_decisions(
        client, api_key, pool_brand):
    phone = phone_open_now()
    post(client, api_key, grant(phone, at=timezone.now() - timedelta(hours=2)))
    decision = ask(client, api_key, phone, send=True).json()
    body = get(client, api_key, phone).json()
    assert body["phone"] == phone and body["attributes"] == {"first_name": "Sam"}
    [entry] = body["ledger"]
    assert entry["consent_text"] == CONSENT_TEXT and entry["source"] == "web_form"
    assert entry["source_detail"] == "https://acme.co/sms-signup"
    assert body["number"]["time_zones"] and body["number"]["valid"] is True
    assert [d["decision_id"] for d in body["decisions"]] == [decision["decision_id"]]
    assert body["sends"][0]["decision_id"] == decision["decision_id"]


def test_get_for_an_unknown_number_is_a_typed_404(client, api_key):
    response = get(client, api_key, "+12125550142")
    assert response.status_code == 404
    assert error_of(response)["code"] == "contact_not_found"


def test_an_opt_out_heard_elsewhere_is_recorded_with_its_source_and_cancels_pending_sends(
        client, api_key, pool_brand):
    phone = phone_open_now()
    make_contact(pool_brand, phone)
    later = timezone.now() + timedelta(hours=3)
    decision = Decision.objects.get(pk=ask(client, api_key, phone, send=True).json()[
        "decision_id"])
    Send.objects.filter(decision=decision).update(scheduled_for=later)
    response = post(client, api_key, {"source": "support",
                                      "detail": "asked by e-mail to stop texting"},
                    f"{CONTACTS}/{phone}/opt-out")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["consent"]["state"] == "opted_out" and body["changed"] is True
    assert body["canceled_sends"] == 1
    assert Send.objects.get(decision=decision).status == "canceled"
    assert OutboxMessage.objects.get(send__decision=decision).why_not == "OPTED_OUT"
    revoked = ConsentEvent.objects.get(phone=phone, kind="revoked")
    assert (revoked.source, revoked.source_detail) == ("support",
                                                       "asked by e-mail to stop texting")
    assert ask(client, api_key, phone).json()["eligibility"]["reason"] == "OPTED_OUT"


def test_an_opt_out_of_an_unknown_number_suppresses_it_before_any_import(client, api_key):
    response = post(client, api_key, {"detail": "other SMS tool"},
                    f"{CONTACTS}/+12125550177/opt-out")
    assert response.json()["consent"]["state"] == "opted_out"
    late = post(client, api_key, grant("+12125550177",
                                       at=timezone.now() - timedelta(days=30)))
    assert late.json()["consent"]["state"] == "opted_out"


# --- tenants -------------------------------------------------------------------------------

def test_every_contacts_route_sees_only_its_own_brand(client, api_key, pool_brand):
    other_key = make_api_key(make_brand(slug="rival", name="Rival"))
    phone = "+12125550170"
    post(client, api_key, grant(phone))
    assert get(client, other_key, phone).status_code == 404
    erase = client.delete(f"{CONTACTS}/{phone}", headers={"Authorization": f"Bearer {other_key}"})
    assert erase.status_code == 404
    post(client, other_key, {"detail": "x"}, f"{CONTACTS}/{phone}/opt-out")
    post(client, other_key, {"contacts": [{"phone": phone, "attributes": {"first_name": "Eve"}}]},
         f"{CONTACTS}/batch")
    mine = get(client, api_key, phone).json()
    assert mine["consent"]["state"] == "granted" and mine["attributes"] == {"first_name": "Sam"}
    theirs = get(client, other_key, phone).json()
    assert theirs["consent"]["state"] == "opted_out"
    assert theirs["attributes"] == {"first_name": "Eve"} and len(theirs["ledger"]) == 1


@pytest.mark.parametrize(("method", "path"), [
    ("post", CONTACTS), ("post", f"{CONTACTS}/batch"), ("get", f"{CONTACTS}/+12125550170"),
    ("delete", f"{CONTACTS}/+12125550170"), ("post", f"{CONTACTS}/+12125550170/opt-out"),
])
def test_every_contacts_route_needs_a_key(client, db, method, path):
    response = client.generic(method.upper(), path, "{}", content_type="application/json")
    assert response.status_code == 401 and error_of(response)["code"] == "unauthorized"


def test_the_contacts_routes_are_in_the_openapi_document(client, db):
    paths = client.get("/api/openapi.json").json()["paths"]
    assert {"/api/v1/contacts", "/api/v1/contacts/batch", "/api/v1/contacts/{phone}",
            "/api/v1/contacts/{phone}/opt-out"} <= set(paths)
    assert set(paths["/api/v1/contacts/{phone}"]) == {"get", "delete"}
