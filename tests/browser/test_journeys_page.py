"""The Journeys page in real Chromium: a brand manager turns a journey off and changes its
wait in place (htmx), the counts show what shoppers' events did; screenshots at 1280 and
390 px go to test-artifacts/screenshots."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from delivery.models import Journey
from delivery.services import record_event
from studio.demo import seed_demo
from tests.browser.session import log_in
from tests.factories import make_contact

pytestmark = pytest.mark.browser


@pytest.fixture
def shop(transactional_db):
    brand, _ = seed_demo()
    now = timezone.now()
    for n in range(6):
        contact = make_contact(brand, f"+1212555{200 + n:04d}")
        record_event(brand, event_id=f"cart-{n}", phone=contact.phone, type="added_to_cart",
                     occurred_at=now - timedelta(minutes=10 + n),
                     data={"cart_url": "https://summitoutfitters.com/cart"})
        if n % 2:
            record_event(brand, event_id=f"order-{n}", phone=contact.phone, type="purchased",
                         data={"order": {"id": f"o{n}", "value": 80.0, "items": []}})
    return brand


def test_a_brand_manager_tunes_a_journey_in_place(shop, live_server, open_page, shoot):
    page = log_in(open_page, live_server, "morgan")
    page.get_by_role("link", name="Journeys").click()
    cart = page.locator("#journey-cart_abandonment")
    expect(cart).to_contain_text("purchase 3")
    shoot(page, "60-journeys")
    cart.get_by_label("Wait (minutes)").fill("45")
    cart.get_by_label("On").uncheck()
    cart.get_by_role("button", name="Save").click()
    expect(page.locator("#journey-cart_abandonment")).to_contain_text("Saved.")
    expect(page.locator("#journey-cart_abandonment")).to_contain_text("Off")
    journey = Journey.objects.get(brand=shop, intent="cart_abandonment")
    assert (journey.wait_minutes, journey.enabled) == (45, False)
    cart = page.locator("#journey-cart_abandonment")
    fresh = cart.get_by_label("Fresh for (minutes)")
    fresh.fill("0")
    cart.get_by_role("button", name="Save").click()  # the browser's own check stops it
    assert fresh.evaluate("el => el.validity.rangeUnderflow")
    assert Journey.objects.get(pk=journey.pk).freshness_minutes > 0

    phone = log_in(open_page, live_server, "casey", width=390, height=844)
    phone.goto(f"{live_server.url}/studio/b/{shop.slug}/journeys/")
    expect(phone.locator("#journey-welcome")).to_contain_text("Brand managers change these")
    shoot(phone, "62-journeys-390px")
