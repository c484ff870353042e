"""Twilio webhooks through Django (signed like Twilio signs them) and the short-link view."""

from __future__ import annotations

import secrets
from datetime import timedelta
from urllib.parse import urlencode
from xml.etree import ElementTree

import pytest
from django.urls import reverse
from django.utils import timezone
from twilio.request_validator import RequestValidator

import brandguard
from brandguard.services import current_policy
from delivery import services
from delivery.models import ConsentEvent, Contact, Event, InboundMessage
from delivery.services.providers import status_callback_path
from tests.delivery.conftest import MERGE, NOON_NY, NY
from tests.delivery.test_link_previews import IPHONE_SAFARI
from tests.factories import make_brand, make_contact, make_delivery_settings

TOKEN = "test-auth-token-0123456789abcdef"
BASE = "https://sms.example.com"
INBOUND, STATUS = "/webhooks/twilio/inbound", "/webhooks/twilio/status"


@pytest.fixture(autouse=True)
def twilio_settings(settings):
    settings.TWILIO_AUTH_TOKEN = TOKEN
    settings.PUBLIC_BASE_URL = BASE


def post(client, path, params, *, signature="valid", token=None, sign_url=None):
    headers = {"I-Twilio-Idempotency-Token": token or secrets.token_hex(8)}
    if signature != "missing":
        key = TOKEN if signature == "valid" else "not-the-token"
        url = sign_url or BASE + path
        headers["X-Twilio-Signature"] = RequestValidator(key).compute_signature(url, params)
    return client.post(path, urlencode(params), content_type="application/x-www-form-urlencoded",
                       headers=headers)


def inbound(client, body, *, phone=NY, sid=None, **kw):
    params = {"MessageSid": sid or "SM" + secrets.token_hex(16), "From": phone,
              "To": "+15017122661", "Body": body, "AccountSid": "AC" + "0" * 32}
    params.update(kw.pop("extra", {}))
    return post(client, INBOUND, params, **kw)


@pytest.fixture
def contact(pool_brand):
    return make_contact(pool_brand, NY, consent_at=NOON_NY - timedelta(days=3))


def reply_text(response) -> str | None:
    """The <Message> of a TwiML answer, XML-unescaped; None when Twilio should send nothing."""
    message = ElementTree.fromstring(response.content).find("Message")
    return None if message is None else message.text


def checked(brand, text, message_type):
    policy, _ = current_policy(brand)
    return brandguard.check(text, policy, brandguard.MessageContext(message_type=message_type),
                            fix=False)


def test_stop_opts_out_at_once_and_confirms_once_without_marketing(client, pool_brand, contact):
    response = inbound(client, "STOP")
    assert response.status_code == 200 and response["Content-Type"] == "text/xml"
    text = reply_text(response)
    assert text.startswith("Acme Outdoors: You are unsubscribed")
    assert checked(pool_brand, text, "opt_out_confirmation").passed
    contact.refresh_from_db()
    assert contact.opted_out and contact.opted_out_at is not None
    revoked = ConsentEvent.objects.get(kind="revoked")
    assert (revoked.source, revoked.inbound_message_sid) == (
        "keyword", InboundMessage.objects.get().sid)
    assert reply_text(inbound(client, "stop")) is None  # one confirmation only


@pytest.mark.parametrize("body", ["STOP PLEASE", "please stop texting me", "opt out",
                                  "Unsubscribe.", "take me off your list"])
def test_fcc_revocation_phrases_opt_out(client, pool_brand, contact, body):
    inbound(client, body)
    assert Contact.objects.get().opted_out


def test_an_ambiguous_reply_is_held_for_review_and_blocks_sending(client, pool_brand, contact):
    response = inbound(client, "I can't stop eating your cookies")
    assert reply_text(response) is None
    message = InboundMessage.objects.get()
    assert (message.classification, message.needs_review) == ("review", True)
    contact.refresh_from_db()
    assert contact.hold_for_review and not contact.opted_out
    decision = services.decide(pool_brand, services.DecisionRequest(
        phone=NY, intent="cart_abandonment", stage="active", merge=MERGE, now=NOON_NY))
    assert decision.reason == "HELD_FOR_REVIEW"


def test_help_replies_with_brand_support_and_opt_out(client, pool_brand, contact):
    text = reply_text(inbound(client, "HELP"))
    assert "Acme Outdoors" in text and "help@acme.example" in text
    assert "Reply STOP to opt out" in text
    assert checked(pool_brand, text, "help_reply").passed
    assert not Contact.objects.get().opted_out


def test_start_after_stop_grants_again_with_the_message_as_proof(client, pool_brand, contact):
    inbound(client, "STOP")
    text = reply_text(inbound(client, "START", sid="SM" + "5" * 32))
    assert checked(pool_brand, text, "opt_in_confirmation").passed
    contact.refresh_from_db()
    grant = contact.consent_events.order_by("-occurred_at", "-id").first()
    assert not contact.opted_out
    assert (grant.kind, grant.source, grant.inbound_message_sid) == (
        "granted", "keyword", "SM" + "5" * 32)


def test_a_replayed_webhook_is_handled_once(client, pool_brand, contact):
    first = inbound(client, "STOP", sid="SM" + "1" * 32, token="tok-1")
    again = inbound(client, "STOP", sid="SM" + "1" * 32, token="tok-1")
    assert first.status_code == again.status_code == 200
    assert reply_text(again) is None
    assert InboundMessage.objects.count() == 1 and ConsentEvent.objects.filter(
        kind="revoked").count() == 1


@pytest.mark.parametrize("signature", ["forged", "missing"])
def test_a_forged_or_missing_signature_is_refused_and_changes_nothing(client, pool_brand,
                                                                      contact, signature):
    assert inbound(client, "STOP", signature=signature).status_code == 403
    assert not Contact.objects.get().opted_out
    assert not InboundMessage.objects.exists()
    assert not ConsentEvent.objects.filter(kind="revoked").exists()


def test_the_signature_covers_the_public_url_not_the_host_header(client, pool_brand, contact):
    response = inbound(client, "STOP", sign_url="http://testserver" + INBOUND)
    assert response.status_code == 403
    assert not Contact.objects.get().opted_out


def test_an_unattributed_stop_stops_every_brand_sharing_the_sender(client, pool_brand,
                                                                   contact):
    other = make_brand()
    make_contact(other, NY)
    inbound(client, "STOP")
    assert list(Contact.objects.values_list("opted_out", flat=True)) == [True, True]


def test_the_messaging_service_names_the_brand(client, pool_brand, contact):
    other = make_brand()
    make_contact(other, NY)
    make_delivery_settings(other, messaging_service_sid="MG" + "9" * 32)
    inbound(client, "STOP", extra={"MessagingServiceSid": "MG" + "9" * 32})
    assert Contact.objects.get(brand=other).opted_out
    assert not Contact.objects.get(brand=pool_brand).opted_out


def test_a_stop_from_a_stranger_is_remembered(client, pool_brand):
    make_delivery_settings(pool_brand, sender_number="+15017122661")
    inbound(client, "STOP", phone="+13125550199")
    stranger = Contact.objects.get(phone="+13125550199")
    assert stranger.opted_out


def test_a_forged_status_callback_is_refused(client, db):
    params = {"MessageSid": "SM" + "2" * 32, "MessageStatus": "delivered"}
    assert post(client, STATUS, params, signature="forged").status_code == 403
    assert post(client, STATUS, params, signature="missing").status_code == 403


def test_the_status_callback_url_we_give_twilio_routes_to_the_status_webhook():
    # The sender resolves it in delivery.urls alone (cheap for a worker): the project must
    # keep mounting those URLs at the root.
    assert status_callback_path() == reverse("delivery:twilio-status") == STATUS


def test_a_status_callback_for_an_unknown_sid_gets_200(client, db):
    params = {"MessageSid": "SM" + "3" * 32, "MessageStatus": "delivered"}
    assert post(client, STATUS, params).status_code == 200


def test_a_short_link_redirects_and_counts_a_click_reward(client, pool_brand, contact):
    decision = services.decide(pool_brand, services.DecisionRequest(
        phone=NY, intent="cart_abandonment", stage="active", merge=MERGE, send=True,
        now=timezone.now() - timedelta(minutes=1)))
    services.count_trial(decision, at=timezone.now())  # it went out
    code = decision.short_links.get().code
    response = client.get(f"/l/{code}", headers={"User-Agent": IPHONE_SAFARI})
    assert response.status_code == 302 and response["Location"] == MERGE["link"]
    client.get(f"/l/{code}", headers={"User-Agent": IPHONE_SAFARI})
    link = decision.short_links.get()
    assert link.clicks == 2 and link.first_clicked_at is not None
    assert Event.objects.filter(type="clicked", decision=decision).count() == 1
    arm = decision.variant.arm_states.get()
    assert (arm.successes, arm.failures) == (1, 0)


def test_a_head_request_is_not_a_click(client, pool_brand, contact):
    decision = services.decide(pool_brand, services.DecisionRequest(
        phone=NY, intent="cart_abandonment", stage="active", merge=MERGE, now=NOON_NY))
    code = decision.short_links.get().code
    assert client.head(f"/l/{code}", headers={"User-Agent": IPHONE_SAFARI}).status_code == 302
    assert decision.short_links.get().clicks == 0


def test_a_messaging_app_drawing_its_preview_is_redirected_but_not_a_click(
        client, pool_brand, contact):
    decision = services.decide(pool_brand, services.DecisionRequest(
        phone=NY, intent="cart_abandonment", stage="active", merge=MERGE, now=NOON_NY))
    code = decision.short_links.get().code
    imessage = "facebookexternalhit/1.1 Facebot Twitterbot/1.0"
    response = client.get(f"/l/{code}", headers={"User-Agent": imessage})
    assert response.status_code == 302 and response["Location"] == MERGE["link"]
    link = decision.short_links.get()
    assert (link.clicks, link.first_clicked_at) == (0, None)
    assert not Event.objects.filter(type="clicked").exists()


def test_an_unknown_short_link_is_404(client, db):
    assert client.get("/l/nope").status_code == 404


def test_a_late_21610_status_callback_still_opts_the_contact_out(client, pool_brand, contact):
    decision = services.decide(pool_brand, services.DecisionRequest(
        phone=NY, intent="cart_abandonment", stage="active", merge=MERGE, send=True, now=NOON_NY))
    services.deliver(decision.send.pk, now=NOON_NY)
    sid = decision.send.__class__.objects.get(pk=decision.send.pk).provider_sid
    assert post(client, STATUS, {"MessageSid": sid, "MessageStatus": "delivered"}).status_code == 200
    # A final state is already stored, so this report is stale, but its 21610 is a STOP.
    late = {"MessageSid": sid, "MessageStatus": "undelivered", "ErrorCode": "21610"}
    assert post(client, STATUS, late).status_code == 200
    contact.refresh_from_db()
    assert contact.opted_out
    assert ConsentEvent.objects.filter(contact=contact, kind="revoked").exists()
