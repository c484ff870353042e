"""Deterministic corpus of realistic SMS marketing copy for the guard benchmarks.

``make_corpus(n, seed)`` returns the same ``n`` texts for the same seed on every machine. The
mix is what a review queue sees: mostly GSM, a good share of UCS-2 (emoji, pasted curly quotes
and dashes, names and Spanish copy with non-GSM letters, a few flags and skin tones), 1 to 3
segments, merge fields, and copy that passes and fails compliance (brand named or not, opt-out
line or not or non-standard, own domain or a public shortener, ALL CAPS, ``!!``, urgency).
"""

from __future__ import annotations

import random

from brandguard.segments import analyze

BRAND_PREFIXES = ["Summit Outfitters: ", "Summit Outfitters - ", "SUMMIT OUTFITTERS: "]
PRODUCTS = [
    "trail runners", "2-person tents", "down jackets", "rain shells", "daypacks",
    "hiking boots", "camp stoves", "sleeping bags", "trekking poles", "merino base layers",
    "climbing harnesses", "headlamps", "water filters", "ski goggles", "fleece hoodies",
]  # fmt: skip
DAYS = ["Sunday", "Monday", "Friday", "midnight", "Labor Day", "the 15th", "this weekend"]
OPENERS = [
    "Hey {first_name},", "Hi {first_name}!", "{first_name}, good news:", "Heads up:",
    "Weekend plans?", "Fresh snow is here.", "Trail season is back.", "Thanks for being a member.",
]  # fmt: skip
OFFERS = [
    "{pct}% off {product} through {day}.",
    "Save {pct}% on {product} - this weekend only.",
    "Buy one, get one 50% off on {product}.",
    "Free shipping on orders over ${amount} until {day}.",
    "Members get double points on {product} until {day}.",
    "Your {product} are back in stock in the size you asked about.",
    "Our end of season sale starts now: up to {pct}% off {product}.",
    "Your order of {product} has shipped and arrives {day}.",
]
DETAILS = [
    "Stock is limited, so grab yours early.",
    "Use code {code} at checkout.",
    "In-store pickup is ready in 2 hours at {store_name}.",
    "Price match guaranteed at every Summit store.",
    "Bring a friend and you both get 10% off.",
    "Free layering workshop {day} at 6pm, seats are limited.",
    "Rentals for the whole family from $19/day.",
    "Trade in your old boots for $25 store credit.",
    "Show this text in store for a free water bottle.",
    "Gift cards never expire and fit every adventure.",
    "Questions? Our gear experts answer 7 days a week.",
    "Sizes run small, so order a half size up.",
]
SPANISH = [
    "¡Hola {first_name}! Rebajas de invierno: 30% en chaquetas hasta el domingo.",
    "Últimos días: envío gratis en pedidos de más de $50.",
    "Tu pedido está listo para recoger en tienda.",
]
SHOUTS = ["HUGE SALE!!", "LAST CHANCE!!", "FREE GIFT TODAY ONLY!", "DON'T MISS OUT!!!"]
URGENT = [
    "Final notice: your cart expires in 5 minutes!",
    "Act now, this offer will not be repeated.",
    "Your account will be suspended unless you confirm today.",
]
LINKS = [
    "Shop: https://summitoutfitters.com/{slug}",
    "summitoutfitters.com/{slug}",
    "https://www.summitoutfitters.com/{slug}?utm_source=sms",
    "https://bit.ly/{short}",
    "Details: bit.ly/{short}",
]
OPT_OUTS = [
    "Reply STOP to opt out.",
    "Reply STOP to unsubscribe.",
    "Txt STOP to end, HELP for help.",
    "Msg & data rates may apply. Reply STOP to cancel.",
    "Text 2 to opt out.",
]
SIMPLE_EMOJI = ["🎉", "🔥", "⛺", "🥾", "🌲", "😀", "🙌", "🎁", "⚡", "🧗"]
JOINED_EMOJI = ["☀️", "❤️", "🏔️", "👍🏽", "🏃‍♀️", "🇺🇸", "👨‍👩‍👧"]
NAMES = ["Zoë", "José", "Çelik", "Müller", "Łukasz", "Anaïs", "Søren", "Ana"]
SLUGS = ["fall-sale", "tents", "members", "boots?size=10", "outlet", "gift-cards"]


def _fill(template: str, rnd: random.Random) -> str:
    return template.format(
        first_name="{first_name}" if rnd.random() < 0.8 else rnd.choice(NAMES),
        store_name="{store_name}",
        product=rnd.choice(PRODUCTS),
        day=rnd.choice(DAYS),
        pct=rnd.choice([10, 15, 20, 25, 30, 40, 50]),
        amount=rnd.choice([49, 75, 99]),
        code=rnd.choice(["TRAIL20", "SUMMIT15", "PEAK", "{promo_code}"]),
        slug=rnd.choice(SLUGS),
        short=rnd.choice(["3xYz9Q", "sumMIT", "a1b2c3"]),
    )


def _typeset(sentence: str, dash: str) -> str:
    """Copy pasted from a word processor: curly quotes, real dashes and ellipses."""
    sentence = sentence.replace(" - ", f" {dash} ").replace("'", "’").replace("...", "…")
    return sentence.replace("Heads up:", "“Heads up”:")


def _decorate(sentences: list[str], rnd: random.Random) -> list[str]:
    pool = JOINED_EMOJI if rnd.random() < 0.3 else SIMPLE_EMOJI
    for _ in range(rnd.choice([1, 1, 2, 3])):
        at = rnd.randrange(len(sentences))
        sentences[at] = f"{sentences[at]} {rnd.choice(pool)}"
    return sentences


def _body(rnd: random.Random, unicode: bool) -> tuple[list[str], int]:
    """Sentences, and the index of the one offer every message keeps."""
    sentences = []
    if rnd.random() < 0.7:
        sentences.append(_fill(rnd.choice(OPENERS), rnd))
    if rnd.random() < 0.12:
        sentences.append(rnd.choice(SHOUTS))
    offer = len(sentences)
    sentences.append(_fill(rnd.choice(OFFERS), rnd))
    if rnd.random() < 0.06:
        sentences.append(rnd.choice(URGENT))
    if unicode and rnd.random() < 0.15:
        sentences.append(_fill(rnd.choice(SPANISH), rnd))
    return sentences, offer


def _compose(head: str, sentences: list[str], tail: list[str]) -> str:
    return head + " ".join(sentences + tail)


def _segments(head: str, sentences: list[str], tail: list[str]) -> int:
    return analyze(_compose(head, sentences, tail)).segments


def _trim(head: str, sentences: list[str], offer: int, tail: list[str], limit: int) -> None:
    """Drop optional sentences, then the link, until the message fits ``limit`` segments."""
    while _segments(head, sentences, tail) > limit and len(sentences) > 1:
        del sentences[-1 if offer < len(sentences) - 1 else offer - 1]
        offer = min(offer, len(sentences) - 1)
    while _segments(head, sentences, tail) > limit and tail:
        tail.pop(0)


def make_text(rnd: random.Random) -> str:
    """One message of 1 to 3 segments (the drawn target unless its core copy is longer)."""
    target = rnd.choices([1, 2, 3], weights=[50, 35, 15])[0]
    unicode = rnd.random() < 0.4
    typeset = unicode and rnd.random() < 0.5
    dash = rnd.choice(["\u2014", "\u2013"])
    head = rnd.choice(BRAND_PREFIXES) if rnd.random() < 0.8 else ""
    sentences, offer = _body(rnd, unicode)
    tail = [_fill(rnd.choice(LINKS), rnd)] if rnd.random() < 0.85 else []
    tail += [rnd.choice(OPT_OUTS)] if rnd.random() < 0.75 else []
    _trim(head, sentences, offer, tail, target)
    if unicode:
        sentences = _decorate(sentences, rnd)
    if typeset:
        sentences = [_typeset(sentence, dash) for sentence in sentences]
        sentences += ["More soon\u2026"] if rnd.random() < 0.3 else []
    for extra in rnd.sample(DETAILS, len(DETAILS)):
        if _segments(head, sentences, tail) >= target:
            break
        extra = _fill(extra, rnd)
        longer = [*sentences, _typeset(extra, dash) if typeset else extra]
        if _segments(head, longer, tail) <= target:
            sentences = longer
    _trim(head, sentences, offer, tail, 3)
    return _compose(head, sentences, tail)


def make_corpus(n: int = 5000, seed: int = 7) -> list[str]:
    """``n`` realistic marketing texts, identical for identical (n, seed)."""
    rnd = random.Random(seed)
    return [make_text(rnd) for _ in range(n)]


if __name__ == "__main__":
    for sample in make_corpus(12):
        print(repr(sample))


def pin_to_one_core() -> str:
    """Pin to one CPU so a texts/s number means "one core" even where threads could help."""
    import os

    if not hasattr(os, "sched_setaffinity"):
        return "not pinned"
    cpu = min(os.sched_getaffinity(0))
    os.sched_setaffinity(0, {cpu})
    return f"cpu {cpu}"
