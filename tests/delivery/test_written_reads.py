"""Each written-out read in delivery.selectors against the same read through the ORM, on
random data: contacts with consent histories, sends in every state, purchases, variants in
every status with and without arm counts, policy versions, API keys and settings rows.

The SQL exists for speed (one statement instead of several compiled ORM queries); these
twins are the specification it must keep."""

from __future__ import annotations

import uuid
from collections import Counter
from datetime import UTC, datetime, timedelta

from django.db import transaction
from django.db.models import Q
from django.db.models.functions import Coalesce
from django.forms.models import model_to_dict
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from brandguard.models import BrandPolicy
from brandguard.services import save_policy_version
from copygen.models import Variant
from delivery import selectors
from delivery.models import (
    ApiKey,
    ArmState,
    ConsentEvent,
    Contact,
    Decision,
    DeliverySettings,
    Event,
    Send,
    WebhookEndpoint,
)
from delivery.models.sends import STATUS_RANK
from delivery.selectors import (
    HISTORY_SPAN,
    NOT_DELIVERED,
    SUPPRESSIBLE_INTENTS,
    SUPPRESSION_LOOKBACK,
    ContactFacts,
    consent_from,
)
from delivery.services import record_consent, register_contact
from delivery.services.ratelimits import authenticate
from delivery.services.webhooks import active_endpoints
from tests.factories import CONSENT_TEXT, make_api_key, make_brand, make_pool_variant

T0 = datetime(2026, 6, 15, 16, 0, tzinfo=UTC)
PHONES = ("+12125550123", "+13055550123", "+13125550123")
INTENTS = ("cart_abandonment", "browse_abandonment", "welcome")
minutes = st.integers(-14 * 24 * 60, 3 * 24 * 60).map(lambda m: T0 + timedelta(minutes=m))
HANDED_OVER = {"accepted", "queued", "sending", "sent", "delivered"}

consents = st.lists(st.tuples(st.sampled_from(["granted", "revoked"]), minutes), max_size=3)
sends = st.lists(st.fixed_dictionaries({
    # Often the same instant: the queue's order then falls to the send id.
    "status": st.sampled_from([*sorted(STATUS_RANK), *["pending"] * 6]),
    "scheduled_for": st.one_of(minutes, st.sampled_from([T0, T0 - timedelta(hours=1)])),
    "sent_late": st.one_of(st.none(), st.integers(0, 600)), "subject": st.sampled_from(INTENTS),
}), max_size=6)
purchases = st.lists(minutes, max_size=2)
variants = st.lists(st.fixed_dictionaries({
    "status": st.sampled_from(["approved", "approved", "draft", "retired", "in_review"]),
    "current": st.booleans(), "counts": st.one_of(st.none(), st.tuples(
        st.integers(0, 50), st.integers(0, 50), st.integers(0, 5))),
    "intent": st.sampled_from(INTENTS[:2]),
}), max_size=4)


def _facts_through_orm(brand, phone, *, intent, since, now, exclude_send=None, variant_id=None,
                       queued_at=None) -> ContactFacts | None:
    contact = Contact.objects.filter(brand=brand, phone=phone).first()
    if contact is None:
        return None
    latest = ConsentEvent.objects.filter(contact=contact).order_by("-occurred_at", "-id").first()
    history = (Send.objects.filter(contact=contact).exclude(pk=exclude_send or 0)
               .exclude(status=Send.Status.CANCELED)
               .exclude(status=Send.Status.FAILED, sent_at__isnull=True)
               .annotate(at=Coalesce("sent_at", "scheduled_for"))
               .filter(at__gte=now - HISTORY_SPAN))
    if queued_at is not None and exclude_send is not None:
        history = history.filter(~Q(status=Send.Status.PENDING)
                                 | Q(scheduled_for__lt=queued_at)
                                 | Q(scheduled_for=queued_at, pk__lt=exclude_send))
    texted = (Send.objects.filter(contact=contact, sent_at__isnull=False)
              .exclude(pk=exclude_send or 0).exclude(status__in=NOT_DELIVERED).exists())
    suppressed = intent in SUPPRESSIBLE_INTENTS and Event.objects.filter(
        brand=brand, phone=phone, type=Event.Type.PURCHASED,
        occurred_at__gte=since - SUPPRESSION_LOOKBACK).exists()
    return ContactFacts(
        contact=contact,
        consent=consent_from(contact, latest.kind if latest else None,
                             latest.occurred_at if latest else None),
        history=tuple(selectors.SendRecord(sent_at=s.at, subject=s.subject) for s in history),
        texted=texted, suppressed=suppressed,
        variant_approved=(None if variant_id is None
                          else Variant.objects.approved().filter(pk=variant_id).exists()),
    )


def _same_facts(written: ContactFacts | None, orm: ContactFacts | None) -> None:
    assert (written is None) == (orm is None)
    if written is None or orm is None:
        return
    assert model_to_dict(written.contact) == model_to_dict(orm.contact)
    assert written.contact.pk == orm.contact.pk
    assert (written.consent, written.texted, written.suppressed, written.variant_approved) == (
        orm.consent, orm.texted, orm.suppressed, orm.variant_approved)
    assert Counter(written.history) == Counter(orm.history)  # array_agg has no order


def _world(brand, consent_rows, send_rows, purchase_times, variant_rows):
    contact = register_contact(brand, PHONES[0])
    for kind, at in consent_rows:
        record_consent(contact, kind=kind, source="web_form", occurred_at=at,
                       consent_text=CONSENT_TEXT if kind == "granted" else "")
    variant_ids = []
    for row in variant_rows:
        variant = make_pool_variant(brand, intent=row["intent"], status=row["status"],
                                    is_current=row["current"],
                                    text=f"Acme Outdoors: {uuid.uuid4().hex[:6]} {{link}}")
        variant_ids.append(variant.pk)
        if row["counts"] is not None:
            s, f, p = row["counts"]
            ArmState.objects.create(brand=brand, intent=row["intent"], stage="active",
                                    variant=variant, successes=s, failures=f, penalties=p)
    send_ids = []
    for row in send_rows:
        sent_at = (row["scheduled_for"] + timedelta(seconds=row["sent_late"] or 0)
                   if row["sent_late"] is not None or row["status"] in HANDED_OVER else None)
        decision = Decision.objects.create(brand=brand, contact=contact, phone=contact.phone,
                                           intent=row["subject"], stage="active",
                                           status="deny", reason="FREQ_CAP",
                                           created_at=row["scheduled_for"])
        send_ids.append(Send.objects.create(
            decision=decision, brand=brand, contact=contact,
            idempotency_key=f"decision:{decision.pk}", to_phone=contact.phone, body="x",
            subject=row["subject"], status=row["status"], scheduled_for=row["scheduled_for"],
            sent_at=sent_at).pk)
    for n, at in enumerate(purchase_times):
        Event.objects.create(brand=brand, event_id=f"order-{n}", phone=contact.phone,
                             contact=contact, type="purchased", occurred_at=at)
    return contact, send_ids, variant_ids


@settings(max_examples=30, deadline=None, suppress_health_check=[
    HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(consent_rows=consents, send_rows=sends, purchase_times=purchases,
       variant_rows=variants, now=minutes, since=minutes, intent=st.sampled_from(INTENTS),
       pick=st.integers(0, 9), phone=st.sampled_from(PHONES))
def test_the_written_out_reads_match_the_orm(db, consent_rows, send_rows, purchase_times,
                                             variant_rows, now, since, intent, pick, phone):
    with transaction.atomic():
        brand = make_brand()
        _, send_ids, variant_ids = _world(brand, consent_rows, send_rows, purchase_times,
                                          variant_rows)
        # As a decision reads it (also for an unknown number), and as the sender re-checks a
        # send: without it, with its variant, with the queue behind it left out.
        _same_facts(selectors.contact_for_decision(brand, phone, intent=intent, since=since,
                                                   now=now),
                    _facts_through_orm(brand, phone, intent=intent, since=since, now=now))
        if send_ids:
            send = Send.objects.get(pk=send_ids[pick % len(send_ids)])
            variant_id = variant_ids[pick % len(variant_ids)] if variant_ids else 987654
            options = {"exclude_send": send.pk, "variant_id": variant_id,
                       "queued_at": send.scheduled_for}
            _same_facts(selectors.contact_for_decision(brand, PHONES[0], intent=intent,
                                                       since=since, now=now, lock=True,
                                                       **options),
                        _facts_through_orm(brand, PHONES[0], intent=intent, since=since,
                                           now=now, **options))
        for pool_intent in INTENTS[:2]:
            inputs = selectors.decision_inputs(brand, phone, intent=pool_intent,
                                               stage="active", now=now)
            _same_facts(inputs.facts, _facts_through_orm(brand, phone, intent=pool_intent,
                                                         since=now, now=now))
            assert inputs.pool == _pool_through_orm(brand, pool_intent)
        transaction.set_rollback(True)


def _pool_through_orm(brand, intent) -> selectors.Pool:
    version = (BrandPolicy.objects.filter(brand=brand).order_by("-version")
               .values_list("version", flat=True).first())
    arms = []
    for variant in Variant.objects.for_pool(brand, intent, "active").order_by("id"):
        state = ArmState.objects.filter(variant=variant).first()
        arms.append(selectors.PoolArm(
            variant.pk, variant.text, state.successes if state else 0,
            state.failures if state else 0, state.penalties if state else 0,
            has_state=state is not None))
    return selectors.Pool(arms, version)


@settings(max_examples=15, deadline=None, suppress_health_check=[
    HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(with_settings=st.booleans(), revoked=st.booleans(), policies=st.integers(0, 2),
       daily_cap=st.one_of(st.none(), st.integers(1, 5)))
def test_the_key_and_send_reads_match_the_orm(db, with_settings, revoked, policies, daily_cap):
    with transaction.atomic():
        brand = make_brand()
        for n in range(policies):
            save_policy_version(brand, rules={"max_segments": 1 + n})
        if with_settings:
            DeliverySettings.objects.create(brand=brand, daily_cap=daily_cap)
        plain = make_api_key(brand)
        if revoked:
            ApiKey.objects.filter(brand=brand).update(revoked_at=T0)
        key = selectors.active_api_key(plain)
        orm_key = (ApiKey.objects.select_related("brand")
                   .filter(key_hash=selectors.hash_api_key(plain), revoked_at__isnull=True)
                   .first())
        assert (key is None) == (orm_key is None) == revoked
        if key is not None and orm_key is not None:
            assert model_to_dict(key) == model_to_dict(orm_key)
            assert model_to_dict(key.brand) == model_to_dict(orm_key.brand)
            _same_settings(selectors.request_settings(key.brand), brand)
        # The API's read: the same key, brand and settings, with the key's token taken.
        found = authenticate(plain)
        assert (found is None) == revoked
        if found is not None and orm_key is not None:
            assert model_to_dict(found.key) == model_to_dict(orm_key)
            assert model_to_dict(found.key.brand) == model_to_dict(orm_key.brand)
            _same_settings(selectors.request_settings(found.key.brand), brand)
            assert found.verdict.allowed

        contact = register_contact(brand, PHONES[1])
        decision = Decision.objects.create(brand=brand, contact=contact, phone=contact.phone,
                                           intent="welcome", stage="active", status="deny",
                                           reason="FREQ_CAP",
                                           created_at=T0)
        made = Send.objects.create(decision=decision, brand=brand, contact=contact,
                                   idempotency_key=f"decision:{decision.pk}",
                                   to_phone=contact.phone, body="x", subject="welcome",
                                   scheduled_for=T0)
        send = selectors.send_for_delivery(made.pk)
        orm = Send.objects.select_related("decision", "brand").get(pk=made.pk)
        assert send is not None and selectors.send_for_delivery(made.pk + 10_000) is None
        assert model_to_dict(send) == model_to_dict(orm)
        assert model_to_dict(send.decision) == model_to_dict(orm.decision)
        assert model_to_dict(send.brand) == model_to_dict(orm.brand)
        _same_settings(selectors.request_settings(send.brand), brand)
        transaction.set_rollback(True)


def _same_settings(joined: DeliverySettings, brand) -> None:
    assert model_to_dict(joined) == model_to_dict(selectors.delivery_settings(brand))


@settings(max_examples=10, deadline=None, suppress_health_check=[
    HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(endpoints=st.lists(st.tuples(st.booleans(), st.lists(st.sampled_from(
    ["send.status_changed", "contact.opted_out"]), max_size=2)), max_size=4))
def test_the_webhook_endpoints_read_matches_the_orm(db, endpoints):
    with transaction.atomic():
        brand, other = make_brand(), make_brand()
        for n, (active, types) in enumerate(endpoints):
            for owner in (brand, other):
                WebhookEndpoint.objects.create(
                    brand=owner, url=f"https://hooks.example/{n}", secret="s" * 32,
                    event_types=types, active=active)
        orm = WebhookEndpoint.objects.filter(brand_id=brand.pk, active=True)
        assert ([model_to_dict(e) for e in active_endpoints(brand.pk)]
                == [model_to_dict(e) for e in orm])
        transaction.set_rollback(True)


clicks = st.lists(st.tuples(st.sampled_from(["+12125550123", "+13125550123", "+12135550123",
                                            "+18085550123", "+442079460958", None]),
                            st.integers(-40 * 24 * 60, 60)), max_size=40)


@settings(max_examples=25, deadline=None, suppress_health_check=[
    HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(rows=clicks, sample=st.sampled_from([3, 5000]), zoneless=st.booleans())
def test_the_brand_click_counts_match_the_orm(db, rows, sample, zoneless):
    """Clicks per local hour (each clicker's first zone, the latest `sample` clicks of the
    last 30 days, a click without a contact or a zone not counted), as the personal send
    time's brand curve reads them, through PostgreSQL and through the ORM and Python."""
    from delivery.services.journeys import timing

    with transaction.atomic():
        brand, other = make_brand(), make_brand()
        people = {}
        for n, (phone, minute) in enumerate(rows):
            if phone is not None and phone not in people:
                people[phone] = register_contact(brand, phone)
                if zoneless and phone.startswith("+44"):  # a number held without a zone
                    Contact.objects.filter(pk=people[phone].pk).update(time_zones=[])
            Event.objects.create(brand=brand, event_id=f"click-{n}", phone=phone or "",
                                 contact=people.get(phone), type="clicked",
                                 occurred_at=T0 + timedelta(minutes=minute))
        Event.objects.create(brand=other, event_id="elsewhere", phone="+12125550123",
                             type="clicked", occurred_at=T0)
        written = timing.brand_click_counts(brand.pk, now=T0, sample=sample)
        through_orm = Counter(timing.brand_click_hours(brand.pk, now=T0, sample=sample))
        assert written == [through_orm.get(hour, 0) for hour in range(24)]
        transaction.set_rollback(True)
