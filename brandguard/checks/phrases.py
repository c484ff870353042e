"""The brand's own words: phrases it never says and phrases every text must carry (POLICY).

Phrases match whole words, case-insensitively, with any spacing: banning "cheap" does not
flag "cheapest", on purpose; a brand that means both lists both.
"""

from __future__ import annotations

from brandguard.checks.base import Subject, finding, quote
from brandguard.report import Finding


def check_banned(s: Subject) -> list[Finding]:
    pattern = s.compiled.banned_re
    if pattern is None:
        return []
    spans = [m.span() for m in pattern.finditer(s.scan.low)]
    if not spans:
        return []
    return [finding(
        "BANNED_PHRASE",
        f"Phrases the brand never uses: {quote(s.text, spans)}.",
        spans,
        fix="Reword without them.",
    )]


def check_required(s: Subject) -> list[Finding]:
    if not s.compiled.required:
        return []
    missing = [phrase for phrase, pattern in s.compiled.required if not pattern.search(s.scan.low)]
    if not missing:
        return []
    listed = ", ".join(f'"{p}"' for p in missing)
    return [finding(
        "REQUIRED_PHRASE",
        f"Missing phrases the brand requires in every text: {listed}.",
        fix=f"Add {listed}.",
    )]


CHECKS = (check_banned, check_required)
