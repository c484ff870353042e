"""The offline composer: writes variants from the brand's own material when no model is
configured. Deterministic for a given seed, honest about what it is, and checked like any
other variant.

It composes rather than copies. A phrase bank is built from two sources:
- the brand's example messages for the intent (in the retrieved guideline passages), cut
  into openers, value lines and calls to action, with every offer they mention removed;
- fixed intent × stage frames (``FRAMES``, ``STAGE_LINES``) that only say what any retailer
  can truthfully say: no return windows, no prices, no invented deadlines.
Each variant is assembled from one angle's parts, plus the request's offer (only that offer,
never one taken from an example), a reassurance line for the stage, an opener built from
the audience notes' topic when the notes name one, and the merge fields the policy declares.
A variant that still repeats an example word for word is flagged ``example_reused``.

Pure: no Django, no I/O. The caller passes a ``fits`` callback backed by brandguard, so the
composer keeps the fullest version of each text that passes within the segment limit.
"""

from __future__ import annotations

import random
import re
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from copygen.prompts import BrandFacts, GenerationSpec, Limits, Passage
from copygen.schemas import DraftVariant

OPT_OUT = "Reply STOP to opt out"
EXAMPLE_REUSED = "example reused"
# Combinations tried per angle: enough for 20 distinct texts, bounded so a request costs a
# few hundred brandguard checks at most.
_COMBOS_PER_ANGLE = 24


@dataclass(frozen=True)
class Angle:
    name: str
    tone: str
    openers: tuple[str, ...]
    values: tuple[str, ...] = ()
    ctas: tuple[str, ...] = ()  # each ends with ":" and is followed by {link}
    cited: tuple[str, ...] = ()  # passage ids the parts came from


@dataclass(frozen=True)
class Offer:
    kind: str = "none"  # none | free_shipping | percent_off
    percent: int | None = None

    @property
    def level(self) -> str:
        if self.kind == "free_shipping":
            return "free shipping"
        if self.kind == "percent_off":
            return f"{self.percent}% off"
        return "none"


@dataclass(frozen=True)
class Composed:
    draft: DraftVariant
    example_reused: bool = False


_A = Angle
FRAMES: dict[str, tuple[Angle, ...]] = {
    "cart_abandonment": (
        _A("gentle reminder", "calm, helpful",
           ("Your {product_name} is still in your cart.", "{first_name}, you left something in your cart."),
           ("Everything is saved just as you left it.",),
           ("Pick up where you left off:", "Your cart:")),
        _A("help with a decision", "warm, knowledgeable",
           ("Still deciding on the {product_name}?", "Still deciding, {first_name}?"),
           ("Our team can help with sizing and fit.", "Reviews and specs are a tap away."),
           ("See the details:", "Your cart:")),
        _A("easy checkout", "brief, practical",
           ("{first_name}, your cart is saved.", "Your cart is saved and ready when you are."),
           ("Checkout takes about a minute.",),
           ("Check out here:", "Finish your order:")),
    ),
    "browse_abandonment": (
        _A("picked for you", "warm, curious",
           ("The {product_name} caught your eye?", "{first_name}, still thinking it over?"),
           ("Take another look when you're ready.",),
           ("Take a look:", "See it again:")),
        _A("product detail", "knowledgeable",
           ("Curious about the {product_name}?", "Questions about the {product_name}?"),
           ("Specs, sizes and reviews are all in one place.",),
           ("See the details:", "Read more:")),
        _A("compare options", "helpful",
           ("Comparing options?", "Still comparing, {first_name}?"),
           ("See the {product_name} next to similar picks.",),
           ("Compare them here:", "Side by side:")),
    ),
    "welcome": (
        _A("thank you", "warm, welcoming",
           ("Welcome, {first_name}.", "Welcome, and thanks for joining our texts."),
           ("Expect news and tips a few times a month, never spam.",),
           ("Start here:", "Take a look around:")),
        _A("what to expect", "clear, friendly",
           ("Thanks for signing up.", "Good to have you, {first_name}."),
           ("We'll text about new arrivals and how to get the most from your gear.",),
           ("See what's new:", "Start here:")),
        _A("first step", "inviting",
           ("Good to have you.", "Glad you're here, {first_name}."),
           ("Find what you need for your next trip.",),
           ("Take a look:", "Browse here:")),
    ),
    "replenishment": (
        _A("timely restock", "practical",
           ("Running low on {product_name}?", "Time to restock, {first_name}?"),
           ("Reordering takes a minute.",),
           ("Reorder here:", "Restock here:")),
        _A("be ready", "calm, helpful",
           ("Next trip coming up?", "Heading out soon, {first_name}?"),
           ("Restock your {product_name} before you go.",),
           ("Reorder:", "Take a look:")),
    ),
    "post_purchase_cross_sell": (
        _A("goes well with", "knowledgeable",
           ("The {product_name} pairs well with your recent order.", "Enjoying your new gear, {first_name}?"),
           ("Customers often add the {product_name} next.",),
           ("Take a look:", "See the details:")),
        _A("complete the kit", "helpful",
           ("Round out your kit.", "Round out your kit, {first_name}."),
           ("The {product_name} is a good match for what you bought.",),
           ("See it here:", "Take a look:")),
    ),
    "win_back": (
        _A("what's new", "warm, low pressure",
           ("It's been a while, {first_name}.", "It's been a while."),
           ("New gear has landed since your last visit.",),
           ("Have a look:", "See what's new:")),
        _A("we kept your picks", "friendly",
           ("We've missed you, {first_name}.", "We've missed you."),
           ("A new season is a good reason to look again.",),
           ("See what's new this season:", "Take a look:")),
    ),
    "back_in_stock": (
        _A("plain news", "clear",
           ("Good news: the {product_name} is back in stock.", "Good news, {first_name}: it's back in stock."),
           ("Sizes and colors are listed on the page.",),
           ("See it here:", "Take a look:")),
        _A("you asked", "helpful",
           ("The {product_name} you asked about is available again.", "You asked us to tell you, {first_name}: it's back."),
           ("It's back on the shelf.",),
           ("See sizes and colors:", "Details:")),
    ),
    "price_drop": (
        _A("factual price news", "clear, calm",
           ("The {product_name} you looked at now costs less.", "{first_name}, an item you looked at now costs less."),
           ("The new price is on the page.",),
           ("See the new price:", "Details:")),
        _A("good timing", "friendly",
           ("Price update on the {product_name}.", "Good timing, {first_name}: a price just dropped."),
           ("It's lower than when you last looked.",),
           ("See the details:", "Take a look:")),
    ),
}

# Reassurance by lifecycle stage (the stage descriptions in copygen.taxonomy), and the
# opener lapsing and churned customers get in place of the angle's own.
STAGE_LINES: dict[str, tuple[str, ...]] = {
    "first_time_browser": ("Questions? Our team is happy to help.", "Sizing help and reviews are on the page."),
    "new_customer": ("Thanks for your first order.",),
    "active": (),
    "repeat_buyer": ("Thanks for shopping with us again.",),
    "lapsing": ("No pressure, take your time.",),
    "churned": ("No pressure, take your time.",),
}
STAGE_OPENERS: dict[str, tuple[str, ...]] = {
    "lapsing": ("It's been a while.",),
    "churned": ("It's been a while since your last visit.",),
}

# Audience-note cues: words in the notes that call for an angle of their own.
NOTE_CUES: tuple[tuple[tuple[str, ...], Angle], ...] = (
    (("bargain", "budget", "deal", "deals", "price", "prices", "value", "discount", "coupon",
      "savings", "thrifty", "price-conscious"),
     _A("value for money", "practical", (), ("Good gear at a fair price.",), ("See the price:",))),
    (("beginner", "beginners", "novice", "new to", "first trip", "first-time"),
     _A("help for beginners", "reassuring", (), ("New to it? Our team can help you choose.",),
        ("Start here:",))),
    (("gift", "gifts", "present", "presents", "holiday", "holidays"),
     _A("gift idea", "warm", (), ("Shopping for someone else? It makes a good gift.",),
        ("Take a look:",))),
    (("loyal", "vip", "regular", "regulars", "frequent"),
     _A("recognition", "warm, insider", (), ("Thanks for being a regular.",),
        ("See what's new:",))),
)

# Verbs in the notes that introduce their topic, and the opener each becomes.
_TOPIC_VERBS = (
    ("planning for", "Planning for {}?"), ("planning", "Planning {}?"),
    ("looking at", "Still looking at {}?"), ("looked at", "Still looking at {}?"),
    ("viewed", "Still thinking about {}?"), ("browsing", "Still looking at {}?"),
    ("browsed", "Still looking at {}?"), ("interested in", "Interested in {}?"),
    ("shopping for", "Shopping for {}?"), ("preparing for", "Getting ready for {}?"),
    ("getting ready for", "Getting ready for {}?"), ("heading out for", "Heading out for {}?"),
    ("heading", "Heading {}?"), ("bought", "Enjoying {}?"), ("purchased", "Enjoying {}?"),
    ("into", "Into {}?"), ("fans of", "Into {}?"),
)
_TOPIC_STOP = re.compile(r"\s*(?:[,.;:!?()\[\]]|\s(?:and|but|or|who|which|that|with|from|"
                         r"in the last|last|this|next|before|after|because)\s).*$", re.I | re.S)
_TOPIC_CLEAN = re.compile(r"[^\w '\-]")

# Anything that reads as an offer. An example's sentence that matches is dropped; a finished
# text that matches when the request made no such offer is never returned.
_OFFER_RE = re.compile(
    r"\d+\s*%|percent|\bfree\s+shipping\b|\bships?\s+free\b|\$\s?\d|\bdiscount|\bcoupon|"
    r"\bpromo|\bcode\b|\bsale\b|\bsave\s+\d|\boff\s+your\b", re.I)
_SENTENCE_END = re.compile(r"(?<=[.?!])\s+(?=[A-Z{])")
_FREE_SHIPPING_THRESHOLD = re.compile(r"orders?\s+over\s+\$(\d+(?:\.\d\d)?)", re.I)

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
    *, fits: Callable[[str], bool], offer: Offer | None = None, seed: int = 0,
) -> list[Composed]:
    """Up to ``spec.n`` distinct variants, one angle after another."""
    offer = offer or Offer()
    prefix = f"{brand.sender_name}: "
    examples = _examples_for(spec.intent, passages, brand.sender_name)
    reused = {_key(_merge(_strip(ex, prefix), limits)) for _, ex in examples}
    bank = _example_angle(examples, prefix)
    angles = _angles(spec, bank, seed)
    common = _Common(
        prefix=prefix, limits=limits, fits=fits,
        offer_lines=_offer_lines(offer, passages),
        stage_lines=STAGE_LINES.get(spec.stage, ()),
        stage_openers=STAGE_OPENERS.get(spec.stage, ()),
        topic_opener=_topic_opener(spec.audience_notes),
        offer=offer,
        cite=(_cite(passages, (brand.sender_name.lower() + ":", "stop"))
              + _cite(passages, ("voice", "tone"))[:1]
              + (_cite(passages, ("shipping", "% off", "discount")) if offer.kind != "none" else [])),
    )
    streams = [_texts_for(angle, common, random.Random(f"{seed}|{angle.name}"), lead=i == 0)
               for i, angle in enumerate(angles)]
    chosen: list[tuple[Angle, str]] = []
    seen: set[str] = set()
    held_back: list[tuple[Angle, str]] = []
    # Round-robin over the angles so a small N still spans them; each angle gives its next
    # text that is new and not an example repeated word for word.
    while streams and len(chosen) < spec.n:
        for angle, stream in list(zip(angles, streams, strict=True)):
            text = _next_fresh(stream, seen, reused, held_back, angle, prefix)
            if text is None:
                i = streams.index(stream)
                del streams[i], angles[i]
                continue
            chosen.append((angle, text))
            if len(chosen) == spec.n:
                break
    chosen += held_back[: spec.n - len(chosen)]
    return [_composed(angle, text, spec, common, reused) for angle, text in chosen]


def _next_fresh(stream: Iterator[str], seen: set[str], reused: set[str],
                held_back: list[tuple[Angle, str]], angle: Angle, prefix: str) -> str | None:
    for text in stream:
        key = _key(text)
        if key in seen:
            continue
        seen.add(key)
        if _key(_strip(text, prefix)) in reused:
            held_back.append((angle, text))  # used only if nothing new is left to reach N
            continue
        return text
    return None


@dataclass
class _Common:
    prefix: str
    limits: Limits
    fits: Callable[[str], bool]
    offer_lines: tuple[str, ...]
    stage_lines: tuple[str, ...]
    stage_openers: tuple[str, ...]
    topic_opener: str | None
    offer: Offer
    cite: list[str] = field(default_factory=list)


def _angles(spec: GenerationSpec, bank: Angle | None, seed: int) -> list[Angle]:
    frames = list(FRAMES.get(spec.intent, ()))
    if frames:  # which frame leads depends on the seed; the order after it is fixed
        start = seed % len(frames)
        frames = frames[start:] + frames[:start]
    cued = [cue for words, cue in NOTE_CUES if _mentions(spec.audience_notes, words)]
    fallback_openers = tuple(o for f in frames for o in f.openers)
    fallback_ctas = tuple(c for f in frames for c in f.ctas)
    # A cue angle borrows openers and calls to action from the intent's frames.
    cued = [Angle(c.name, c.tone, fallback_openers, c.values, c.ctas + fallback_ctas) for c in cued]
    angles = cued + frames
    if bank is not None:
        angles.insert(min(1, len(angles)), bank)
    return angles


def _texts_for(angle: Angle, c: _Common, rng: random.Random, *, lead: bool) -> Iterator[str]:
    """Texts for one angle in a seeded order, each the fullest version that fits. In the
    ``lead`` angle the notes' topic and the stage's opener come first; elsewhere they are
    among the openers, so not every variant starts the same way."""
    openers = [*c.stage_openers, *angle.openers] if c.stage_openers else list(angle.openers)
    if c.topic_opener:
        openers.insert(0, c.topic_opener)
    values = list(angle.values) or [""]
    ctas = list(angle.ctas) or ["Take a look:"]
    combos = [(o, v, t) for o in openers for v in values for t in ctas]
    rng.shuffle(combos)
    if lead:
        combos.sort(key=lambda combo: combo[0] not in (c.topic_opener, *c.stage_openers))
    offer_line = c.offer_lines[rng.randrange(len(c.offer_lines))] if c.offer_lines else ""
    stage_line = c.stage_lines[rng.randrange(len(c.stage_lines))] if c.stage_lines else ""
    used: Counter[str] = Counter()
    for _ in range(min(len(combos), _COMBOS_PER_ANGLE)):
        # Next, the combination whose opener, value line and call to action were used
        # least, so a second text from this angle differs in more than its last words.
        best = min(range(len(combos)), key=lambda i: (2 * used[combos[i][0]]
                                                      + used[combos[i][1]] + used[combos[i][2]]))
        opener, value, cta = combos.pop(best)
        text = _fullest(c, opener, value, offer_line, stage_line, cta)
        if text is not None:
            used.update((opener, value, cta))
            yield text


def _fullest(c: _Common, opener: str, value: str, offer_line: str, stage_line: str,
             cta: str) -> str | None:
    """The longest assembly that fits; the offer is never the part dropped."""
    link = "{link}" if "link" in c.limits.merge_fields else (c.limits.allowed_link_domains or ("",))[0]
    tail = f"{cta} {link}".strip() if link else ""
    for with_value, with_stage in ((True, True), (True, False), (False, True), (False, False)):
        parts = (opener, value if with_value else "", offer_line,
                 stage_line if with_stage else "", tail)
        body = _merge(" ".join(p for p in parts if p), c.limits)
        text = f"{c.prefix}{body} {OPT_OUT}"
        if _offers_only(text, c.offer) and c.fits(text):
            return text
    return None


def _offers_only(text: str, offer: Offer) -> bool:
    """No offer in a text that was asked for none, and never another offer than the one
    asked for (an example's "15% off" must not ride along)."""
    if offer.kind == "none":
        return not _OFFER_RE.search(text)
    percents = set(re.findall(r"(\d+)\s*%", text))
    shipping = bool(re.search(r"free\s+shipping|ships?\s+free", text, re.I))
    if offer.kind == "percent_off":
        return percents == {str(offer.percent)} and not shipping
    return shipping and not percents and not re.search(
        r"percent|discount|coupon|promo|\bcode\b", text, re.I)


def _composed(angle: Angle, text: str, spec: GenerationSpec, c: _Common,
              reused: set[str]) -> Composed:
    verbatim = _key(_strip(text, c.prefix)) in reused
    notes = " Shaped by the audience notes." if c.topic_opener and c.topic_opener in text else ""
    if verbatim:
        rationale = (f"Example reused: the brand's own {spec.intent_label.lower()} example, "
                     "word for word; edit it before sending it to people who got it before.")
    else:
        rationale = f"{angle.name.capitalize()} for a {spec.stage_label.lower()}.{notes}"
    cited = list(dict.fromkeys([*angle.cited, *c.cite]))
    return Composed(
        draft=DraftVariant(
            text=text, angle=angle.name,
            tone=angle.tone, offer_level=c.offer.level, cited_passages=cited,
            rationale=rationale[:500],
        ),
        example_reused=verbatim,
    )


# --- the phrase bank from the brand's examples ----------------------------------------

def _example_angle(examples: list[tuple[Passage, str]], prefix: str) -> Angle | None:
    openers: list[str] = []
    values: list[str] = []
    ctas: list[str] = []
    cited: list[str] = []
    for passage, example in examples:
        sentences = [s for s in _SENTENCE_END.split(_strip(example, prefix)) if s]
        if all(_OFFER_RE.search(s) for s in sentences):
            continue
        cited.append(passage.id)
        for i, sentence in enumerate(sentences):
            if _OFFER_RE.search(sentence):
                continue  # the request decides the offer, never an example
            if sentence.endswith("{link}"):
                # "See the details: {link}" is a call to action; a longer lead ("Your cart
                # is saved, ready when you are: {link}") is a statement that led to the link.
                lead = sentence[: -len("{link}")].strip()
                if lead.endswith(":") and len(lead.split()) <= 6:
                    ctas.append(lead)
                    continue
                sentence = lead.rstrip(":").rstrip() + "."
                if len(sentence) < 4:
                    continue
            (openers if i == 0 else values).append(sentence)
    if not openers or not ctas:
        return None
    unique = lambda items: tuple(dict.fromkeys(items))  # noqa: E731
    return Angle("brand voice", "brand voice", unique(openers), unique(values), unique(ctas),
                 tuple(dict.fromkeys(cited)))


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


def _strip(text: str, prefix: str) -> str:
    """The body of a text: no brand prefix, no opt-out line."""
    body = text.strip()
    if body.lower().startswith(prefix.lower()):
        body = body[len(prefix):]
    return re.sub(r"\s*Reply STOP to (opt out|unsubscribe)\.?\s*$", "", body, flags=re.I).strip()


def _key(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip().lower()


# --- offers, notes, merge fields ------------------------------------------------------

def _offer_lines(offer: Offer, passages: list[Passage]) -> tuple[str, ...]:
    if offer.kind == "free_shipping":
        # The brand's own wording states its threshold; without one, the plain promise.
        for passage in passages:
            m = _FREE_SHIPPING_THRESHOLD.search(passage.text)
            if m:
                return (f"Orders over ${m.group(1)} ship free.",
                        f"Free shipping on orders over ${m.group(1)}.")
        return ("Free shipping on this order.",)
    if offer.kind == "percent_off" and offer.percent:
        return (f"Take {offer.percent}% off your next order.",
                f"Here's {offer.percent}% off your next order.")
    return ()


def _mentions(notes: str, words: tuple[str, ...]) -> bool:
    low = f" {notes.lower()} "
    return any(re.search(rf"\b{re.escape(w)}\b", low) for w in words)


def _topic_opener(notes: str) -> str | None:
    """An opener from the product or topic the notes name ("planning a summer trip" →
    "Planning a summer trip?"); None when they name none."""
    text = " ".join(notes.replace("{", " ").replace("}", " ").split())
    low = text.lower()
    best: tuple[int, str, str] | None = None
    for verb, pattern in _TOPIC_VERBS:
        m = re.search(rf"(?<![\w-]){re.escape(verb)}\s+", low)
        if m and (best is None or m.start() < best[0]):
            best = (m.start(), pattern, text[m.end():])
    if best is None:
        return None
    topic = _TOPIC_CLEAN.sub("", _TOPIC_STOP.sub("", " " + best[2])).strip()
    words = topic.split()
    if not words or len(words) > 5 or len(topic) > 40:
        return None
    return best[1].format(topic)


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
    body = re.sub(r"\s{2,}", " ", body).strip()
    return body[:1].upper() + body[1:]


def _cite(passages: list[Passage], needles: tuple[str, ...]) -> list[str]:
    for passage in passages:
        haystack = (passage.heading + " " + passage.text).lower()
        if any(needle in haystack for needle in needles):
            return [passage.id]
    return []
