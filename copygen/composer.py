"""The offline composer: builds variants from the brand's own material when no model is
configured. Deterministic, honest about what it is, and checked like any other variant.

Pure: it takes the retrieved passages and the limits, and a ``fits`` callback the caller
backs with brandguard, so it can pick the longest body that stays within the segment limit.
It never invents facts about the brand (no return windows, no prices): frames only say what
any retailer can truthfully say, and the brand's example messages supply the voice.
"""

from __future__ import annotations

import re
import zlib
from collections.abc import Callable
from dataclasses import dataclass

from copygen.prompts import BrandFacts, GenerationSpec, Limits, Passage
from copygen.schemas import DraftVariant

OPT_OUT = "Reply STOP to opt out"


@dataclass(frozen=True)
class Frame:
    angle: str
    tone: str
    bodies: tuple[str, ...]  # longest first; {offer} is replaced by the offer clause or ""


_F = Frame
FRAMES: dict[str, tuple[Frame, ...]] = {
    "cart_abandonment": (
        _F("gentle reminder", "calm, helpful", ("{first_name}, your {product_name} is still in your cart.{offer} Pick up where you left off: {link}", "Your {product_name} is still in your cart.{offer} {link}")),
        _F("help with a decision", "warm, knowledgeable", ("Still deciding on the {product_name}, {first_name}? Our team can help with sizing and fit.{offer} Your cart: {link}", "Still deciding on the {product_name}?{offer} Your cart: {link}")),
        _F("easy checkout", "brief, practical", ("{first_name}, your cart is saved and ready when you are.{offer} Check out in a minute: {link}", "Your cart is saved.{offer} {link}")),
    ),
    "browse_abandonment": (
        _F("picked for you", "warm, curious", ("{first_name}, the {product_name} caught your eye. Take another look when you're ready:{offer} {link}", "Still thinking about the {product_name}?{offer} {link}")),
        _F("product detail", "knowledgeable", ("The {product_name} is trail-tested and built to last, {first_name}. See the details:{offer} {link}", "See the {product_name} details:{offer} {link}")),
        _F("compare options", "helpful", ("Comparing gear, {first_name}? Here's the {product_name} and similar picks side by side:{offer} {link}", "Compare the {product_name} with similar picks:{offer} {link}")),
    ),
    "welcome": (
        _F("thank you", "warm, welcoming", ("Welcome, {first_name}! Thanks for joining our texts. Expect trail tips and new gear, a few times a month.{offer} {link}", "Welcome! Thanks for joining our texts.{offer} {link}")),
        _F("what to expect", "clear, friendly", ("Thanks for signing up, {first_name}. We'll text about new arrivals and gear care, never spam.{offer} Start here: {link}", "Thanks for signing up.{offer} Start here: {link}")),
        _F("first step", "inviting", ("Good to have you, {first_name}. Find gear for your next trip:{offer} {link}", "Find gear for your next trip:{offer} {link}")),
    ),
    "replenishment": (
        _F("timely restock", "practical", ("{first_name}, running low on {product_name}? Reorder in two taps:{offer} {link}", "Running low on {product_name}? Reorder:{offer} {link}")),
        _F("be ready", "calm, helpful", ("Next trip coming up, {first_name}? Restock your {product_name} before you head out:{offer} {link}", "Restock your {product_name}:{offer} {link}")),
    ),
    "post_purchase_cross_sell": (
        _F("goes well with", "knowledgeable", ("{first_name}, pairs well with your recent order: the {product_name}.{offer} Take a look: {link}", "Pairs well with your order: {product_name}.{offer} {link}")),
        _F("complete the kit", "helpful", ("Round out your kit, {first_name}: the {product_name} is a good match for what you bought.{offer} {link}", "Round out your kit with the {product_name}.{offer} {link}")),
    ),
    "win_back": (
        _F("what's new", "warm, low pressure", ("It's been a while, {first_name}. New gear has landed since your last visit.{offer} Have a look: {link}", "New gear has landed since your last visit.{offer} {link}")),
        _F("we saved your picks", "friendly", ("{first_name}, we've kept your favourites in mind. See what's new this season:{offer} {link}", "See what's new this season:{offer} {link}")),
    ),
    "back_in_stock": (
        _F("plain news", "clear", ("Good news, {first_name}: the {product_name} is back in stock.{offer}{urgency} {link}", "The {product_name} is back in stock.{offer} {link}")),
        _F("you asked", "helpful", ("You asked us to tell you, {first_name}: the {product_name} is available again.{offer}{urgency} {link}", "The {product_name} is available again.{offer} {link}")),
    ),
    "price_drop": (
        _F("factual price news", "clear, calm", ("{first_name}, the {product_name} you looked at now costs less.{offer} See the new price: {link}", "The {product_name} now costs less.{offer} {link}")),
        _F("good timing", "friendly", ("Good timing, {first_name}: the price of the {product_name} just dropped.{offer}{urgency} {link}", "The {product_name} price just dropped.{offer} {link}")),
    ),
}

STAGE_OPENERS: dict[str, str] = {
    "first_time_browser": "Questions? Our team is happy to help.",
    "new_customer": "Thanks for your first order.",
    "repeat_buyer": "Thanks for gearing up with us again.",
    "lapsing": "",
    "churned": "",
    "active": "",
}

_INTENT_WORDS = {
    "cart_abandonment": ("cart", "abandon", "checkout"),
    "browse_abandonment": ("browse", "viewed", "looked"),
    "welcome": ("welcome", "joined", "sign"),
    "replenishment": ("replenish", "restock", "reorder", "running low"),
    "post_purchase_cross_sell": ("cross-sell", "cross sell", "pairs", "post-purchase"),
    "win_back": ("win-back", "win back", "missed", "while"),
    "back_in_stock": ("back in stock", "restocked", "available again"),
    "price_drop": ("price drop", "price", "costs less"),
}


def compose(
    spec: GenerationSpec, passages: list[Passage], brand: BrandFacts, limits: Limits,
    *, fits: Callable[[str], bool], offer_clause: str = "",
) -> list[DraftVariant]:
    """N variants: the brand's own examples for this intent first, then frames by angle."""
    prefix = f"{brand.sender_name}: "
    cite_identity = _cite(passages, (brand.sender_name.lower() + ":", "stop"))
    cite_offer = _cite(passages, ("shipping", "% off", "discount")) if offer_clause else []
    candidates: list[DraftVariant] = []
    for passage, example in _examples_for(spec.intent, passages, brand.sender_name):
        body = _adapt_example(example, prefix, offer_clause, limits)
        text = _finish(prefix, body, fits)
        if text:
            candidates.append(_draft(text, "brand example", "brand voice", offer_clause,
                                     [passage.id, *cite_identity, *cite_offer],
                                     f"Adapted from the brand's own {spec.intent_label.lower()} example."))
    voice = _cite(passages, ("voice", "tone"))[:1]
    frames = _rotated(FRAMES.get(spec.intent, ()), spec)
    per_frame = [_frame_texts(f, spec, prefix, offer_clause, limits, fits) for f in frames]
    # Round-robin: every angle's best text first, then their alternates, so a small N
    # still spans the angles.
    for round_ in range(max((len(t) for t in per_frame), default=0)):
        for frame, texts in zip(frames, per_frame, strict=True):
            if round_ < len(texts):
                candidates.append(_draft(texts[round_], frame.angle, frame.tone, offer_clause,
                                         [*voice, *cite_identity, *cite_offer],
                                         f"{frame.angle.capitalize()} for a {spec.stage_label.lower()}."))
    return _dedupe(candidates)[: spec.n]


def _draft(text, angle, tone, offer_clause, cited, rationale) -> DraftVariant:
    cited_unique = list(dict.fromkeys(c for c in cited if c))
    return DraftVariant(text=text, angle=angle, tone=tone,
                        offer_level=offer_clause.strip(" .") or "none",
                        cited_passages=cited_unique, rationale=rationale)


def _frame_texts(frame: Frame, spec: GenerationSpec, prefix: str, offer_clause: str,
                 limits: Limits, fits: Callable[[str], bool]) -> list[str]:
    """Every body of the frame, with and without the stage opener, that fits the limits."""
    opener = STAGE_OPENERS.get(spec.stage, "")
    urgency = " Sizes tend to go quickly." if limits.urgency_max >= 0.5 else ""
    texts = []
    for body in frame.bodies:
        filled = _merge(body, limits).replace("{offer}", offer_clause).replace("{urgency}", urgency)
        for candidate in ([f"{filled} {opener}", filled] if opener else [filled]):
            text = _finish(prefix, candidate.strip(), fits)
            if text and text not in texts:
                texts.append(text)
    return texts


def _merge(body: str, limits: Limits) -> str:
    """Keep merge fields the policy declares; rephrase around the ones it does not."""
    if "first_name" not in limits.merge_fields:
        body = re.sub(r",? \{first_name\}|\{first_name\}, ", "", body)
        body = body.replace("{first_name}", "")
    if "product_name" not in limits.merge_fields:
        body = body.replace("the {product_name}", "it").replace("{product_name}", "your picks")
    if "link" not in limits.merge_fields:
        domain = (limits.allowed_link_domains or ("",))[0]
        body = body.replace("{link}", domain)
    return re.sub(r"\s{2,}", " ", body).strip()


def _finish(prefix: str, body: str, fits: Callable[[str], bool]) -> str | None:
    body = body.strip()
    if body.lower().startswith(prefix.lower()):
        body = body[len(prefix):]
    text = f"{prefix}{body}"
    if OPT_OUT.lower() not in text.lower():
        text = f"{text.rstrip()} {OPT_OUT}"
    return text if fits(text) else None


def _adapt_example(example: str, prefix: str, offer_clause: str, limits: Limits) -> str:
    body = example[len(prefix):] if example.lower().startswith(prefix.lower()) else example
    body = re.sub(r"\s*Reply STOP to (opt out|unsubscribe)\.?", "", body, flags=re.I).strip()
    if offer_clause and not re.search(r"% off|free shipping", body, re.I):
        body = re.sub(r"(\{link\}|https?://\S+)$", lambda m: f"{offer_clause.strip()} {m.group(1)}", body)
    return _merge(body, limits)


def _examples_for(intent: str, passages: list[Passage], sender: str) -> list[tuple[Passage, str]]:
    """Example messages (lines that start with the brand prefix) under a heading about
    this intent, best-scored passage first."""
    words = _INTENT_WORDS.get(intent, ())
    found: list[tuple[Passage, str]] = []
    for passage in passages:
        section = passage.heading.lower()
        for line in passage.text.splitlines():
            stripped = line.strip().lstrip("-*>0123456789. ").strip().strip('"')
            if re.match(r"^#+\s", line.strip()):
                section = line.lower()
                continue
            if stripped.lower().startswith(sender.lower() + ":") and any(w in section for w in words):
                found.append((passage, stripped))
    return found


def _cite(passages: list[Passage], needles: tuple[str, ...]) -> list[str]:
    for passage in passages:
        haystack = (passage.heading + " " + passage.text).lower()
        if any(needle in haystack for needle in needles):
            return [passage.id]
    return []


def _rotated(frames: tuple[Frame, ...], spec: GenerationSpec) -> list[Frame]:
    if not frames:
        return []
    seed = zlib.crc32(f"{spec.intent}|{spec.stage}|{spec.audience_notes}".encode())
    start = seed % len(frames)
    return list(frames[start:] + frames[:start])


def _dedupe(drafts: list[DraftVariant]) -> list[DraftVariant]:
    seen: set[str] = set()
    unique = []
    for draft in drafts:
        key = draft.text.lower()
        if key not in seen:
            seen.add(key)
            unique.append(draft)
    return unique
