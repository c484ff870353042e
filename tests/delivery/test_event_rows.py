"""The written-out reads of an event batch answer what the ORM answers."""

from __future__ import annotations

import uuid
from datetime import timedelta

from django.utils import timezone

from delivery import services
from delivery.models import Contact, Decision, Event, Send
from delivery.services import event_rows
from tests.delivery.conftest import MERGE, NOON_NY, NY
from tests.factories import make_brand, make_contact, make_pool_variant


def _decide(brand, phone=NY, **extra):
    return services.decide(brand, services.DecisionRequest(phone=phone, intent="cart_abandonment", stage="active",
                           merge=MERGE, now=NOON_NY, **extra))


def test_decision_facts_match_the_orm_and_stay_within_the_brand(pool_brand):
    make_contact(pool_brand, NY, consent_at=NOON_NY - timedelta(days=3))
    pulled, sent = _decide(pool_brand), _decide(pool_brand, send=True)
    denied = _decide(pool_brand, phone="+13125550100")
    other = make_brand()
    make_pool_variant(other)
    make_contact(other, NY, consent_at=NOON_NY - timedelta(days=3))
    foreign = _decide(other)
    ids = [pulled.pk, sent.pk, denied.pk, foreign.pk, uuid.uuid4()]
    facts = event_rows.decision_facts(pool_brand.pk, ids)
    orm = {d.pk: (d.phone, d.status, d.reason, Send.objects.filter(decision=d).exists())
           for d in Decision.objects.filter(brand=pool_brand, pk__in=ids)}
    assert {k: (f.phone, f.status, f.reason, f.sent_by_studio) for k, f in facts.items()} == orm
    assert facts[sent.pk].sent_by_studio and not facts[pulled.pk].sent_by_studio


def test_contact_ids_and_known_events_match_the_orm(pool_brand):
    make_contact(pool_brand, NY)
    make_contact(make_brand(), "+13125550123")
    phones = [NY, "+13125550123", "+14155550100"]
    assert event_rows.contact_ids(pool_brand.pk, phones) == dict(
        Contact.objects.filter(brand=pool_brand, phone__in=phones).values_list("phone", "pk"))
    Event.objects.create(brand=pool_brand, event_id="x", phone=NY, type="clicked",
                         occurred_at=timezone.now())
    assert event_rows.known_event_ids(pool_brand.pk, ["x", "y"]) == set(
        Event.objects.filter(brand=pool_brand, event_id__in=["x", "y"])
        .values_list("event_id", flat=True))
    assert event_rows.known_event_ids(make_brand().pk, ["x"]) == set()
