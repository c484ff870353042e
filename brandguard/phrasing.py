"""Compliance wording found by walking word tokens (faster and stricter than big regexes).

What counts (CTIA Messaging Principles 5.1-5.2, docs/domain.md §2–3):
- opt-out instruction: "Reply STOP", "Text END to unsubscribe", "STOP to opt out" with one
  of Twilio's standard keywords; "text 2 to opt out" is a NON-standard instruction;
- help instruction: "Reply HELP (for help)", "HELP for info";
- rates: "Msg & data rates may apply" and its spellings;
- frequency: "Msg frequency varies", "Up to 4 msgs/mo", "2 texts per week".
Between the words of a phrase only spaces, quotes and the phrase's own punctuation may
appear, so "Questions? Reply. Stop by the store" is not an opt-out instruction.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from itertools import accumulate

Span = tuple[int, int]

STANDARD_OPTOUT_KEYWORDS = frozenset(
    {"stop", "stopall", "unsubscribe", "cancel", "end", "quit", "revoke", "optout"}
)
_VERBS = frozenset({"reply", "text", "txt", "send", "respond"})
_TO = frozenset({"to", "2"})
_PURPOSE_ONE = frozenset(
    {"optout", "unsubscribe", "unsub", "stop", "cancel", "end", "quit", "leave", "remove"}
)
_HELP_PURPOSE = frozenset({"help", "info", "information", "assistance", "support"})
_FOR = frozenset({"for", "4"})
_MSG = frozenset({"msg", "msgs", "message", "messages", "text", "texts", "sms", "txt", "txts"})
_MSG_COUNTED = _MSG | {"alert", "alerts"}
_FREQ = frozenset({"freq", "frequency"})
_PERIOD = frozenset(
    {"mo", "mos", "mth", "month", "months", "wk", "wks", "week", "weeks", "day", "days", "d"}
)
_PER = frozenset({"per", "a", "each", "every"})
_NUMBER_WORDS = frozenset({"one", "two", "three", "four", "five", "six", "seven", "ten"})
_GLUED_COUNT = re.compile(r"\d+(?:msgs?|messages|texts?|txts?|alerts?)")

_QUOTES = " \t\r\n\"'“”‘"
# The lexicon's word pattern (captured, for re.split), for text whose curly apostrophes are
# already folded to '; the ASCII form gives the same tokens on ASCII text, faster.
_SPLIT = re.compile(r"([^\W_]+(?:'[^\W_]+)*)")
_ASCII_SPLIT = re.compile(r"([a-z0-9]+(?:'[a-z0-9]+)*)")
# Without an apostrophe in the text the apostrophe branch can never match: most texts.
_PLAIN_SPLIT = re.compile(r"([^\W_]+)")
_PLAIN_ASCII_SPLIT = re.compile(r"([a-z0-9]+)")
_SPACES = " \t\r\n"


class Tokens:
    """Word tokens of lower-cased copy.

    One ``re.split`` gives ``parts`` = [gap, word, gap, word, ..., gap]: the words, and the
    exact text between neighbours (for phrase gaps) without a Python loop; offsets are
    summed (in C) only when a span is asked for.
    """

    __slots__ = ("low", "parts", "words", "word_set", "_offsets")

    def __init__(self, low: str) -> None:
        self.low = low
        if "'" in low:
            split = _ASCII_SPLIT if low.isascii() else _SPLIT
        else:
            split = _PLAIN_ASCII_SPLIT if low.isascii() else _PLAIN_SPLIT
        self.parts = split.split(low)
        self.words = self.parts[1::2]
        self.word_set = frozenset(self.words)
        self._offsets: list[int] | None = None

    def start(self, i: int) -> int:
        return self._ends()[2 * i]

    def end(self, i: int) -> int:
        return self._ends()[2 * i + 1]

    def offsets(self) -> list[int]:
        """Start and end of every token: [start 0, end 0, start 1, end 1, ...]."""
        return self._ends()

    def _ends(self) -> list[int]:
        if self._offsets is None:
            self._offsets = list(accumulate(map(len, self.parts)))
        return self._offsets

    def gap(self, i: int, j: int) -> str:
        """The text between token i and token j (j > i)."""
        if j == i + 1:
            return self.parts[2 * i + 2]
        return self.low[self.end(i):self.start(j)]

    def gap_ok(self, i: int, j: int, allowed: str) -> bool:
        """Only ``allowed`` characters between token i and token j."""
        if j == i + 1:
            return not self.parts[2 * i + 2].strip(allowed)
        return not self.gap(i, j).strip(allowed)

    def indices(self, word: str) -> list[int]:
        """Every index of ``word``, found by list.index (C speed) instead of a Python loop."""
        words = self.words
        count = words.count(word)
        if count == 1:  # the usual case
            return [words.index(word)]
        out, at = [], -1
        for _ in range(count):
            at = words.index(word, at + 1)
            out.append(at)
        return out

    def indices_of(self, vocabulary: frozenset[str]) -> list[int]:
        """Sorted indices of the words in ``vocabulary``."""
        present = vocabulary.intersection(self.word_set)
        if not present:
            return []
        if len(present) == 1:
            return self.indices(next(iter(present)))
        return sorted(i for word in present for i in self.indices(word))

    def span(self, i: int, j: int) -> Span:
        offsets = self._ends()
        return (offsets[2 * i], offsets[2 * j + 1])


def _number(word: str) -> bool:
    return word.isdigit() or word in _NUMBER_WORDS


Accept = frozenset[str] | Callable[[str], bool]


def match_seq(tok: Tokens, i: int, steps: list[tuple[Accept, bool]], allowed: str) -> int | None:
    """Match ``steps`` (accepted words, optional?) from token i, greedily; the index of the
    last token matched, or None."""
    words, n = tok.words, len(tok.words)
    j, last = i, -1
    for accept, optional in steps:
        ok = j < n and (words[j] in accept if isinstance(accept, frozenset) else accept(words[j]))
        if ok and (last < 0 or tok.gap_ok(last, j, allowed)):
            last, j = j, j + 1
        elif not optional:
            return None
    return last if last >= 0 else None


def _purpose_end(tok: Tokens, i: int) -> int | None:
    """Token index ending "to opt out" / "2 unsubscribe" starting at token i, or None."""
    words, n = tok.words, len(tok.words)
    if i + 1 >= n or words[i] not in _TO or not tok.gap_ok(i, i + 1, _SPACES):
        return None
    k = i + 1
    if words[k] == "opt" and k + 1 < n and words[k + 1] == "out":
        return k + 1
    if words[k] == "be" and k + 1 < n and words[k + 1] == "removed":
        return k + 1
    return k if words[k] in _PURPOSE_ONE else None


def _verb_before(tok: Tokens, i: int) -> int | None:
    """Index of "reply" in "reply (with) X" where X is token i, or None."""
    j = i - 1
    if j >= 0 and tok.words[j] == "with" and tok.gap_ok(j, i, _QUOTES):
        i, j = j, j - 1
    if j >= 0 and tok.words[j] in _VERBS and tok.gap_ok(j, i, _QUOTES):
        return j
    return None


def optout_instructions(tok: Tokens) -> list[Span]:
    spans = []
    for i in tok.indices_of(STANDARD_OPTOUT_KEYWORDS):
        verb = _verb_before(tok, i)
        end = _purpose_end(tok, i + 1) if i + 1 < len(tok.words) else None
        if verb is not None:
            spans.append(tok.span(verb, end if end is not None else i))
        elif end is not None and tok.gap_ok(i, i + 1, _SPACES):
            spans.append(tok.span(i, end))  # "STOP to opt out"
    return spans


def nonstandard_optouts(tok: Tokens, text: str) -> list[tuple[Span, str]]:
    """("text 2 to opt out" span, "2") for instructions with a non-standard keyword."""
    out: list[tuple[Span, str]] = []
    words = tok.words
    for i in tok.indices_of(_VERBS):
        if i + 2 >= len(words):
            continue
        k = i + 1
        if words[k] == "with" and tok.gap_ok(i, k, _QUOTES):
            k += 1
        if k + 1 >= len(words) or words[k] in STANDARD_OPTOUT_KEYWORDS:
            continue
        if not tok.gap_ok(k - 1, k, _QUOTES):
            continue
        end = _purpose_end(tok, k + 1)
        if end is not None:
            keyword = text[tok.start(k):tok.end(k)]
            out.append((tok.span(i, end), keyword))
    return out


def help_instructions(tok: Tokens) -> list[Span]:
    spans = []
    for i in tok.indices("help") if "help" in tok.word_set else ():
        end = match_seq(tok, i + 1, [(_FOR, False), (_HELP_PURPOSE, False)], _SPACES)
        verb = _verb_before(tok, i)
        if verb is not None:
            spans.append(tok.span(verb, end if end is not None else i))
        elif end is not None:
            spans.append(tok.span(i, end))  # "HELP for help"
    return spans


_RATES = [
    (frozenset({"standard"}), True), (_MSG, False), (frozenset({"and"}), True),
    (frozenset({"data"}), False), (frozenset({"rate", "rates"}), False),
    (frozenset({"may", "will"}), True), (frozenset({"apply"}), False),
]
_FREQ_WORDED = [
    (_MSG, False), (_FREQ, False), (frozenset({"may", "will"}), True),
    (frozenset({"varies", "vary"}), False),
]
_FREQ_COUNTED = [
    (frozenset({"up"}), True), (frozenset({"to"}), True), (_number, False),
    (_MSG_COUNTED, False), (_PER, True), (_PERIOD, False),
]
_FREQ_GLUED = [
    (lambda w: _GLUED_COUNT.fullmatch(w) is not None, False), (_PER, True), (_PERIOD, False),
]
_RATES_GAP = " \t\r\n&+,"
_FREQ_GAP = " \t\r\n/.-"


def rates_disclosures(tok: Tokens) -> list[Span]:
    if "data" not in tok.word_set:
        return []
    return _find_all(tok, lambda w: _RATES if w in _MSG or w == "standard" else None,
                     _RATES_GAP)


def frequency_disclosures(tok: Tokens) -> list[Span]:
    if tok.word_set.isdisjoint(_FREQ) and tok.word_set.isdisjoint(_PERIOD):
        return []
    return _find_all(tok, _frequency_pattern, _FREQ_GAP)


def _frequency_pattern(word: str) -> list | None:
    if word in _MSG:
        return _FREQ_WORDED
    if word == "up" or _number(word):
        return _FREQ_COUNTED
    if word[0].isdigit():
        return _FREQ_GLUED
    return None


def _find_all(tok: Tokens, pattern_for: Callable[[str], list | None], allowed: str) -> list[Span]:
    """Non-overlapping matches; ``pattern_for`` picks the pattern a word may start."""
    spans = []
    i, words = 0, tok.words
    while i < len(words):
        steps = pattern_for(words[i])
        end = match_seq(tok, i, steps, allowed) if steps else None
        if end is not None:
            spans.append(tok.span(i, end))
            i = end
        i += 1
    return spans
