"""The review workflow's writes: the variant state machine, comments and guardrails.

State machine (every transition writes a copygen.VariantEvent in the same transaction):

    draft / failed_checks / changes_requested --submit--> in_review
    in_review --approve--> approved --retire--> retired
    in_review --reject--> rejected            (final: write a new variant instead)
    in_review --request_changes--> changes_requested
    any editable status --edit / apply_fix--> a NEW version row (draft or failed_checks)
    approved --stricter guardrails--> in_review (save_guardrails)

Approved text is never modified: an approved variant cannot be edited, only retired. A
changed approved message is a new message and goes through review from the start; that is
the only rule under which "what was approved is what is sent" stays true without tracking
two live versions of one chain.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db import transaction
from django.utils import timezone

from brandguard import check
from brandguard.models import Brand, BrandPolicy
from brandguard.report import Report
from brandguard.services import save_policy_version
from copygen.models import Variant, VariantEvent
from studio.models import Comment, Role
from studio.permissions import roles_for
from studio.selectors import chain_author_ids, check_text, message_context

Status = Variant.Status
EDITABLE = frozenset({Status.DRAFT, Status.FAILED_CHECKS, Status.CHANGES_REQUESTED,
                      Status.IN_REVIEW})
SUBMITTABLE = frozenset({Status.DRAFT, Status.FAILED_CHECKS, Status.CHANGES_REQUESTED})

# Provenance travels down the version chain so every version still names its origin.
_PROVENANCE = ("brand", "intent", "stage", "provider", "model_name", "prompt_version",
               "temperature", "angle", "tone_label", "offer_level", "rationale", "retrieved",
               "cited_chunk_ids", "generation_request")


class TransitionDenied(Exception):
    """A workflow step that is not allowed now; ``code`` lets a view pick the status."""

    def __init__(self, message: str, *, code: str = "state"):
        super().__init__(message)
        self.code = code


class ApprovalDenied(TransitionDenied):
    """A review decision (approve, reject, request changes) refused: ``code`` is "role",
    "four_eyes", "blocked" or "state"."""


@dataclass
class BulkApproval:
    approved: list[Variant] = field(default_factory=list)
    refused: list[tuple[Variant, str]] = field(default_factory=list)


@dataclass
class BulkDecision:
    """What a bulk decision did, variant by variant."""

    action: str  # "approved", "rejected" or "changes_requested"
    done: list[Variant] = field(default_factory=list)
    refused: list[tuple[Variant, str]] = field(default_factory=list)


@dataclass(frozen=True)
class GuardrailsSaved:
    policy: BrandPolicy
    sent_back: int


def blocking_reason(report: Report) -> str:
    return "; ".join(f"{f.rule}: {f.message}" for f in report.findings
                     if f.severity == "block")


def _lock(variant: Variant) -> Variant:
    row = Variant.objects.select_for_update().get(pk=variant.pk)
    if not row.is_current:
        raise TransitionDenied(f"Version {row.version} has been superseded; open the current "
                               "version and try again.")
    return row


def _record(variant: Variant, *, by, action: str, from_status: str, reason: str = "",
            policy_version: int | None = None) -> VariantEvent:
    return VariantEvent.objects.create(
        variant=variant, brand_id=variant.brand_id, actor=by, action=action,
        from_status=from_status, to_status=variant.status, version=variant.version,
        policy_version=policy_version if policy_version is not None else variant.policy_version,
        reason=reason,
    )


def _store_report(variant: Variant, report: Report) -> None:
    variant.guard_report = report.to_dict()
    variant.policy_version = report.policy_version


def _normalise(text: str) -> str:
    # Browsers submit textarea line breaks as CRLF; on SMS that is two characters and can
    # push a text into another segment, so keep the LF the writer meant.
    return text.replace("\r\n", "\n").strip()


def edit_variant(variant: Variant, *, by, text: str, note: str = "") -> Variant:
    """Save ``text`` as a new version (the old one stays, no longer current)."""
    text = _normalise(text)
    if not text:
        raise TransitionDenied("The text cannot be empty.", code="invalid")
    with transaction.atomic():
        old = _lock(variant)
        if old.status not in EDITABLE:
            raise TransitionDenied(f"A {old.get_status_display().lower()} variant cannot be "
                                   "edited.")
        if text == old.text:
            raise TransitionDenied("Nothing changed: the text is the same.", code="invalid")
        report = check_text(old.brand, text, intent=old.intent)
        new = Variant(**{name: getattr(old, name) for name in _PROVENANCE})
        new.text, new.author = text, by
        new.root_id, new.parent, new.version = old.chain_root_id, old, old.version + 1
        new.status = Status.DRAFT if report.passed else Status.FAILED_CHECKS
        _store_report(new, report)
        new.save()
        old.is_current = False
        old.save(update_fields=["is_current", "updated_at"])
        _record(new, by=by, action="edited", from_status=old.status, reason=note)
    return new


def apply_fix(variant: Variant, *, by, text: str | None = None) -> Variant:
    """Apply brandguard's deterministic fix to ``text`` (default: the saved text) as a new
    version; the note names every rule an edit answers."""
    report = check_text(variant.brand, _normalise(text or variant.text), intent=variant.intent)
    if not report.fixed_text:
        raise TransitionDenied("There is no automatic fix for this text.", code="invalid")
    still = [f for f in report.fixed_findings if f.severity == "block"]
    if still:
        rules = ", ".join(sorted({f.rule for f in still}))
        raise TransitionDenied(f"The automatic fix would leave blocking findings ({rules}); "
                               "rewrite the text by hand.", code="blocked")
    rules = ", ".join(sorted({edit.rule for edit in report.fix_diff}))
    return edit_variant(variant, by=by, text=report.fixed_text, note=f"Applied fixes: {rules}")


def submit_variant(variant: Variant, *, by) -> Variant:
    with transaction.atomic():
        row = _lock(variant)
        if row.status not in SUBMITTABLE:
            raise TransitionDenied(f"A {row.get_status_display().lower()} variant cannot be "
                                   "submitted.")
        report = check_text(row.brand, row.text, intent=row.intent)
        if not report.passed:
            raise TransitionDenied(f"Fix the blocking findings first: {blocking_reason(report)}",
                                   code="blocked")
        before, row.status = row.status, Status.IN_REVIEW
        _store_report(row, report)
        row.save()
        _record(row, by=by, action="submitted", from_status=before)
    return row


def approve_variant(variant: Variant, *, by) -> Variant:
    """Four eyes: an approver who wrote or edited any version of this text may not approve
    it. The checks run again against the CURRENT policy: a report from an older policy
    version proves nothing about today's rules."""
    with transaction.atomic():
        row = _lock(variant)
        if Role.APPROVER not in roles_for(by, row.brand):
            raise ApprovalDenied("Only an approver can approve.", code="role")
        if row.status != Status.IN_REVIEW:
            raise ApprovalDenied(f"Only a variant in review can be approved; this one is "
                                 f"{row.get_status_display().lower()}.")
        if by.pk in chain_author_ids([row])[row.pk if row.root_id is None else row.root_id]:
            raise ApprovalDenied("You wrote or edited a version of this text; another "
                                 "approver must approve it.", code="four_eyes")
        report = check_text(row.brand, row.text, intent=row.intent)
        if not report.passed:
            raise ApprovalDenied(f"Blocked under policy v{report.policy_version}: "
                                 f"{blocking_reason(report)}", code="blocked")
        row.status, row.approved_by, row.approved_at = Status.APPROVED, by, timezone.now()
        _store_report(row, report)
        row.save()
        _record(row, by=by, action="approved", from_status=Status.IN_REVIEW)
    return row


def _check_reviewer(row: Variant, *, by, verb: str) -> None:
    """Roles and four eyes hold for every review decision, not only approval: the person
    who wrote a version does not judge it, whichever way."""
    if Role.APPROVER not in roles_for(by, row.brand):
        raise ApprovalDenied(f"Only an approver can {verb}.", code="role")
    if by.pk in chain_author_ids([row])[row.root_id or row.pk]:
        raise ApprovalDenied("You wrote or edited a version of this text; another approver "
                             "must review it.", code="four_eyes")


def _review_decision(variant: Variant, *, by, to: str, action: str, reason: str) -> Variant:
    with transaction.atomic():
        row = _lock(variant)
        _check_reviewer(row, by=by, verb="reject or request changes")
        if row.status != Status.IN_REVIEW:
            raise TransitionDenied(f"Only a variant in review can be {action.replace('_', ' ')};"
                                   f" this one is {row.get_status_display().lower()}.")
        row.status = to
        row.save(update_fields=["status", "updated_at"])
        _record(row, by=by, action=action, from_status=Status.IN_REVIEW, reason=reason)
        if action == "changes_requested":
            Comment.objects.create(variant=row, author=by, body=reason)
    return row


def reject_variant(variant: Variant, *, by, reason: str) -> Variant:
    if not reason.strip():
        raise TransitionDenied("Give a reason for the rejection.", code="invalid")
    return _review_decision(variant, by=by, to=Status.REJECTED, action="rejected",
                            reason=reason.strip())


def request_changes(variant: Variant, *, by, comment: str) -> Variant:
    if not comment.strip():
        raise TransitionDenied("Say what should change.", code="invalid")
    return _review_decision(variant, by=by, to=Status.CHANGES_REQUESTED,
                            action="changes_requested", reason=comment.strip())


def comment_on_variant(variant: Variant, *, by, body: str) -> Comment:
    if not body.strip():
        raise TransitionDenied("A comment cannot be empty.", code="invalid")
    with transaction.atomic():
        comment = Comment.objects.create(variant=variant, author=by, body=body.strip())
        _record(variant, by=by, action="commented", from_status=variant.status,
                reason=body.strip()[:500])
    return comment


def retire_variant(variant: Variant, *, by, reason: str = "") -> Variant:
    with transaction.atomic():
        row = _lock(variant)
        if row.status != Status.APPROVED:
            raise TransitionDenied("Only an approved variant can be retired.")
        row.status = Status.RETIRED
        row.save(update_fields=["status", "updated_at"])
        _record(row, by=by, action="retired", from_status=Status.APPROVED, reason=reason)
    return row


def bulk_approve(variants: Iterable[Variant], *, by) -> BulkApproval:
    """Each variant is approved (or refused) on its own, so one bad text never blocks the
    rest and every refusal carries its own reason."""
    result = BulkApproval()
    for variant in variants:
        try:
            result.approved.append(approve_variant(variant, by=by))
        except TransitionDenied as exc:
            result.refused.append((variant, str(exc)))
    return result


def bulk_decide(variants: Iterable[Variant], *, by, action: str, reason: str = ""
                ) -> BulkDecision:
    """Approve, reject or request changes on each variant on its own: every one is checked
    for roles, four eyes and state, so one refusal never blocks the rest."""
    if action != "approved" and not reason.strip():
        raise TransitionDenied("Give a reason: it is shown on every card and sent to the "
                               "writer.", code="invalid")
    run = {
        "approved": lambda v: approve_variant(v, by=by),
        "rejected": lambda v: reject_variant(v, by=by, reason=reason),
        "changes_requested": lambda v: request_changes(v, by=by, comment=reason),
    }[action]
    result = BulkDecision(action=action)
    for variant in variants:
        try:
            result.done.append(run(variant))
        except TransitionDenied as exc:
            result.refused.append((variant, str(exc)))
    return result


def save_guardrails(brand: Brand, *, by, rules: dict, offers: dict,
                    note: str = "") -> GuardrailsSaved:
    """Save a new policy version, then re-check every approved current variant against it;
    those that now fail go back to review with the reason (and lose their approval)."""
    with transaction.atomic():
        row = save_policy_version(brand, rules=rules, offers=offers, by=by, note=note)
        policy = row.to_policy()
        sent_back = 0
        for variant in Variant.objects.approved().filter(brand=brand).select_for_update():
            report = check(variant.text, policy, message_context(variant.intent))
            report.policy_version = row.version
            if report.passed:
                continue
            variant.status, variant.approved_by, variant.approved_at = Status.IN_REVIEW, None, None
            _store_report(variant, report)
            variant.save()
            _record(variant, by=by, action="sent_back", from_status=Status.APPROVED,
                    reason=f"Fails policy v{row.version}: {blocking_reason(report)}")
            sent_back += 1
    return GuardrailsSaved(policy=row, sent_back=sent_back)
