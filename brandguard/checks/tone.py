"""Tone against the brand's ranges (POLICY): e.g. urgency 0-0.4 for a calm premium brand.

The scores come from brandguard.tone; a finding names the words that pushed the score out
of range (those with the offending sign), so the writer sees what to change.
"""

from __future__ import annotations

from brandguard.checks.base import Subject, finding, quote
from brandguard.report import Finding, ToneScore
from brandguard.rules import TONE_RULES

_ADVICE = {
    ("enthusiasm", "high"): "Drop some exclamation marks, emoji or superlatives.",
    ("enthusiasm", "low"): "Add a warmer word or an exclamation mark.",
    ("urgency", "high"): "Soften the deadline words.",
    ("urgency", "low"): "Give the reader a reason to act soon (a real date).",
    ("formality", "high"): "Use plainer, friendlier wording.",
    ("formality", "low"): "Spell out contractions and drop slang and emoji.",
    ("sentiment", "high"): "Tone down the praise.",
    ("sentiment", "low"): "Rephrase the negative words positively.",
}


def check_tone(s: Subject) -> list[Finding]:
    return [_finding(s, name, score) for name, score in s.tone.items() if not score.in_range]


def _finding(s: Subject, name: str, score: ToneScore) -> Finding:
    low, high = score.range
    direction = "high" if score.score > high else "low"
    # For a score too high the drivers pushing up are to blame, and vice versa.
    culprits = [d for d in score.drivers if (d.weight > 0) == (direction == "high")]
    spans = [d.span for d in culprits]
    why = f", driven by {quote(s.text, spans)}" if spans else ""
    where = "above" if direction == "high" else "below"
    return finding(
        TONE_RULES[name],
        f"{name.capitalize()} {score.score:.2f} is {where} the brand's range "
        f"{low:.2f}-{high:.2f}{why}.",
        spans,
        fix=_ADVICE[(name, direction)],
    )


CHECKS = (check_tone,)
