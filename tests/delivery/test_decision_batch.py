"""POST /api/v1/decisions/batch: per-recipient answers in order, partial failure, the same
answers as single calls, one read and one write."""

from __future__ import annotations

import random
import re
from datetime import timedelta

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from delivery import services
from delivery.models import Decision, OutboxMessage, Send, ShortLink
from delivery.services.batch import BatchRequest, Recipient, decide_batch
from delivery.services.sending import enqueue_delivery
from tests.delivery.conftest import MERGE, NIGHT_NY, NOON_NY, NY
from tests.delivery.test_api import call, error_of
from tests.factories import make_contact, make_delivery_settings

BATCH = "/api/v1/decisions/batch"
CONSENTED = NOON_NY - timedelta(days=10)
FLORIDA, CHICAGO, NO_CONSENT, STRANGER = ("+13055550123", "+13125550123", "+14155550123",
                                          "+16175550123")


@pytest.fixture
def people(pool_brand):
    for phone in (NY, FLORIDA, CHICAGO):
        make_contact(pool_brand, phone, consent_at=CONSENTED)
    make_contact(pool_brand, NO_CONSENT, consent=False)
    opted = make_contact(pool_brand, "+12065550123", consent_at=CONSENTED)
    services.opt_out_contact(opted, at=CONSENTED + timedelta(days=1), source="keyword")
    return pool_brand


def body(recipients, **extra):
    return {"intent": "cart_abandonment", "stage": "active", "recipients": recipients, **extra}


def test_each_recipient_gets_an_answer_in_order_and_bad_ones_fail_alone(client, people,
                                                                        api_key):
    first = call(client, BATCH, body([{"phone": NY, "merge": MERGE, "idempotency_key": "a"}]),
                 api_key).json()["results"][0]
    recipients = [
        {"phone": "not a number", "merge": MERGE},
        {"phone": CHICAGO, "merge": {"first_name": "Ada"}},  # the copy needs {link}
        {"phone": NY, "merge": MERGE, "idempotency_key": "a"},  # a retry: the same answer
        {"phone": NY, "merge": {**MERGE, "first_name": "Bo"}, "idempotency_key": "a"},
        {"phone": FLORIDA, "merge": MERGE},
        {"phone": NO_CONSENT, "merge": MERGE},
        {"phone": "+12065550123", "merge": MERGE},
        {"phone": STRANGER, "merge": MERGE},
    ]
    response = call(client, BATCH, body(recipients), api_key)
    assert response.status_code == 200
    results = response.json()["results"]
    assert len(results) == len(recipients)
    assert results[0]["error"]["code"] == "invalid_phone"
    assert results[1]["error"] == {"code": "missing_merge_field", "field": "merge.link",
                                   "message": results[1]["error"]["message"]}
    assert results[2]["decision_id"] == first["decision_id"] and results[2]["error"] is None
    assert results[3]["error"]["code"] == "idempotency_conflict"
    reasons = [r["eligibility"]["reason"] for r in results[5:]]
    assert reasons == ["NO_CONSENT", "OPTED_OUT", "NO_CONSENT"]
    florida = results[4]
    assert florida["eligibility"]["status"] in ("allow", "defer")
    assert "Sam" in florida["text"] and "/l/" in florida["text"]
    # 1 earlier + Florida + the three denials are stored; the failures store nothing.
    assert Decision.objects.count() == 5
    assert ShortLink.objects.filter(decision_id=florida["decision_id"]).count() == 1


def test_a_whole_request_that_is_malformed_is_a_typed_422(client, people, api_key):
    too_many = [{"phone": NY, "merge": MERGE}] * 1001
    assert error_of(call(client, BATCH, body(too_many), api_key))["field"] == "recipients"
    assert error_of(call(client, BATCH, body([]), api_key))["code"] == "validation_error"
    bad = call(client, BATCH, body([{"phone": NY, "merge": {"1x": "a"}}]), api_key)
    assert bad.status_code == 422
    assert call(client, BATCH, body([{"phone": NY}])).status_code == 401
    assert not Decision.objects.exists()


def test_send_queues_every_allowed_text_and_caps_count_within_the_batch(
        client, people, api_key, django_capture_on_commit_callbacks):
    make_delivery_settings(people, daily_cap=1)
    recipients = [{"phone": NY, "merge": MERGE}, {"phone": NY, "merge": MERGE},
                  {"phone": NO_CONSENT, "merge": MERGE}]
    with django_capture_on_commit_callbacks() as callbacks:
        decide_batch(people, BatchRequest("cart_abandonment", "active",
                                          [Recipient(r["phone"], r["merge"])
                                           for r in recipients], send=True, now=NOON_NY))
    first, second = Decision.objects.filter(phone=NY).order_by("send_at")
    assert (first.status, second.status, second.reason) == ("allow", "defer", "FREQ_CAP")
    assert second.send_at == NOON_NY + timedelta(hours=24)
    sends = {s.decision_id: s for s in Send.objects.all()}
    assert set(sends) == {first.pk, second.pk}
    assert sends[second.pk].scheduled_for == second.send_at
    assert sends[first.pk].idempotency_key == f"decision:{first.pk}"
    assert sorted((c.func, c.args) for c in callbacks) == sorted(
        [(enqueue_delivery, (sends[first.pk].pk, NOON_NY)),
         (enqueue_delivery, (sends[second.pk].pk, second.send_at))])
    assert OutboxMessage.objects.get().why_not == "NO_CONSENT"
    # The worker sends the first; the second is not pushed back by anything queued.
    assert services.deliver(sends[first.pk].pk, now=NOON_NY).result == "sent"


def _answers(decisions) -> list[tuple]:
    masked = [(d.status, d.reason, d.send_at, d.variant_id,
               re.sub(r"/l/\w+", "/l/CODE", d.text), d.encoding, d.segments,
               d.propensities, d.merge)
              if isinstance(d, Decision) else (type(d).__name__, d.code, d.field)
              for d in decisions]
    return masked


@pytest.mark.parametrize("now", [NOON_NY, NIGHT_NY])
@pytest.mark.parametrize("send", [False, True])
def test_a_batch_answers_exactly_as_single_calls_in_order(people, now, send):
    make_delivery_settings(people, daily_cap=2)
    phones = [NY, FLORIDA, NY, NO_CONSENT, CHICAGO, "bad", STRANGER, NY, FLORIDA]
    merges = [MERGE, MERGE, {**MERGE, "first_name": "Al"}, MERGE, MERGE, MERGE, MERGE, MERGE,
              {"first_name": "Zed"}]
    with transaction.atomic():
        batch = decide_batch(people, BatchRequest(
            "cart_abandonment", "active", [Recipient(p, m) for p, m in
                                          zip(phones, merges, strict=True)],
            send=send, now=now, rng=random.Random(3)))
        from_batch = _answers(batch)
        transaction.set_rollback(True)
    rng, singles = random.Random(3), []
    for phone, merge in zip(phones, merges, strict=True):
        try:
            singles.append(services.decide(people, services.DecisionRequest(
                phone=phone, intent="cart_abandonment", stage="active", merge=merge,
                send=send, now=now, rng=rng)))
        except services.DeliveryError as error:
            singles.append(error)
    assert from_batch == _answers(singles)
    assert {a[0] for a in from_batch} >= {"deny", "InvalidPhoneNumber", "MissingMergeField"}


def test_a_batch_is_one_read_and_one_write(people):
    recipients = [Recipient(p, MERGE) for p in (NY, FLORIDA, CHICAGO, NO_CONSENT)]
    with CaptureQueriesContext(connection) as queries:
        decide_batch(people, BatchRequest("cart_abandonment", "active", recipients,
                                          now=NOON_NY, rng=random.Random(1)))
    statements = [q["sql"] for q in queries.captured_queries
                  if not q["sql"].startswith(("SAVEPOINT", "RELEASE SAVEPOINT"))]
    reads = [s for s in statements if "delivery_contact" in s and "FROM unnest" in s]
    writes = [s for s in statements if s.lstrip().startswith("WITH d AS")]
    # the settings row and the guard policy (cached per process after the first read)
    others = [s for s in statements if s not in reads and s not in writes]
    assert (len(reads), len(writes)) == (1, 1)
    assert all("delivery_decision" not in s for s in others)
    assert Decision.objects.count() == 4


def test_the_bench_floor_view_is_not_mounted_without_the_bench_flag(client, people):
    assert client.post("/api/bench/floor?brand=1", "{}",
                       content_type="application/json").status_code == 404
