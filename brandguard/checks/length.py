"""Length and encoding: what the text costs, judged at its worst case (docs/domain.md §1).

Twilio bills and throttles per segment; one character outside GSM-7 turns the whole text
into UCS-2 and cuts a segment from 160 to 70 characters.
"""

from __future__ import annotations

from brandguard.checks.base import Subject, finding
from brandguard.report import Finding, Span

TWILIO_MAX_BODY = 1600  # characters; Twilio rejects longer bodies (error 21617)


def capacity(encoding: str, segments: int) -> int:
    """Units that fit in ``segments`` segments: 160/70 alone, 153/67 each once split."""
    if encoding == "GSM-7":
        return 160 if segments == 1 else 153 * segments
    return 70 if segments == 1 else 67 * segments


def check_length(s: Subject) -> list[Finding]:
    worst, limit = s.worst, s.policy.max_segments
    if worst.segments <= limit:
        return []
    over = worst.units - capacity(worst.encoding, limit)
    detail = _worst_case_detail(s)
    return [finding(
        "LENGTH",
        f"{worst.segments} segments in the worst case{detail}; the brand allows {limit}. "
        f"Typical: {s.typical.segments}.",
        _overflow_spans(s),
        fix=f"Cut about {over} {_unit_name(worst.encoding)} or shorten the merge fields.",
    )]


def _worst_case_detail(s: Subject) -> str:
    fields = s.policy.merge_fields
    if not [p for p in s.scan.placeholders if p.name in fields]:
        return f" ({s.worst.encoding}, {s.worst.units} {_unit_name(s.worst.encoding)})"
    flips = [n for n, mf in s.policy.merge_fields.items() if mf.non_gsm and f"{{{n}}}" in s.text]
    why = f"; {', '.join(flips)} may hold non-GSM characters" if flips else ""
    return f" (merge fields at their maximum length{why}: {s.worst.encoding})"


def _unit_name(encoding: str) -> str:
    return "characters" if encoding == "GSM-7" else "UTF-16 units"


def _overflow_spans(s: Subject) -> list[Span]:
    """Where the text spills over: from the first extra segment of the template, else the
    merge fields that push the worst case over."""
    analysis, limit = s.analysis, s.policy.max_segments
    if analysis.segments > limit and analysis.sent_text == s.text:
        return [(analysis.boundaries[limit][0], len(s.text))]
    fields = s.policy.merge_fields
    spans = [(p.start, p.end) for p in s.scan.placeholders if p.name in fields]
    return spans or [(0, len(s.text))]


def check_max_body(s: Subject) -> list[Finding]:
    size = s.worst.characters
    if size <= TWILIO_MAX_BODY:
        return []
    return [finding(
        "MAX_BODY",
        f"{size} characters in the worst case; Twilio rejects bodies over {TWILIO_MAX_BODY} "
        "(error 21617).",
        [(min(TWILIO_MAX_BODY, len(s.text)), len(s.text))],
        fix=f"Cut the text below {TWILIO_MAX_BODY} characters.",
    )]


def check_encoding(s: Subject) -> list[Finding]:
    analysis = s.analysis
    if s.policy.allow_unicode or analysis.encoding == "GSM-7":
        return []
    # With smart encoding on, only what it cannot map still forces UCS-2.
    blockers = [
        c for c in analysis.non_gsm
        if not (s.policy.smart_encoding and c.replacement is not None)
    ]
    shown = ", ".join(f'"{c.char}" at {c.index}' for c in blockers[:8])
    more = f" and {len(blockers) - 8} more" if len(blockers) > 8 else ""
    mappable = None not in [c.replacement for c in blockers]
    fix = (
        "Replace them with their GSM look-alikes (smart encoding)." if mappable
        else "Remove the characters without a GSM look-alike (e.g. emoji) or allow Unicode "
        "for this brand."
    )
    return [finding(
        "ENCODING_UCS2",
        f"Characters outside GSM-7 make the whole text UCS-2 (70 characters per segment "
        f"instead of 160): {shown}{more}.",
        [(c.index, c.index + len(c.char)) for c in blockers],
        fix=fix,
    )]


CHECKS = (check_length, check_max_body, check_encoding)
