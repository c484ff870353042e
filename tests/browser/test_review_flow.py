"""The whole review flow in real Chromium: generate through a real worker and the loopback
model, edit with live checks, fix, submit, approve under four eyes, tighten the policy."""

from __future__ import annotations

import json
import re

import pytest
from playwright.sync_api import expect

from copygen.models import Variant
from copygen.services.guidelines import seed_demo_guidelines
from studio.demo import seed_demo
from tests.browser.session import log_in

pytestmark = pytest.mark.browser

TEXTS = [
    "Summit Outfitters: {first_name}, your {product_name} is waiting in your cart. {link} "
    "Reply STOP to opt out",
    "Summit Outfitters: your cart is saved, {first_name}. Pick up where you left off: {link} "
    "Reply STOP to opt out",
]


def _batch(body: dict) -> dict:
    cited = re.findall(r'passage id=\\"(G\d+)\\"', json.dumps(body.get("messages", [])))
    return {"variants": [
        {"text": text, "angle": f"angle {i}", "tone": "calm", "offer_level": "none",
         "cited_passages": cited[:2], "rationale": "fits a first-time browser"}
        for i, text in enumerate(TEXTS)
    ]}


@pytest.fixture
def demo(transactional_db):
    brand, _ = seed_demo()
    seed_demo_guidelines(brand)
    return brand


def _generate(page, shoot, llm_server):
    llm_server.responder = _batch
    page.get_by_role("link", name="Generate", exact=True).click()
    page.get_by_label("Intent").select_option("cart_abandonment")
    page.get_by_label("Lifecycle stage").select_option("first_time_browser")
    page.get_by_label("Audience notes").fill("Looked at tents, left two in the cart.")
    page.get_by_label("How many variants").fill("2")
    shoot(page, "02-generate")
    page.get_by_role("button", name="Generate").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Generation request")
    shoot(page, "03-generation-progress")
    done = page.get_by_role("link", name=re.compile("Review the 2 variants"))
    expect(done).to_be_visible(timeout=120_000)  # worker start + embedding model load
    expect(page.locator("#progress")).to_contain_text("loopback-model")
    done.click()
    expect(page.locator("article.vcard")).to_have_count(2)
    expect(page.locator("article.vcard").first).to_contain_text("loopback-model")
    # The phone preview: the brand's sample values, the link as the short link it becomes.
    bubble = page.locator("article.vcard").first.locator(".phone .bubble")
    expect(bubble).to_contain_text("Jordan")
    expect(bubble.locator(".sample.link")).to_have_text(re.compile(r"/l/x{10}$"))
    shoot(page, "04-queue-generated")


def _edit_fix_submit(page, shoot) -> int:
    page.locator("article.vcard").first.get_by_role("link", name="Edit").click()
    editor = page.get_by_label("Message text")
    editor.fill("")
    editor.press_sequentially("your tent is waiting in your cart. Reply STOP to opt out",
                              delay=5)
    panel = page.locator("#check-panel")
    expect(panel).to_contain_text("BRAND_ID")  # the live check followed the typing
    expect(panel.locator("ins").first).to_have_text("Summit Outfitters: ")
    expect(panel.locator(".phone .bubble")).to_have_text(
        "your tent is waiting in your cart. Reply STOP to opt out")
    editor.press_sequentially(" cheap", delay=5)
    expect(panel.locator("mark.block")).to_have_attribute("title", re.compile("BANNED_PHRASE"))
    # "cheap" sits in the opt-out sentence: no safe edit removes it, and the page says so.
    expect(panel.locator(".fix-verdict")).to_contain_text("Needs a human rewrite")
    expect(panel.get_by_role("button", name="Apply fix as a new version")).to_be_disabled()
    expect(panel).not_to_contain_text("Result, which passes")
    shoot(page, "05-edit-live-check")
    for _ in range(6):
        editor.press("Backspace")
    expect(panel).not_to_contain_text("BANNED_PHRASE")
    expect(panel.get_by_role("button", name="Apply fix as a new version")).to_be_enabled()
    page.get_by_role("button", name="Apply fix as a new version").click()
    expect(page.locator(".flash")).to_contain_text("Fix applied as version 2 (Draft)")
    latest = page.locator(".versions > li").first
    expect(latest.locator("ins").first).to_have_text("tent")  # the diff against v1
    expect(latest.locator("del").first).to_be_visible()
    shoot(page, "06-edit-after-fix")
    page.get_by_role("link", name="Evidence & comments").click()
    card = page.locator("article.vcard")
    card.get_by_role("button", name="Submit for review").click()
    expect(card.locator(".status")).to_have_text("In review")
    return int(re.search(r"/v/(\d+)/", page.url).group(1))


def test_copywriter_approver_and_manager_complete_the_review_flow(
        open_page, live_server, celery_worker, llm_server, demo, shoot):
    casey = log_in(open_page, live_server, "casey")
    shoot(casey, "01-brand-home")
    _generate(casey, shoot, llm_server)
    pk = _edit_fix_submit(casey, shoot)
    shoot(casey, "07-evidence-in-review")

    # Four eyes: no approve button for the author, and a forged POST is refused.
    expect(casey.get_by_role("button", name="Approve")).to_have_count(0)
    token = json.loads(casey.locator("body").get_attribute("hx-headers"))["X-CSRFToken"]
    forged = casey.request.post(f"{live_server.url}/studio/b/{demo.slug}/v/{pk}/approve/",
                                headers={"X-CSRFToken": token})
    assert forged.status == 403
    assert Variant.objects.get(pk=pk).status == Variant.Status.IN_REVIEW

    avery = log_in(open_page, live_server, "avery")
    avery.goto(f"{live_server.url}/studio/b/{demo.slug}/queue/?status=in_review")
    card = avery.locator(f"#variant-{pk}")
    shoot(avery, "08-queue-approver")
    card.get_by_role("button", name="Approve").click()
    expect(card).to_contain_text("approved and left this list")  # the list is "In review"
    assert Variant.objects.get(pk=pk).approved_by.username == "avery"

    morgan = log_in(open_page, live_server, "morgan")
    morgan.get_by_role("link", name="Guardrails").click()
    banned = morgan.get_by_label("Banned phrases")
    banned.fill(banned.input_value() + "\ntent")
    # Before saving, the page says which approved variant the edit would send back.
    impact = morgan.locator("#impact")
    expect(impact.locator("#impact-count")).to_contain_text("would send 1 approved variant")
    expect(impact.get_by_role("link", name=re.compile(f"#{pk} "))).to_be_visible()
    morgan.get_by_label("What changed and why").fill("Tents are called shelters now")
    shoot(morgan, "09-guardrails")
    morgan.get_by_role("button", name="Save new policy version").click()
    expect(morgan.locator(".flash")).to_contain_text(
        "1 approved variant(s) failed the new policy and went back to review")
    morgan.goto(f"{live_server.url}/studio/b/{demo.slug}/queue/?status=in_review")
    sent_back = morgan.locator(f"#variant-{pk}")
    expect(sent_back.locator(".status")).to_have_text("In review")
    expect(sent_back.locator("mark.block")).to_have_text("tent")
    shoot(morgan, "10-queue-sent-back")
    _tour(morgan, live_server, demo, pk, shoot)
    phone = log_in(open_page, live_server, "avery", width=390, height=844)
    phone.goto(f"{live_server.url}/studio/b/{demo.slug}/queue/")
    shoot(phone, "20-queue-390px")
    phone.goto(f"{live_server.url}/studio/b/{demo.slug}/v/{pk}/")
    shoot(phone, "21-evidence-390px")


def _tour(page, live_server, demo, pk, shoot):
    """Every remaining page, for the screenshots and a smoke check."""
    base = f"{live_server.url}/studio/b/{demo.slug}"
    page.goto(f"{base}/guardrails/")
    page.get_by_label("Paste a text to check").press_sequentially("Cheap tents!!", delay=5)
    expect(page.locator("#test-report")).to_contain_text("BANNED_PHRASE")
    expect(page.locator("#test-against")).to_contain_text("the policy as edited")
    shoot(page, "11-guardrails-test-pane")
    # Editing the policy re-checks the pasted text against the edit, before any save.
    page.get_by_label("Banned phrases").fill("")
    expect(page.locator("#test-report")).not_to_contain_text("BANNED_PHRASE")
    expect(page.locator("#test-against")).to_contain_text("not saved yet")
    shoot(page, "11b-guardrails-test-pane-edited")
    page.goto(f"{base}/guidelines/?q=cart+reminder+for+a+first-time+browser")
    expect(page.locator(".hits li").first).to_be_visible()
    shoot(page, "12-guidelines")
    page.goto(f"{base}/audit/")
    expect(page.locator("table.events")).to_contain_text("Sent back")
    shoot(page, "13-audit")
    page.goto(f"{base}/v/{pk}/")
    shoot(page, "14-evidence")
    for name in ("performance", "outbox"):
        page.goto(f"{base}/{name}/")
        expect(page.get_by_text("No sends yet")).to_be_visible()
        shoot(page, f"15-{name}")
    page.goto(f"{base}/")
    shoot(page, "16-brand-home-after")
