"""Tone: four deterministic scores in 0..1, each with the words and marks that drove it.

- enthusiasm and urgency: weighted counts of lexicon words, "!", emoji and ALL-CAPS words,
  squashed as p / (p + 3) so one mark moves the score a little and a pile moves it a lot;
- formality: (formal + 1) / (formal + informal + 2), 0.5 when nothing tips it;
- sentiment: VADER's compound score mapped to 0..1, computed word by word with VADER's own
  rules so every contributing word can be shown. Emoji are not translated to VADER's emoji
  descriptions (the fire emoji would read as "fire", a negative word, in a sales text);
  they count toward enthusiasm instead.

Compliance wording ("Reply STOP to opt out" - "stop" is a negative word to VADER), the brand
name, links and merge fields are left out of every score: they are not the copy's voice.
"""

from __future__ import annotations

import re
import string
from itertools import islice
from operator import itemgetter

from brandguard import lexicon, sentiment
from brandguard.checks.base import Subject, merge_spans
from brandguard.checks.spam import shouted_words
from brandguard.policy import TONE_DIMENSIONS, Policy
from brandguard.report import Driver, ToneScore
from brandguard.rules import TONE_RULES, effective_severity
from brandguard.scan import blank, overlaps_any

_SQUASH = 3.0
_FULL_RANGE = (0.0, 1.0)

URGENCY = lexicon.register("tone.urgency", {
    "now": 0.5, "right now": 1.0, "today": 0.5, "today only": 1.5, "tonight": 0.75,
    "hurry": 1.5, "last chance": 1.5, "last call": 1.5, "ends": 0.5, "ends tonight": 1.5,
    "ends today": 1.5, "ends soon": 1.0, "ending soon": 1.0, "ends at midnight": 1.5,
    "midnight": 0.75, "don't miss": 1.0, "limited time": 1.0, "while supplies last": 1.0,
    "final hours": 1.5, "final day": 1.5, "last day": 1.5, "act fast": 1.5, "act now": 1.5,
    "before it's gone": 1.0, "before they're gone": 1.0, "going fast": 1.0,
    "selling fast": 1.0, "almost gone": 1.0, "expires": 1.0, "expiring": 1.0,
    "deadline": 1.0, "countdown": 1.0, "asap": 1.0, "immediately": 1.5, "urgent": 2.0,
    "soon": 0.5, "limited": 0.5, "flash sale": 1.0, "now or never": 2.0, "hours left": 1.5,
    "days left": 1.0,
})
_URGENCY_RE = re.compile(
    r"\bonly\s+\d+\s+left\b|\bends?\s+in\s+\d+\s*(?:hours?|hrs?|minutes?|mins?)\b"
    r"|\b(?:24|48|72)\s*(?:hours?|hrs?)\s+only\b"
)
ENTHUSIASM = lexicon.register("tone.enthusiasm", {
    "amazing": 1, "awesome": 1, "love": 1, "loving": 1, "excited": 1, "exciting": 1,
    "thrilled": 1, "wow": 1, "yay": 1, "woohoo": 1, "incredible": 1, "fantastic": 1,
    "fabulous": 1, "epic": 1, "insane": 1, "unbelievable": 1, "omg": 1, "obsessed": 1,
    "can't wait": 1, "huge": 0.75, "biggest": 0.75, "stunning": 0.75, "gorgeous": 0.75,
    "delighted": 0.75, "wonderful": 0.75, "brilliant": 0.75, "fave": 0.75, "so good": 0.75,
    "must have": 0.75, "best": 0.5, "super": 0.5, "great": 0.5, "perfect": 0.5,
    "favorite": 0.5, "favourite": 0.5, "beautiful": 0.5,
})
FORMAL = lexicon.register("tone.formal", {
    "please": 1, "kindly": 1.5, "thank you": 1, "we are pleased": 1.5, "pleased": 1,
    "regards": 1.5, "sincerely": 1.5, "cordially": 1.5, "invite": 0.75, "invitation": 1,
    "complimentary": 1, "valued": 1, "esteemed": 1.5, "inform": 1, "notify": 1,
    "we would": 0.75, "you are": 0.5, "we are": 0.5, "do not": 0.5, "cannot": 0.5,
    "furthermore": 1.5, "additionally": 1, "accordingly": 1.5, "therefore": 1,
    "however": 0.75, "hereby": 1.5, "appreciate": 0.75, "assistance": 1, "request": 0.75,
    "purchase": 0.5, "dear": 1, "ensure": 0.75, "courtesy": 1, "we look forward": 1,
    "at your convenience": 1.5, "should you": 1, "may we": 1,
})
INFORMAL = lexicon.register("tone.informal", {
    "gonna": 1, "wanna": 1, "gotta": 1, "hey": 1, "hiya": 1, "yo": 1, "lol": 1, "omg": 1,
    "btw": 1, "thx": 1, "pls": 1, "plz": 1, "ur": 1, "y'all": 1, "yall": 1, "kinda": 1,
    "sorta": 1, "yep": 1, "nope": 1, "yay": 1, "woohoo": 1, "stoked": 1, "dope": 1,
    "vibes": 1, "fam": 1, "bestie": 1, "peeps": 1, "deets": 1, "cool": 0.75, "awesome": 0.75,
    "rad": 0.75, "lit": 0.75, "obsessed": 0.75, "snag": 0.75, "crazy": 0.75, "guys": 0.75,
    "comfy": 0.75, "grab": 0.5, "hi": 0.5, "totally": 0.5, "super": 0.5, "ok": 0.5,
    "okay": 0.5, "stuff": 0.5, "folks": 0.5,
})
_CONTRACTION_ENDS = ("n't", "'re", "'ve", "'ll", "'d", "'m")
_CONTRACTIONS = frozenset({"it's", "that's", "here's", "there's", "what's", "let's", "who's",
                           "he's", "she's"})  # not "Summit's": a possessive is not casual
_CHUNK_RE = re.compile(r"\S+")
_PUNCTUATION = string.punctuation
_BY_SPAN = itemgetter(1)
_WEIGHT = itemgetter(2)


def score_tone(s: Subject, names: tuple[str, ...] = TONE_DIMENSIONS) -> dict[str, ToneScore]:
    """The scores of the dimensions ``names`` (in TONE_DIMENSIONS order)."""
    ranges = s.policy.tone
    out = {}
    for name in names:
        if name == "urgency" and _calm(s):
            out[name] = ToneScore(name, 0.0, ranges[name], ())
            continue  # nothing to weigh, so no need to find the spans left out
        excluded = _excluded(s)
        if name == "enthusiasm":
            drivers = _enthusiasm(s, excluded, _marks(s, excluded))
            score = _squash(drivers)
        elif name == "urgency":
            drivers = _urgency(s, excluded)
            score = _squash(drivers)
        elif name == "formality":
            drivers = _formality(s, excluded, _marks(s, excluded))
            score = _balance(drivers)
        else:
            score, drivers = _sentiment(s, excluded)
        out[name] = ToneScore(name, score, ranges[name], tuple(drivers))
    return out


def judged(policy: Policy) -> tuple[str, ...]:
    """Dimensions a tone rule can fire on: every score lies in 0..1, so a dimension whose
    range is all of 0..1, or whose rule the brand switched off, never yields a finding and
    is scored only when someone reads the report's tone."""
    names, ranges = [], policy.tone
    for name in TONE_DIMENSIONS:
        if ranges[name] != _FULL_RANGE and effective_severity(
                TONE_RULES[name], policy.severity_overrides) is not None:
            names.append(name)
    return tuple(names)


def _calm(s: Subject) -> bool:
    """No urgency word and none of the countdown patterns' words: urgency scores 0 with no
    drivers, whatever the left-out spans are (the send-time re-check's usual case)."""
    if URGENCY in s.scan.hits:
        return False
    return not _countdown_words(s.scan.copy_low)


def _countdown_words(low: str) -> bool:
    """The words every _URGENCY_RE pattern needs: most texts have none, so it never runs."""
    return "left" in low or "end in" in low or "ends in" in low or (
        "only" in low and ("24" in low or "48" in low or "72" in low))


def _excluded(s: Subject) -> list:
    """Spans every dimension leaves out (compliance wording, the brand name): found once."""
    found = s.memo.get("tone_excluded")
    if found is None:
        found = s.memo["tone_excluded"] = merge_spans(s.scan.boilerplate + s.brand_mentions)
    return found


def _marks(s: Subject, excluded: list) -> list[int]:
    found = s.memo.get("tone_marks")
    if found is None:
        found = s.memo["tone_marks"] = _exclamations(s, excluded)
    return found


def _squash(drivers: list[Driver]) -> float:
    points = sum(map(_WEIGHT, drivers))
    return points / (points + _SQUASH)


def _balance(drivers: list[Driver]) -> float:
    weights = list(map(_WEIGHT, drivers))
    formal = sum(w for w in weights if w > 0)
    informal = -sum(w for w in weights if w < 0)
    return (formal + 1.0) / (formal + informal + 2.0)


def _lexicon_drivers(s: Subject, name: str, excluded: list, sign: float = 1.0) -> list[Driver]:
    return [
        Driver(s.text[h.start:h.end], (h.start, h.end), sign * h.weight)
        for h in s.scan.hits.get(name, ())  # tone lexicons are always scanned
        if not excluded or not overlaps_any(h.start, h.end, excluded)
    ]


def _exclamations(s: Subject, excluded: list) -> list[int]:
    copy = s.scan.copy  # "!" inside a link is not the copy shouting
    found = []
    i = copy.find("!")
    while i != -1:
        if not excluded or not overlaps_any(i, i + 1, excluded):
            found.append(i)
        i = copy.find("!", i + 1)
    return found


def _enthusiasm(s: Subject, excluded: list, marks: list[int]) -> list[Driver]:
    found = _lexicon_drivers(s, ENTHUSIASM, excluded)
    found += [Driver("!", (i, i + 1), 0.5, "mark") for i in marks]
    found += [Driver(s.text[a:b], (a, b), 0.75, "emoji") for a, b in s.scan.emoji]
    found += [Driver(raw, (a, b), 0.5, "caps") for a, b, raw in shouted_words(s)]
    return sorted(found, key=_BY_SPAN)


def _urgency(s: Subject, excluded: list) -> list[Driver]:
    found = _lexicon_drivers(s, URGENCY, excluded)
    low = s.scan.copy_low
    if _countdown_words(low):
        taken = [d.span for d in found] + excluded
        for m in _URGENCY_RE.finditer(low):
            if not overlaps_any(m.start(), m.end(), taken):
                found.append(Driver(s.text[m.start():m.end()], m.span(), 1.5))
    return sorted(found, key=_BY_SPAN)


def _formality(s: Subject, excluded: list, marks: list[int]) -> list[Driver]:
    found = _lexicon_drivers(s, FORMAL, excluded)
    found += _lexicon_drivers(s, INFORMAL, excluded, sign=-1.0)
    if "'" in s.scan.copy_low:
        found += _contractions(s, excluded)
    found += [Driver(s.text[a:b], (a, b), -0.5, "emoji") for a, b in s.scan.emoji]
    found += [Driver("!", (i, i + 1), -0.25, "mark") for i in marks]
    return sorted(found, key=_BY_SPAN)


def _contractions(s: Subject, excluded: list) -> list[Driver]:
    """Words like "we're" and "don't": one token each, so found from the token set."""
    tokens = s.scan.tokens
    found = []
    for word in tokens.word_set:
        if "'" in word and (word.endswith(_CONTRACTION_ENDS) or word in _CONTRACTIONS):
            for i in tokens.indices(word):
                start, end = tokens.start(i), tokens.end(i)
                if not excluded or not overlaps_any(start, end, excluded):
                    found.append(Driver(s.text[start:end], (start, end), -0.5, "contraction"))
    return found


def _sentiment(s: Subject, excluded: list) -> tuple[float, list[Driver]]:
    text = blank(s.scan.copy, excluded)
    score, valued = sentiment.compound(text)
    if not valued:
        return (score + 1.0) / 2.0, []
    chunks = list(islice(_CHUNK_RE.finditer(text), valued[-1][0] + 1))
    drivers = []
    for index, valence in valued:
        chunk = chunks[index]
        raw = chunk.group()
        word = raw.strip(_PUNCTUATION)
        if len(word) <= 2:  # VADER keeps short tokens whole (see sentiment.words)
            word = raw
        start = chunk.start() + raw.find(word)
        drivers.append(Driver(s.text[start:start + len(word)], (start, start + len(word)),
                              float(valence)))
    return (score + 1.0) / 2.0, drivers

