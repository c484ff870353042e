"""Contacts, the append-only consent ledger, and API keys."""

from __future__ import annotations

import hashlib
from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import IntegrityError, transaction

from delivery import services
from delivery.models import ApiKey, ConsentEvent, Contact
from delivery.selectors import active_api_key
from tests.delivery.conftest import MERGE, NOON_NY, NY
from tests.factories import make_brand, make_contact, make_delivery_settings


def decide(brand, phone=NY, **kw):
    return services.decide(brand, services.DecisionRequest(
        phone=phone, intent="cart_abandonment", stage="active", merge=MERGE,
        now=kw.pop("now", NOON_NY), **kw))


@pytest.mark.parametrize(("raw", "words"), [
    ("2125550123", "must start with +"),
    ("+1 (212) 555-01", "too few digits"),
    ("+12425551234", "not an assigned phone number range"),
    ("call me", "must start with +"),
])
def test_an_invalid_number_is_refused_with_a_clear_error(brand, raw, words):
    with pytest.raises(services.InvalidPhoneNumber) as caught:
        services.register_contact(brand, raw)
    assert words in caught.value.message
    assert caught.value.field == "phone"
    assert not Contact.objects.exists()


def test_a_contact_stores_its_number_facts_in_e164(brand):
    contact = services.register_contact(brand, "+1 (208) 555-0123")
    assert contact.phone == "+12085550123"
    assert contact.us_state == "ID"
    assert set(contact.time_zones) == {"America/Boise", "America/Los_Angeles"}
    assert not contact.hold_for_review


def test_a_toll_free_number_is_kept_but_held_and_never_allowed(pool_brand):
    contact = make_contact(pool_brand, "+18005550199", consent_at=NOON_NY - timedelta(days=1))
    assert contact.hold_for_review and "toll_free" in contact.number_flags
    decision = decide(pool_brand, "+18005550199")
    assert (decision.status, decision.reason) == ("deny", "NON_GEOGRAPHIC")


def test_a_grant_without_proof_is_refused(brand):
    contact = services.register_contact(brand, NY)
    with pytest.raises(services.ConsentProofMissing):
        services.record_consent(contact, kind="granted", source="import")
    assert not ConsentEvent.objects.exists()


def test_the_consent_text_is_hashed_and_kept_with_its_evidence(brand):
    contact = services.register_contact(brand, NY)
    event = services.record_consent(contact, kind="granted", source="web_form",
                                    consent_text="I agree.", ip="203.0.113.9",
                                    user_agent="Mozilla/5.0", occurred_at=NOON_NY)
    assert event.text_sha256 == hashlib.sha256(b"I agree.").hexdigest()
    assert (event.phone, event.ip, event.occurred_at) == (NY, "203.0.113.9", NOON_NY)


def test_the_consent_ledger_refuses_updates_in_the_database(brand):
    event = services.record_consent(services.register_contact(brand, NY), kind="granted",
                                    source="web_form", consent_text="I agree.")
    with pytest.raises(IntegrityError, match="append-only"), transaction.atomic():
        ConsentEvent.objects.filter(pk=event.pk).update(kind="revoked")
    assert ConsentEvent.objects.get().kind == "granted"


def test_current_consent_is_the_latest_event(pool_brand):
    contact = make_contact(pool_brand, NY, consent_at=NOON_NY - timedelta(days=3))
    services.record_consent(contact, kind="revoked", source="support",
                            occurred_at=NOON_NY - timedelta(days=2))
    assert decide(pool_brand).reason == "NO_CONSENT"
    services.record_consent(contact, kind="granted", source="web_form", consent_text="Yes.",
                            occurred_at=NOON_NY - timedelta(days=1))
    assert decide(pool_brand).status == "allow"
    assert contact.consent_events.count() == 3  # revocations and re-grants are new rows


def test_consent_older_than_the_brand_limit_must_be_reconfirmed(pool_brand):
    make_delivery_settings(pool_brand, reconfirm_after_days=30)
    make_contact(pool_brand, NY, consent_at=NOON_NY - timedelta(days=31))
    assert decide(pool_brand).reason == "CONSENT_EXPIRED"


def test_a_web_form_grant_does_not_undo_a_stop(pool_brand):
    # Twilio keeps answering 21610 until the person texts START, so only START clears it.
    contact = make_contact(pool_brand, NY, consent_at=NOON_NY - timedelta(days=2))
    services.opt_out_contact(contact, at=NOON_NY - timedelta(days=1), source="keyword")
    services.record_consent(contact, kind="granted", source="web_form", consent_text="Yes.",
                            occurred_at=NOON_NY - timedelta(hours=1))
    assert decide(pool_brand).reason == "OPTED_OUT"


def test_create_api_key_prints_a_key_once_and_stores_only_its_hash(db):
    brand = make_brand(slug="summit")
    out, err = StringIO(), StringIO()
    call_command("create_api_key", "--brand", "summit", "--name", "klaviyo", stdout=out,
                 stderr=err)
    plain = out.getvalue().strip()
    key = ApiKey.objects.get()
    assert plain.startswith(f"scs_{key.prefix}_") and len(plain) > 40
    assert key.key_hash == hashlib.sha256(plain.encode()).hexdigest()
    assert plain not in str(ApiKey.objects.values())
    assert active_api_key(plain).brand == brand
    services.revoke_api_key(key)
    assert active_api_key(plain) is None


def test_create_api_key_refuses_an_unknown_brand(db):
    with pytest.raises(Exception, match="no brand"):
        call_command("create_api_key", "--brand", "nope", stdout=StringIO())


def test_a_brand_can_still_be_erased_with_its_ledgers(pool_brand):
    contact = make_contact(pool_brand, NY, consent_at=NOON_NY - timedelta(days=1))
    decision = decide(pool_brand, send=True)
    services.deliver(decision.send.pk, now=NOON_NY)
    services.record_event(pool_brand, event_id="e1", phone=NY, type="clicked", now=NOON_NY)
    services.opt_out_contact(contact, at=NOON_NY, source="keyword")
    pool_brand.delete()  # append-only refuses UPDATE, never the erasure of a brand
    assert not Contact.objects.exists() and not ConsentEvent.objects.exists()
