"""Deceptive content: fake prizes, fake account trouble and false deadlines.

Carriers filter phishing-shaped copy (CTIA section 4; docs/domain.md §3). Ordinary sales
urgency ("last chance", "ends tonight") is not deceptive: it is scored by the tone check
and the brand decides how much of it it wants.
"""

from __future__ import annotations

import re

from brandguard import lexicon
from brandguard.checks.base import Subject, finding, merge_spans, quote
from brandguard.report import Finding

DECEPTIVE = lexicon.register("content.deceptive", [
    "final notice", "final warning", "last warning", "last notice",
    # Not "action required" alone: "no action required" is the opposite of a scare.
    "immediate action required", "urgent action required",
    "verify your account", "verify your identity", "confirm your identity",
    "confirm your account", "unusual activity", "suspicious activity",
    # "you won" cannot match "you won't": an apostrophe keeps "won't" one token.
    "you've won", "you have won", "you won", "you're a winner", "you are a winner",
    "guaranteed winner", "claim your prize", "claim your reward", "claim your gift card",
    "claim your cash", "cash prize", "free gift card", "you've been selected",
    "you have been selected", "you've been chosen", "you have been chosen",
    "act now or lose", "respond immediately", "delivery attempt failed", "click to claim",
])

_PATTERNS = re.compile(
    r"""(?x)
    \b(?:your\s+)?account\s+(?:will\s+be|has\s+been|is|was|may\s+be)\s+
      (?:suspended|locked|closed|deactivated|disabled|terminated|frozen)\b
    | \b(?:code|pin|otp|link|reward|prize|offer|points)\s+(?:expires?|will\s+expire)\s+in\s+
      \d+\s*(?:sec(?:ond)?s?|min(?:ute)?s?)\b
    | \bcongrat(?:ulation)?s\b[^.!?\n]{0,40}?\b(?:won|winner|selected|chosen|prize)\b
    """
)


def check_deceptive(s: Subject) -> list[Finding]:
    spans = [(h.start, h.end) for h in s.scan.hits.get(DECEPTIVE, ())]
    low = s.scan.low
    if "account" in low or "expires in" in low or "expire in" in low or "congrat" in low:
        spans += [m.span() for m in _PATTERNS.finditer(low)]
    if not spans:
        return []
    spans = merge_spans(spans)
    return [finding(
        "DECEPTIVE_URGENCY",
        f"Deceptive or false urgency ({quote(s.text, spans)}): carriers filter prize, "
        "account-trouble and countdown phrasing.",
        spans,
        fix="State the real offer and its real deadline; don't imply a prize or a problem "
        "with the customer's account.",
    )]


CHECKS = (check_deceptive,)
