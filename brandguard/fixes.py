"""Deterministic fixes: edits a machine can make without changing what the text offers.

Each edit is attributed to the rule it answers and indexes the ORIGINAL text, so the UI can
show a diff. Replacements never overlap: when two would touch the same characters the one
listed first below wins (a fixed opt-out keyword is not then also de-shouted). Insertions
are the brand prefix at the start and the disclosures at the end, with the opt-out line
last, as carriers expect it.
"""

from __future__ import annotations

import re

from brandguard.checks.base import Subject
from brandguard.checks.compliance import (
    FREQUENCY_LINE,
    HELP_LINE,
    OPTOUT_LINE,
    RATES_LINE,
)
from brandguard.checks.merge_fields import bad_placeholders
from brandguard.checks.spam import punctuation_runs, shouted_words
from brandguard.report import Edit, Finding
from brandguard.rules import Severity
from brandguard.segments import smart_encode

_SENTENCE_END = ".!?:\n"
_OPENERS = " \t\"'(“‘"
# A sentence ends at . ! ? or : followed by a space or the end (so "acme.co/x" and
# "https://" do not end one), or at a line break.
_SENTENCE_BOUNDARY = re.compile(r"[.!?:]+(?=\s|$)[ \t]*|\n+")
# Words a sentence must keep because a rule (opt-out, HELP) or the reader needs them.
_KEEP_WORDS = re.compile(r"\b(stop|unsubscribe|opt[ -]?out|help|cancel|end|quit)\b", re.I)
_WORD = re.compile(r"\w+")


# Rules with a deterministic edit below; a report with none of them has nothing to plan.
_FIXABLE = frozenset({
    "MERGE_FIELD", "BANNED_PHRASE", "OPTOUT_KEYWORD", "ENCODING_UCS2", "EXCESS_PUNCT",
    "ALL_CAPS", "BRAND_ID", "CONFIRM_FREQUENCY", "CONFIRM_RATES", "CONFIRM_HELP",
    "HELP_CONTACT", "OPTOUT_FIRST", "OPTOUT_PERIODIC",
})


def plan_fixes(s: Subject, findings: list[Finding]) -> list[Edit]:
    fired = {f.rule for f in findings}
    if fired.isdisjoint(_FIXABLE):
        return []
    candidates: list[Edit] = []
    if "MERGE_FIELD" in fired:
        candidates += _merge_field_edits(s)
    banned = [f for f in findings if f.rule == "BANNED_PHRASE" and f.severity is Severity.BLOCK]
    if banned:
        candidates += _banned_sentence_edits(s, banned)
    if "OPTOUT_KEYWORD" in fired:
        candidates += _keyword_edits(s)
    if "ENCODING_UCS2" in fired:
        candidates += _encoding_edits(s)
    if "EXCESS_PUNCT" in fired:
        candidates += _punctuation_edits(s)
    if "ALL_CAPS" in fired:
        candidates += _caps_edits(s)
    edits = _without_overlaps(candidates)
    if "BRAND_ID" in fired:
        edits.insert(0, Edit("BRAND_ID", (0, 0), "", f"{_brand_for_text(s)}: "))
    keyword_fixed = "OPTOUT_KEYWORD" in [e.rule for e in edits]
    edits += _appends(s, fired, keyword_fixed)
    return edits


def apply_edits(text: str, edits: list[Edit]) -> str:
    """Apply edits that index ``text``; insertions at one point keep their listed order."""
    out: list[str] = []
    pos = 0
    for edit in sorted(edits, key=lambda e: (e.span[0], e.span[1] > e.span[0])):
        start, end = edit.span
        out.append(text[pos:start])
        out.append(edit.after)
        pos = max(pos, end)
    out.append(text[pos:])
    return "".join(out)


def _brand_for_text(s: Subject) -> str:
    """The brand name as the prefix writes it: with its GSM look-alikes ("Dick’s" ->
    "Dick's") unless the brand allows Unicode, so the prefix never turns the text UCS-2."""
    name = s.policy.brand_name.strip()
    return name if s.policy.allow_unicode else smart_encode(name)


def _without_overlaps(candidates: list[Edit]) -> list[Edit]:
    kept: list[Edit] = []
    for edit in candidates:
        a, b = edit.span
        for k in kept:
            if not (b <= k.span[0] or k.span[1] <= a):
                break
        else:
            kept.append(edit)
    return kept


def _merge_field_edits(s: Subject) -> list[Edit]:
    return [
        Edit("MERGE_FIELD", (b.placeholder.start, b.placeholder.end), b.placeholder.raw,
             b.replacement)
        for b in bad_placeholders(s) if b.replacement
    ]


def sentences(text: str) -> list[tuple[int, int]]:
    """(start, end) of each sentence, trailing spaces included, covering the whole text."""
    spans, start = [], 0
    for match in _SENTENCE_BOUNDARY.finditer(text):
        if match.end() > start:
            spans.append((start, match.end()))
            start = match.end()
    if start < len(text):
        spans.append((start, len(text)))
    return spans


def _banned_sentence_edits(s: Subject, banned: list[Finding]) -> list[Edit]:
    """Drop each sentence that carries a banned phrase, but only when that is safe: the
    sentence holds no link, merge field, brand name or opt-out/HELP words, and another
    sentence with something to say remains. Otherwise no edit: a person must rewrite it."""
    all_sentences = sentences(s.text)
    hit = sorted({sent for f in banned for a, b in f.spans for sent in all_sentences
                  if sent[0] <= a < sent[1]})
    if not hit or not all(_removable(s, sent) for sent in hit):
        return []
    rest = [sent for sent in all_sentences if sent not in hit]
    if not any(_says_something(s, sent) for sent in rest):
        return []
    edits = []
    for start, end in hit:
        if end >= len(s.text.rstrip()):  # the last sentence: drop the space before it too
            start = len(s.text[:start].rstrip())
        edits.append(Edit("BANNED_PHRASE", (start, end), s.text[start:end], ""))
    return edits


def _protected(s: Subject, start: int, end: int) -> bool:
    spans = [(p.start, p.end) for p in s.scan.placeholders]
    spans += [(link.start, link.end) for link in s.scan.links]
    return any(a < end and start < b for a, b in spans)


def _removable(s: Subject, sentence: tuple[int, int]) -> bool:
    start, end = sentence
    text = s.text[start:end]
    brand = s.policy.brand_name.strip().lower()
    return not (_protected(s, start, end) or _KEEP_WORDS.search(text)
                or (brand and brand in text.lower()))


def _says_something(s: Subject, sentence: tuple[int, int]) -> bool:
    """A sentence beyond the brand prefix and the opt-out line, with a few words in it."""
    start, end = sentence
    text = s.text[start:end]
    brand = s.policy.brand_name.strip().lower()
    if _KEEP_WORDS.search(text):
        return False
    words = _WORD.findall(text.lower().replace(brand, "") if brand else text.lower())
    return len(words) >= 3 or _protected(s, start, end)


def _keyword_edits(s: Subject) -> list[Edit]:
    edits = []
    for (start, end), _keyword in s.scan.nonstandard_optouts:
        line = OPTOUT_LINE if _starts_sentence(s.text, start) else "reply STOP to opt out"
        edits.append(Edit("OPTOUT_KEYWORD", (start, end), s.text[start:end], line))
    return edits


def _encoding_edits(s: Subject) -> list[Edit]:
    """Smart encoding, applied only when it makes the whole text GSM-7: swapping curly quotes
    in a text that keeps an emoji saves nothing."""
    chars = s.analysis.non_gsm
    if any(c.replacement is None for c in chars):
        return []
    # The calculator maps wide spaces and TAB to several spaces; one reads better in copy.
    return [
        Edit("ENCODING_UCS2", (c.index, c.index + len(c.char)), c.char,
             " " if c.replacement and not c.replacement.strip() else c.replacement)
        for c in chars
    ]


def _punctuation_edits(s: Subject) -> list[Edit]:
    edits = []
    for start, end in punctuation_runs(s):
        run = s.text[start:end]
        if "$" in run:
            continue  # "$$$" has no mechanical fix: the writer must say what it means
        after = "?!" if "?" in run and "!" in run else run[0]
        edits.append(Edit("EXCESS_PUNCT", (start, end), run, after))
    return edits


def _caps_edits(s: Subject) -> list[Edit]:
    edits = []
    for start, end, raw in shouted_words(s):
        word = raw.capitalize() if _starts_sentence(s.text, start) else raw.lower()
        edits.append(Edit("ALL_CAPS", (start, end), raw, word))
    return edits


def _starts_sentence(text: str, index: int) -> bool:
    j = index - 1
    while j >= 0 and text[j] in _OPENERS:
        j -= 1
    return j < 0 or text[j] in _SENTENCE_END


def _appends(s: Subject, fired: set[str], keyword_fixed: bool) -> list[Edit]:
    lines = []
    if "CONFIRM_FREQUENCY" in fired:
        lines.append(("CONFIRM_FREQUENCY", FREQUENCY_LINE))
    if "CONFIRM_RATES" in fired:
        lines.append(("CONFIRM_RATES", RATES_LINE))
    if "CONFIRM_HELP" in fired:
        lines.append(("CONFIRM_HELP", HELP_LINE))
    contact = s.policy.support_contact.strip()
    if "HELP_CONTACT" in fired and contact:
        lines.append(("HELP_CONTACT", f"Help: {contact}."))
    for rule in ("OPTOUT_FIRST", "OPTOUT_PERIODIC"):
        if rule in fired and not keyword_fixed:
            lines.append((rule, OPTOUT_LINE))
            break
    body = s.text.rstrip()
    at = len(body)
    # A period glued to a link can end up in the URL on some phones: no period after one.
    ends_in_link = at in [link.end for link in s.scan.links]
    edits = []
    for rule, line in lines:
        if not body:
            sep = ""
        elif body[-1] in ".!?" or (ends_in_link and len(body) == at):
            sep = " "
        else:
            sep = ". "
        edits.append(Edit(rule, (at, at), "", sep + line))
        body += sep + line
    return edits
