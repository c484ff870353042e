"""A brand manager changes the delivery settings in real Chromium: the form shows the
defaults, a bad value comes back inline without a reload, a good save sticks. Screenshots at
1280 and 390 px go to test-artifacts/screenshots."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from delivery.models import DeliverySettings
from studio.demo import seed_demo
from tests.browser.session import log_in

pytestmark = pytest.mark.browser



@pytest.mark.parametrize("width", [1280, 390])
def test_a_brand_manager_edits_caps_and_the_window(transactional_db, live_server, open_page,
                                                  shoot, width):
    brand, _ = seed_demo()
    DeliverySettings.objects.filter(brand=brand).delete()
    page = log_in(open_page, live_server, "morgan", width)
    if width < 600:  # on a phone the brand menu is one disclosure button
        page.locator("summary.menu-toggle").click()
    page.get_by_role("link", name="Delivery", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Delivery settings")
    expect(page.get_by_label("Texts per person per 24 hours")).to_have_value("1")
    shoot(page, f"delivery-settings-{width}")

    page.get_by_label("Send window opens").fill("07:00")
    page.get_by_role("button", name="Save delivery settings").click()
    expect(page.get_by_text("a brand can only start later")).to_be_visible()
    expect(page.get_by_text("nothing was saved")).to_be_visible()
    shoot(page, f"delivery-settings-error-{width}")
    assert not DeliverySettings.objects.filter(brand=brand).exists()

    page.get_by_label("Send window opens").fill("09:00")
    page.get_by_label("Texts per person per 7 days").fill("3")
    page.get_by_label("The bandit learns from").select_option("conversion")
    page.get_by_role("button", name="Save delivery settings").click()
    expect(page.get_by_text("The next decision uses these settings")).to_be_visible()
    expect(page.get_by_label("Texts per person per 7 days")).to_have_value("3")
    saved = DeliverySettings.objects.get(brand=brand)
    assert (saved.daily_cap, saved.weekly_cap, saved.reward_metric) == (1, 3, "conversion")
    assert saved.quiet_end.hour == 9
