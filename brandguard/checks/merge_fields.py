"""Merge fields: every placeholder must be a declared field, and length is judged at the
values the fields may hold, not at the template as typed.

A customer named "Zoë" turns the whole text into UCS-2 (DOMAIN.md section 1), and a long
product name pushes it into another billed segment, so the worst case fills each field to
its declared maximum and, where the field may hold non-GSM characters, with a character no
smart encoding can map. The typical case fills each field with GSM letters to half its
maximum: a common value, not a promise.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from functools import lru_cache

from brandguard.checks.base import Subject, finding
from brandguard.policy import MergeField
from brandguard.report import Finding
from brandguard.scan import Placeholder

GSM_FILL = "a"
NON_GSM_FILL = "中"  # one UTF-16 unit, outside GSM-7, never transliterated


@dataclass(frozen=True, slots=True)
class BadPlaceholder:
    placeholder: Placeholder
    problem: str  # "unknown" or "malformed"
    replacement: str | None  # the declared field it unambiguously means, as "{name}"


def bad_placeholders(s: Subject) -> list[BadPlaceholder]:
    known = s.compiled.merge_names
    out = []
    for p in s.scan.placeholders:
        if p.name is not None and p.name in known:
            continue
        meant = _normalise(p.raw)
        replacement = f"{{{meant}}}" if meant in known else None
        out.append(BadPlaceholder(p, "unknown" if p.name else "malformed", replacement))
    return out


def _normalise(raw: str) -> str:
    """"{{ First Name }}" -> "first_name": the forms writers type for a declared field."""
    inner = re.sub(r"[{}]", "", raw).strip().lower()
    return re.sub(r"[\s\-]+", "_", inner)


def check_merge_fields(s: Subject) -> list[Finding]:
    if not s.scan.placeholders:
        return []
    bad = bad_placeholders(s)
    if not bad:
        return []
    names = sorted(s.compiled.merge_names)
    parts = []
    for b in bad:
        hint = b.replacement or _closest(b.placeholder.raw, names)
        parts.append(f'{b.problem} "{b.placeholder.raw}"' + (f" (did you mean {hint}?)"
                                                             if hint else ""))
    declared = ", ".join(f"{{{n}}}" for n in names) or "none"
    return [finding(
        "MERGE_FIELD",
        f"Placeholder problem: {'; '.join(parts)}. Declared fields: {declared}.",
        [(b.placeholder.start, b.placeholder.end) for b in bad],
        fix="Use a declared field exactly, e.g. {first_name}, or declare the field in the "
        "brand policy.",
    )]


def _closest(raw: str, names: list[str]) -> str | None:
    return _closest_cached(_normalise(raw), tuple(names))


@lru_cache(maxsize=4096)
def _closest_cached(name: str, names: tuple[str, ...]) -> str | None:
    """difflib is slow and the same typos recur in a campaign: remember the answers."""
    match = difflib.get_close_matches(name, names, n=1, cutoff=0.75)
    return f"{{{match[0]}}}" if match else None


def render(text: str, placeholders: list[Placeholder], fields: dict[str, MergeField],
           *, worst: bool) -> str:
    """The template with each declared field filled for the typical or the worst case."""
    out: list[str] = []
    pos = 0
    for p in placeholders:
        spec = fields.get(p.name) if p.name else None
        if spec is None:
            continue  # unknown placeholders go out literally, and cost what they look like
        out.append(text[pos:p.start])
        out.append(_fill(spec, worst))
        pos = p.end
    out.append(text[pos:])
    return "".join(out)


def _fill(spec: MergeField, worst: bool) -> str:
    if not worst:
        return GSM_FILL * ((spec.max_length + 1) // 2)
    return (NON_GSM_FILL if spec.non_gsm else GSM_FILL) * spec.max_length


def has_declared_fields(s: Subject) -> bool:
    fields = s.policy.merge_fields
    return any(p.name in fields for p in s.scan.placeholders if p.name)


CHECKS = (check_merge_fields,)
