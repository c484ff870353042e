"""``check``: run every rule over a text and propose deterministic fixes. Pure: no Django,
no I/O, no clock, no randomness; the same inputs always give the same report."""

from __future__ import annotations

from functools import partial

from brandguard.checks import ALL_CHECKS
from brandguard.checks.base import Subject
from brandguard.checks.merge_fields import case_of, length_cases
from brandguard.compiled import compile_policy
from brandguard.fixes import apply_edits, plan_fixes
from brandguard.policy import TONE_DIMENSIONS, MessageContext, Policy
from brandguard.report import Finding, Report
from brandguard.rules import effective_severity
from brandguard.segments import analyze
from brandguard.tone import judged, score_tone

_DEFAULT_POLICY = Policy()
# judged dimensions -> the others, for the common cases (nothing judged, one, or all)
_UNJUDGED: dict[tuple[str, ...], tuple[str, ...]] = {
    (): TONE_DIMENSIONS,
    TONE_DIMENSIONS: (),
    **{(name,): tuple(n for n in TONE_DIMENSIONS if n != name) for name in TONE_DIMENSIONS},
}
_DEFAULT_CONTEXT = MessageContext()


def check(
    text: str,
    policy: Policy | None = None,
    context: MessageContext | None = None,
    *,
    fix: bool = True,
) -> Report:
    """Check ``text`` (a template; ``{field}`` placeholders allowed) against ``policy``.

    With ``fix`` (the default) the report carries ``fixed_text`` and the attributed edits,
    and ``report.fixed_findings`` re-checks the fixed text (on first use) with a plain check
    without fixes, so fixing never loops.
    """
    policy = policy or _DEFAULT_POLICY
    context = context or _DEFAULT_CONTEXT
    subject, findings = _run(text, policy, context)
    unjudged = _UNJUDGED.get(tuple(subject.tone))
    if unjudged is None:
        unjudged = tuple(name for name in TONE_DIMENSIONS if name not in subject.tone)
    fixed_text, edits, recheck = None, [], None
    if fix and findings:
        edits = plan_fixes(subject, findings)
        fixed = apply_edits(text, edits) if edits else text
        if fixed != text:
            fixed_text = fixed
            recheck = partial(_findings, fixed, policy, context)
        else:
            edits = []
    return Report(
        text=text,
        findings=findings,
        analysis=subject.analysis,
        _tone=subject.tone,
        typical_segments=subject.typical.segments,
        worst_case_segments=subject.worst.segments,
        fixed_text=fixed_text,
        fix_diff=edits,
        _recheck=recheck,
        _more_tone=partial(score_tone, subject, unjudged) if unjudged else None,
    )


def _findings(text: str, policy: Policy, context: MessageContext) -> list[Finding]:
    return _run(text, policy, context)[1]


def _run(text: str, policy: Policy, context: MessageContext) -> tuple[Subject, list[Finding]]:
    analysis = analyze(text, smart_encoding=policy.smart_encoding)
    subject = Subject(text, policy, context, compile_policy(policy), analysis)
    if subject.scan.placeholders:
        subject.typical, subject.worst = length_cases(
            text, analysis, subject.scan.placeholders, policy.merge_fields,
            smart_encoding=policy.smart_encoding)
    else:
        subject.typical = subject.worst = case_of(analysis)
    subject.tone = score_tone(subject, judged(policy))
    overrides = policy.severity_overrides
    findings = []
    for rule_check in ALL_CHECKS:
        found = rule_check(subject)  # a (usually empty) list
        if not found:
            continue
        if not overrides:  # findings come at their rule's default severity
            findings += found
            continue
        for one in found:
            severity = effective_severity(one.rule, overrides)
            if severity is not None:
                one.severity = severity
                findings.append(one)
    return subject, findings
