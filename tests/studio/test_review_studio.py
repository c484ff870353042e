"""The review studio as a copywriter, an approver and a brand manager meet it: phone
previews, honest one-click fixes, the segment bar, rejections on the card, the queue's
search, sort and bulk decisions, htmx history restore, guardrails impact and history,
API keys and the 403 page."""

from __future__ import annotations

import pytest
from django.urls import reverse

from copygen.models import Variant
from studio import services
from studio.models import Role
from tests.factories import make_blocked_message, make_policy, make_user, make_variant

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


# --- 4. Rejections, change requests, search, sort, bulk decisions ----------------------

def _in_review(world, **kw):
    return make_variant(world["brand"], author=world["copywriter"], status=S.IN_REVIEW, **kw)


def test_a_rejection_shows_its_reason_on_the_card_and_leaves_the_in_review_list(client, world):
    v = _in_review(world)
    client.force_login(world["approver"])
    listing = _url(world, "queue") + "?status=in_review"
    html = client.post(_url(world, "reject-variant", v.pk),
                       {"reason": "Too pushy for a first text", "next": listing},
                       **HX).content.decode()
    assert html.lstrip().startswith(f'<article class="card vcard left-list" id="variant-{v.pk}"')
    assert "rejected</strong> and left this list" in html and "Too pushy" in html
    assert f'id="variant-{v.pk}"' not in client.get(listing).content.decode()
    # In the unfiltered list the card stays and carries the reason.
    card = client.post(_url(world, "variant", v.pk)[:-1] + "/comment/", {"body": "Agreed"})
    html = client.get(_url(world, "queue")).content.decode()
    assert f"<strong>Rejected</strong> by {world['approver'].get_full_name()}" in html and "Too pushy for a first text" in html
    assert "Latest comment" in html and "Agreed" in html and card.status_code == 302


def test_request_changes_shows_the_request_on_the_writers_next_version(client, world):
    v = _in_review(world)
    services.request_changes(v, by=world["approver"], comment="Say which tent")
    new = services.edit_variant(v, by=world["copywriter"], text=v.text + " Thanks")
    client.force_login(world["copywriter"])
    html = client.get(_url(world, "queue")).content.decode()
    card = html[html.index(f'id="variant-{new.pk}"'):]
    assert f"Changes requested</strong> by {world['approver'].get_full_name()}" in card and "Say which tent" in card
    assert "(on v1)" in card


@pytest.mark.parametrize("action", ["reject-variant", "request-changes"])
def test_an_empty_reason_is_an_inline_error_on_the_card_and_the_page(client, world, action):
    v = _in_review(world)
    client.force_login(world["approver"])
    html = client.post(_url(world, action, v.pk), {"reason": "   "}, **HX).content.decode()
    assert html.lstrip().startswith("<article") and '<details class="decide" open>' in html
    assert 'aria-invalid="true"' in html and "Give a reason" in html
    page = client.post(_url(world, action, v.pk), {"reason": ""})
    assert page.status_code == 200 and b"<html" in page.content and b"Give a reason" in page.content
    # The page's forms lead back to the variant page, not to the POST-only action.
    assert f'name="next" value="{_url(world, "variant", v.pk)}"' in page.content.decode()
    assert Variant.objects.get(pk=v.pk).status == S.IN_REVIEW


def test_an_approver_cannot_reject_their_own_text(client, world):
    both = make_user(brand=world["brand"], roles=(Role.COPYWRITER, Role.APPROVER))
    own = make_variant(world["brand"], author=both, status=S.IN_REVIEW)
    client.force_login(both)
    response = client.post(_url(world, "reject-variant", own.pk), {"reason": "Meh"})
    assert response.status_code == 403
    assert Variant.objects.get(pk=own.pk).status == S.IN_REVIEW


def test_the_queue_searches_the_text_and_sorts(client, world):
    short = _in_review(world, text="Acme Outdoors: hi. Reply STOP to opt out")
    long = _in_review(world, text="Acme Outdoors: " + "a long story about tents " * 10
                      + "Reply STOP to opt out")
    bad = _in_review(world, text="Acme Outdoors: cheap cheap!! Reply STOP to opt out")
    client.force_login(world["approver"])
    base = _url(world, "queue")

    def order(query) -> list[int]:
        html = client.get(base + query, **HX).content.decode()
        found = [(html.index(f'id="variant-{pk}"'), pk) for pk in (short.pk, long.pk, bad.pk)
                 if f'id="variant-{pk}"' in html]
        return [pk for _, pk in sorted(found)]

    assert order("?q=STORY") == [long.pk]
    assert order(f"?q=%23{bad.pk}") == [bad.pk]
    assert order("?sort=segments")[0] == long.pk
    assert order("?sort=findings")[0] == bad.pk
    assert order("?sort=newest") == [bad.pk, long.pk, short.pk]


def test_bulk_reject_needs_a_reason_and_reports_each_variant(client, world):
    ok = _in_review(world)
    own = make_variant(world["brand"], author=world["approver"], status=S.IN_REVIEW)
    draft = make_variant(world["brand"], author=world["copywriter"])
    url = _url(world, "bulk-decide")
    client.force_login(world["approver"])
    ids = [ok.pk, own.pk, draft.pk]
    html = client.post(url, {"variant": ids, "decision": "rejected", "reason": " "},
                       **HX).content.decode()
    assert "Give a reason" in html and f'value="{ok.pk}" form="bulk-form" id="pick-{ok.pk}"' in html
    assert Variant.objects.get(pk=ok.pk).status == S.IN_REVIEW
    html = client.post(url, {"variant": ids, "decision": "rejected", "reason": "Off brand"},
                       **HX).content.decode()
    assert "<strong>Rejected 1</strong> · refused 2" in html
    assert f"#{ok.pk}: rejected" in html
    assert f"#{own.pk}: refused — You wrote or edited" in html  # four eyes, per variant
    assert f"#{draft.pk}: refused — Only a variant in review" in html
    assert Variant.objects.get(pk=ok.pk).status == S.REJECTED
    assert Variant.objects.get(pk=own.pk).status == S.IN_REVIEW
    # The evidence page has no bulk form, so no bulk checkbox either.
    other = _in_review(world)
    assert f'id="pick-{other.pk}"' in client.get(_url(world, "queue")).content.decode()
    assert 'id="pick-' not in client.get(_url(world, "variant", other.pk)).content.decode()


def test_bulk_request_changes_and_roles(client, world):
    ok = _in_review(world)
    url = _url(world, "bulk-decide")
    for role in ("copywriter", "manager"):
        client.force_login(world[role])
        response = client.post(url, {"variant": [ok.pk], "decision": "changes_requested",
                                     "reason": "Shorter"})
        assert response.status_code == 403
    client.force_login(world["approver"])
    response = client.post(url, {"variant": [ok.pk], "decision": "changes_requested",
                                 "reason": "Shorter", "next": _url(world, "queue")},
                           follow=True)
    assert f"#{ok.pk}: sent back for changes".encode() in response.content
    assert Variant.objects.get(pk=ok.pk).status == S.CHANGES_REQUESTED


# --- 5. htmx history restore -------------------------------------------------------------

RESTORE = {**HX, "HTTP_HX_HISTORY_RESTORE_REQUEST": "true"}


@pytest.mark.parametrize(("page", "fragment"), [("queue", '<section id="queue-results"'),
                                                ("outbox", '<section class="card" id="messages"'),
                                                ("audit", '<section class="card" id="events"')])
def test_back_to_a_swapped_page_gets_the_whole_page(client, world, page, fragment):
    make_blocked_message(world["brand"])
    client.force_login(world["approver"])
    swap = client.get(_url(world, page), **HX)
    assert swap.content.decode().lstrip().startswith(fragment)
    assert "HX-Request" in swap["Vary"]  # no cache may hand the fragment to Back
    restored = client.get(_url(world, page), **RESTORE).content.decode()
    assert restored.startswith("<!doctype html>") and 'aria-label="Brand"' in restored


# --- 7. Guardrails: impact before saving, readable history ------------------------------

def test_the_impact_pane_lists_the_approved_variants_an_edit_would_send_back(client, world):
    hit = make_variant(world["brand"], author=world["copywriter"], status=S.APPROVED,
                       approved_by=world["approver"])
    safe = make_variant(world["brand"], author=world["copywriter"], status=S.APPROVED,
                        approved_by=world["approver"],
                        text="Acme Outdoors: your pack waits. Reply STOP to opt out")
    client.force_login(world["manager"])
    url = _url(world, "guardrails-impact")
    data = _guardrails_data(client, world)
    html = client.post(url, data, **HX).content.decode()
    assert html.lstrip().startswith('<div id="impact"') and "<strong>no</strong> approved" in html
    html = client.post(url, {**data, "banned_phrases": "cheap\ntent"}, **HX).content.decode()
    assert "would send <strong>1</strong> approved variant back" in html
    assert _url(world, "variant", hit.pk) in html and _url(world, "variant", safe.pk) not in html
    assert "BANNED_PHRASE" in html
    assert world["brand"].policies.count() == 1  # previewing saves nothing
    assert Variant.objects.get(pk=hit.pk).status == S.APPROVED
    html = client.post(url, {**data, "max_segments": 0}, **HX).content.decode()
    assert "has errors" in html
    page = client.post(url, {**data, "banned_phrases": "tent"}).content.decode()  # no JS
    assert "<html" in page and "would send <strong>1</strong>" in page
    assert "tent</textarea>" in page  # the form keeps the edit
    client.force_login(world["approver"])
    assert client.post(url, data).status_code == 403


def test_policy_history_is_a_field_by_field_change_list(client, world):
    client.force_login(world["manager"])
    data = _guardrails_data(client, world)
    data.update(banned_phrases="cheap\ntent", max_segments=3, tone_urgency_max=0.4,
                note="Stricter on tents")
    client.post(_url(world, "guardrails"), data)
    html = client.get(_url(world, "guardrails")).content.decode()
    latest = html[html.index("<strong>v2</strong>"):html.index("<strong>v1</strong>")]
    assert "<strong>Banned phrases</strong>:" in latest and "<ins>+ tent</ins>" in latest
    assert "<strong>Maximum segments</strong>: <del>2</del> → <ins>3</ins>" in latest
    assert "<strong>Tone range: urgency</strong>: <del>0–1</del> → <ins>0–0.4</ins>" in latest
    assert "Emoji limit" not in latest  # unchanged fields are not listed
    assert '"banned_phrases":' not in html  # no raw JSON


# --- 8. API keys for brand managers, the 403 page in plain words ------------------------

def test_a_brand_manager_creates_a_key_shown_once_and_revokes_it(client, world):
    from delivery.models import ApiKey
    from delivery.selectors import hash_api_key

    client.force_login(world["manager"])
    url = _url(world, "api-keys")
    assert client.post(url, {"name": "", "once": _form_token(client.get(url))}
                       ).status_code == 200 and not ApiKey.objects.exists()
    form = {"name": "Klaviyo cart flow", "once": _form_token(client.get(url))}
    response = client.post(url, form)
    html = response.content.decode()
    again = client.post(url, form)  # a reload of that answer re-posts the same form
    assert "no second key was made" in again.content.decode() and ApiKey.objects.count() == 1
    key = ApiKey.objects.get(brand=world["brand"])
    plain = html.split('id="new-key" class="key-value" value="')[1].split('"')[0]
    assert plain.startswith("scs_") and key.key_hash == hash_api_key(plain)  # hashed at rest
    assert plain not in key.key_hash and response["Cache-Control"] == "no-store"
    assert plain not in client.get(url).content.decode()  # shown once, never again
    # The key works on the API until it is revoked.
    api = {"HTTP_AUTHORIZATION": f"Bearer {plain}", "content_type": "application/json"}
    body = {"phone": "+14155550123", "intent": "welcome", "stage": "active"}
    assert client.post("/api/v1/decisions", body, **api).status_code != 401
    response = client.post(_url(world, "revoke-api-key", key.pk), follow=True)
    assert "Revoked “Klaviyo cart flow”" in response.content.decode()
    assert client.post("/api/v1/decisions", body, **api).status_code == 401


def _form_token(response) -> str:
    return response.content.decode().split('name="once" value="')[1].split('"')[0]


@pytest.mark.parametrize("role", ["copywriter", "approver"])
def test_only_brand_managers_reach_api_keys(client, world, role):
    from delivery.services import create_api_key

    key, _plain = create_api_key(world["brand"], name="flow")
    client.force_login(world[role])
    assert client.get(_url(world, "api-keys")).status_code == 403
    assert client.post(_url(world, "revoke-api-key", key.pk)).status_code == 403
    key.refresh_from_db()
    assert key.active


def test_the_403_page_keeps_the_brand_and_says_what_to_do_instead(client, world):
    client.force_login(world["copywriter"])
    response = client.get(_url(world, "guardrails"))
    html = response.content.decode()
    assert response.status_code == 403
    assert "Only brand managers can change the brand&#x27;s guardrails." in html
    assert 'aria-label="Brand"' in html and ">Queue<" in html  # the brand navigation stays
    assert "You can generate variants, edit them and submit them for review" in html
    assert "manage_policy" not in html


def test_the_empty_outbox_and_performance_pages_speak_to_marketers(client, world):
    client.force_login(world["manager"])
    for page in ("outbox", "performance"):
        html = client.get(_url(world, page)).content.decode()
        assert f'href="{_url(world, "api-keys")}">Create an API key</a>' in html
    client.force_login(world["approver"])
    html = client.get(_url(world, "outbox")).content.decode()
    assert "Ask a brand manager to create an API key" in html
