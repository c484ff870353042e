"""Word and phrase lexicons matched on whole tokens in one pass over the text.

Matching is on word tokens, never substrings: "Essex" is one token and is not "sex",
"gunmetal" is not "gun", "Scunthorpe" and "class" hide nothing. Multi-word entries match
consecutive tokens separated only by spaces or hyphens ("e-cig", "e cig"). Each lexicon may
declare benign phrases ("massage gun", "cocktail dress") that cancel an overlapping term.

Every module registers its lexicons at import; they are merged into one index keyed by first
token, and only the first words present in the text (a set intersection) are looked at, so
the cost does not grow with the number of lexicons.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, NamedTuple

# A word: letters/digits, with inner apostrophes kept so "won't" is not "won".
TOKEN_RE = re.compile(r"[^\W_]+(?:['’][^\W_]+)*")
_OPTIONAL_SUFFIX = re.compile(r"^(.*?)\((\w+)\)$")
_GAP_CHARS = " \t\r\n-\u00a0"

if TYPE_CHECKING:
    from brandguard.phrasing import Tokens


class Hit(NamedTuple):
    start: int
    end: int
    phrase: str  # the lexicon entry that matched, normalised
    weight: float


@dataclass(frozen=True, slots=True)
class _Entry:
    rest: tuple[str, ...]  # tokens after the first
    lexicon: str
    phrase: str
    weight: float
    benign: bool


class _Index:
    """first word -> entries starting with it (longest first), plus the key set."""

    def __init__(self) -> None:
        self.entries: dict[str, list[_Entry]] = {}
        self.first_words: set[str] = set()
        # first word -> the words that may follow it, for first words of phrases only
        # ("you" -> {"won", "have", "are", ...}): most occurrences of such a word end there
        self.phrase_only: dict[str, set[str]] = {}

    def add(self, words: list[str], item: _Entry) -> None:
        self.first_words.add(words[0])
        bucket = self.entries.setdefault(words[0], [])
        bucket.append(item)
        bucket.sort(key=lambda e: -len(e.rest))
        if all(e.rest for e in bucket):
            self.phrase_only[words[0]] = {e.rest[0] for e in bucket}
        else:
            self.phrase_only.pop(words[0], None)

    def hits(self, tokens: Tokens) -> dict[str, list[Hit]]:
        present = self.first_words.intersection(tokens.word_set)
        found: dict[str, list[Hit]] = {}
        if not present:
            return found
        offsets, words = tokens.offsets(), tokens.words
        size = len(words)
        for word in present:
            entries, nexts = self.entries[word], self.phrase_only.get(word)
            for i in tokens.indices(word):
                after = words[i + 1] if i + 1 < size else None
                if nexts is not None and after not in nexts:
                    continue
                for entry in entries:
                    rest = entry.rest
                    if rest:
                        if rest[0] != after:  # the common miss, without a call
                            continue
                        last = _match_rest(tokens, i, rest)
                        if last is None:
                            continue
                    else:
                        last = i
                    hit = Hit(offsets[2 * i], offsets[2 * last + 1], entry.phrase, entry.weight)
                    bucket = found.get(entry.lexicon)
                    if bucket is None:
                        found[entry.lexicon] = [hit]
                    else:
                        bucket.append(hit)
        return found


# Lexicons scanned on every text; lexicons scanned only when a check asks (the marketing
# words of an opt-out confirmation: "shop", "sale", "free" are in half of all texts); and
# benign phrases, scanned only when a lexicon that has them matched something.
_ALWAYS = _Index()
_ON_DEMAND: dict[str, _Index] = {}
_BENIGN = _Index()
_WITH_BENIGN: set[str] = set()
_NAMES: set[str] = set()


def fold(word: str) -> str:
    return word.lower().replace("’", "'")


def expand(entry: str) -> list[str]:
    """'cigarette(s)' -> ['cigarette', 'cigarettes']: plural forms without regex."""
    words_variants: list[list[str]] = []
    for word in entry.split():
        m = _OPTIONAL_SUFFIX.match(word)
        words_variants.append([m.group(1), m.group(1) + m.group(2)] if m else [word])
    phrases = [""]
    for variants in words_variants:
        phrases = [f"{p} {v}".strip() for p in phrases for v in variants]
    return phrases


def register(
    name: str,
    terms: dict[str, float] | Iterable[str],
    benign: Iterable[str] = (),
    *,
    on_demand: bool = False,
) -> str:
    """Add a lexicon. ``terms`` maps entry -> weight (or is a plain list, weight 1)."""
    if name in _NAMES:
        raise ValueError(f"lexicon {name!r} registered twice")
    _NAMES.add(name)
    index = _ON_DEMAND.setdefault(name, _Index()) if on_demand else _ALWAYS
    weighted = terms.items() if isinstance(terms, dict) else ((t, 1.0) for t in terms)
    for entry, weight in weighted:
        _add(index, name, entry, weight, benign=False)
    for entry in benign:
        _WITH_BENIGN.add(name)
        _add(_BENIGN, name, entry, 0.0, benign=True)
    return name


def _add(index: _Index, name: str, entry: str, weight: float, *, benign: bool) -> None:
    for phrase in expand(entry):
        words = [fold(w) for w in TOKEN_RE.findall(phrase)]
        if not words:
            raise ValueError(f"empty lexicon entry {entry!r} in {name}")
        index.add(words, _Entry(tuple(words[1:]), name, " ".join(words), float(weight), benign))


def scan(tokens: Tokens) -> dict[str, list[Hit]]:
    """Hits of every always-on lexicon, benign phrases applied, longest match first."""
    return _resolved(tokens, _ALWAYS.hits(tokens))


def is_on_demand(name: str) -> bool:
    return name in _ON_DEMAND


def scan_on_demand(tokens: Tokens, name: str) -> list[Hit]:
    return _resolved(tokens, _ON_DEMAND[name].hits(tokens)).get(name, [])


def _resolved(tokens: Tokens, raw: dict[str, list[Hit]]) -> dict[str, list[Hit]]:
    if not raw:
        return raw
    benign: dict[str, list[Hit]] = {}
    if not _WITH_BENIGN.isdisjoint(raw):
        benign = _BENIGN.hits(tokens)
    elif max(map(len, raw.values())) == 1:
        return raw  # one hit per lexicon and no benign phrase: nothing to resolve
    return {name: _resolve(hits, benign.get(name, ())) for name, hits in raw.items()}


def _match_rest(tokens: Tokens, i: int, rest: tuple[str, ...]) -> int | None:
    """Index of the last token when ``rest`` follows token i, separated by spaces or
    hyphens only; else None."""
    words = tokens.words
    if i + len(rest) >= len(words):
        return None
    for offset, word in enumerate(rest, start=1):
        if words[i + offset] != word or tokens.gap(i + offset - 1, i + offset).strip(_GAP_CHARS):
            return None
    return i + len(rest)


def _overlaps(hit: Hit, spans: list[tuple[int, int]]) -> bool:
    for start, end in spans:
        if hit.start < end and start < hit.end:
            return True
    return False


def _resolve(hits: list[Hit], benign: Iterable[Hit]) -> list[Hit]:
    spans = [(b.start, b.end) for b in benign]
    if len(hits) == 1 and not spans:
        return hits  # most lexicons match once in a text, if at all
    kept: list[Hit] = []
    last_end = -1
    for hit in sorted(hits, key=lambda h: (h.start, h.start - h.end)):
        if hit.start < last_end:
            continue  # inside a longer match of the same lexicon ("today only" vs "today")
        if spans and _overlaps(hit, spans):
            continue
        kept.append(hit)
        last_end = hit.end
    return kept
