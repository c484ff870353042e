"""Double opt-in: a web-form grant counts only after the person's Y, through the API and the
signed inbound webhook; the confirmation text goes out once, checked like any text."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from brandguard.services import save_policy_version
from delivery.models import ConsentEvent, ConsentRequest, Contact, OutboxMessage
from delivery.services.double_opt_in import send_confirmation
from tests.delivery.conftest import SERVICE_SID, phone_open_now
from tests.delivery.test_api import ask, error_of
from tests.delivery.test_contacts_api import get, grant, post
from tests.delivery.test_webhooks import BASE, TOKEN, inbound, reply_text
from tests.factories import CONSENT_TEXT, make_contact, make_delivery_settings


@pytest.fixture(autouse=True)
def signed(settings):
    settings.TWILIO_AUTH_TOKEN = TOKEN
    settings.PUBLIC_BASE_URL = BASE


@pytest.fixture
def doi_brand(pool_brand):
    make_delivery_settings(pool_brand, double_opt_in=True)
    return pool_brand


def sign_up(client, key, phone, django_capture_on_commit_callbacks, **extra):
    with django_capture_on_commit_callbacks() as queued:
        response = post(client, key, {**grant(phone), **extra})
    assert response.status_code == 200, response.content
    return response.json(), queued


def test_a_form_grant_waits_for_y_then_counts_with_the_form_as_proof(
        client, api_key, doi_brand, django_capture_on_commit_callbacks):
    phone = phone_open_now()
    body, queued = sign_up(client, api_key, phone, django_capture_on_commit_callbacks)
    assert body["consent"]["state"] == "pending" and len(queued) == 1
    assert not ConsentEvent.objects.filter(phone=phone).exists()
    assert ask(client, api_key, phone).json()["eligibility"]["reason"] == "CONSENT_PENDING"

    request = ConsentRequest.objects.get(phone=phone)
    assert send_confirmation(request.pk) == ("sent", None)
    [text] = OutboxMessage.objects.filter(to_phone=phone, kind="sent")
    assert "Reply Y to confirm" in text.body and "STOP" in text.body

    answer = inbound(client, "Y", phone=phone, sid="SM" + "c" * 32)
    assert "subscribed" in reply_text(answer)
    grant_row = ConsentEvent.objects.get(phone=phone)
    assert grant_row.kind == "granted" and grant_row.consent_text == CONSENT_TEXT
    assert grant_row.inbound_message_sid == "SM" + "c" * 32 and grant_row.ip == "203.0.113.7"
    assert get(client, api_key, phone).json()["consent"]["state"] == "granted"
    assert ask(client, api_key, phone).json()["eligibility"]["status"] == "allow"


def test_yes_confirms_too_and_a_second_y_changes_nothing(client, api_key, doi_brand,
                                                         django_capture_on_commit_callbacks):
    phone = phone_open_now()
    sign_up(client, api_key, phone, django_capture_on_commit_callbacks)
    inbound(client, "Yes!", phone=phone)
    inbound(client, "y", phone=phone)
    assert ConsentEvent.objects.filter(phone=phone, kind="granted").count() == 1
    assert ConsentRequest.objects.get(phone=phone).status == "confirmed"


def test_an_unconfirmed_request_expires_after_the_brands_window(
        client, api_key, doi_brand, django_capture_on_commit_callbacks):
    phone = phone_open_now()
    sign_up(client, api_key, phone, django_capture_on_commit_callbacks)
    # 72 hours pass without a Y.
    past = timezone.now() - timedelta(minutes=1)
    ConsentRequest.objects.filter(phone=phone).update(expires_at=past)
    Contact.objects.filter(phone=phone).update(consent_pending_until=past)
    assert ask(client, api_key, phone).json()["eligibility"]["reason"] == "NO_CONSENT"
    inbound(client, "Y", phone=phone)
    assert not ConsentEvent.objects.filter(phone=phone).exists()
    assert ConsentRequest.objects.get(phone=phone).status == "expired"
    assert get(client, api_key, phone).json()["consent"]["state"] == "none"


def test_a_form_older_than_the_window_sends_no_text(client, api_key, doi_brand,
                                                    django_capture_on_commit_callbacks):
    make_delivery_settings(doi_brand, double_opt_in=True, double_opt_in_window_hours=1)
    old = timezone.now() - timedelta(hours=2)
    with django_capture_on_commit_callbacks() as queued:
        body = post(client, api_key, grant("+12125550161", at=old)).json()
    assert body["consent"]["state"] == "none" and queued == []
    assert ConsentRequest.objects.get(phone="+12125550161").status == "expired"


def test_stop_before_y_cancels_the_request_and_the_text(client, api_key, doi_brand,
                                                        django_capture_on_commit_callbacks):
    phone = phone_open_now()
    sign_up(client, api_key, phone, django_capture_on_commit_callbacks)
    inbound(client, "STOP", phone=phone)
    request = ConsentRequest.objects.get(phone=phone)
    assert request.status == "canceled"
    assert send_confirmation(request.pk) == ("skipped", None)  # the queued task runs late
    assert not OutboxMessage.objects.filter(to_phone=phone, kind="sent").exists()
    inbound(client, "Y", phone=phone)
    assert list(ConsentEvent.objects.filter(phone=phone).values_list("kind", flat=True)) == [
        "revoked"]
    assert ask(client, api_key, phone).json()["eligibility"]["reason"] == "OPTED_OUT"


def test_the_flow_may_ask_for_double_opt_in_per_contact_and_other_sources_skip_it(
        client, api_key, pool_brand, django_capture_on_commit_callbacks):
    body, queued = sign_up(client, api_key, "+12125550162", django_capture_on_commit_callbacks,
                           double_opt_in=True)
    assert body["consent"]["state"] == "pending" and len(queued) == 1
    imported = post(client, api_key, {"phone": "+12125550163", "double_opt_in": True,
                                      "consent": {**grant("x")["consent"], "source": "import"}})
    assert imported.json()["consent"]["state"] == "granted"


def test_a_confirmation_text_the_brands_policy_blocks_is_a_typed_422(client, api_key,
                                                                      doi_brand):
    save_policy_version(doi_brand, rules={"banned_phrases": ["recurring"]})
    response = post(client, api_key, grant("+12125550164"))
    assert response.status_code == 422
    assert error_of(response)["code"] == "confirmation_blocked"
    assert not Contact.objects.filter(phone="+12125550164").exists()


def test_the_confirmation_reaches_twilio_once_even_after_a_timeout(
        client, api_key, doi_brand, twilio, settings, django_capture_on_commit_callbacks):
    make_delivery_settings(doi_brand, double_opt_in=True, messaging_service_sid=SERVICE_SID)
    phone = phone_open_now()
    sign_up(client, api_key, phone, django_capture_on_commit_callbacks)
    request = ConsentRequest.objects.get(phone=phone)
    settings.TWILIO_TIMEOUT = 0.5
    twilio.enqueue(status=201, delay=2)  # Twilio makes the message but answers too late
    outcome, retry_in = send_confirmation(request.pk)
    assert outcome == "retry" and retry_in and retry_in > 60
    assert send_confirmation(request.pk)[0] == "retry"  # too early to look it up
    later = timezone.now() + timedelta(seconds=61)
    assert send_confirmation(request.pk, now=later)[0] == "sent"  # found: no second create
    creates = [r for r in twilio.requests if r.method == "POST"]
    assert len(creates) == 1 and len(twilio.messages) == 1
    assert twilio.messages[0].params["Body"] == request.body
    assert twilio.messages[0].params["To"] == phone
    request.refresh_from_db()
    assert (request.text_status, request.provider_sid) == ("sent", twilio.messages[0].sid)
    assert send_confirmation(request.pk) == ("skipped", None)


def test_start_from_a_new_number_at_the_brands_sender_signs_them_up(client, api_key,
                                                                     pool_brand):
    make_delivery_settings(pool_brand, sender_number="+15017122661")
    phone = phone_open_now()
    answer = inbound(client, "START", phone=phone, sid="SM" + "d" * 32)
    assert "subscribed" in reply_text(answer)
    grant_row = ConsentEvent.objects.get(phone=phone)
    assert (grant_row.kind, grant_row.source) == ("granted", "keyword")
    assert grant_row.inbound_message_sid == "SM" + "d" * 32
    assert ask(client, api_key, phone).json()["eligibility"]["status"] == "allow"


def test_start_to_a_shared_sender_from_a_stranger_creates_nobody(client, pool_brand):
    inbound(client, "START", phone="+12125550166")
    assert not Contact.objects.filter(phone="+12125550166").exists()


def test_a_form_after_stop_sends_no_confirmation_and_stays_opted_out(
        client, api_key, doi_brand, django_capture_on_commit_callbacks):
    phone = phone_open_now()
    make_contact(doi_brand, phone, consent=False)
    inbound(client, "STOP", phone=phone)
    body, queued = sign_up(client, api_key, phone, django_capture_on_commit_callbacks)
    assert body["consent"]["state"] == "opted_out" and queued == []
    assert not ConsentRequest.objects.filter(phone=phone).exists()
