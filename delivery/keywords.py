"""Classify an inbound SMS reply: opt-out, opt-in, help, needs human review, or other.

Pure: no Django, no I/O. Rules (docs/domain.md §2):
- Twilio's single-word defaults, matched case-insensitively after trimming and dropping
  punctuation around the word: opt-out STOP STOPALL UNSUBSCRIBE CANCEL END QUIT REVOKE
  OPTOUT; opt-in START YES UNSTOP; help HELP INFO. Twilio itself blocks further sends
  after these (error 21610).
- FCC revocation rule (47 CFR 64.1200(a)(10), in force 2025-04-11): consent may be revoked
  by any reasonable means, and a reply using stop, quit, end, revoke, opt out, cancel or
  unsubscribe is one.

Heuristic, in order (first match wins). A missed opt-out is a TCPA violation; a false one
costs one subscriber. So short messages lean to opt-out and only genuinely unclear ones go
to a person:
1. The whole reply is one Twilio keyword -> that keyword's kind.
2. A revocation phrase ("stop texting me", "take me off your list", "unsubscribe me",
   "do not text me", "wrong number") not directly negated ("don't stop texting me") ->
   opt_out, however much else the message says.
3. A sentence holding a revocation word and otherwise only courtesy words or words about
   the messages themselves ("STOP PLEASE", "opt out now", "i want to unsubscribe",
   "Stop! Who is this?") -> opt_out.
4. A revocation word (or an inflection: "stopped", "ending") among other words ("I can't
   stop eating your cookies", "when does the sale end?") -> review.
5. HELP/INFO with only courtesy words ("help please") -> help. Opt-in needs the bare
   keyword: a chatty "yes" must never re-subscribe anyone.
6. Anything else -> other.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Literal

Kind = Literal["opt_out", "opt_in", "help", "review", "other"]

OPT_OUT_KEYWORDS = frozenset(
    {"stop", "stopall", "unsubscribe", "cancel", "end", "quit", "revoke", "optout"}
)
OPT_IN_KEYWORDS = frozenset({"start", "yes", "unstop"})
HELP_KEYWORDS = frozenset({"help", "info"})

# The FCC's list ("opt out" is joined to "optout" before matching).
REVOCATION_WORDS = frozenset(
    {"stop", "stopall", "quit", "end", "revoke", "optout", "cancel", "unsubscribe"}
)
# Inflections are not the FCC words themselves, but a person should read them.
_REVOCATION_FORMS = REVOCATION_WORDS | frozenset(
    """
    stops stopped stopping quits quitting ends ended ending revoked revoking cancels
    cancelled canceled cancelling canceling unsubscribed unsubscribing
    """.split()
)

# Words that do not change the meaning of a revocation word next to them. Never add a
# negation, a question word or a verb of its own ("eating", "does"): those make it ambiguous.
_COURTESY = frozenset(
    """
    please pls plz now thanks thank you thx ty ok okay just all the a this these that it
    me my i i'm im want wanna would like to am already asap immediately right away again
    anymore any more ever sir maam hi hello hey yes seriously really
    text texts texting message messages messaging msg msgs sms sending send sent
    contact contacting calls calling number phone from with of for on list lists
    subscription subscriptions mailing marketing promo promos promotions ads your us
    """.split()
)
_HELP_COURTESY = frozenset({"please", "pls", "plz", "me", "i", "need", "thanks", "info"})

# Rule 2. Each pattern is an unmistakable request to stop texting, matched on the
# normalised text (lowercase, single spaces, apostrophes straight).
_PHRASES = tuple(
    re.compile(pattern)
    for pattern in (
        r"\b(stop|quit|cease)( (sending|texting|messaging|contacting|spamming|bugging))"
        r"( (me|us|this number|my number)| (texts|messages|msgs))?\b",
        r"\bstop (the|these|your|all|all the|all these|all your) (texts|messages|msgs|sms)\b",
        r"\b(unsubscribe|opt) (me|us|my number|this number)( out)?\b",
        r"\bopt ?out\b.*\b(of|from) (this|these|your|all|texts|messages)\b",
        r"\b(take|remove|delete) (me|us|my number|this number)"
        r"( (off|from) (the|your|this|all|ur) (list|lists|texts|messages))?\b",
        r"\b(do not|don't|dont|never) (text|message|msg|sms|contact) (me|us|this number)\b",
        r"\bno more (texts|messages|msgs|sms|text messages)\b",
        r"\bleave me alone\b",
        r"\bwrong (number|person)\b",
    )
)
# Rule 2 exception: "don't stop texting me", "never stop sending ..." ask for the opposite.
_NEGATIONS = frozenset({"don't", "dont", "do not", "never", "not", "can't", "cant", "cannot"})

_WORD = re.compile(r"[^\W_]+(?:'[^\W_]+)?")
_EDGE_PUNCTUATION = " .,!?;:'\"()[]-*~"
# A bare stop sign may well mean STOP; it is no FCC word, so a person decides.
_STOP_SIGNS = frozenset("\U0001f6d1\u26d4\u270b\U0001f6ab")
_SENTENCE_BREAK = re.compile(r"[.!?;\n]+")
_APOSTROPHES = str.maketrans({"\u2019": "'", "\u2018": "'", "\u02bc": "'", "`": "'"})


@dataclass(frozen=True, slots=True)
class Classification:
    kind: Kind
    matched: str | None
    reason: str


def classify(body: str) -> Classification:
    text = _normalise(body)
    words = _words(text)
    if not words:
        if _STOP_SIGNS & set(text):
            return Classification("review", text, "stop-sign emoji, no words")
        return Classification("other", None, "no words")
    single = _keyword_kind(text, words)
    if single is not None:
        return single
    phrase = _revocation_phrase(text)
    if phrase is not None:
        return Classification("opt_out", phrase, "revocation phrase (FCC reasonable means)")
    for sentence in _SENTENCE_BREAK.split(text):
        found = _bare_revocation(_words(sentence))
        if found is not None:
            return Classification("opt_out", found, "short revocation request")
    unclear = next((w for w in words if w in _REVOCATION_FORMS), None)
    if unclear is not None:
        return Classification("review", unclear, "revocation word in an unclear message")
    if set(words) & HELP_KEYWORDS and set(words) <= _HELP_COURTESY | HELP_KEYWORDS:
        return Classification("help", "help" if "help" in words else "info", "help request")
    return Classification("other", None, "no keyword")


def _bare_revocation(words: list[str]) -> str | None:
    """The revocation word of a sentence that holds nothing but it and courtesy words."""
    found = [w for w in words if w in REVOCATION_WORDS]
    if found and all(w in REVOCATION_WORDS or w in _COURTESY for w in words):
        return found[0]
    return None


def _words(text: str) -> list[str]:
    # "opt out" (or "opt-out", normalised to a space) is the FCC's two-word form of OPTOUT.
    joined: list[str] = []
    for word in _WORD.findall(text):
        if word == "out" and joined and joined[-1] == "opt":
            joined[-1] = "optout"
        else:
            joined.append(word)
    return joined


def _normalise(body: str) -> str:
    # NFKC folds fullwidth and styled letters ("ＳＴＯＰ") to plain ones before matching.
    text = unicodedata.normalize("NFKC", body or "").translate(_APOSTROPHES).casefold()
    text = text.replace("-", " ").replace("_", " ")
    return " ".join(text.split())


def _keyword_kind(text: str, words: list[str]) -> Classification | None:
    # Twilio matches the whole body as one word. "opt out" and "stop all" are its keywords
    # in two words: Twilio may not block on them, so the reason says so (we still must).
    word = "".join(words) if len(words) == 1 or words == ["stop", "all"] else None
    if word in OPT_OUT_KEYWORDS:
        spaced = " " in text.strip(_EDGE_PUNCTUATION)
        reason = "opt-out keyword in two words (Twilio may not block it)" if spaced else ""
        return Classification("opt_out", word, reason or "Twilio opt-out keyword")
    if word in OPT_IN_KEYWORDS:
        return Classification("opt_in", word, "Twilio opt-in keyword")
    if word in HELP_KEYWORDS:
        return Classification("help", word, "Twilio help keyword")
    return None


def _revocation_phrase(text: str) -> str | None:
    for pattern in _PHRASES:
        for match in pattern.finditer(text):
            before = text[: match.start()].split()
            if _negated(before) and not match.group(0).startswith(("do not", "don't", "dont")):
                continue
            return match.group(0)
    return None


def _negated(before: list[str]) -> bool:
    return " ".join(before[-1:]) in _NEGATIONS or " ".join(before[-2:]) in _NEGATIONS
