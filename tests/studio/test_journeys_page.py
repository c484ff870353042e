"""The Journeys page: everyone sees live counts and exits; brand managers change settings
(htmx swaps the journey's card), others cannot."""

from __future__ import annotations

import re
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from delivery import send_time
from delivery.models import Event, Journey
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


def test_a_contacts_page_shows_events_stage_moves_steps_and_their_exits(client, copywriter,
                                                                       brand, shopper):
    opt_out_contact(shopper, at=timezone.now(), source="keyword",
                    inbound_message_sid="SM" + "3" * 32)
    client.force_login(copywriter)
    page = client.get(f"/studio/b/{brand.slug}/contacts/{shopper.pk}/").content.decode()
    timeline = page[page.index('id="timeline-h"'):page.index('id="facts-h"')]
    assert "Event: Added to cart" in timeline and "order o1 · 40.0" in timeline
    assert "Stage: New customer" in timeline and "after purchased" in timeline
    assert "Cart abandonment journey: step canceled (purchase)" in timeline
    assert "Win-back journey: step canceled (opt_out)" in timeline
    assert "Consent revoked" in timeline
    times = re.findall(r'<time datetime="([^"]+)"', timeline)
    assert times == sorted(times, reverse=True)  # newest first


def test_the_send_time_chart_leans_toward_the_persons_own_engaged_hours(client, copywriter,
                                                                      brand, shopper):
    """Five clicks of theirs at 19:00 New York time against a brand with no other clicks,
    besides the cart and the order of a moment ago (one or two clock hours): the preferred
    hour is 19:00 and their own habit weighs N / (N + k)."""
    evening = timezone.now().astimezone(ZoneInfo("America/New_York")).replace(
        hour=19, minute=5) - timedelta(days=1)
    for n in range(5):
        record_event(brand, event_id=f"click-{n}", phone=shopper.phone, type="clicked",
                     occurred_at=evening - timedelta(days=n))
    client.force_login(copywriter)
    page = client.get(f"/studio/b/{brand.slug}/contacts/{shopper.pk}/").content.decode()
    chart = page[page.index('id="send-time-h"'):page.index('id="ledger-h"')]
    assert '<strong class="preferred-hour">19:00</strong> America/New_York' in chart
    shopping = send_time.distinct_hours(Event.objects.filter(
        contact=shopper, type__in=["added_to_cart", "purchased"]).values_list(
        "occurred_at", flat=True))
    n = 5 + len(shopping)
    assert f"from {n} engaged hours of theirs" in chart
    k = send_time.DEFAULT_PSEUDO_COUNT
    assert f"weighs {round(100 * n / (n + k))}%" in chart
    assert chart.count("<rect ") == 24 and "<polyline " in chart
    assert 'style="' not in chart  # the CSP refuses inline styles
