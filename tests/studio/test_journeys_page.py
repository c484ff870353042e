"""The Journeys page: everyone sees live counts and exits; brand managers change settings
(htmx swaps the journey's card), others cannot."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from delivery.journey_selectors import journey_timeline
from delivery.models import Journey
from delivery.services import opt_out_contact, record_event
from tests.factories import make_contact

HX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def shopper(brand):
    contact = make_contact(brand, "+12125550123")
    now = timezone.now()
    record_event(brand, event_id="c1", phone=contact.phone, type="added_to_cart",
                 occurred_at=now - timedelta(minutes=5), data={"cart_url": "https://acme.co/c"})
    record_event(brand, event_id="o1", phone=contact.phone, type="purchased",
                 data={"order": {"id": "o1", "value": 40.0, "items": []}})
    return contact


def url(brand, intent=""):
    return f"/studio/b/{brand.slug}/journeys/" + (f"{intent}/" if intent else "")


def test_the_page_shows_every_journey_with_live_counts_and_exits(client, copywriter, brand,
                                                                 shopper):
    client.force_login(copywriter)
    page = client.get(url(brand)).content.decode()
    for label in ("Cart abandonment", "Browse abandonment", "Welcome", "Win-back",
                  "Back in stock", "Price drop", "Replenishment", "Post-purchase cross-sell"):
        assert label in page
    assert "<code>purchase</code> 1" in page         # the cart step the purchase ended
    assert 'action="/studio/b/' not in page           # copywriters only read


def test_a_brand_manager_changes_a_journey_and_gets_its_card_back(client, manager, brand):
    client.force_login(manager)
    response = client.post(url(brand, "cart_abandonment"), {
        "enabled": "on", "wait_minutes": "30", "freshness_minutes": "120", "priority": "100",
        "lookback_minutes": "60"}, **HX)
    assert response.status_code == 200
    body = response.content.decode()
    assert body.lstrip().startswith('<section class="card journey"') and "Saved." in body
    journey = Journey.objects.get(brand=brand, intent="cart_abandonment")
    assert (journey.wait_minutes, journey.freshness_minutes) == (30, 120)


def test_bad_settings_show_field_errors_and_change_nothing(client, manager, brand):
    client.force_login(manager)
    response = client.post(url(brand, "welcome"), {
        "wait_minutes": "-5", "freshness_minutes": "0", "priority": "9999",
        "lookback_minutes": "60"}, **HX)
    assert response.status_code == 200
    assert response.content.decode().count('class="field-error"') == 3
    journey = Journey.objects.get(brand=brand, intent="welcome")
    assert journey.enabled and journey.wait_minutes == 0


def test_only_brand_managers_may_change_journeys(client, copywriter, brand):
    client.force_login(copywriter)
    response = client.post(url(brand, "cart_abandonment"), {"wait_minutes": "1"})
    assert response.status_code == 403
    client.force_login(copywriter)
    assert client.post(url(brand, "teleport"), {}).status_code in (403, 404)


def test_a_contacts_timeline_shows_events_stage_moves_and_steps(brand, shopper):
    opt_out_contact(shopper, at=timezone.now(), source="keyword",
                    inbound_message_sid="SM" + "3" * 32)
    entries = journey_timeline(shopper)
    kinds = {e.kind for e in entries}
    assert kinds == {"event", "stage", "step"}
    assert any(e.title == "Stage: New customer" for e in entries)
    cart = next(e for e in entries if e.title.startswith("Cart abandonment"))
    assert "reason purchase" in cart.detail
    assert any("reason opt_out" in e.detail for e in entries if e.kind == "step")
    assert entries == sorted(entries, key=lambda e: e.at, reverse=True)
