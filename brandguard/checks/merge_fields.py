"""Merge fields: every placeholder must be a declared field, and length is judged at the
values the fields may hold, not at the template as typed.

A customer named "Zoë" turns the whole text into UCS-2 (docs/domain.md §1), and a long
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
from typing import Any, NamedTuple

from brandguard.checks.base import Subject, finding
from brandguard.policy import MergeField
from brandguard.report import Finding
from brandguard.scan import Placeholder
from brandguard.segments import EXTENDED_RE, GREEDY_SAFE_UNITS, analyze

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


class LengthCase(NamedTuple):
    """One rendering of the template, as LENGTH and MAX_BODY judge it."""

    encoding: str
    segments: int
    units: int
    characters: int  # of the body as sent: Twilio's 1,600 limit counts these


def case_of(analysis: Any) -> LengthCase:
    return LengthCase(analysis.encoding, analysis.segments, analysis.units,
                      len(analysis.sent_text))


def length_cases(text: str, analysis: Any, placeholders: list[Placeholder],
                 fields: dict[str, MergeField], *, smart_encoding: bool
                 ) -> tuple[LengthCase, LengthCase]:
    """(typical, worst case) of the template with its declared fields filled in."""
    replaced = [p for p in placeholders if p.name in fields]
    if not replaced:
        case = case_of(analysis)
        return case, case
    specs = [fields[p.name] for p in replaced if p.name]
    base = len(text) - sum([p.end - p.start for p in replaced])
    cases = []
    for worst in (False, True):
        encoding = _filled_encoding(analysis, specs, worst)
        if _countable(text, analysis, len(replaced), encoding):
            size = base + sum([s.max_length if worst else _typical_length(s) for s in specs])
            cases.append(_plain_case(encoding, size))
        else:
            fills = [s.max_length if worst else _typical_length(s) for s in specs]
            known = _clustered_case(text, analysis, replaced, fills, encoding)
            if known is None:
                filled = render(text, replaced, fields, worst=worst)
                known = case_of(analyze(filled, smart_encoding=smart_encoding))
            cases.append(known)
    return cases[0], cases[1]


def _clustered_case(text: str, analysis: Any, replaced: list[Placeholder], fills: list[int],
                    encoding: str) -> LengthCase | None:
    """The filled template's case from the template's own analysis, or None when only
    analyze() can tell. Every fill character is a one-unit cluster of its own, so the only
    clusters a segment cut cannot go through are the template's wider ones (emoji, letters
    with combining marks, GSM escape characters), and the calculator's greedy split needs
    just their unit offsets. Tests hold it equal to analyze() of the rendered text."""
    if analysis.sent_text != text:  # smart encoding rewrote it: count the real thing
        return None
    gsm = encoding == "GSM-7"  # then the template is GSM-7 too
    if gsm:
        wide = [(m.start(), 1, 2) for m in EXTENDED_RE.finditer(text)]
    else:
        wide = [(c.index, len(c.char), units) for c in analysis.non_gsm
                if (units := _utf16_units(c.char)) > 1]
    placed = _place_wide(wide, replaced, fills, gsm=gsm)
    if placed is None:
        return None
    size = len(text) + sum(fills) - sum(p.end - p.start for p in replaced)
    units = size + sum(cost - chars for _start, chars, cost in placed)
    single, cap = (160, 153) if gsm else (70, 67)
    segments, at = 1, 0
    if units > single:
        while at + cap < units:
            limit = cut = at + cap
            for start, _chars, cost in placed:
                if start >= limit:
                    break
                if limit < start + cost:  # the cut would split this cluster: cut before it
                    cut = start
                    break
            at = cut
            segments += 1
    return LengthCase(encoding, segments, units, size)


def _place_wide(wide: list[tuple[int, int, int]], replaced: list[Placeholder],
                fills: list[int], *, gsm: bool) -> list[tuple[int, int, int]] | None:
    """(unit offset in the filled text, characters, units) of each wide cluster outside the
    filled fields; None when one touches a field or is too wide for the greedy split."""
    placed = []
    shift = extra = r = 0  # characters the fills added so far, units beyond characters
    for index, chars, cost in wide:
        if cost > GREEDY_SAFE_UNITS:
            return None
        while r < len(replaced) and replaced[r].end <= index:
            shift += fills[r] - (replaced[r].end - replaced[r].start)
            r += 1
        if r < len(replaced) and replaced[r].start < index + chars:
            if gsm:
                continue  # a field's own brace: it goes with the field
            return None  # a mark glued to a brace would glue to the fill instead
        placed.append((index + shift + extra, chars, cost))
        extra += cost - chars
    return placed


def _utf16_units(cluster: str) -> int:
    return len(cluster.encode("utf-16-le")) // 2


def _filled_encoding(analysis: Any, specs: list[MergeField], worst: bool) -> str:
    if analysis.encoding == "UCS-2" or (worst and True in [spec.non_gsm for spec in specs]):
        return "UCS-2"
    return "GSM-7"


def _countable(text: str, analysis: Any, fields_filled: int, encoding: str) -> bool:
    """True when every character of the filled-in text costs one unit and is a cluster of
    its own; docs/domain.md §1 then reduces to arithmetic (one segment up to 160 / 70
    units, else ceil(units / 153 / 67)), which saves two analyze() calls per template.
    Tests hold the shortcut equal to analyze().
    """
    if analysis.sent_text != text:  # smart encoding rewrote it: count the real thing
        return False
    if encoding == "GSM-7":
        # The braces of the filled fields must be the only (two-septet) extension characters.
        return analysis.encoding == "GSM-7" and analysis.units - len(text) == 2 * fields_filled
    # UCS-2: GSM characters are one unit each; every cluster forcing UCS-2 must be a single
    # BMP code point (no emoji, no letter built from combining marks).
    for c in analysis.non_gsm:
        if len(c.char) != 1 or c.char >= "\U00010000":
            return False
    return True


def _plain_case(encoding: str, units: int) -> LengthCase:
    single, multi = (160, 153) if encoding == "GSM-7" else (70, 67)
    segments = 1 if units <= single else -(-units // multi)
    return LengthCase(encoding, segments, units, units)


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


def _typical_length(spec: MergeField) -> int:
    return (spec.max_length + 1) // 2


def _fill(spec: MergeField, worst: bool) -> str:
    if not worst:
        return GSM_FILL * _typical_length(spec)
    return (NON_GSM_FILL if spec.non_gsm else GSM_FILL) * spec.max_length


CHECKS = (check_merge_fields,)
