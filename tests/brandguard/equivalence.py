"""The texts, policies and contexts the check engine is held to, and a digest of each report.

``check(...).to_dict()`` of every case was recorded (as a short SHA-256 digest) before the
engine's text facts were rebuilt as one shared pass; test_check_equivalence holds the engine
to those digests, so a speed-up cannot change a finding, a span, a message, a tone driver or
a fix. Regenerate the fixture only for an intended rule change:
``.venv/bin/python -m tests.brandguard.equivalence`` (and say why in the commit).

Cases: the benchmark corpus, a seeded adversarial corpus that piles up what the rules look
at (lexicon words and their benign look-alikes, VADER boosters and negations, compliance
wording, capitals, punctuation runs, links, e-mails, phones, placeholders, emoji, curly
apostrophes, letters whose lower case changes length), and every string literal of the
brandguard tests, each under several policies and message contexts.
"""

from __future__ import annotations

import ast
import hashlib
import json
import random
import sys
from pathlib import Path

from bench.corpus import make_corpus
from brandguard import MergeField, MessageContext, Policy, check

HERE = Path(__file__).resolve().parent
FIXTURE = HERE / "fixtures" / "check_digests.json"

POLICIES = {
    "bench": Policy(
        brand_name="Summit Outfitters",
        allowed_link_domains=["summitoutfitters.com"],
        website_domain="summitoutfitters.com",
        support_contact="help@summitoutfitters.com",
        merge_fields={"first_name": MergeField(max_length=20, non_gsm=True),
                      "product_name": MergeField(max_length=40)},
        tone={"urgency": (0.0, 0.6)},
    ),
    "strict": Policy(
        brand_name="Dick’s Café",
        max_segments=1,
        smart_encoding=True,
        banned_phrases=["cheap", "act now!", "don't miss", "free"],
        required_phrases=["Dick's Café", "T&Cs apply"],
        allowed_link_domains=["dicks.example"],
        emoji_limit=0,
        tone={"enthusiasm": (0.0, 0.3), "urgency": (0.0, 0.3), "formality": (0.4, 1.0),
              "sentiment": (0.45, 0.9)},
        merge_fields={"name": MergeField(max_length=12)},
        severity_overrides={"ALL_CAPS": "block", "EXCESS_PUNCT": "off", "TONE_URGENCY": "block",
                            "BRAND_ID": "off"},
        support_contact="1-800-555-0100",
        age_gated=True,
    ),
    "bare": Policy(allow_unicode=True, emoji_limit=5),
}
CONTEXTS = {
    "marketing": MessageContext(),
    "first": MessageContext(first_message=True),
    "periodic": MessageContext(days_since_last_optout_notice=45),
    "opt_in": MessageContext(message_type="opt_in_confirmation"),
    "help": MessageContext(message_type="help_reply"),
    "opt_out": MessageContext(message_type="opt_out_confirmation"),
}

_PIECES = [
    # lexicon words, their benign look-alikes and words near them
    "sexy", "nude heels", "naked eye", "hook up the", "hookup", "adults only", "18+", "21 +",
    "beer", "root beer", "craft beers", "cocktail dress", "gun", "glue gun", "gun-metal",
    "vape", "e-cig", "e cig", "CBD", "thc", "essex", "class", "ass", "shit", "wine red",
    "rosé", "pinot noir", "hard cider", "sale", "shop", "free shipping", "feel free", "25% off",
    "$10 off", "final notice", "you won", "you won't", "you've won", "claim your prize",
    "account will be suspended", "code expires in 5 min", "congrats, you won", "only 3 left",
    "ends in 2 hours", "48 hrs only", "last chance", "today only", "today", "ends tonight",
    "right now", "now", "hurry", "don't miss", "limited time",
    # tone, VADER
    "amazing", "love", "great", "not great", "very good", "kind of bad", "kind", "at least",
    "least", "never so happy", "without doubt", "no problem", "no", "but", "BUT", "yeah right",
    "the bomb", "cut the mustard", "sort of", "hardly", "extremely", "isn't", "didn't love",
    "please", "kindly", "thank you", "we are pleased", "gonna", "hey", "lol", "we're", "it's",
    "Summit's", "y'all", "dope", "super", "AMAZING", "GREAT", "LOVE IT", "FREE", "SALE", "OK",
    "USA", "STOP", "HELP", "SAVE20", "DON'T", "DON’T", "İstanbul", "STRASSE", "ß", "Zoë",
    # compliance wording
    "Reply STOP to opt out", "Reply STOP", "reply with stop", "Text END to unsubscribe",
    "STOP to opt out", "Text 2 to opt out", "txt QUIT 2 cancel", "reply \"stop\"",
    "Reply HELP for help", "HELP for info", "help 4 support", "Msg & data rates may apply",
    "Msg&data rates apply", "standard msg and data rates will apply", "Msg frequency varies",
    "Up to 4 msgs/mo", "2 texts per week", "4msgs/wk", "three alerts a month",
    "Questions? Reply. Stop by", "Summit Outfitters", "SUMMIT OUTFITTERS", "Summit  outfitters",
    "Dick's Café", "Dick’s Café", "T&Cs apply", "cheap", "cheapest", "act now!", "free",
    # links, contacts, placeholders
    "https://summitoutfitters.com/a?b=1", "summitoutfitters.com/sale", "bit.ly/x1",
    "https://bit.ly/3xY", "t.co/abc", "acme.co", "shop.summitoutfitters.com", "e.g.", "U.S.",
    "3.5", "today.Shop", "(bit.ly/abc).", "help@summitoutfitters.com", "a.b@mail.example.com",
    "1-800-555-0100", "(415) 555-0134", "+1 415.555.0134", "1-800-FLOWERS", "{first_name}",
    "{product_name}", "{{ First Name }}", "{bad}", "{", "}", "{shot_count}", "{name}",
    # emoji and marks
    "🔥", "🎉", "❤️", "❤", "👍🏽", "🇺🇸", "👨‍👩‍👧", "1️⃣", "#⃣", "™", "©", "☀️", "!", "!!", "!!!",
    "?!", "???", "$$", "...", "…", "—", "–", "“quoted”", "‘single’", "’", "'", ":", ".", ",",
    "-", "&", "/", "\n", "\t", "  ",
]
_SEPARATORS = [" ", " ", " ", " ", ", ", ". ", "! ", "? ", "\n", " - ", "-", "", ": "]


def adversarial_texts(n: int, seed: int = 11) -> list[str]:
    rnd = random.Random(seed)
    texts = []
    for _ in range(n):
        parts = []
        for _ in range(rnd.randint(1, 28)):
            piece = rnd.choice(_PIECES)
            roll = rnd.random()
            if roll < 0.12:
                piece = piece.upper()
            elif roll < 0.2:
                piece = piece.title()
            parts.append(piece)
            parts.append(rnd.choice(_SEPARATORS))
        texts.append("".join(parts).strip(" ") if rnd.random() < 0.8 else "".join(parts))
    return texts


def test_literals() -> list[str]:
    """Every string literal of the brandguard tests (the tricky strings people wrote)."""
    found: set[str] = set()
    for path in sorted(HERE.glob("test_*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                found.add(node.value)
    return sorted(found)


def cases(literals: list[str]) -> list[tuple[str, str, str]]:
    """(text, policy name, context name) for every recorded case."""
    out = [(text, "bench", "marketing") for text in make_corpus(n=5000, seed=7)]
    out += [(text, "bench", "first") for text in make_corpus(n=300, seed=3)]
    policy_names, context_names = list(POLICIES), list(CONTEXTS)
    for i, text in enumerate(adversarial_texts(3000)):
        out.append((text, policy_names[i % 3], context_names[i % 6]))
        if i % 5 == 0:
            out.append((text, policy_names[(i + 1) % 3], context_names[(i + 1) % 6]))
    for text in literals:
        for context in context_names:
            out.append((text, "bench", context))
        out.append((text, "strict", "marketing"))
        out.append((text, "bare", "opt_out"))
    return out


def digest(text: str, policy: str, context: str) -> str:
    report = check(text, POLICIES[policy], CONTEXTS[context]).to_dict()
    blob = json.dumps(report, sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(blob.encode()).hexdigest()[:12]


def record() -> None:
    literals = test_literals()
    digests = [digest(*case) for case in cases(literals)]
    FIXTURE.write_text(json.dumps({"literals": literals, "digests": digests},
                                  ensure_ascii=False, indent=0) + "\n")
    print(f"recorded {len(digests)} cases in {FIXTURE}", file=sys.stderr)


if __name__ == "__main__":
    record()
