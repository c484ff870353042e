"""Contacts in real Chromium: a brand manager finds a person, reads their story, opts them out
by hand, exports and erases; imports a file through a real Celery worker with a progress bar
and a report. A copywriter only reads. Screenshots at 1280 and 390 px."""

from __future__ import annotations

import json
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from delivery.models import ConsentEvent, Contact
from delivery.services import record_event
from studio.demo import seed_demo
from studio.demo_audience import seed_audience
from tests.browser.session import log_in

pytestmark = pytest.mark.browser

FILE = ("phone,first_name,consent_status,consent_text,consented_at,source_detail\n"
        + "".join(f'+1303555{n:04d},Pat{n},granted,"I agree to get texts from Summit '
                  f'Outfitters. Msg & data rates may apply.",2026-03-01T10:00:00Z,'
                  f'https://summitoutfitters.com/sms\n' for n in range(1000, 1040))
        + "no-plus,Bad,,,,\n")


@pytest.fixture
def demo(transactional_db):
    brand, _ = seed_demo()
    seed_audience(brand)
    return brand


def test_a_manager_finds_opts_out_exports_and_erases_a_person(demo, live_server, open_page,
                                                               shoot):
    page = log_in(open_page, live_server, "morgan")
    page.get_by_role("link", name="Contacts").click()
    page.get_by_label("Phone number").fill("(415) 555-0123")
    page.get_by_role("button", name="Find").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("+14155550123")
    expect(page.locator(".consent-state")).to_contain_text("Granted")
    ledger = page.get_by_role("region", name="Consent ledger")
    expect(ledger).to_contain_text("Consent is not a condition of purchase")
    expect(page.get_by_role("region", name="Timeline")).to_contain_text("Consent granted")
    shoot(page, "40-contact")

    with page.expect_download() as download:
        page.get_by_role("link", name="Export this person's data (JSON)").click()
    data = json.loads(open(download.value.path()).read())
    assert data["phone"] == "+14155550123" and data["attributes"]["first_name"] == "Riley"

    page.get_by_label("Reason").fill("asked by e-mail to support")
    page.get_by_role("button", name="Opt out").click()
    expect(page.get_by_role("status")).to_contain_text("Opted out")
    expect(page.locator(".consent-state")).to_contain_text("Opted out")
    expect(page.get_by_role("region", name="Timeline")).to_contain_text("Consent revoked")
    assert ConsentEvent.objects.filter(phone="+14155550123", kind="revoked",
                                       source="support").exists()

    page.get_by_role("link", name="Erase…").click()
    page.get_by_label("Type the number's last four digits to confirm").fill("0123")
    page.get_by_role("button", name="Erase this person").click()
    expect(page.get_by_role("status")).to_contain_text("Erased")
    expect(page.get_by_role("region", name="Consent ledger")).to_contain_text("Granted")
    assert Contact.objects.get(brand=demo, phone="+14155550123").attributes == {}

    narrow = log_in(open_page, live_server, "morgan", width=390, height=844)
    narrow.goto(f"{live_server.url}/studio/b/{demo.slug}/contacts/?q=%2B12125550123")
    expect(narrow.get_by_role("heading", level=1)).to_have_text("+12125550123")
    shoot(narrow, "41-contact-390")


def test_a_manager_imports_a_file_with_progress_and_a_report(demo, live_server, open_page,
                                                              celery_worker, shoot):
    page = log_in(open_page, live_server, "morgan")
    page.goto(f"{live_server.url}/studio/b/{demo.slug}/contacts/")
    page.get_by_role("link", name="Import a file").click()
    page.get_by_label("CSV or JSONL file").set_input_files(
        {"name": "spring-list.csv", "mimeType": "text/csv", "buffer": FILE.encode()})
    page.get_by_role("button", name="Upload and preview").click()
    expect(page.locator("table.mapping")).to_contain_text("consented_at")
    expect(page.locator("table.preview tbody tr")).to_have_count(5)
    shoot(page, "42-import-preview")
    page.get_by_role("button", name="Run the import").click()
    report = page.locator("#progress")
    expect(report.get_by_role("heading", name="Report")).to_be_visible(timeout=60_000)
    expect(report.locator(".import-counts")).to_contain_text("Created40")
    expect(report.locator("table.refused")).to_contain_text("must start with +")
    with page.expect_download() as download:
        page.get_by_role("link", name="Download refused rows (CSV)").click()
    assert open(download.value.path()).read().splitlines()[1].startswith("42,no-plus,")
    shoot(page, "43-import-report")
    assert Contact.objects.filter(brand=demo, phone__startswith="+130355510").count() == 40


def test_a_copywriter_reads_a_persons_story_but_cannot_act(demo, live_server, open_page, shoot):
    page = log_in(open_page, live_server, "casey", width=390, height=844)
    page.goto(f"{live_server.url}/studio/b/{demo.slug}/contacts/")
    expect(page.locator("table.contacts")).to_contain_text("+1415•••••23")
    page.locator("table.contacts").get_by_role("link", name="+1415•••••23").click()
    expect(page.get_by_role("region", name="Consent ledger")).to_be_visible()
    expect(page.get_by_role("button", name="Opt out")).to_have_count(0)
    expect(page.get_by_role("link", name="Erase…")).to_have_count(0)
    shoot(page, "44-contact-copywriter-390")


def test_a_persons_timeline_shows_their_journeys_and_their_send_time(demo, live_server,
                                                                     open_page, shoot):
    """Riley viewed a tent twice, added it to the cart and bought it later; they clicked our
    texts in the evening before. The page tells the whole story and charts their hour."""
    now = timezone.now()
    riley = "+14155550123"
    evening = now.astimezone(ZoneInfo("America/Los_Angeles")).replace(hour=19, minute=10)
    for n in range(4):
        record_event(demo, event_id=f"click-{n}", phone=riley, type="clicked",
                     occurred_at=evening - timedelta(days=n + 1))
    tent = {"id": "sku-1", "name": "Ridge tent", "category": "tents", "price": 249.0,
            "url": "https://summitoutfitters.com/p/ridge"}
    for n, minutes in enumerate((50, 40)):
        record_event(demo, event_id=f"view-{n}", phone=riley, type="product_viewed",
                     occurred_at=now - timedelta(minutes=minutes), data={"product": tent})
    record_event(demo, event_id="cart-1", phone=riley, type="added_to_cart",
                 occurred_at=now - timedelta(minutes=30),
                 data={"product": tent, "cart_url": "https://summitoutfitters.com/cart"})
    record_event(demo, event_id="order-1", phone=riley, type="purchased",
                 data={"order": {"id": "A-1001", "value": 249.0,
                                 "items": [{"id": "sku-1", "quantity": 1}]}})
    contact = Contact.objects.get(brand=demo, phone=riley)
    for width, height, name in ((1280, 900, "45-contact-journeys"),
                                (390, 844, "46-contact-journeys-390")):
        page = log_in(open_page, live_server, "morgan", width=width, height=height)
        page.goto(f"{live_server.url}/studio/b/{demo.slug}/contacts/{contact.pk}/")
        timeline = page.get_by_role("region", name="Timeline")
        expect(timeline).to_contain_text("Event: Viewed a product")
        expect(timeline).to_contain_text("Ridge tent")
        expect(timeline).to_contain_text("Stage: New customer")
        expect(timeline).to_contain_text("Browse abandonment journey: step canceled "
                                         "(added_to_cart)")
        expect(timeline).to_contain_text("Cart abandonment journey: step canceled (purchase)")
        expect(timeline).to_contain_text("Post-purchase cross-sell journey: step scheduled")
        chart = page.get_by_role("region", name="Personal send time")
        expect(chart.locator(".preferred-hour")).to_have_text("19:00")
        expect(chart.get_by_role("img")).to_be_visible()
        expect(chart.locator("svg rect")).to_have_count(24)
        box = chart.locator("svg").bounding_box()
        assert box is not None and box["width"] <= width - 20  # never wider than the screen
        shoot(page, name)
