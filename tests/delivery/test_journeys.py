"""Journeys through the public API: behaviour events in, steps scheduled in the database,
fired through delivery's own decision, ended by purchases, carts, opt-outs and priority.

Events go through `POST /api/v1/events` (the real clock stamps arrival; `occurred_at` places
them in time); the scheduler is driven with an injected clock (`fire_due_steps(now=…)`).
"""

from __future__ import annotations

import json
import threading
import time
from datetime import timedelta

import pytest
from django.db import connection, transaction
from django.test import Client
from django.utils import timezone

from delivery import services
from delivery.models import Decision, Event, JourneyStep, OutboxMessage, Send, ShortLink
from delivery.services.journeys import fire_due_steps
from tests.delivery.conftest import phone_closed_now, phone_open_now, phones_open_now
from tests.factories import make_contact, make_pool_variant

EVENTS, DECISIONS = "/api/v1/events", "/api/v1/decisions"
CART_URL = "https://acme.co/cart/123"
TENT = {"id": "sku-1", "name": "Ridge tent", "category": "tents", "price": 249.0,
        "url": "https://acme.co/p/ridge"}


def post(client, key, path, body):
    return client.post(path, json.dumps(body), content_type="application/json",
                       headers={"Authorization": f"Bearer {key}"})


def event(client, key, phone, type, event_id, *, ago=timedelta(0), **extra):
    body = {"event_id": event_id, "type": type,
            "occurred_at": (timezone.now() - ago).isoformat(), **extra}
    if phone:
        body["phone"] = phone
    response = post(client, key, EVENTS, body)
    assert response.status_code == 202, response.content
    return response.json()


@pytest.fixture
def shop(pool_brand):
    """Copy for the stages and intents journeys ask for (first_time_browser, new_customer)."""
    for intent in ("cart_abandonment", "browse_abandonment", "welcome", "back_in_stock",
                   "price_drop", "post_purchase_cross_sell", "win_back"):
        for stage in ("first_time_browser", "new_customer"):
            make_pool_variant(pool_brand, intent=intent, stage=stage,
                              text="Acme Outdoors: {first_name}, have a look: {link} "
                                   "Reply STOP to opt out")
    return pool_brand


@pytest.fixture
def person(shop):
    phone = phone_open_now(minutes=600)
    return make_contact(shop, phone, first_name="Sam")


def steps(contact, **filters):
    return list(JourneyStep.objects.filter(contact=contact, **filters).order_by("pk"))


# --- Behaviour events -------------------------------------------------------------------------

def test_behaviour_events_are_stored_with_their_payload_once(client, shop, api_key, person):
    first = event(client, api_key, person.phone, "product_viewed", "v1", product=TENT)
    again = event(client, api_key, person.phone, "product_viewed", "v1", product=TENT)
    assert (first["duplicate"], again["duplicate"]) == (False, True)
    stored = Event.objects.get(event_id="v1")
    assert stored.type == "product_viewed" and stored.data["product"]["name"] == "Ridge tent"
    assert stored.contact == person
    event(client, api_key, person.phone, "purchased", "o1",
          order={"id": "o1", "value": 249.0, "items": [{"id": "sku-1", "quantity": 1}]})
    assert Event.objects.get(event_id="o1").data["order"]["items"] == [
        {"id": "sku-1", "quantity": 1}]


@pytest.mark.parametrize(("body", "field"), [
    ({"type": "product_viewed", "phone": "+12125550123"}, "product"),
    ({"type": "added_to_cart"}, "phone"),
    ({"type": "price_dropped", "product": {"id": "x", "name": "X", "url": "ftp://x"}},
     "product.url"),
    ({"type": "purchased", "phone": "+12125550123",
      "order": {"id": "o", "value": -1, "items": []}}, "order.value"),
    ({"type": "teleported", "phone": "+12125550123"}, "type"),
])
def test_bad_behaviour_events_get_a_typed_422_and_store_nothing(client, api_key, body, field):
    response = post(client, api_key, EVENTS, {"event_id": "bad", **body})
    assert response.status_code == 422
    assert response.json()["error"]["field"] == field
    assert not Event.objects.exists()


def test_product_news_needs_no_phone(client, shop, api_key):
    event(client, api_key, None, "back_in_stock", "stock-1", product=TENT)
    assert Event.objects.get(event_id="stock-1").phone == ""


def test_the_decision_api_uses_the_behaviour_stage_when_none_is_passed(client, shop, api_key,
                                                                     person):
    body = {"phone": person.phone, "intent": "cart_abandonment",
            "merge": {"first_name": "Sam", "link": CART_URL}}
    first = Decision.objects.get(pk=post(client, api_key, DECISIONS, body).json()["decision_id"])
    assert first.stage == "first_time_browser"
    event(client, api_key, person.phone, "purchased", "o1", order={"id": "o1", "value": 5})
    second = Decision.objects.get(pk=post(client, api_key, DECISIONS, body).json()["decision_id"])
    assert second.stage == "new_customer"
    assert [(c.from_stage, c.to_stage) for c in person.stage_changes.order_by("occurred_at",
                                                                           "id")] == [
        ("", "first_time_browser"), ("first_time_browser", "new_customer")]


def test_a_batch_of_behaviour_events_starts_and_ends_what_one_by_one_would(client, shop,
                                                                          api_key, person):
    """One POST /api/v1/events/batch: each item is judged at its own time, in order, on its
    own (a refused item writes nothing and sinks nothing), and the journeys end up exactly
    as if the events had come one per request."""
    other = make_contact(shop, next(p for p in phones_open_now(2, minutes=600)
                                    if p != person.phone))
    now = timezone.now()

    def item(phone, type, event_id, minutes, **extra):
        return {"event_id": event_id, "type": type, "phone": phone,
                "occurred_at": (now - timedelta(minutes=minutes)).isoformat(), **extra}

    items = [
        item(person.phone, "product_viewed", "v1", 50, product=TENT),
        item(person.phone, "product_viewed", "v2", 40, product=TENT),
        item(person.phone, "added_to_cart", "c1", 30, cart_url=CART_URL),
        item("not a phone", "added_to_cart", "c-bad", 25, cart_url=CART_URL),
        item(other.phone, "added_to_cart", "c2", 20, cart_url=CART_URL),
        item(person.phone, "product_viewed", "v1", 50, product=TENT),   # a replay
        item(other.phone, "purchased", "o1", 10, order={"id": "o1", "value": 20}),
    ]
    answer = post(client, api_key, "/api/v1/events/batch", {"events": items})
    assert answer.status_code == 200, answer.content
    body = answer.json()
    assert [r["status"] for r in body["results"]] == [
        "accepted", "accepted", "accepted", "error", "accepted", "duplicate", "accepted"]
    assert body["results"][3]["error"]["code"] == "invalid_phone"
    assert not Event.objects.filter(event_id="c-bad").exists()
    mine = {(s.intent, s.status, s.reason) for s in steps(person)}
    assert mine == {("browse_abandonment", "canceled", "added_to_cart"),
                    ("cart_abandonment", "pending", "")}
    theirs = {(s.intent, s.status, s.reason) for s in steps(other)}
    assert theirs == {("cart_abandonment", "canceled", "purchase"),
                      ("post_purchase_cross_sell", "pending", ""), ("win_back", "pending", "")}
    assert Event.objects.get(event_id="o1").contact == other


def test_a_batch_that_races_another_request_for_an_event_id_answers_duplicate(
        transactional_db, shop, api_key, person):
    """Another request is storing event `x` (for someone else) and has not committed when a
    batch naming `x` arrives: the batch's `x` waits, is undone when the other commits and
    answers duplicate; the events around it are stored once."""
    other = make_contact(shop, next(p for p in phones_open_now(2, minutes=600)
                                    if p != person.phone))
    answers = []

    def send_batch():
        try:
            answers.append(post(Client(), api_key, "/api/v1/events/batch", {"events": [
                {"event_id": "v-before", "type": "product_viewed", "phone": person.phone,
                 "product": TENT},
                {"event_id": "x", "type": "added_to_cart", "phone": person.phone,
                 "cart_url": CART_URL},
                {"event_id": "v-after", "type": "product_viewed", "phone": person.phone,
                 "product": TENT}]}))
        finally:
            connection.close()

    with transaction.atomic():
        services.record_event(shop, event_id="x", type="added_to_cart", phone=other.phone,
                              data={"cart_url": CART_URL})
        racer = threading.Thread(target=send_batch)
        racer.start()
        _wait_for_a_blocked_lock()
    racer.join(timeout=60)
    assert not racer.is_alive()
    body = answers[0].json()
    assert [r["status"] for r in body["results"]] == ["accepted", "duplicate", "accepted"]
    assert Event.objects.get(event_id="x").contact == other
    assert Event.objects.filter(event_id__in=["v-before", "v-after"], contact=person).count() == 2
    assert not steps(person, intent="cart_abandonment")  # the cart was someone else's


def _wait_for_a_blocked_lock(seconds: float = 30) -> None:
    """Until another session waits for a lock this one holds (pg_locks is read live)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM pg_locks WHERE NOT granted")
            if cursor.fetchone()[0]:
                return
        time.sleep(0.05)
    raise AssertionError("the batch never waited for the other request's event")


# --- Cart abandonment -------------------------------------------------------------------------

def test_a_cart_waits_an_hour_then_asks_delivery_once(client, shop, api_key, person):
    event(client, api_key, person.phone, "added_to_cart", "c1", product=TENT, cart_url=CART_URL)
    (step,) = steps(person)
    assert step.intent == "cart_abandonment" and step.status == "pending"
    assert step.due_at - step.trigger_at == timedelta(minutes=60)
    assert fire_due_steps(now=step.due_at - timedelta(seconds=1)) == 0
    assert fire_due_steps(now=step.due_at) == 1
    step.refresh_from_db()
    assert step.status == "fired" and step.decision.status == "allow"
    send = Send.objects.get(decision=step.decision)
    assert send.status == "pending" and send.subject == "cart_abandonment"
    link = ShortLink.objects.get(decision=step.decision)
    assert link.destination == CART_URL and f"/l/{link.code}" in send.body
    assert step.decision.idempotency_key == f"journey-step:{step.pk}"
    assert fire_due_steps(now=step.due_at + timedelta(minutes=5)) == 0  # never twice


def test_a_second_cart_add_restarts_the_wait_instead_of_adding_a_step(client, shop, api_key,
                                                                      person):
    event(client, api_key, person.phone, "added_to_cart", "c1", ago=timedelta(minutes=30),
          cart_url=CART_URL)
    event(client, api_key, person.phone, "added_to_cart", "c2", cart_url=CART_URL)
    (step,) = steps(person)
    assert step.trigger_event.event_id == "c2"


def test_a_purchase_before_the_wait_ends_the_cart_journey(client, shop, api_key, person):
    event(client, api_key, person.phone, "added_to_cart", "c1", ago=timedelta(minutes=20),
          cart_url=CART_URL)
    event(client, api_key, person.phone, "purchased", "o1", ago=timedelta(minutes=5),
          order={"id": "o1", "value": 249})
    cart = steps(person, intent="cart_abandonment")[0]
    assert (cart.status, cart.reason) == ("canceled", "purchase")
    assert fire_due_steps(now=timezone.now() + timedelta(hours=2)) == 0


def test_a_late_purchase_is_placed_at_its_time(client, shop, api_key, person):
    """The purchase happened before the cart add (an earlier order, reported late): the new
    cart still gets its reminder. A cart reported after a purchase that followed it starts
    nothing: no step, no decision, no send, now or when its wait would have ended."""
    event(client, api_key, person.phone, "added_to_cart", "c1", ago=timedelta(minutes=10),
          cart_url=CART_URL)
    event(client, api_key, person.phone, "purchased", "o-old", ago=timedelta(days=2),
          order={"id": "o-old", "value": 10})
    assert steps(person, intent="cart_abandonment")[0].status == "pending"

    # A second person for certain (a digit swap on the fixture's number is a no-op for the
    # numbers outside the 555-0123 block, which made this the same person at some hours).
    other = make_contact(shop, next(p for p in phones_open_now(2, minutes=600)
                                    if p != person.phone))
    event(client, api_key, other.phone, "purchased", "o2", ago=timedelta(minutes=5),
          order={"id": "o2", "value": 10})
    event(client, api_key, other.phone, "added_to_cart", "c-late", ago=timedelta(minutes=30),
          cart_url=CART_URL)
    assert steps(other, intent="cart_abandonment") == []
    fire_due_steps(now=timezone.now() + timedelta(hours=2))
    assert not Decision.objects.filter(contact=other, intent="cart_abandonment").exists()
    assert not Send.objects.filter(contact=other, subject="cart_abandonment").exists()
    assert steps(person, intent="cart_abandonment")[0].status == "fired"  # theirs still went


def test_a_purchase_cancels_a_cart_send_scheduled_through_the_decision_api(client, shop,
                                                                          api_key):
    """A flow asked for a cart text with send: true at night (deferred to the morning); the
    purchase cancels it at once, and the reason is on the send."""
    contact = make_contact(shop, phone_closed_now(minutes=60), first_name="Sam")
    body = {"phone": contact.phone, "intent": "cart_abandonment", "stage": "first_time_browser",
            "merge": {"first_name": "Sam", "link": CART_URL}, "send": True}
    answer = post(client, api_key, DECISIONS, body).json()
    assert answer["eligibility"]["status"] == "defer"
    send = Send.objects.get(decision_id=answer["decision_id"])
    assert send.status == "pending"
    event(client, api_key, contact.phone, "purchased", "o1", order={"id": "o1", "value": 99})
    send.refresh_from_db()
    assert send.status == "canceled" and send.error_message.startswith("EXIT_PURCHASE")
    assert OutboxMessage.objects.get(send=send, kind="blocked").why_not == "EXIT_PURCHASE"


# --- Browse, welcome, post-purchase, news -----------------------------------------------------

def test_browse_needs_two_views_of_a_product_or_category_within_the_hour(client, shop, api_key,
                                                                         person):
    event(client, api_key, person.phone, "product_viewed", "v1", ago=timedelta(minutes=90),
          product=TENT)
    event(client, api_key, person.phone, "product_viewed", "v2", product={
        **TENT, "id": "sku-9", "category": "stoves"})
    assert steps(person) == []  # two views, but 90 minutes apart and different things
    event(client, api_key, person.phone, "product_viewed", "v3", product={
        **TENT, "id": "sku-10", "category": "stoves", "name": "Pocket stove"})
    (browse,) = steps(person)  # the same category twice within the hour
    assert browse.intent == "browse_abandonment" and browse.merge["product_name"] == "Pocket stove"
    event(client, api_key, person.phone, "added_to_cart", "c1", cart_url=CART_URL)
    browse.refresh_from_db()
    assert (browse.status, browse.reason) == ("canceled", "added_to_cart")


def test_welcome_waits_for_effective_consent(client, shop, api_key):
    contact = make_contact(shop, phone_open_now(minutes=600), consent=False, first_name="Ana")
    event(client, api_key, contact.phone, "subscribed", "s1", cart_url="https://acme.co/")
    (welcome,) = steps(contact)
    now = timezone.now()
    fire_due_steps(now=now)
    welcome.refresh_from_db()
    assert welcome.status == "pending" and welcome.due_at > now  # looks again later
    services.record_consent(contact, kind="granted", source="keyword",
                            inbound_message_sid="SM" + "1" * 32, occurred_at=now)
    fire_due_steps(now=welcome.due_at)
    welcome.refresh_from_db()
    assert welcome.status == "fired" and welcome.decision.status == "allow"


def test_a_purchase_schedules_cross_sell_replenishment_and_win_back(client, shop, api_key,
                                                                    person):
    event(client, api_key, person.phone, "purchased", "o1", order={
        "id": "o1", "value": 30, "items": [{"id": "fuel", "quantity": 2, "reorder_days": 21},
                                           {"id": "tent", "quantity": 1}]})
    waits = {s.intent: s.due_at - s.trigger_at for s in steps(person)}
    assert waits == {"post_purchase_cross_sell": timedelta(days=3),
                     "replenishment": timedelta(days=21), "win_back": timedelta(days=60)}
    event(client, api_key, person.phone, "purchased", "o2", order={
        "id": "o2", "value": 30, "items": [{"id": "fuel", "quantity": 1, "reorder_days": 21}]})
    by_status = {(s.intent, s.status, s.reason) for s in steps(person)}
    assert ("win_back", "canceled", "purchase") in by_status          # re-armed
    assert ("replenishment", "canceled", "purchase") in by_status     # bought it again
    assert sum(1 for s in steps(person, status="pending") if s.intent == "win_back") == 1


def test_back_in_stock_reaches_only_the_people_who_viewed_the_product(client, shop, api_key,
                                                                      person):
    other = make_contact(shop, next(p for p in phones_open_now(2, minutes=600)
                                    if p != person.phone))
    event(client, api_key, person.phone, "product_viewed", "v1", ago=timedelta(days=2),
          product=TENT)
    event(client, api_key, other.phone, "product_viewed", "v2", product={**TENT, "id": "sku-8"})
    event(client, api_key, None, "back_in_stock", "stock-1", product=TENT)
    (step,) = JourneyStep.objects.filter(intent="back_in_stock")
    assert step.contact == person and step.merge["link"] == TENT["url"]
    fire_due_steps(now=timezone.now())
    step.refresh_from_db()
    assert step.status == "fired" and step.decision.status == "allow"


# --- Exits ------------------------------------------------------------------------------------

def test_an_opt_out_ends_every_step_and_waiting_send_at_once(client, shop, api_key, person):
    event(client, api_key, person.phone, "added_to_cart", "c1", ago=timedelta(minutes=61),
          cart_url=CART_URL)
    fire_due_steps(now=timezone.now())
    event(client, api_key, person.phone, "subscribed", "s1")  # a welcome, still pending
    fired = JourneyStep.objects.get(contact=person, status="fired")
    send = Send.objects.get(decision=fired.decision)
    Send.objects.filter(pk=send.pk).update(scheduled_for=timezone.now() + timedelta(hours=1))
    services.opt_out_contact(person, at=timezone.now(), source="keyword",
                             inbound_message_sid="SM" + "2" * 32)
    send.refresh_from_db()
    assert send.status == "canceled" and send.error_message.startswith("EXIT_OPT_OUT")
    assert not JourneyStep.objects.filter(contact=person, status="pending").exists()
    reasons = dict(JourneyStep.objects.filter(contact=person).values_list("intent", "reason"))
    assert reasons == {"cart_abandonment": "opt_out", "welcome": "opt_out"}


def test_a_newer_higher_priority_journey_supersedes_a_competing_one(client, shop, api_key,
                                                                    person):
    event(client, api_key, person.phone, "product_viewed", "v1", ago=timedelta(days=1),
          product=TENT)
    event(client, api_key, None, "price_dropped", "price-1", product={**TENT, "price": 199.0})
    (drop,) = steps(person, intent="price_drop")
    assert drop.status == "pending"
    event(client, api_key, person.phone, "added_to_cart", "c1", cart_url=CART_URL)
    drop.refresh_from_db()
    assert (drop.status, drop.reason) == ("canceled", "superseded")
    # …and a lower one arriving while the cart waits is stored beaten, not scheduled.
    event(client, api_key, None, "back_in_stock", "stock-1", product=TENT)
    (stock,) = steps(person, intent="back_in_stock")
    assert (stock.status, stock.reason) == ("canceled", "superseded")


def test_ended_consent_ends_the_step_with_the_reason(client, shop, api_key, person):
    event(client, api_key, person.phone, "added_to_cart", "c1", cart_url=CART_URL)
    services.record_consent(person, kind="revoked", source="support")
    (step,) = steps(person)
    fire_due_steps(now=step.due_at)
    step.refresh_from_db()
    assert (step.status, step.reason) == ("canceled", "consent_ended")
    assert step.decision.reason == "NO_CONSENT"


def test_a_step_past_its_freshness_expires_unsent(client, shop, api_key, person):
    event(client, api_key, person.phone, "added_to_cart", "c1", cart_url=CART_URL)
    (step,) = steps(person)
    fire_due_steps(now=step.expires_at)
    step.refresh_from_db()
    assert (step.status, step.reason, step.decision) == ("expired", "expired", None)
    event(client, api_key, person.phone, "added_to_cart", "c-old", ago=timedelta(hours=6),
          cart_url=CART_URL)
    late = JourneyStep.objects.get(trigger_event__event_id="c-old")
    assert (late.status, late.reason) == ("expired", "expired")


def test_a_turned_off_journey_starts_nothing_and_cancels_what_waits(client, shop, api_key,
                                                                   person):
    event(client, api_key, person.phone, "added_to_cart", "c1", cart_url=CART_URL)
    (step,) = steps(person)
    step.journey.enabled = False
    step.journey.save()
    fire_due_steps(now=step.due_at)
    step.refresh_from_db()
    assert (step.status, step.reason) == ("canceled", "disabled")
    event(client, api_key, person.phone, "added_to_cart", "c2", cart_url=CART_URL)
    assert len(steps(person)) == 1


def test_a_step_waits_for_the_persons_own_click_hour_within_its_window(client, shop, api_key):
    from zoneinfo import ZoneInfo

    ny = ZoneInfo("America/New_York")
    contact = make_contact(shop, "+12125550188")
    today = timezone.now().astimezone(ny).replace(hour=19, minute=5, second=0, microsecond=0)
    for day in range(1, 25):  # two dozen evening clicks: their habit outweighs the prior
        event(client, api_key, contact.phone, "clicked", f"click-{day}",
              ago=timezone.now() - (today - timedelta(days=day)))
    event(client, api_key, contact.phone, "purchased", "o1", order={"id": "o1", "value": 5})
    cross_sell = steps(contact, intent="post_purchase_cross_sell")[0]
    assert cross_sell.due_at.astimezone(ny).hour == 19
    assert cross_sell.trigger_at + timedelta(days=3) <= cross_sell.due_at < cross_sell.expires_at
    win_back = steps(contact, intent="win_back")[0]
    assert win_back.due_at.astimezone(ny).hour == 19


# --- Personal send time from the person's own engagement ---------------------------------------

NY_ZONE = "America/New_York"


def _ny(days_ago: int, hour: int, minute: int = 5):
    from zoneinfo import ZoneInfo

    local = timezone.now().astimezone(ZoneInfo(NY_ZONE)) - timedelta(days=days_ago)
    return local.replace(hour=hour, minute=minute, second=0, microsecond=0)


def _morning_brand_clicks(client, key, shop):
    """Someone else's clicks at 10:00 New York time: the brand's curve peaks there."""
    other = make_contact(shop, "+12125550177")
    for day in range(2, 22):
        event(client, key, other.phone, "clicked", f"brand-click-{day}",
              ago=timezone.now() - _ny(day, 10))


def _cross_sell_hour(contact) -> int:
    from zoneinfo import ZoneInfo

    (step,) = steps(contact, intent="post_purchase_cross_sell")
    return step.due_at.astimezone(ZoneInfo(NY_ZONE)).hour


def _alone_and_batched(client, key, shop, history, phones):
    """The same history twice: one event per request for one person, one batch request
    for the other (`history(prefix)` gives the events, the prefix keeps event_ids apart)."""
    alone, batched = (make_contact(shop, phone) for phone in phones)
    for body in history("alone"):
        assert post(client, key, EVENTS, {**body, "phone": alone.phone}).status_code == 202
    response = post(client, key, "/api/v1/events/batch",
                    {"events": [{**b, "phone": batched.phone} for b in history("batch")]})
    assert response.status_code == 200 and not response.json()["errors"], response.content
    return alone, batched


def test_a_shopper_who_never_clicked_gets_the_hour_they_shop(client, shop, api_key):
    """No clicks of theirs, five evenings of browsing (a busy session counts once): the
    cross-sell waits for 19:00 New York time, not the brand's busy 10:00."""
    _morning_brand_clicks(client, api_key, shop)
    shopper = make_contact(shop, "+12125550166")
    for day in range(2, 7):
        for minute in (5, 15, 25):
            event(client, api_key, shopper.phone, "product_viewed", f"v-{day}-{minute}",
                  ago=timezone.now() - _ny(day, 19, minute), product=TENT)
    event(client, api_key, shopper.phone, "purchased", "o-1",
          ago=timezone.now() - _ny(1, 9, 30), order={"id": "o-1", "value": 20})
    assert _cross_sell_hour(shopper) == 19


def test_a_newcomer_keeps_the_first_open_minute_not_the_brands_busiest_hour(client, shop,
                                                                           api_key):
    from delivery import send_time

    _morning_brand_clicks(client, api_key, shop)
    newcomer = make_contact(shop, "+12125550155")
    event(client, api_key, newcomer.phone, "purchased", "o-2",
          ago=timezone.now() - _ny(1, 14, 30), order={"id": "o-2", "value": 20})
    (step,) = steps(newcomer, intent="post_purchase_cross_sell")
    due = step.trigger_at + timedelta(days=3)
    recipient = send_time.Recipient((NY_ZONE,), "NY")
    assert step.due_at == send_time.first_open(due, step.expires_at, recipient)
    assert _cross_sell_hour(newcomer) == 14  # when they bought, three days on


def test_a_batch_of_events_times_steps_as_single_events_do(client, shop, api_key):
    """The batch reads everyone's history once before it starts: the sessions it carries
    itself must count as they do when each event arrives alone."""
    def history(prefix: str) -> list[dict]:
        body = [{"event_id": f"{prefix}-v{day}", "type": "product_viewed", "product": TENT,
                 "occurred_at": _ny(day, 19).isoformat()} for day in (4, 3, 2)]
        body.append({"event_id": f"{prefix}-o", "type": "purchased",
                     "order": {"id": f"{prefix}-o", "value": 20},
                     "occurred_at": _ny(1, 9, 30).isoformat()})
        return body

    alone, batched = _alone_and_batched(client, api_key, shop, history,
                                        ("+12125550144", "+12125550133"))
    assert _cross_sell_hour(alone) == _cross_sell_hour(batched) == 19


def test_a_batch_counts_only_the_history_a_single_event_would_read(client, shop, api_key):
    """A view from 200 days ago is outside the 180 days the history read covers: sent alone
    it never counts, so in a batch it must not either (one evening plus the purchase is two
    engaged hours, under the three it takes to move a text)."""
    def history(prefix: str) -> list[dict]:
        return [
            {"event_id": f"{prefix}-old", "type": "product_viewed", "product": TENT,
             "occurred_at": _ny(200, 19).isoformat()},
            {"event_id": f"{prefix}-v", "type": "product_viewed", "product": TENT,
             "occurred_at": _ny(3, 19).isoformat()},
            {"event_id": f"{prefix}-o", "type": "purchased", "order": {"id": prefix,
                                                                        "value": 20},
             "occurred_at": _ny(1, 9, 30).isoformat()}]

    alone, batched = _alone_and_batched(client, api_key, shop, history,
                                        ("+12125550122", "+12125550111"))
    assert _cross_sell_hour(alone) == _cross_sell_hour(batched) == 9
