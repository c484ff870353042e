"""VADER sentiment, word by word, so each word's contribution can be shown.

Follows ``SentimentIntensityAnalyzer.polarity_scores`` rule for rule (lexicon valence, "no"
handling, ALL-CAPS emphasis, boosters and dampeners in the three preceding words, negation,
special idioms, "least", the contrastive "but", "!" and "?" emphasis) and gives the same
compound score on any text without emoji; tests hold it to that. Two differences:

- emoji are not rewritten to VADER's English descriptions first (in a sales text the fire
  emoji is praise, not the negative word "fire"); they count toward enthusiasm instead;
- it is several times faster: lower-cased words are computed once, and only words in the
  lexicon are scored (VADER scores every other word 0 anyway).
"""

from __future__ import annotations

import string

from vaderSentiment.vaderSentiment import (
    B_DECR,
    B_INCR,
    BOOSTER_DICT,
    C_INCR,
    N_SCALAR,
    NEGATE,
    SPECIAL_CASES,
    SentimentIntensityAnalyzer,
    normalize,
)

ANALYZER = SentimentIntensityAnalyzer()  # loads the 7,500-word lexicon once, at import
LEXICON: dict[str, float] = ANALYZER.lexicon
_LEXICON_WORDS = frozenset(LEXICON)  # set & set walks the smaller side; dict keys would not
_NEGATE = frozenset(NEGATE)
_PUNCT = string.punctuation

assert B_INCR == -B_DECR  # the dampener sign logic below relies on it
# Words of VADER's multi-word idioms and boosters: a lexicon word with none of them around
# cannot be part of one, so most words skip building the eight candidate n-grams.
_IDIOM_WORDS = frozenset(
    word for key in (*SPECIAL_CASES, *(b for b in BOOSTER_DICT if " " in b))
    for word in key.split()
)
_NO_OWN_VALENCE = frozenset(BOOSTER_DICT) | {"kind"}  # "kind" only in "kind of"
# Words that can change the valence of a word up to three places after them.
_MODIFIERS = frozenset(BOOSTER_DICT) | _NEGATE | _IDIOM_WORDS | {
    "no", "never", "so", "this", "without", "doubt", "least", "at", "very", "or", "nor",
}


def compound(text: str) -> tuple[float, list[tuple[int, float]]]:
    """VADER's compound score and (word index, valence) for the words that carry valence.

    Word indexes refer to ``words(text)``.
    """
    # Case only matters to isupper(), which punctuation cannot change, so the original
    # white-space chunks serve for it and only the lower-cased words need stripping.
    chunks = text.split()
    if text.isascii():
        lowers = words(text.lower())
    else:  # lower() can change a word's length outside ASCII: follow VADER literally
        lowers = [w.lower() for w in words(text)]
    present = _LEXICON_WORDS.intersection(lowers)
    if not present:
        return 0.0, []
    scored = [i for i, low in enumerate(lowers) if low in present]
    if not _NO_OWN_VALENCE.isdisjoint(present):
        scored = [i for i in scored if _scores(lowers, i)]
    cap_diff = _CapDifferential(chunks)
    valences = [0.0] * len(lowers)
    for i in scored:
        valences[i] = _valence(chunks, lowers, i, cap_diff)
    if "but" in lowers:
        valences = ANALYZER._but_check(lowers, valences)
    return _compound(valences, text), [(i, valences[i]) for i in scored if valences[i]]


class _CapDifferential:
    """VADER's "some but not all words are in caps", counted on first need: it only
    matters when a scored word or its booster is itself in caps."""

    __slots__ = ("items", "value")

    def __init__(self, items: list[str]) -> None:
        self.items = items
        self.value: bool | None = None

    def __bool__(self) -> bool:
        if self.value is None:
            self.value = _cap_differential(self.items)
        return self.value


def _scores(lowers: list[str], i: int) -> bool:
    """VADER gives boosters, and "kind" in "kind of", no valence of their own."""
    low = lowers[i]
    return low not in BOOSTER_DICT and not (
        low == "kind" and i + 1 < len(lowers) and lowers[i + 1] == "of"
    )


def _compound(valences: list[float], text: str) -> float:
    """score_valence's compound, without the pos/neg/neu split it also computes."""
    total = float(sum(valences))
    if not total:
        return 0.0
    emphasis = min(text.count("!"), 4) * 0.292  # VADER's exclamation amplifier
    questions = text.count("?")
    if questions > 1:
        emphasis += questions * 0.18 if questions <= 3 else 0.96
    total += emphasis if total > 0 else -emphasis
    return round(normalize(total), 4)


def words(text: str) -> list[str]:
    """VADER's tokens: split on white space, outer punctuation stripped unless that leaves
    two characters or fewer (then the token may be an emoticon and stays whole)."""
    return [w if len(w := chunk.strip(_PUNCT)) > 2 else chunk for chunk in text.split()]


def _cap_differential(items: list[str]) -> bool:
    caps = sum(1 for w in items if w.isupper())
    return 0 < len(items) - caps < len(items)


def _valence(items: list[str], lowers: list[str], i: int, cap_diff: _CapDifferential
             ) -> float:
    low = lowers[i]
    valence = LEXICON[low]
    if _plain_context(lowers, i):
        if items[i].isupper() and cap_diff:
            valence += C_INCR if valence > 0 else -C_INCR
        return valence
    if low == "no" and i != len(items) - 1 and lowers[i + 1] in LEXICON:
        valence = 0.0
    if (i > 0 and lowers[i - 1] == "no") or (i > 1 and lowers[i - 2] == "no") or (
        i > 2 and lowers[i - 3] == "no" and lowers[i - 1] in ("or", "nor")
    ):
        valence = LEXICON[low] * N_SCALAR
    if items[i].isupper() and cap_diff:
        valence += C_INCR if valence > 0 else -C_INCR
    for start_i in range(3):
        if i > start_i and lowers[i - (start_i + 1)] not in LEXICON:
            s = _scalar(items[i - (start_i + 1)], lowers[i - (start_i + 1)], valence, cap_diff)
            if start_i == 1 and s != 0:
                s *= 0.95
            if start_i == 2 and s != 0:
                s *= 0.9
            valence += s
            valence = _negation(valence, lowers, start_i, i)
            if start_i == 2:
                valence = _special_idioms(valence, lowers, i)
    return _least(valence, lowers, i)


def _plain_context(lowers: list[str], i: int) -> bool:
    """No word that VADER lets modify a valence is near: the rules below would all leave the
    lexicon valence as it is (most words of real copy take this path)."""
    before = lowers[max(0, i - 3):i]
    if lowers[i] == "no" or not _MODIFIERS.isdisjoint(before):
        return False
    for w in before:
        if "n't" in w:
            return False
    nxt = lowers[i + 1] if i + 1 < len(lowers) else ""
    return not (lowers[i] in _IDIOM_WORDS and nxt in _IDIOM_WORDS)


def _scalar(word: str, low: str, valence: float, cap_diff: _CapDifferential) -> float:
    scalar = BOOSTER_DICT.get(low, 0.0)
    if not scalar:
        return 0.0
    if valence < 0:
        scalar *= -1
    if word.isupper() and cap_diff:
        scalar += C_INCR if valence > 0 else -C_INCR
    return scalar


def _negated(low: str) -> bool:
    return low in _NEGATE or "n't" in low


def _negation(valence: float, lowers: list[str], start_i: int, i: int) -> float:
    if start_i == 0:
        if _negated(lowers[i - 1]):
            valence *= N_SCALAR
    elif start_i == 1:
        if lowers[i - 2] == "never" and lowers[i - 1] in ("so", "this"):
            valence *= 1.25
        elif lowers[i - 2] == "without" and lowers[i - 1] == "doubt":
            pass
        elif _negated(lowers[i - 2]):
            valence *= N_SCALAR
    else:
        if (lowers[i - 3] == "never" and lowers[i - 2] in ("so", "this")) or (
            lowers[i - 1] in ("so", "this")
        ):
            valence *= 1.25
        elif lowers[i - 3] == "without" and "doubt" in (lowers[i - 2], lowers[i - 1]):
            pass
        elif _negated(lowers[i - 3]):
            valence *= N_SCALAR
    return valence


def _special_idioms(valence: float, lowers: list[str], i: int) -> float:
    w3, w2, w1, w0 = lowers[i - 3], lowers[i - 2], lowers[i - 1], lowers[i]
    # Every n-gram below contains w1 or w2, or starts with w0 followed by the next word.
    nxt = lowers[i + 1] if i + 1 < len(lowers) else ""
    if w1 not in _IDIOM_WORDS and w2 not in _IDIOM_WORDS and (
        w0 not in _IDIOM_WORDS or nxt not in _IDIOM_WORDS
    ):
        return valence
    for seq in (f"{w1} {w0}", f"{w2} {w1} {w0}", f"{w2} {w1}", f"{w3} {w2} {w1}",
                f"{w3} {w2}"):
        if seq in SPECIAL_CASES:
            valence = SPECIAL_CASES[seq]
            break
    if len(lowers) - 1 > i and f"{w0} {lowers[i + 1]}" in SPECIAL_CASES:
        valence = SPECIAL_CASES[f"{w0} {lowers[i + 1]}"]
    if len(lowers) - 1 > i + 1:
        seq = f"{w0} {lowers[i + 1]} {lowers[i + 2]}"
        if seq in SPECIAL_CASES:
            valence = SPECIAL_CASES[seq]
    for n_gram in (f"{w3} {w2} {w1}", f"{w3} {w2}", f"{w2} {w1}"):
        if n_gram in BOOSTER_DICT:
            valence += BOOSTER_DICT[n_gram]
    return valence


def _least(valence: float, lowers: list[str], i: int) -> float:
    if i > 1 and lowers[i - 1] not in LEXICON and lowers[i - 1] == "least":
        if lowers[i - 2] not in ("at", "very"):
            valence *= N_SCALAR
    elif i > 0 and lowers[i - 1] not in LEXICON and lowers[i - 1] == "least":
        valence *= N_SCALAR
    return valence
