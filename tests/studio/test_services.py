"""The review state machine: every transition, four eyes, stale policies, bulk approval and
guardrail tightening, against the real database and the real brandguard engine."""

from __future__ import annotations

import pytest

from copygen.models import Variant, VariantEvent
from studio import services
from studio.models import Comment, Role
from tests.factories import CLEAN_TEXT, make_policy, make_user, make_variant

S = Variant.Status


@pytest.fixture
def policy(brand):
    return make_policy(brand)


@pytest.fixture
def draft(brand, policy, copywriter):
    return make_variant(brand, author=copywriter)


def _events(variant):
    return list(VariantEvent.objects.filter(variant=variant).values_list("action", "from_status",
                                                                          "to_status"))


def test_editing_writes_a_new_current_version_and_keeps_the_old_one(draft, copywriter):
    new = services.edit_variant(draft, by=copywriter, text=CLEAN_TEXT + " Thanks!")
    draft.refresh_from_db()
    assert (new.version, new.parent, new.root, new.is_current) == (2, draft, draft, True)
    assert not draft.is_current and draft.text == CLEAN_TEXT
    assert new.status == S.DRAFT and new.guard_report["passed"] and new.policy_version == 1
    assert new.provider == draft.provider and new.author == copywriter
    assert _events(new) == [("edited", "draft", "draft")]


def test_an_edit_that_breaks_a_rule_lands_in_failed_checks(draft, copywriter):
    new = services.edit_variant(draft, by=copywriter, text="Cheap tents today at acme.co")
    assert new.status == S.FAILED_CHECKS
    assert {f["rule"] for f in new.guard_report["findings"]} >= {"BANNED_PHRASE", "BRAND_ID"}


def test_textarea_crlf_is_saved_as_lf(draft, copywriter):
    new = services.edit_variant(draft, by=copywriter, text="Acme Outdoors:\r\nhi. Reply STOP to opt out")
    assert "\r" not in new.text


@pytest.mark.parametrize("status", [S.APPROVED, S.RETIRED, S.REJECTED])
def test_approved_retired_and_rejected_text_is_never_edited(brand, policy, copywriter, status):
    variant = make_variant(brand, author=copywriter, status=status)
    with pytest.raises(services.TransitionDenied):
        services.edit_variant(variant, by=copywriter, text="Acme Outdoors: new words")
    assert Variant.objects.filter(brand=brand).count() == 1


def test_a_superseded_version_cannot_move(draft, copywriter):
    services.edit_variant(draft, by=copywriter, text=CLEAN_TEXT + " Thanks!")
    with pytest.raises(services.TransitionDenied, match="superseded"):
        services.submit_variant(draft, by=copywriter)


def test_apply_fix_saves_the_deterministic_fix_as_a_version(draft, copywriter):
    broken = services.edit_variant(draft, by=copywriter, text="Your tent is in your cart.")
    fixed = services.apply_fix(broken, by=copywriter)
    assert fixed.text.startswith("Acme Outdoors: ") and fixed.version == 3
    assert "BRAND_ID" in VariantEvent.objects.get(variant=fixed).reason
    clean = make_variant(fixed.brand, author=copywriter)
    with pytest.raises(services.TransitionDenied, match="no automatic fix"):
        services.apply_fix(clean, by=copywriter)


def test_submit_moves_a_clean_draft_to_review_and_refuses_a_blocking_one(draft, copywriter):
    assert services.submit_variant(draft, by=copywriter).status == S.IN_REVIEW
    assert _events(draft)[0] == ("submitted", "draft", "in_review")
    bad = services.edit_variant(make_variant(draft.brand, author=copywriter), by=copywriter,
                                text="Cheap tents at acme.co")
    with pytest.raises(services.TransitionDenied, match="BANNED_PHRASE") as exc:
        services.submit_variant(bad, by=copywriter)
    assert exc.value.code == "blocked"
    assert Variant.objects.get(pk=bad.pk).status == S.FAILED_CHECKS


def test_approve_records_the_approver_and_the_policy_version(draft, copywriter, approver):
    services.submit_variant(draft, by=copywriter)
    approved = services.approve_variant(draft, by=approver)
    assert approved.status == S.APPROVED and approved.approved_by == approver
    assert approved.approved_at is not None
    event = VariantEvent.objects.filter(variant=draft, action="approved").get()
    assert (event.actor, event.policy_version, event.version) == (approver, 1, 1)


def test_an_approver_who_authored_the_text_cannot_approve_it(brand, policy):
    writer_approver = make_user(brand=brand, roles=(Role.COPYWRITER, Role.APPROVER))
    variant = make_variant(brand, author=writer_approver)
    services.submit_variant(variant, by=writer_approver)
    with pytest.raises(services.ApprovalDenied) as exc:
        services.approve_variant(variant, by=writer_approver)
    assert exc.value.code == "four_eyes"
    assert Variant.objects.get(pk=variant.pk).status == S.IN_REVIEW


def test_an_approver_who_only_edited_one_version_cannot_approve_the_chain(draft, brand):
    editor = make_user(brand=brand, roles=(Role.COPYWRITER, Role.APPROVER))
    edited = services.edit_variant(draft, by=editor, text=CLEAN_TEXT + " See you soon.")
    services.submit_variant(edited, by=editor)
    with pytest.raises(services.ApprovalDenied, match="wrote or edited"):
        services.approve_variant(edited, by=editor)


def test_a_copywriter_cannot_approve_even_through_the_service(draft, copywriter):
    services.submit_variant(draft, by=copywriter)
    other = make_user(brand=draft.brand, roles=(Role.COPYWRITER,))
    with pytest.raises(services.ApprovalDenied) as exc:
        services.approve_variant(draft, by=other)
    assert exc.value.code == "role"


def test_approval_rechecks_against_the_current_policy_not_the_stored_report(
        draft, brand, copywriter, approver):
    services.submit_variant(draft, by=copywriter)
    make_policy(brand, banned_phrases=["cheap", "tent"])  # v2 bans a word the text uses
    with pytest.raises(services.ApprovalDenied, match="policy v2") as exc:
        services.approve_variant(draft, by=approver)
    assert exc.value.code == "blocked"
    assert Variant.objects.get(pk=draft.pk).status == S.IN_REVIEW


def test_only_in_review_variants_can_be_approved(draft, approver):
    with pytest.raises(services.ApprovalDenied):
        services.approve_variant(draft, by=approver)


def test_reject_needs_a_reason_and_records_it(draft, copywriter, approver):
    services.submit_variant(draft, by=copywriter)
    with pytest.raises(services.TransitionDenied):
        services.reject_variant(draft, by=approver, reason="  ")
    services.reject_variant(draft, by=approver, reason="Off brand")
    draft.refresh_from_db()
    assert draft.status == S.REJECTED
    assert VariantEvent.objects.get(variant=draft, action="rejected").reason == "Off brand"


def test_request_changes_needs_a_comment_and_adds_it_to_the_thread(draft, copywriter, approver):
    services.submit_variant(draft, by=copywriter)
    with pytest.raises(services.TransitionDenied):
        services.request_changes(draft, by=approver, comment="")
    services.request_changes(draft, by=approver, comment="Shorter, please")
    draft.refresh_from_db()
    assert draft.status == S.CHANGES_REQUESTED
    assert Comment.objects.get(variant=draft).body == "Shorter, please"
    assert services.submit_variant(draft, by=copywriter).status == S.IN_REVIEW


def test_comments_are_stored_and_audited(draft, approver):
    comment = services.comment_on_variant(draft, by=approver, body="Nice angle")
    assert comment.author == approver
    assert _events(draft) == [("commented", "draft", "draft")]
    with pytest.raises(services.TransitionDenied):
        services.comment_on_variant(draft, by=approver, body=" ")


def test_retire_only_from_approved(brand, policy, copywriter, approver, draft):
    with pytest.raises(services.TransitionDenied):
        services.retire_variant(draft, by=approver)
    live = make_variant(brand, author=copywriter, status=S.APPROVED, approved_by=approver)
    assert services.retire_variant(live, by=approver).status == S.RETIRED
    assert _events(live) == [("retired", "approved", "retired")]


def test_bulk_approve_checks_each_one_and_lists_refusals(brand, policy, copywriter, approver):
    good = [make_variant(brand, author=copywriter, status=S.IN_REVIEW) for _ in range(2)]
    own = make_variant(brand, author=approver, status=S.IN_REVIEW)
    blocked = make_variant(brand, author=copywriter, status=S.IN_REVIEW,
                           text="Acme Outdoors: cheap tents. Reply STOP to opt out")
    draft = make_variant(brand, author=copywriter)
    result = services.bulk_approve([*good, own, blocked, draft], by=approver)
    assert [v.pk for v in result.approved] == [v.pk for v in good]
    reasons = {v.pk: reason for v, reason in result.refused}
    assert set(reasons) == {own.pk, blocked.pk, draft.pk}
    assert "wrote or edited" in reasons[own.pk] and "BANNED_PHRASE" in reasons[blocked.pk]


def test_tightened_guardrails_send_failing_approved_variants_back_to_review(
        brand, policy, copywriter, approver, manager):
    tent = make_variant(brand, author=copywriter, status=S.APPROVED, approved_by=approver)
    other = make_variant(brand, author=copywriter, status=S.APPROVED, approved_by=approver,
                         text="Acme Outdoors: your boots are back. acme.co Reply STOP to opt out")
    retired = make_variant(brand, author=copywriter, status=S.RETIRED)
    saved = services.save_guardrails(
        brand, by=manager, offers={"free_shipping": True},
        rules={**policy.rules, "banned_phrases": ["cheap", "tent"]}, note="No tents")
    assert saved.policy.version == 2 and saved.sent_back == 1
    tent.refresh_from_db()
    other.refresh_from_db()
    assert tent.status == S.IN_REVIEW and tent.approved_by is None and tent.policy_version == 2
    assert other.status == S.APPROVED
    assert Variant.objects.get(pk=retired.pk).status == S.RETIRED
    event = VariantEvent.objects.get(variant=tent, action="sent_back")
    assert event.actor == manager and "BANNED_PHRASE" in event.reason and event.policy_version == 2
    assert saved.policy.offers == {"free_shipping": True}
