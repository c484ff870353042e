"""The pure journey rules: each trigger's wait, each exit, priority, events out of order."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from delivery import journeys
from delivery.journeys import DEFAULT_RULES, Happened, Pending, exit_reason, starts_for

T = datetime(2026, 6, 15, 16, 0, tzinfo=UTC)
MIN = timedelta(minutes=1)


def ev(type: str, minutes: float = 0, *, id: str = "", product: str = "p1", category: str = "c",
       items: tuple[str, ...] = ()) -> Happened:
    return Happened(type, T + minutes * MIN, id or f"{type}{minutes}", product, category,
                    frozenset(items))


def test_each_trigger_waits_its_default():
    cart = starts_for(ev("added_to_cart"), [], DEFAULT_RULES)
    assert [(s.intent, s.due_at - T) for s in cart] == [("cart_abandonment", 60 * MIN)]
    welcome = starts_for(ev("subscribed"), [], DEFAULT_RULES)
    assert [(s.intent, s.due_at - T) for s in welcome] == [("welcome", 0 * MIN)]
    bought = starts_for(ev("purchased"), [], DEFAULT_RULES,
                        items=[{"id": "fuel", "reorder_days": 14}, {"id": "tent"}])
    assert {(s.intent, s.due_at - T) for s in bought} == {
        ("post_purchase_cross_sell", timedelta(days=3)), ("win_back", timedelta(days=60)),
        ("replenishment", timedelta(days=14))}
    for start in cart + welcome + bought:
        assert start.expires_at - start.due_at == DEFAULT_RULES[start.intent].freshness


def test_browse_needs_a_repeat_view_within_the_lookback_and_no_cart():
    second = ev("product_viewed", 30, id="v2")
    assert starts_for(second, [ev("product_viewed", 0, id="v1")], DEFAULT_RULES)
    assert not starts_for(second, [ev("product_viewed", -31, id="v1")], DEFAULT_RULES)
    assert not starts_for(second, [ev("product_viewed", 0, id="v1", product="p2",
                                      category="other")], DEFAULT_RULES)
    assert starts_for(second, [ev("product_viewed", 0, id="v1", product="p2")], DEFAULT_RULES)
    assert not starts_for(second, [ev("product_viewed", 0, id="v1"), ev("added_to_cart", 10)],
                          DEFAULT_RULES)
    # Out of order: the other view arrives first but happened later.
    assert starts_for(ev("product_viewed", 0, id="v1"), [second], DEFAULT_RULES)


def test_a_purchase_ends_cart_browse_and_win_back_only_if_it_came_after_the_trigger():
    for intent in ("cart_abandonment", "browse_abandonment", "win_back"):
        assert exit_reason(intent, T, [ev("purchased", 5)]) == "purchase"
        assert exit_reason(intent, T, [ev("purchased", -5)]) is None
    assert exit_reason("post_purchase_cross_sell", T, [ev("purchased", 5)]) is None
    assert exit_reason("welcome", T, [ev("purchased", 5)]) is None


def test_the_purchase_that_starts_a_win_back_does_not_end_it():
    assert exit_reason("win_back", T, [ev("purchased", 0)]) is None


def test_a_replenishment_ends_when_that_product_is_bought_again():
    again = ev("purchased", 60 * 24, items=("fuel",))
    assert exit_reason("replenishment", T, [again], product_id="fuel") == "purchase"
    assert exit_reason("replenishment", T, [again], product_id="tent") is None


def test_a_cart_ends_browse():
    assert exit_reason("browse_abandonment", T, [ev("added_to_cart", 1)]) == "added_to_cart"
    assert exit_reason("browse_abandonment", T, [ev("checkout_started", 1)]) == "added_to_cart"


def test_a_late_cart_event_after_a_purchase_starts_nothing():
    assert not starts_for(ev("added_to_cart", 0), [ev("purchased", 10)], DEFAULT_RULES)


def test_a_higher_priority_competing_journey_wins_and_the_newer_wins_ties():
    cart = starts_for(ev("added_to_cart"), [], DEFAULT_RULES)[0]
    drop = Pending(7, "price_drop", T, T + timedelta(days=1))
    far = Pending(8, "win_back", T + timedelta(days=60), T + timedelta(days=67))
    assert journeys.superseded(cart, [drop, far], DEFAULT_RULES) == (None, [7])
    waiting_cart = Pending(9, "cart_abandonment", cart.due_at, cart.expires_at)
    stock = journeys.news_start(DEFAULT_RULES, "back_in_stock", ev("back_in_stock"), {})
    assert journeys.superseded(stock, [waiting_cart], DEFAULT_RULES) == ("cart_abandonment", [])
    price = journeys.news_start(DEFAULT_RULES, "price_drop", ev("price_dropped"), {})
    assert journeys.superseded(price, [Pending(3, "back_in_stock", T, T + timedelta(days=1))],
                               DEFAULT_RULES) == (None, [3])


def test_a_disabled_journey_starts_nothing():
    rules = {**DEFAULT_RULES, "cart_abandonment": journeys.with_settings(
        DEFAULT_RULES["cart_abandonment"], wait_minutes=5, freshness_minutes=60, priority=1,
        lookback_minutes=60, enabled=False)}
    assert starts_for(ev("added_to_cart"), [], rules) == []
