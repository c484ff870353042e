"""The review studio as a copywriter, an approver and a brand manager meet it: phone
previews, honest one-click fixes, the segment bar, rejections on the card, the queue's
search, sort and bulk decisions, htmx history restore, guardrails impact and history,
API keys and the 403 page."""

from __future__ import annotations

import pytest
from django.urls import reverse

from copygen.models import Variant
from tests.factories import make_policy, make_variant

S = Variant.Status
HX = {"HTTP_HX_REQUEST": "true"}
MERGE_TEXT = "Acme Outdoors: {first_name}, your tent waits: {link} Reply STOP to opt out"


@pytest.fixture
def world(brand, copywriter, approver, manager):
    make_policy(brand, merge_fields={"first_name": {"max_length": 12, "non_gsm": False},
                                     "link": {"max_length": 30, "non_gsm": False}},
                sample_values={"first_name": "Priya", "link": "https://acme.co/cart"})
    return {"brand": brand, "copywriter": copywriter, "approver": approver, "manager": manager}


def _url(world, name, *args):
    return reverse(f"studio:{name}", args=[world["brand"].slug, *args])


def _guardrails_data(client, world) -> dict:
    form = client.get(_url(world, "guardrails")).context["form"]
    return {k: v for k, v in form.initial.items() if v is not None and v is not False}


# --- 1. Phone preview ------------------------------------------------------------------

def test_the_queue_card_and_variant_page_show_the_text_as_a_phone_shows_it(client, world,
                                                                            settings):
    settings.SHORT_LINK_BASE_URL = "https://go.acme.co"
    v = make_variant(world["brand"], author=world["copywriter"], text=MERGE_TEXT)
    client.force_login(world["approver"])
    for url in (_url(world, "queue"), _url(world, "variant", v.pk)):
        html = client.get(url).content.decode()
        assert 'aria-label="Phone preview"' in html
        assert '<span class="sample merge">Priya</span>' in html
        # The link is the short link it becomes, with a code of the real length.
        assert '<span class="sample link">https://go.acme.co/l/xxxxxxxxxx</span>' in html


def test_the_live_check_previews_the_typed_text_with_segment_breaks(client, world):
    v = make_variant(world["brand"], author=world["copywriter"])
    client.force_login(world["copywriter"])
    long = "Acme Outdoors: " + "more words here " * 12 + "{first_name} Reply STOP to opt out"
    html = client.post(_url(world, "check-variant", v.pk), {"text": long}, **HX).content.decode()
    assert 'aria-label="Phone preview"' in html and "Priya" in html
    assert 'title="Segment 2 of 2 starts here">2/2</span>' in html


def test_a_brand_manager_edits_the_sample_values_in_guardrails(client, world):
    client.force_login(world["manager"])
    data = _guardrails_data(client, world)
    assert "first_name = Priya" in data["sample_values"]
    data["sample_values"] = "first_name = Zoë\nlink = https://acme.co/c"
    response = client.post(_url(world, "guardrails"), data)
    assert response.status_code == 302
    rules = world["brand"].policies.order_by("-version").first().rules
    assert rules["sample_values"] == {"first_name": "Zoë", "link": "https://acme.co/c"}
    data["sample_values"] = "first_name Jordan"
    html = client.post(_url(world, "guardrails"), data, **HX).content.decode()
    assert "write name = value" in html and world["brand"].policies.count() == 2


# --- 2. One-click fix honesty ----------------------------------------------------------

def test_a_fix_that_leaves_a_block_says_so_and_offers_no_apply(client, world):
    v = make_variant(world["brand"], author=world["copywriter"])
    client.force_login(world["copywriter"])
    text = "your tent waits in your cart. Reply STOP to opt out cheap"
    html = client.post(_url(world, "check-variant", v.pk), {"text": text}, **HX).content.decode()
    assert "Needs a human rewrite" in html and "BANNED_PHRASE" in html
    assert "Result, which passes" not in html and 'class="sms fixed"' not in html
    assert 'disabled aria-describedby="fix-verdict">Apply fix' in html
    assert _url(world, "fix-variant", v.pk) not in html
    # A forged post is refused too, and writes no version.
    response = client.post(_url(world, "fix-variant", v.pk), {"text": text}, follow=True)
    assert b"rewrite the text by hand" in response.content
    assert not Variant.objects.filter(root=v).exists()


def test_a_banned_phrase_in_a_sentence_of_its_own_is_fixed_by_dropping_it(client, world):
    v = make_variant(world["brand"], author=world["copywriter"])
    client.force_login(world["copywriter"])
    text = "your tent waits in your cart. Cheap tents go fast. Reply STOP to opt out"
    html = client.post(_url(world, "check-variant", v.pk), {"text": text}, **HX).content.decode()
    assert "Result, which passes every blocking check" in html and "Needs a human" not in html
    assert "<del>Cheap tents go fast. </del>" in html
    client.post(_url(world, "fix-variant", v.pk), {"text": text})
    fixed = Variant.objects.get(root=v)
    assert fixed.text == "Acme Outdoors: your tent waits in your cart. Reply STOP to opt out"
    assert fixed.status == S.DRAFT


def test_submit_is_switched_off_with_the_reason_while_a_finding_blocks(client, world):
    bad = make_variant(world["brand"], author=world["copywriter"], status=S.FAILED_CHECKS,
                       text="Acme Outdoors: cheap tents. Reply STOP to opt out")
    client.force_login(world["copywriter"])
    html = client.get(_url(world, "variant", bad.pk)).content.decode()
    assert f'disabled aria-describedby="submit-off-{bad.pk}">Submit for review' in html
    assert "Submit is off until nothing blocks: BANNED_PHRASE" in html
    assert _url(world, "submit-variant", bad.pk) not in html
    # Saving with a block still works: it is kept as a draft with failed checks.
    client.post(_url(world, "edit-variant", bad.pk),
                {"text": "Acme Outdoors: cheap tents today. Reply STOP to opt out"})
    assert Variant.objects.get(root=bad).status == S.FAILED_CHECKS


# --- 3. Segment bar and tone ranges ------------------------------------------------------

def test_the_meter_shows_the_texts_own_fill_and_the_labelled_worst_case(client, world):
    brand = world["brand"]
    make_policy(brand, max_segments=1, merge_fields={
        "first_name": {"max_length": 60, "non_gsm": True}},
        tone={"enthusiasm": [0.0, 0.6]})
    v = make_variant(brand, author=world["copywriter"],
                     text="Acme Outdoors: {first_name}, your tent waits. Reply STOP to opt out")
    client.force_login(world["approver"])
    html = client.get(_url(world, "variant", v.pk)).content.decode()
    own = html.index('<span class="meter-label">This text</span>')
    worst = html.index('<span class="meter-label">Worst case</span>')
    assert own < worst
    # The text itself fits with room to spare; only the worst case is over the limit.
    assert 'class="meter-row"' in html and 'class="meter-row worst over"' in html
    assert "left in this one" in html and "— over" in html
    assert "every merge field at its longest" in html
    assert "brand 0–60" in html  # the tone bar names the brand's range
    assert 'style="' not in html  # bars are SVG attributes: a strict CSP allows them
