"""Events a flow reports about copy it pulled (`send: false`): what each type teaches the
bandit, once only, replay-safe, and refused across brands. Driven through the HTTP API."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.utils import timezone

from delivery.models import ArmState, ConsentEvent, Contact, Decision, Event, ShortLink
from tests.delivery.conftest import MERGE, phone_open_now
from tests.factories import make_api_key, make_contact, make_pool_variant

DECISIONS, EVENTS = "/api/v1/decisions", "/api/v1/events"
BROWSER = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15"


def post(client, path, body, key):
    return client.post(path, json.dumps(body), content_type="application/json",
                       headers={"Authorization": f"Bearer {key}"})


@pytest.fixture
def phone(pool_brand):
    number = phone_open_now()
    make_contact(pool_brand, number, consent_at=timezone.now() - timedelta(days=1))
    return number


def pull(client, key, phone, **extra) -> str:
    body = {"phone": phone, "intent": "cart_abandonment", "stage": "active", "merge": MERGE}
    response = post(client, DECISIONS, {**body, **extra}, key)
    assert response.status_code == 200 and response.json()["eligibility"]["status"] == "allow"
    return response.json()["decision_id"]


def report(client, key, decision_id, type, event_id=None, **extra):
    body = {"event_id": event_id or f"{type}-{decision_id}", "type": type,
            "decision_id": decision_id, **extra}
    return post(client, EVENTS, body, key)


def arm(decision_id) -> tuple[int, int, int]:
    decision = Decision.objects.get(pk=decision_id)
    state = ArmState.objects.filter(variant_id=decision.variant_id).first()
    return (state.successes, state.failures, state.penalties) if state else (0, 0, 0)


def totals() -> tuple[int, int, int]:
    """Successes, failures and penalties over every arm."""
    states = ArmState.objects.all()
    return (sum(s.successes for s in states), sum(s.failures for s in states),
            sum(s.penalties for s in states))


def test_sent_counts_a_pulled_decision_once_however_often_reported(client, api_key, phone):
    decision_id = pull(client, api_key, phone)
    assert arm(decision_id) == (0, 0, 0)  # pulled: nothing counted yet
    first = report(client, api_key, decision_id, "sent")
    replay = report(client, api_key, decision_id, "sent")
    assert (first.status_code, first.json()["duplicate"]) == (202, False)
    assert (replay.status_code, replay.json()["duplicate"]) == (202, True)
    assert report(client, api_key, decision_id, "delivered").status_code == 202
    assert arm(decision_id) == (0, 1, 0)
    assert Decision.objects.get(pk=decision_id).counted_at is not None
    assert list(Event.objects.order_by("type").values_list("type", flat=True)) == [
        "delivered", "sent"]


def test_delivered_alone_counts_the_trial_too(client, api_key, phone):
    decision_id = pull(client, api_key, phone)
    report(client, api_key, decision_id, "delivered")
    assert arm(decision_id) == (0, 1, 0)


def test_a_click_on_a_decision_never_reported_sent_counts_nothing(client, api_key, phone):
    decision_id = pull(client, api_key, phone)
    assert report(client, api_key, decision_id, "clicked").status_code == 202
    assert arm(decision_id) == (0, 0, 0)
    # ... until the flow reports the send: the click that came first is the reward.
    report(client, api_key, decision_id, "sent")
    assert arm(decision_id) == (1, 0, 0)


def test_a_click_event_rewards_a_sent_decision_once(client, api_key, phone):
    decision_id = pull(client, api_key, phone)
    report(client, api_key, decision_id, "sent")
    report(client, api_key, decision_id, "clicked", event_id="c-1")
    report(client, api_key, decision_id, "clicked", event_id="c-1")
    report(client, api_key, decision_id, "clicked", event_id="c-2")  # a second click
    assert arm(decision_id) == (1, 0, 0)


def test_a_visit_to_the_short_link_in_pulled_text_rewards_it_once(client, api_key, phone):
    decision_id = pull(client, api_key, phone)
    code = ShortLink.objects.get(decision_id=decision_id).code
    report(client, api_key, decision_id, "sent")
    for _ in range(2):
        response = client.get(f"/l/{code}", headers={"User-Agent": BROWSER})
        assert response.status_code == 302 and response["Location"] == MERGE["link"]
    assert arm(decision_id) == (1, 0, 0)
    assert Event.objects.filter(decision_id=decision_id, type="clicked").count() == 1


def test_the_brands_conversion_rewards_when_clicks_do_not(client, pool_brand, api_key, phone):
    from tests.factories import make_delivery_settings

    make_delivery_settings(pool_brand, reward_metric="conversion")
    decision_id = pull(client, api_key, phone)
    report(client, api_key, decision_id, "sent")
    report(client, api_key, decision_id, "clicked")
    assert arm(decision_id) == (0, 1, 0)
    report(client, api_key, decision_id, "purchased")
    assert arm(decision_id) == (1, 0, 0)


def test_failed_undoes_a_counted_trial_and_nothing_counts_it_again(client, api_key, phone):
    decision_id = pull(client, api_key, phone)
    report(client, api_key, decision_id, "sent")
    report(client, api_key, decision_id, "clicked")
    assert arm(decision_id) == (1, 0, 0)
    report(client, api_key, decision_id, "failed")
    assert arm(decision_id) == (0, 0, 0)
    report(client, api_key, decision_id, "delivered")
    report(client, api_key, decision_id, "clicked", event_id="later-click")
    report(client, api_key, decision_id, "failed", event_id="failed-again")
    assert arm(decision_id) == (0, 0, 0)


def test_failed_before_any_send_report_never_counts(client, api_key, phone):
    decision_id = pull(client, api_key, phone)
    report(client, api_key, decision_id, "failed")
    report(client, api_key, decision_id, "sent")
    assert arm(decision_id) == (0, 0, 0)
    assert Decision.objects.get(pk=decision_id).counted_at is None


def test_opted_out_penalises_the_arm_once_and_stops_every_later_decision(
        client, pool_brand, api_key, phone):
    decision_id = pull(client, api_key, phone)
    report(client, api_key, decision_id, "sent")
    assert report(client, api_key, decision_id, "opted_out").status_code == 202
    report(client, api_key, decision_id, "opted_out")  # replay
    report(client, api_key, decision_id, "opted_out", event_id="opt-out-again")
    assert arm(decision_id) == (0, 1, 1)
    contact = Contact.objects.get(brand=pool_brand, phone=phone)
    assert contact.opted_out
    revocations = ConsentEvent.objects.filter(contact=contact, kind="revoked")
    assert [r.source for r in revocations] == ["api"]
    again = post(client, DECISIONS, {"phone": phone, "intent": "cart_abandonment",
                                     "stage": "active", "merge": MERGE}, api_key).json()
    assert again["eligibility"] == {"status": "deny", "reason": "OPTED_OUT", "send_at": None}


def test_an_opt_out_on_a_decision_never_sent_is_recorded_but_penalises_nothing(
        client, pool_brand, api_key, phone):
    decision_id = pull(client, api_key, phone)
    report(client, api_key, decision_id, "opted_out")
    assert arm(decision_id) == (0, 0, 0)
    assert Contact.objects.get(brand=pool_brand, phone=phone).opted_out


def test_an_opt_out_without_decision_about_a_stranger_still_reaches_the_ledger(
        client, pool_brand, api_key):
    stranger = "+13125550199"
    response = post(client, EVENTS, {"event_id": "o-1", "type": "opted_out",
                                     "phone": stranger}, api_key)
    assert response.status_code == 202
    contact = Contact.objects.get(brand=pool_brand, phone=stranger)
    assert contact.opted_out
    assert contact.consent_events.get().source == ConsentEvent.Source.API


def test_another_brands_decision_is_refused_and_changes_nothing(client, pool_brand, api_key,
                                                                 phone):
    from tests.factories import make_brand

    decision_id = pull(client, api_key, phone)
    other = make_brand()
    make_pool_variant(other)
    other_key = make_api_key(other)
    for type in ("sent", "clicked", "failed", "opted_out"):
        response = report(client, other_key, decision_id, type, phone=phone)
        assert response.status_code == 422
        assert response.json()["error"]["code"] == "unknown_decision"
        assert response.json()["error"]["field"] == "decision_id"
    assert not Event.objects.exists() and arm(decision_id) == (0, 0, 0)
    assert not Contact.objects.get(brand=pool_brand, phone=phone).opted_out
    assert not Contact.objects.filter(brand=other).exists()


@pytest.mark.parametrize("type", ["sent", "delivered", "failed"])
def test_a_send_report_needs_a_decision(client, api_key, phone, type):
    response = post(client, EVENTS, {"event_id": "x", "type": type, "phone": phone}, api_key)
    assert response.status_code == 422
    assert response.json()["error"] == {
        "code": "decision_required", "field": "decision_id",
        "message": f"a '{type}' event names the decision whose text was sent"}


def test_a_denied_decision_cannot_be_reported_sent(client, pool_brand, api_key):
    denied = post(client, DECISIONS, {"phone": "+13125550100", "intent": "cart_abandonment",
                                      "stage": "active", "merge": MERGE}, api_key).json()
    assert denied["eligibility"]["status"] == "deny"
    response = report(client, api_key, denied["decision_id"], "sent")
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "decision_not_sendable"
    assert not Event.objects.exists()


def test_a_decision_the_studio_sends_takes_no_send_reports(client, api_key, phone):
    decision_id = pull(client, api_key, phone, send=True)
    response = report(client, api_key, decision_id, "delivered")
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "sent_by_studio"


def test_a_wrong_phone_for_the_decision_is_refused(client, api_key, phone):
    decision_id = pull(client, api_key, phone)
    # Another number whatever the hour (the fixture's open number is +13125550123 at some).
    wrong = "+13125550123" if phone != "+13125550123" else "+12125550123"
    response = report(client, api_key, decision_id, "sent", phone=wrong)
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "unknown_decision"


def test_an_event_needs_a_phone_or_a_decision(client, api_key):
    response = post(client, EVENTS, {"event_id": "x", "type": "clicked"}, api_key)
    assert response.status_code == 422
    assert response.json()["error"]["field"] == "phone"


# -- POST /api/v1/events/batch ------------------------------------------------------------------

BATCH = "/api/v1/events/batch"


def test_a_batch_answers_every_item_in_order_and_a_bad_one_sinks_nothing(
        client, pool_brand, api_key, phone):
    sent_one, sent_two = pull(client, api_key, phone), pull(client, api_key, phone)
    report(client, api_key, sent_two, "sent", event_id="seen-before")
    events = [
        {"event_id": "a", "type": "sent", "decision_id": sent_one},
        {"event_id": "b", "type": "opened", "decision_id": sent_one},  # unknown type
        {"event_id": "c", "type": "clicked", "decision_id": sent_one},
        {"event_id": "seen-before", "type": "sent", "decision_id": sent_two},
        {"event_id": "d", "type": "sent", "decision_id": "00000000-0000-4000-8000-000000000000"},
        {"event_id": "a", "type": "failed", "decision_id": sent_one},  # same id again
        "not an object",
        {"event_id": "e", "type": "clicked", "phone": "12"},
        {"event_id": "f", "type": "delivered", "phone": phone},  # no decision
    ]
    response = post(client, BATCH, {"events": events}, api_key)
    assert response.status_code == 200
    body = response.json()
    assert [(r["index"], r["event_id"], r["status"]) for r in body["results"]] == [
        (0, "a", "accepted"), (1, "b", "error"), (2, "c", "accepted"),
        (3, "seen-before", "duplicate"), (4, "d", "error"), (5, "a", "duplicate"),
        (6, None, "error"), (7, "e", "error"), (8, "f", "error")]
    errors = {r["index"]: r["error"] for r in body["results"] if r["error"]}
    assert (errors[1]["code"], errors[1]["field"]) == ("validation_error", "type")
    assert (errors[4]["code"], errors[4]["field"]) == ("unknown_decision", "decision_id")
    assert errors[6]["code"] == "validation_error"
    assert (errors[7]["code"], errors[7]["field"]) == ("invalid_phone", "phone")
    assert errors[8]["code"] == "decision_required"
    assert (body["accepted"], body["duplicates"], body["errors"]) == (2, 2, 5)
    # The good items were applied: sent then clicked is a success; "a" was not voided.
    one = Decision.objects.get(pk=sent_one)
    assert one.counted_at and one.rewarded_at and one.voided_at is None
    assert totals() == (1, 1, 0)  # sent_two's trial is the one failure
    assert set(Event.objects.values_list("event_id", flat=True)) == {"a", "c", "seen-before"}


def test_a_replayed_batch_changes_nothing(client, api_key, phone):
    decisions = [pull(client, api_key, phone) for _ in range(3)]
    events = [{"event_id": f"s-{n}", "type": "sent", "decision_id": d}
              for n, d in enumerate(decisions)]
    events.append({"event_id": "click-0", "type": "clicked", "decision_id": decisions[0]})
    first = post(client, BATCH, {"events": events}, api_key).json()
    again = post(client, BATCH, {"events": events}, api_key).json()
    assert (first["accepted"], first["duplicates"]) == (4, 0)
    assert (again["accepted"], again["duplicates"]) == (0, 4)
    assert totals() == (1, 2, 0)
    assert Event.objects.count() == 4


def test_a_batch_holds_at_most_1000_events(client, api_key, phone):
    events = [{"event_id": f"e-{n}", "type": "clicked", "phone": phone} for n in range(1001)]
    response = post(client, BATCH, {"events": events}, api_key)
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "validation_error"
    assert response.json()["error"]["field"] == "events"
    assert post(client, BATCH, {"events": []}, api_key).status_code == 422
    assert not Event.objects.exists()


def test_a_full_batch_of_1000_is_accepted_and_counted_exactly(client, pool_brand, api_key,
                                                               phone):
    from delivery.models import Decision as DecisionModel

    base = DecisionModel.objects.get(pk=pull(client, api_key, phone))
    copies = []
    for _ in range(499):
        base.pk, base.idempotency_key = None, ""
        copies.append(DecisionModel(**{f.attname: getattr(base, f.attname)
                                       for f in DecisionModel._meta.concrete_fields
                                       if f.attname not in ("id",)}))
    ids = [str(d.pk) for d in DecisionModel.objects.bulk_create(copies)]
    events = [{"event_id": f"s-{d}", "type": "sent", "decision_id": d} for d in ids]
    events += [{"event_id": f"c-{d}", "type": "clicked", "decision_id": d} for d in ids[:100]]
    events += [{"event_id": f"x-{n}", "type": "converted", "phone": phone} for n in range(401)]
    assert len(events) == 1000
    body = post(client, BATCH, {"events": events}, api_key).json()
    assert (body["accepted"], body["errors"]) == (1000, 0)
    state = ArmState.objects.get(variant_id=base.variant_id)
    assert (state.successes, state.failures) == (100, 399)
