"""Per-policy regexes, compiled once per distinct policy content and cached.

Patterns are lower-cased and run on the scan's lower-cased text (same offsets), which is
faster than IGNORECASE.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from brandguard.lexicon import TOKEN_RE, fold
from brandguard.policy import Policy

_CACHE: dict[tuple, CompiledPolicy] = {}
_CACHE_LIMIT = 1024
_last: tuple[tuple | None, CompiledPolicy | None] = (None, None)  # the last key, its form


@dataclass(frozen=True, slots=True)
class CompiledPolicy:
    brand_re: re.Pattern[str] | None
    brand_head: str  # the brand's first word, lower case: a cheap str.find before the regex
    brand_words: frozenset[str]  # folded words of the brand name: never de-shouted
    banned_re: re.Pattern[str] | None
    required: tuple[tuple[str, re.Pattern[str]], ...]
    allowed_domains: tuple[str, ...]
    allowed_set: frozenset[str]
    support_contact_re: re.Pattern[str] | None
    merge_names: frozenset[str]


def compile_policy(policy: Policy) -> CompiledPolicy:
    global _last
    key = policy.cache_key()
    last_key, last = _last
    # The same policy again: its parts are the same objects, so == compares identities and
    # skips hashing the merge fields (generated dataclass methods, run in Python).
    if key == last_key and last is not None:
        return last
    compiled = _CACHE.get(key)
    if compiled is None:
        if len(_CACHE) >= _CACHE_LIMIT:
            _CACHE.clear()
        compiled = _CACHE[key] = _build(policy)
    _last = (key, compiled)
    return compiled


def _build(policy: Policy) -> CompiledPolicy:
    brand = policy.brand_name.strip()
    banned = [p for p in policy.banned_phrases if p.strip()]
    domains = [*policy.allowed_link_domains, policy.website_domain]
    domains = list(dict.fromkeys(d.lower().strip().strip(".") for d in domains if d.strip()))
    return CompiledPolicy(
        brand_re=re.compile(phrase_pattern(fold(brand))) if brand else None,
        brand_head=fold(brand.split()[0]) if brand else "",
        brand_words=frozenset(fold(w) for w in TOKEN_RE.findall(brand)),
        banned_re=_alternation(banned),
        required=tuple(
            (p, re.compile(phrase_pattern(p.lower())))
            for p in policy.required_phrases if p.strip()
        ),
        allowed_domains=tuple(domains),
        allowed_set=frozenset(domains),
        support_contact_re=(
            re.compile(phrase_pattern(policy.support_contact.lower()))
            if policy.support_contact.strip() else None
        ),
        merge_names=frozenset(policy.merge_fields),
    )


def phrase_pattern(phrase: str) -> str:
    """A phrase as a regex: whole words at its ends, any run of spaces inside, straight and
    curly apostrophes alike. "Act now!" matches "act  now!" but "class" never matches "ass"."""
    words = phrase.split()
    body = r"\s+".join(re.escape(w) for w in words)
    body = re.sub("['’]", "'", body)  # the scanned text has curly apostrophes folded
    head = r"(?<!\w)" if re.match(r"\w", words[0]) else ""
    tail = r"(?!\w)" if re.search(r"\w$", words[-1]) else ""
    return head + body + tail


def _alternation(phrases: list[str]) -> re.Pattern[str] | None:
    if not phrases:
        return None
    ordered = sorted((p.lower() for p in phrases), key=len, reverse=True)
    return re.compile("|".join(f"(?:{phrase_pattern(p)})" for p in ordered))
