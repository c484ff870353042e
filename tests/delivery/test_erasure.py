"""DELETE /api/v1/contacts/{phone}: nothing personal is left, the proof and the suppression
stay, and nothing brings the number back."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.core import serializers
from django.utils import timezone

from delivery.models import (
    ConsentEvent,
    ConsentRequest,
    Contact,
    Decision,
    Event,
    InboundMessage,
    OutboxMessage,
    Send,
    ShortLink,
)
from delivery.services import deliver
from tests.delivery.conftest import phone_open_now
from tests.delivery.test_api import ask, call, error_of
from tests.delivery.test_contacts_api import CONTACTS, get, grant, post
from tests.delivery.test_webhooks import BASE, TOKEN, inbound
from tests.factories import CONSENT_TEXT

NAME, CART = "Zephyrine", "https://acme.co/cart/zeph-4471"
PERSONAL = (NAME, "zeph-4471", "my kid Zephyrine")


@pytest.fixture(autouse=True)
def signed(settings):
    settings.TWILIO_AUTH_TOKEN = TOKEN
    settings.PUBLIC_BASE_URL = BASE


def everything_stored() -> str:
    rows = []
    for model in (Contact, Decision, Send, OutboxMessage, ShortLink, Event, InboundMessage,
                  ConsentRequest):
        rows.append(serializers.serialize("json", model.objects.all()))
    return "\n".join(rows)


def delete(client, key, phone):
    return client.delete(f"{CONTACTS}/{phone}", headers={"Authorization": f"Bearer {key}"})


@pytest.fixture
def story(client, api_key, pool_brand):
    """A person with a grant, attributes, a sent text with their name, a pending text, a
    click, a conversion and a reply of their own."""
    phone = phone_open_now()
    body = grant(phone, at=timezone.now() - timedelta(days=1))
    body["attributes"] = {"first_name": NAME, "city": "Oslo"}
    assert post(client, api_key, body).status_code == 200
    merge = {"first_name": NAME, "link": CART}
    sent = ask(client, api_key, phone, merge=merge, send=True).json()
    assert NAME in sent["text"]
    assert deliver(Send.objects.get(decision_id=sent["decision_id"]).pk).result == "sent"
    pending = ask(client, api_key, phone, merge=merge, send=True,
                  idempotency_key="second").json()
    Send.objects.filter(decision_id=pending["decision_id"]).update(
        scheduled_for=timezone.now() + timedelta(hours=5))
    code = ShortLink.objects.filter(decision_id=sent["decision_id"]).first().code
    client.get(f"/l/{code}", headers={"User-Agent": "Mozilla/5.0 (iPhone)"})
    call(client, "/api/v1/events", {"event_id": "order-9", "phone": phone, "type": "converted",
                                    "decision_id": sent["decision_id"]}, api_key)
    inbound(client, "my kid Zephyrine loves the tent", phone=phone)
    assert any(marker in everything_stored() for marker in PERSONAL)
    return phone


def test_erasure_leaves_nothing_personal_but_keeps_the_ledger_and_the_suppression(
        client, api_key, story):
    response = delete(client, api_key, story)
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["phone"] == story and body["events_deleted"] >= 1
    assert body["canceled_sends"] == 1 and body["decisions_redacted"] == 2
    assert any("ledger" in kept for kept in body["kept"])

    stored = everything_stored()
    for marker in PERSONAL:
        assert marker not in stored
    contact = Contact.objects.get(phone=story)
    assert contact.attributes == {} and contact.opted_out and contact.erased_at is not None
    assert all("{first_name}" in d.text for d in Decision.objects.filter(contact=contact))
    ledger = list(ConsentEvent.objects.filter(phone=story).order_by("occurred_at")
                  .values_list("kind", "source", "consent_text"))
    assert ledger[0] == ("granted", "web_form", CONSENT_TEXT)
    assert ledger[-1][:2] == ("revoked", "support")


def test_an_erased_number_is_never_texted_or_added_again(client, api_key, story):
    delete(client, api_key, story)
    assert ask(client, api_key, story).json()["eligibility"]["status"] == "deny"
    again = post(client, api_key, grant(story))
    assert again.status_code == 409 and error_of(again)["code"] == "contact_erased"
    batch = post(client, api_key, {"contacts": [grant(story)]}, f"{CONTACTS}/batch").json()
    assert batch["results"][0]["error"]["code"] == "contact_erased"
    inbound(client, "START", phone=story)  # even their own START: a person reviews first
    assert ask(client, api_key, story).json()["eligibility"]["reason"] == "HELD_FOR_REVIEW"
    shown = get(client, api_key, story).json()
    assert shown["erased_at"] and shown["attributes"] == {}
    assert json.dumps(shown).find(NAME) == -1


def test_erasing_an_unknown_number_is_a_typed_404(client, api_key):
    response = delete(client, api_key, "+12125550150")
    assert response.status_code == 404 and error_of(response)["code"] == "contact_not_found"
