"""The review studio in real Chromium, without a worker: a rejection on the card, Back to a
page whose list htmx swapped, and the menu and editor on a 390 px phone."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from copygen.models import Variant
from studio.demo import seed_demo
from tests.browser.session import log_in
from tests.factories import make_variant

pytestmark = pytest.mark.browser

TEXT = "Summit Outfitters: your Ridge 40L pack is still in your cart. Reply STOP to opt out"


@pytest.fixture
def demo(transactional_db):
    brand, _ = seed_demo()
    return brand


def _casey(demo):
    from django.contrib.auth import get_user_model

    return get_user_model().objects.get(username="casey")


def test_an_approver_rejects_on_the_card_and_the_reason_stays_with_it(
        open_page, live_server, demo, shoot):
    v = make_variant(demo, author=_casey(demo), text=TEXT, status=Variant.Status.IN_REVIEW)
    page = log_in(open_page, live_server, "avery")
    page.goto(f"{live_server.url}/studio/b/{demo.slug}/queue/?status=in_review")
    card = page.locator(f"#variant-{v.pk}")
    card.locator("summary", has_text="Reject").click()
    card.get_by_label("Reason (required)").fill("Names the pack twice; keep it shorter.")
    shoot(page, "40-reject-on-card")
    card.get_by_role("button", name="Reject", exact=True).click()
    # The card leaves the in-review list at once, saying why.
    expect(card).to_have_class(re.compile("left-list"))
    expect(card).to_contain_text("rejected and left this list")
    expect(card).to_contain_text("Names the pack twice")
    assert Variant.objects.get(pk=v.pk).status == Variant.Status.REJECTED
    page.goto(f"{live_server.url}/studio/b/{demo.slug}/queue/")
    note = page.locator(f"#variant-{v.pk} .review-note")
    expect(note).to_contain_text("Rejected by Avery")
    expect(note).to_contain_text("Names the pack twice; keep it shorter.")
    shoot(page, "41-rejected-card")


def test_back_to_a_filtered_queue_restores_the_whole_page(open_page, live_server, demo, shoot):
    make_variant(demo, author=_casey(demo), text=TEXT, status=Variant.Status.IN_REVIEW)
    page = log_in(open_page, live_server, "avery")
    page.goto(f"{live_server.url}/studio/b/{demo.slug}/queue/")
    page.get_by_label("Status").select_option("in_review")
    expect(page).to_have_url(re.compile(r"status=in_review"))
    page.get_by_label("Sort").select_option("segments")
    expect(page).to_have_url(re.compile(r"sort=segments"))
    # Somewhere else with a full page load, then Back.
    page.get_by_role("link", name="Audit").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Audit")
    page.go_back()
    expect(page).to_have_url(re.compile(r"sort=segments"))
    expect(page.locator("nav.topnav")).to_be_visible()
    expect(page.get_by_role("heading", level=1)).to_have_text("Queue")
    # And Back within the page when htmx has no snapshot left: it asks the server with
    # HX-History-Restore-Request, and must get the whole page rather than the list alone.
    page.evaluate("sessionStorage.removeItem('htmx-history-cache');"
                  "document.body.addEventListener('htmx:historyRestore',"
                  " () => { window.restored = true })")
    with page.expect_request(lambda r: "hx-history-restore-request" in r.headers) as restore:
        page.go_back()
    assert "status=in_review" in restore.value.url
    # The answer has been swapped in. (wait_for_function polls through eval, which the
    # Content-Security-Policy refuses; evaluate is not subject to it.)
    for _ in range(100):
        if page.evaluate("window.restored === true"):
            break
        page.wait_for_timeout(50)
    assert page.evaluate("window.restored === true")
    expect(page).to_have_url(re.compile(r"status=in_review(?!.*sort=segments)"))
    expect(page.locator("nav.topnav")).to_be_visible()
    expect(page.get_by_role("heading", level=1)).to_have_text("Queue")
    expect(page.locator("#queue-results")).to_have_count(1)
    shoot(page, "42-queue-after-back")


def _fits(locator, width: int = 390) -> None:
    box = locator.bounding_box()
    assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= width, box


def test_on_a_phone_the_menu_the_live_check_and_the_audit_all_fit(open_page, live_server,
                                                                    demo, shoot):
    from studio import services

    casey = _casey(demo)
    v = make_variant(demo, author=casey, text=TEXT)
    services.comment_on_variant(v, by=casey, body="Shorter subject line, as agreed on Monday.")
    page = log_in(open_page, live_server, "casey", width=390, height=844)
    base = f"{live_server.url}/studio/b/{demo.slug}"
    page.goto(f"{base}/queue/")
    menu = page.locator("details.menu")
    items = menu.locator("nav.topnav a")
    expect(items.last).to_be_hidden()  # closed until asked for
    shoot(page, "43-queue-390px-menu-closed")
    menu.locator("summary").click()
    names = items.all_inner_texts()
    assert names[:4] == ["Summit Outfitters", "Home", "Generate", "Queue"] and "Outbox" in names
    for i in range(items.count()):  # every item shown in full, none cut off at the edge
        expect(items.nth(i)).to_be_visible()
        _fits(items.nth(i))
    shoot(page, "44-menu-390px-open")
    items.filter(has_text="Guidelines").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Guidelines")

    # Typing on a phone: the meter and the findings sit right under the text.
    page.goto(f"{base}/v/{v.pk}/edit/")
    editor = page.get_by_label("Message text")
    editor.fill("")
    editor.press_sequentially("cheap tents in your cart", delay=5)
    summary = page.locator("#live-summary")
    expect(summary).to_contain_text("blocking")
    expect(summary).to_contain_text("BANNED_PHRASE")
    expect(summary).to_be_in_viewport()
    _fits(summary)
    shoot(page, "45-edit-390px")

    # The audit table: Who and Reason readable without scrolling sideways.
    page.goto(f"{base}/audit/")
    who = page.locator("table.events td.actor").first
    reason = page.locator("table.events td.reason").first
    expect(who).to_contain_text("casey")
    expect(reason).to_contain_text("Shorter subject line")
    _fits(who)
    _fits(reason)
    shoot(page, "46-audit-390px")


def test_a_brand_manager_makes_an_api_key_and_a_copywriter_meets_a_plain_403(
        open_page, live_server, demo, shoot):
    morgan = log_in(open_page, live_server, "morgan")
    morgan.get_by_role("link", name="API keys").click()
    morgan.get_by_label("What will use this key?").fill("Klaviyo cart flow")
    morgan.get_by_role("button", name="Create key").click()
    expect(morgan.locator(".key-created")).to_contain_text("shown only this once")
    expect(morgan.get_by_label("API key")).to_have_value(re.compile(r"^scs_"))
    shoot(morgan, "47-api-key-created")
    morgan.reload()  # re-posts the form: no second key, and the page says why
    expect(morgan.get_by_role("alert")).to_contain_text("no second key was made")
    expect(morgan.get_by_role("button", name=re.compile("^Revoke"))).to_have_count(1)
    morgan.get_by_role("button", name="Revoke Klaviyo cart flow").click()
    expect(morgan.locator(".flash")).to_contain_text("Revoked “Klaviyo cart flow”")

    casey = log_in(open_page, live_server, "casey", width=390, height=844)
    casey.goto(f"{live_server.url}/studio/b/{demo.slug}/guardrails/")
    expect(casey.locator("[data-error-message]")).to_have_text(
        "Only brand managers can change the brand's guardrails.")
    expect(casey.locator("details.menu")).to_be_visible()  # the brand menu stays
    expect(casey.get_by_role("link", name="Go to the queue")).to_be_visible()
    shoot(casey, "48-403-390px")
