"""Every studio page and action for every role: what each may see and do, that htmx gets
partials, that plain posts redirect, and that refusals change nothing."""

from __future__ import annotations

import pytest
from django.urls import reverse

from copygen.models import GenerationRequest, GuidelineDocument, Variant
from studio.models import Role
from tests.factories import CLEAN_TEXT, make_brand, make_policy, make_user, make_variant

S = Variant.Status
HX = {"HTTP_HX_REQUEST": "true"}
ROLES = (Role.COPYWRITER, Role.APPROVER, Role.BRAND_MANAGER)


@pytest.fixture
def world(brand, copywriter, approver, manager):
    make_policy(brand)
    draft = make_variant(brand, author=copywriter)
    req = GenerationRequest.objects.create(brand=brand, requested_by=copywriter,
                                           intent="welcome", stage="active", n=2)
    users = {Role.COPYWRITER: copywriter, Role.APPROVER: approver, Role.BRAND_MANAGER: manager}
    return {"brand": brand, "draft": draft, "req": req, "users": users}


def _url(name, world, **extra):
    slug = world["brand"].slug
    if name in ("variant", "edit-variant"):
        return reverse(f"studio:{name}", args=[slug, world["draft"].pk])
    if name == "generation":
        return reverse("studio:generation", args=[slug, world["req"].pk])
    return reverse(f"studio:{name}", args=[slug])


PAGES = {
    # page name → roles allowed (others get 403)
    "brand-home": ROLES, "queue": ROLES, "variant": ROLES, "generation": ROLES,
    "guidelines": ROLES, "audit": ROLES, "audit-csv": ROLES, "performance": ROLES,
    "outbox": ROLES,
    "generate": (Role.COPYWRITER, Role.BRAND_MANAGER),
    "edit-variant": (Role.COPYWRITER, Role.BRAND_MANAGER),
    "guardrails": (Role.BRAND_MANAGER,),
}


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("page", sorted(PAGES))
def test_every_page_answers_each_role_as_the_table_says(client, world, page, role):
    client.force_login(world["users"][role])
    response = client.get(_url(page, world))
    assert response.status_code == (200 if role in PAGES[page] else 403)


@pytest.mark.parametrize("page", sorted(PAGES))
def test_outsiders_get_404_and_anonymous_visitors_go_to_login(client, world, page):
    response = client.get(_url(page, world))
    assert response.status_code == 302 and reverse("login") in response["Location"]
    client.force_login(make_user(brand=make_brand(), roles=(Role.BRAND_MANAGER,)))
    assert client.get(_url(page, world)).status_code == 404


def test_another_brands_variant_is_404(client, world, copywriter):
    other = make_variant(make_brand(), author=copywriter)
    client.force_login(copywriter)
    url = reverse("studio:variant", args=[world["brand"].slug, other.pk])
    assert client.get(url).status_code == 404


def test_the_nav_hides_what_the_role_cannot_do(client, world, copywriter, approver):
    client.force_login(approver)
    html = client.get(_url("queue", world)).content.decode()
    assert ">Generate<" not in html and ">Guardrails<" not in html and ">Audit<" in html
    client.force_login(copywriter)
    html = client.get(_url("queue", world)).content.decode()
    assert ">Generate<" in html and "Approve selected" not in html


def test_brand_home_shows_counts_coverage_and_activity(client, world, copywriter, approver):
    make_variant(world["brand"], author=copywriter, status=S.APPROVED, approved_by=approver)
    client.force_login(copywriter)
    html = client.get(_url("brand-home", world)).content.decode()
    assert "Variants by status" in html and "Approved coverage" in html
    assert 'class="filled"' in html


def test_the_queue_filters_and_htmx_gets_only_the_results(client, world, copywriter):
    make_variant(world["brand"], author=copywriter, intent="welcome", text="Acme Outdoors: hi")
    client.force_login(copywriter)
    html = client.get(_url("queue", world) + "?intent=welcome").content.decode()
    assert f'id="variant-{world["draft"].pk}"' not in html and "<html" in html
    partial = client.get(_url("queue", world), **HX).content.decode()
    assert partial.lstrip().startswith('<section id="queue-results"') and "<html" not in partial
    assert f'id="variant-{world["draft"].pk}"' in partial


def test_the_card_highlights_findings_in_place(client, world, copywriter):
    bad = make_variant(world["brand"], author=copywriter, text="Acme Outdoors: cheap tents")
    client.force_login(copywriter)
    html = client.get(reverse("studio:variant", args=[world["brand"].slug, bad.pk])).content.decode()
    assert '<mark class="block" title="BANNED_PHRASE' in html and ">cheap</mark>" in html
    assert "This text" in html and "Worst case" not in html  # no merge fields, one bar


def _post(client, world, name, data=None, variant=None, **extra):
    pk = (variant or world["draft"]).pk
    return client.post(reverse(f"studio:{name}", args=[world["brand"].slug, pk]), data or {},
                       **extra)


def test_a_copywriter_posting_approve_gets_403_and_nothing_changes(client, world, copywriter):
    draft = world["draft"]
    draft.status = S.IN_REVIEW
    draft.save()
    client.force_login(copywriter)
    assert _post(client, world, "approve-variant").status_code == 403
    assert Variant.objects.get(pk=draft.pk).status == S.IN_REVIEW
    assert not draft.events.filter(action="approved").exists()


def test_an_approver_cannot_approve_their_own_text_even_by_forged_post(client, world):
    both = make_user(brand=world["brand"], roles=(Role.COPYWRITER, Role.APPROVER))
    own = make_variant(world["brand"], author=both, status=S.IN_REVIEW)
    client.force_login(both)
    response = _post(client, world, "approve-variant", variant=own)
    assert response.status_code == 403 and b"another approver" in response.content
    assert Variant.objects.get(pk=own.pk).status == S.IN_REVIEW


def test_submit_then_approve_without_js_redirects_back(client, world, copywriter, approver):
    client.force_login(copywriter)
    queue = _url("queue", world)
    response = _post(client, world, "submit-variant", {"next": queue})
    assert response.status_code == 302 and response["Location"] == queue
    client.force_login(approver)
    response = _post(client, world, "approve-variant", {"next": "https://evil.example/"})
    assert response.status_code == 302 and response["Location"].startswith("/studio/")
    assert Variant.objects.get(pk=world["draft"].pk).status == S.APPROVED


def test_an_htmx_decision_returns_just_the_card(client, world, copywriter):
    client.force_login(copywriter)
    response = _post(client, world, "submit-variant", **HX)
    html = response.content.decode()
    assert response.status_code == 200 and "<html" not in html
    assert html.lstrip().startswith("<article") and "In review" in html


def test_a_refused_htmx_decision_rerenders_the_card_with_the_reason(client, world, copywriter):
    bad = make_variant(world["brand"], author=copywriter, status=S.FAILED_CHECKS,
                       text="Acme Outdoors: cheap tents")
    client.force_login(copywriter)
    response = _post(client, world, "submit-variant", variant=bad, **HX)
    assert response.status_code == 200 and b"BANNED_PHRASE" in response.content
    assert b'role="alert"' in response.content


@pytest.mark.parametrize(("action", "data", "allowed", "status"), [
    ("reject-variant", {"reason": "Off brand"}, (Role.APPROVER,), S.REJECTED),
    ("request-changes", {"reason": "Shorter"}, (Role.APPROVER,), S.CHANGES_REQUESTED),
])
@pytest.mark.parametrize("role", ROLES)
def test_review_decisions_are_for_approvers(client, world, role, action, data, allowed, status):
    world["draft"].status = S.IN_REVIEW
    world["draft"].save()
    client.force_login(world["users"][role])
    response = _post(client, world, action, data)
    expected = S.IN_REVIEW
    if role in allowed:
        assert response.status_code == 302
        expected = status
    else:
        assert response.status_code == 403
    assert Variant.objects.get(pk=world["draft"].pk).status == expected


def test_reject_without_a_reason_is_refused_in_place(client, world, approver):
    world["draft"].status = S.IN_REVIEW
    world["draft"].save()
    client.force_login(approver)
    response = _post(client, world, "reject-variant", {"reason": ""}, **HX)
    assert response.status_code == 200 and b"Give a reason" in response.content
    assert Variant.objects.get(pk=world["draft"].pk).status == S.IN_REVIEW


@pytest.mark.parametrize("role", ROLES)
def test_retire_is_for_approvers_and_managers(client, world, role, copywriter, approver):
    live = make_variant(world["brand"], author=copywriter, status=S.APPROVED, approved_by=approver)
    client.force_login(world["users"][role])
    response = _post(client, world, "retire-variant", variant=live)
    allowed = role in (Role.APPROVER, Role.BRAND_MANAGER)
    assert response.status_code == (302 if allowed else 403)
    assert Variant.objects.get(pk=live.pk).status == (S.RETIRED if allowed else S.APPROVED)


@pytest.mark.parametrize("role", ROLES)
def test_anyone_in_the_brand_can_comment(client, world, role):
    client.force_login(world["users"][role])
    assert _post(client, world, "comment-variant", {"body": "Looks good"}).status_code == 302
    page = client.get(_url("variant", world)).content.decode()
    assert "Looks good" in page


def test_bulk_approve_lists_refusals(client, world, copywriter, approver):
    ok = make_variant(world["brand"], author=copywriter, status=S.IN_REVIEW)
    own = make_variant(world["brand"], author=approver, status=S.IN_REVIEW)
    url = reverse("studio:bulk-approve", args=[world["brand"].slug])
    client.force_login(copywriter)
    assert client.post(url, {"variant": [ok.pk]}).status_code == 403
    client.force_login(approver)
    response = client.post(url, {"variant": [ok.pk, own.pk]}, **HX)
    html = response.content.decode()
    assert response.status_code == 200 and "Approved 1" in html and f"#{own.pk}:" in html
    assert Variant.objects.get(pk=ok.pk).status == S.APPROVED


def test_edit_saves_a_new_version_and_redirects_to_it(client, world, copywriter):
    client.force_login(copywriter)
    response = _post(client, world, "edit-variant", {"text": CLEAN_TEXT + " Thanks!"})
    new = Variant.objects.get(root=world["draft"], version=2)
    assert response.status_code == 302 and response["Location"].endswith(f"/v/{new.pk}/edit/")
    page = client.get(response["Location"]).content.decode()
    assert "<ins>" in page and "Thanks" in page


def test_an_unchanged_or_empty_edit_rerenders_with_the_error(client, world, copywriter):
    client.force_login(copywriter)
    response = _post(client, world, "edit-variant", {"text": CLEAN_TEXT})
    assert response.status_code == 200 and b"Nothing changed" in response.content
    response = _post(client, world, "edit-variant", {"text": ""})
    assert response.status_code == 200 and b"field-error" in response.content


def test_the_live_check_returns_the_panel_for_htmx_and_the_page_without(client, world,
                                                                        copywriter, approver):
    client.force_login(copywriter)
    response = _post(client, world, "check-variant", {"text": "cheap tents"}, **HX)
    html = response.content.decode()
    assert '<section class="card check-panel"' in html and "<html" not in html
    # The summary under the text comes along, out of band.
    assert '<div class="live-summary blocked" id="live-summary" aria-live="polite" hx-swap-oob="true">' in html
    assert "BANNED_PHRASE" in html and "One-click fix" in html and "<ins>Acme Outdoors: </ins>" in html
    full = _post(client, world, "check-variant", {"text": "cheap tents"}).content.decode()
    assert "<html" in full and "cheap tents</textarea>" in full
    client.force_login(approver)
    assert _post(client, world, "check-variant", {"text": "x"}).status_code == 403


def test_apply_fix_posts_and_redirects_to_the_fixed_version(client, world, copywriter):
    client.force_login(copywriter)
    response = _post(client, world, "fix-variant", {"text": "Your tent is waiting"})
    new = Variant.objects.get(root=world["draft"], version=2)
    assert response.status_code == 302 and new.text.startswith("Acme Outdoors: ")


def test_generate_queues_a_request_on_commit(client, world, copywriter,
                                             django_capture_on_commit_callbacks):
    client.force_login(copywriter)
    with django_capture_on_commit_callbacks() as callbacks:
        response = client.post(_url("generate", world), {
            "intent": "welcome", "stage": "new_customer", "offer_kind": "none", "n": 3})
    req = GenerationRequest.objects.latest("id")
    assert response.status_code == 302 and response["Location"].endswith(f"/generate/{req.pk}/")
    assert len(callbacks) == 1 and req.n == 3 and req.requested_by == copywriter


def test_generate_rejects_an_offer_the_brand_does_not_allow(client, world, copywriter):
    client.force_login(copywriter)
    response = client.post(_url("generate", world), {
        "intent": "welcome", "stage": "new_customer", "offer_kind": "percent_off",
        "offer_percent": 20, "n": 3})
    assert response.status_code == 200 and b"allows no percentage" in response.content


def test_generation_progress_partial_polls_until_done(client, world, copywriter):
    client.force_login(copywriter)
    html = client.get(_url("generation", world), **HX).content.decode()
    assert 'hx-trigger="every 1s"' in html and "<html" not in html
    page = client.get(_url("generation", world)).content.decode()
    assert 'http-equiv="refresh"' in page
    GenerationRequest.objects.filter(pk=world["req"].pk).update(status="done", progress_done=2)
    html = client.get(_url("generation", world), **HX).content.decode()
    assert "every 1s" not in html and f"?request={world['req'].pk}" in html


def test_guardrails_save_reports_how_many_went_back(client, world, copywriter, approver, manager):
    make_variant(world["brand"], author=copywriter, status=S.APPROVED, approved_by=approver)
    client.force_login(manager)
    form = client.get(_url("guardrails", world)).context["form"]
    # A browser leaves unticked checkboxes out of the post.
    data = {k: v for k, v in form.initial.items() if v is not None and v is not False}
    data["banned_phrases"] = "cheap\ntent"
    response = client.post(_url("guardrails", world), data, follow=True)
    assert b"1 approved variant(s) failed the new policy" in response.content
    assert world["brand"].policies.count() == 2


def test_guardrails_validation_errors_rerender_in_place(client, world, manager, copywriter):
    client.force_login(manager)
    response = client.post(_url("guardrails", world), {
        "max_segments": 0, "emoji_limit": 1, "allowed_link_domains": "https://x",
        "merge_fields": "first_name twenty", "max_percent_off": 0,
        **{f"tone_{d}_min": 0.5 for d in ("enthusiasm", "urgency", "formality", "sentiment")},
        **{f"tone_{d}_max": 0.2 for d in ("enthusiasm", "urgency", "formality", "sentiment")},
    }, **HX)
    html = response.content.decode()
    assert response.status_code == 200 and html.lstrip().startswith('<section class="card" id="policy-form"')
    assert "not a bare domain" in html and "name max_length" in html and "must not be below" in html
    assert world["brand"].policies.count() == 1
    client.force_login(copywriter)
    assert client.post(_url("guardrails", world), {}).status_code == 403


def test_the_guardrails_test_pane_checks_pasted_text(client, world, manager):
    client.force_login(manager)
    url = reverse("studio:test-guardrails", args=[world["brand"].slug])
    html = client.post(url, {"text": "cheap!!"}, **HX).content.decode()
    assert html.lstrip().startswith('<div id="test-report"') and "BANNED_PHRASE" in html
    assert b"<html" in client.post(url, {"text": "cheap"}).content


def test_the_test_pane_checks_against_the_policy_as_edited_before_it_is_saved(
        client, world, manager):
    client.force_login(manager)
    url = reverse("studio:test-guardrails", args=[world["brand"].slug])
    form = client.get(_url("guardrails", world)).context["form"]
    saved = {k: v for k, v in form.initial.items() if v is not None and v is not False}
    text = "Acme Outdoors: the tent sale starts today. Reply STOP to opt out"
    html = client.post(url, {"text": text, **saved}, **HX).content.decode()
    assert "BANNED_PHRASE" not in html and "as edited in the form" in html
    edited = {**saved, "banned_phrases": "tent"}
    html = client.post(url, {"text": text, **edited}, **HX).content.decode()
    assert "BANNED_PHRASE" in html and "not saved yet" in html
    assert world["brand"].policies.count() == 1  # trying an edit saves nothing
    html = client.post(url, {"text": text}, **HX).content.decode()
    assert "BANNED_PHRASE" not in html and "the saved policy (v1)" in html


def test_an_invalid_edit_is_named_and_the_saved_policy_is_used(client, world, manager):
    client.force_login(manager)
    url = reverse("studio:test-guardrails", args=[world["brand"].slug])
    form = client.get(_url("guardrails", world)).context["form"]
    broken = {k: v for k, v in form.initial.items() if v is not None and v is not False}
    broken.update(max_segments=0, banned_phrases="tent")
    html = client.post(url, {"text": "cheap tent", **broken}, **HX).content.decode()
    assert "the edited policy has errors" in html
    assert "BANNED_PHRASE" in html  # "cheap" is banned in the saved policy
    page = client.post(url, {"text": "cheap tent", **broken}).content.decode()
    assert "<html" in page and 'name="max_segments"' in page


def test_guidelines_upload_is_for_managers_and_lists_chunks(client, world, manager, copywriter):
    url = _url("guidelines", world)
    doc = {"content": "# Voice\n\nCalm and warm. Never pushy.", "source_name": "voice.md"}
    client.force_login(copywriter)
    assert client.post(url, doc).status_code == 403
    client.force_login(manager)
    assert client.post(url, doc).status_code == 302
    stored = GuidelineDocument.objects.get(brand=world["brand"])
    page = client.get(url + "?q=calm voice").content.decode()
    assert stored.title in page and "Never pushy" in page and 'class="pill"' in page


def test_guidelines_upload_without_content_rerenders_with_an_error(client, world, manager):
    client.force_login(manager)
    response = client.post(_url("guidelines", world), {"source_name": "x.md"})
    assert response.status_code == 200 and b"Choose a file or paste the text" in response.content


def test_audit_filters_and_exports_csv(client, world, copywriter, approver):
    client.force_login(copywriter)
    _post(client, world, "submit-variant")
    _post(client, world, "comment-variant", {"body": "hello"})
    html = client.get(_url("audit", world) + "?action=submitted").content.decode()
    assert "submitted" in html and "hello" not in html
    csv = client.get(_url("audit-csv", world) + "?action=commented").content.decode()
    lines = csv.strip().splitlines()
    assert lines[0].startswith("time,variant,version,action") and len(lines) == 2
    assert ",commented," in lines[1] and "hello" in lines[1]


def test_unknown_ids_are_404_and_403_pages_explain_themselves(client, world, approver):
    client.force_login(approver)
    url = reverse("studio:variant", args=[world["brand"].slug, 999999])
    assert client.get(url).status_code == 404
    response = client.get(_url("guardrails", world))
    assert response.status_code == 403
    assert b"Only brand managers can change the brand&#x27;s guardrails." in response.content
