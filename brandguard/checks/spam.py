"""Spam hygiene (POLICY): shouting, punctuation runs and emoji walls.

Carrier filters score these signals; the brand chooses how strict to be (block, warn, off).
"""

from __future__ import annotations

import re

from brandguard.checks.base import Subject, finding, quote
from brandguard.phrasing import STANDARD_OPTOUT_KEYWORDS
from brandguard.report import Finding
from brandguard.scan import inside_any

# Upper case by nature, not shouting. Words of one or two letters ("US", "OK", "TV") are
# never counted, so only longer ones are listed.
ACRONYMS = frozenset(
    """
    USA SMS MMS FAQ VIP DIY ASAP BOGO RSVP NYC PIN APR APY ATM CEO PST EST PDT EDT CST CDT
    MST MDT UTC GMT LED USB SPF XXL XXXL SKU UPC MSRP FYI TBD ETA AKA LOL OMG BTW NFL NBA
    MLB NHL NCAA NASA FDA USDA IRS DMV PDF GPS API URL WIFI BBQ NYE USPS UPS DHL PTO SUV ATV
    HVAC ADA ACH IRA CPA MBA PHD DDS ICU TSA EDM AMA IPO YMCA CVS HBO ESPN ABC CBS NBC CNN
    THC CBD IPA
    """.split()
)
# Keywords are written in capitals by convention ("Reply STOP"), and must stay so.
KEYWORDS = STANDARD_OPTOUT_KEYWORDS | {"start", "yes", "unstop", "help", "info"}

_PUNCT_RE = re.compile(r"[!?]{3,}|!!|\?\?|\${2,}")


def shouted_words(s: Subject) -> list[tuple[int, int, str]]:
    """ALL-CAPS words of three letters or more that are not acronyms, keywords, the brand
    name or codes with digits ("SAVE20"). Computed once per subject (tone uses it too)."""
    found = s.memo.get("shouted")
    if found is None:
        found = s.memo["shouted"] = _shouted(s)
    return found


def _shouted(s: Subject) -> list[tuple[int, int, str]]:
    brand = s.compiled.brand_words
    out = []
    for start, end, raw in s.scan.caps_words:
        if end - start < 3 or raw in ACRONYMS:
            continue
        low = raw.lower().replace("’", "'")
        if low in KEYWORDS or low in brand or len(low.replace("'", "")) < 3:
            continue
        out.append((start, end, raw))
    return out


def punctuation_runs(s: Subject) -> list[tuple[int, int]]:
    text = s.text
    if "!!" not in text and "??" not in text and "$$" not in text and "!?" not in text \
            and "?!" not in text:
        return []
    protected = s.scan.protected
    return [
        m.span() for m in _PUNCT_RE.finditer(text)
        if not inside_any(m.start(), m.end(), protected)
    ]


def check_all_caps(s: Subject) -> list[Finding]:
    words = shouted_words(s)
    if not words:
        return []
    spans = [(start, end) for start, end, _raw in words]
    return [finding(
        "ALL_CAPS",
        f"ALL-CAPS words ({quote(s.text, spans)}) read as shouting and raise spam scores.",
        spans,
        fix="Write them in sentence case; keep acronyms, keywords and the brand name.",
    )]


def check_punctuation(s: Subject) -> list[Finding]:
    spans = punctuation_runs(s)
    if not spans:
        return []
    return [finding(
        "EXCESS_PUNCT",
        f"Punctuation runs ({quote(s.text, spans)}) look like spam.",
        spans,
        fix='Use a single "!" or "?"; write prices as "$20", not "$$".',
    )]


def check_emoji(s: Subject) -> list[Finding]:
    emoji = s.scan.emoji
    limit = s.policy.emoji_limit
    if len(emoji) <= limit:
        return []
    return [finding(
        "EXCESS_EMOJI",
        f"{len(emoji)} emoji; the brand allows {limit}.",
        list(emoji),
        fix=f"Keep at most {limit} emoji." if limit else "Remove the emoji.",
    )]


CHECKS = (check_all_caps, check_punctuation, check_emoji)
