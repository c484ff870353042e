"""Performance, outbox and evidence with delivery data, in real Chromium: the server-side
SVG charts render, the outbox filter swaps in place, and screenshots go to
test-artifacts/screenshots for a human to look at."""

from __future__ import annotations

import random
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from studio.demo import seed_demo
from tests.browser.session import log_in
from tests.factories import (
    make_blocked_message,
    make_contact,
    make_delivered_send,
    make_delivery_settings,
    make_pool_variant,
)

pytestmark = pytest.mark.browser

# (intent, stage, text, sends, click rate): one pool with a clear leader, one still open.
PLAN = [
    ("cart_abandonment", "first_time_browser",
     "Summit Outfitters: {first_name}, your {product_name} is still in your cart. {link} "
     "Reply STOP to opt out", 140, 0.16),
    ("cart_abandonment", "first_time_browser",
     "Summit Outfitters: your cart is saved, {first_name}. Pick up where you left off: {link} "
     "Reply STOP to opt out", 90, 0.08),
    ("cart_abandonment", "first_time_browser",
     "Summit Outfitters: still deciding on the {product_name}? It's waiting for you: {link} "
     "Reply STOP to opt out", 40, 0.05),
    ("welcome", "new_customer",
     "Summit Outfitters: welcome, {first_name}! Trail tips and gear news, 2-4 texts a month. "
     "Reply HELP for help, STOP to opt out", 30, 0.10),
    ("welcome", "new_customer",
     "Summit Outfitters: thanks for joining, {first_name}. Our best trail guides: {link} "
     "Reply STOP to opt out", 26, 0.12),
]
BLOCKED = [("QUIET_HOURS", "closed in America/Los_Angeles until 08:00"),
           ("OPTED_OUT", "the person replied STOP on 2026-03-02"),
           ("FREQ_CAP", "weekly cap of 3 reached"), ("NO_CONSENT", "no consent on record")]


@pytest.fixture
def shop(transactional_db):
    brand, _ = seed_demo()
    make_delivery_settings(brand, reward_metric="click")
    contacts = [make_contact(brand, f"+1212555{100 + n:04d}") for n in range(8)]
    rng, now = random.Random(4), timezone.now()
    variants = []
    for intent, stage, text, sends, ctr in PLAN:
        variant = make_pool_variant(brand, intent=intent, stage=stage, text=text)
        variants.append(variant)
        for n in range(sends):
            at = now - timedelta(days=rng.randrange(14), minutes=rng.randrange(600))
            make_delivered_send(variant, contacts[n % len(contacts)], at=at,
                                clicked=rng.random() < ctr, opted_out=rng.random() < 0.02)
    for n, (code, detail) in enumerate(BLOCKED):
        make_blocked_message(brand, phone=f"+1310555{n:04d}", why_not=code, detail=detail,
                             variant=variants[0], at=now - timedelta(minutes=5 * n))
    return brand, variants


def test_performance_outbox_and_evidence_with_data(shop, live_server, open_page, shoot):
    brand, variants = shop
    base = f"{live_server.url}/studio/b/{brand.slug}"
    page = log_in(open_page, live_server, "avery")
    page.get_by_role("link", name="Performance").click()
    pool = page.get_by_role("region", name="Cart abandonment · First-time browser")
    expect(pool.locator("svg.chart")).to_have_count(2)
    expect(pool.get_by_text("leading")).to_be_visible()
    expect(pool).to_contain_text("vs equal split")
    page.get_by_text("How these numbers are computed").click()
    expect(page.get_by_text("Σ P(best) × posterior mean")).to_be_visible()
    shoot(page, "30-performance")

    page.get_by_role("link", name="Outbox").click()
    expect(page.locator("table.outbox")).to_contain_text("+1212•••••00")
    shoot(page, "31-outbox")
    page.get_by_label("Status").select_option("blocked")
    expect(page.locator("table.outbox tbody tr")).to_have_count(len(BLOCKED))
    expect(page).to_have_url(f"{base}/outbox/?status=blocked")
    expect(page.locator("table.outbox")).to_contain_text("Quiet hours at the recipient")
    shoot(page, "32-outbox-blocked")

    page.goto(f"{base}/v/{variants[0].pk}/")
    expect(page.get_by_role("heading", name="Sends and what the bandit believes")).to_be_visible()
    shoot(page, "33-evidence-sends")

    phone = log_in(open_page, live_server, "casey", width=390, height=844)
    phone.goto(f"{base}/performance/")
    expect(phone.locator("svg.chart")).to_have_count(4)
    shoot(phone, "34-performance-390px")
    phone.goto(f"{base}/outbox/")
    shoot(phone, "35-outbox-390px")
