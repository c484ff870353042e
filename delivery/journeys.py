"""Journeys: which behaviour starts a text, how long it waits, and what ends it. Pure: no
Django, no I/O; every rule takes the events it judges and the clock from its caller.

One journey per intent (`copygen.taxonomy.Intent`). Each has a wait (from the triggering
event to the step's due time), a freshness window (how long after its due time a step is
still worth sending; past it the step expires unsent), a priority (when two journeys would
text the same person at the same time, the higher one wins) and a lookback (how far back
it looks for the behaviour it needs).

| journey                   | starts on                                      | default wait |
|---------------------------|------------------------------------------------|--------------|
| cart_abandonment          | added_to_cart / checkout_started               | 60 min       |
| browse_abandonment        | the same product or category viewed twice within the lookback (1 h), no cart | 60 min |
| welcome                   | subscribed (fires once consent is effective)   | 0            |
| post_purchase_cross_sell  | purchased                                      | 3 days       |
| replenishment             | purchased, an item with a reorder interval     | the item's interval |
| win_back                  | purchased (re-armed by every purchase)         | 60 days      |
| back_in_stock / price_drop| the product news, for each person who viewed the product in the lookback (30 days) | 0 |

Exits, judged by when things happened (a late event is placed at its own time):
a purchase at or after a step's trigger ends cart, browse and win-back steps (and a
replenishment of a product bought again); a cart ends browse steps; an opt-out or ended
consent ends every step; a newer journey of higher priority whose window overlaps ends
the lower one (`superseded`).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

CART = "cart_abandonment"
BROWSE = "browse_abandonment"
WELCOME = "welcome"
CROSS_SELL = "post_purchase_cross_sell"
REPLENISHMENT = "replenishment"
WIN_BACK = "win_back"
BACK_IN_STOCK = "back_in_stock"
PRICE_DROP = "price_drop"

# Exit reasons: stable codes, stored on the step and on any send it cancels.
EXIT_PURCHASE = "purchase"
EXIT_ADDED_TO_CART = "added_to_cart"
EXIT_OPT_OUT = "opt_out"
EXIT_CONSENT_ENDED = "consent_ended"
EXIT_SUPERSEDED = "superseded"
EXIT_EXPIRED = "expired"
EXIT_DISABLED = "disabled"
EXIT_REASONS = (EXIT_PURCHASE, EXIT_ADDED_TO_CART, EXIT_OPT_OUT, EXIT_CONSENT_ENDED,
                EXIT_SUPERSEDED, EXIT_EXPIRED, EXIT_DISABLED)

MINUTE = timedelta(minutes=1)
DAY = timedelta(days=1)


@dataclass(frozen=True, slots=True)
class Rule:
    intent: str
    wait: timedelta
    freshness: timedelta
    priority: int
    lookback: timedelta = DAY
    enabled: bool = True


DEFAULT_RULES: dict[str, Rule] = {r.intent: r for r in (
    # A cart reminder is worth sending the same evening, not tomorrow.
    Rule(CART, wait=60 * MINUTE, freshness=4 * 60 * MINUTE, priority=100),
    Rule(WELCOME, wait=0 * MINUTE, freshness=2 * DAY, priority=90),
    Rule(BROWSE, wait=60 * MINUTE, freshness=6 * 60 * MINUTE, priority=70,
         lookback=60 * MINUTE),
    Rule(BACK_IN_STOCK, wait=0 * MINUTE, freshness=DAY, priority=60, lookback=30 * DAY),
    Rule(PRICE_DROP, wait=0 * MINUTE, freshness=DAY, priority=60, lookback=30 * DAY),
    Rule(REPLENISHMENT, wait=30 * DAY, freshness=3 * DAY, priority=50),
    Rule(CROSS_SELL, wait=3 * DAY, freshness=2 * DAY, priority=40),
    Rule(WIN_BACK, wait=60 * DAY, freshness=7 * DAY, priority=20),
)}


@dataclass(frozen=True, slots=True)
class Happened:
    """One behaviour event of the person, as the rules need it."""

    type: str
    occurred_at: datetime
    event_id: str = ""
    product_id: str = ""
    category: str = ""
    item_ids: frozenset[str] = frozenset()


@dataclass(frozen=True, slots=True)
class Start:
    """A step to schedule: `key` makes a journey's step for the same thing unique per
    person (a second cart add moves the pending cart step instead of adding one)."""

    intent: str
    trigger_at: datetime
    due_at: datetime
    expires_at: datetime
    key: str
    product: dict = field(default_factory=dict)


def starts_for(event: Happened, history: Sequence[Happened], rules: dict[str, Rule],
               *, product: dict | None = None, items: Iterable[dict] = ()) -> list[Start]:
    """The steps this person's event starts. `history`: their other behaviour events
    (before and after it: late events are placed at their time)."""
    product = product or {}
    candidates: list[Start] = []
    t = event.occurred_at
    if event.type in ("added_to_cart", "checkout_started"):
        candidates.append(_start(rules, CART, t, "cart", product))
    elif event.type == "product_viewed" and _viewed_twice(event, history, rules[BROWSE]):
        candidates.append(_start(rules, BROWSE, t, "browse", product))
    elif event.type == "subscribed":
        candidates.append(_start(rules, WELCOME, t, "welcome", product))
    elif event.type == "purchased":
        candidates.append(_start(rules, CROSS_SELL, t, f"cross_sell:{event.event_id}", product))
        candidates.append(_start(rules, WIN_BACK, t, "win_back", product))
        candidates.extend(_replenishments(rules, event, items))
    return [s for s in candidates
            if rules[s.intent].enabled and exit_reason(s.intent, s.trigger_at, history,
                                                       product_id=s.product.get("id", "")) is None]


def news_start(rules: dict[str, Rule], intent: str, event: Happened, product: dict) -> Start:
    """A back-in-stock or price-drop step for one person who viewed the product."""
    return _start(rules, intent, event.occurred_at, f"{intent}:{event.event_id}", product)


def _start(rules: dict[str, Rule], intent: str, trigger_at: datetime, key: str,
           product: dict, wait: timedelta | None = None) -> Start:
    rule = rules[intent]
    due = trigger_at + (rule.wait if wait is None else wait)
    return Start(intent, trigger_at, due, due + rule.freshness, key, product)


def _viewed_twice(event: Happened, history: Sequence[Happened], rule: Rule) -> bool:
    """The same product or category viewed at least twice within the lookback around this
    view, and no cart in that time (a cart has its own journey)."""
    near = [h for h in history if abs(h.occurred_at - event.occurred_at) <= rule.lookback
            and h.event_id != event.event_id]
    if any(h.type in ("added_to_cart", "checkout_started") for h in near):
        return False
    return any(h.type == "product_viewed" and (
        h.product_id == event.product_id
        or (event.category and h.category == event.category)) for h in near)


def _replenishments(rules: dict[str, Rule], event: Happened, items: Iterable[dict]
                    ) -> list[Start]:
    starts = []
    for item in items:
        days = item.get("reorder_days")
        if days:
            starts.append(_start(rules, REPLENISHMENT, event.occurred_at,
                                 f"replenishment:{item['id']}", {"id": item["id"]},
                                 wait=timedelta(days=int(days))))
    return starts


def exit_reason(intent: str, trigger_at: datetime, history: Iterable[Happened], *,
                product_id: str = "") -> str | None:
    """Why a step of `intent` triggered at `trigger_at` should not (or no longer) go out,
    given the person's behaviour events, or None. Judged by when things happened."""
    for h in history:
        if h.occurred_at < trigger_at:
            continue
        if h.type == "purchased" and intent in (CART, BROWSE, WIN_BACK):
            if not (intent == WIN_BACK and h.occurred_at == trigger_at):
                return EXIT_PURCHASE
        if h.type == "purchased" and intent == REPLENISHMENT and product_id in h.item_ids \
                and h.occurred_at > trigger_at:
            return EXIT_PURCHASE
        if h.type in ("added_to_cart", "checkout_started") and intent == BROWSE:
            return EXIT_ADDED_TO_CART
    return None


def ended_by(event: Happened) -> dict[str, str]:
    """Journeys a new event ends for its person, intent -> reason (steps triggered at or
    before the event's time; `exit_reason` says which exactly)."""
    if event.type == "purchased":
        return {CART: EXIT_PURCHASE, BROWSE: EXIT_PURCHASE, WIN_BACK: EXIT_PURCHASE,
                REPLENISHMENT: EXIT_PURCHASE}
    if event.type in ("added_to_cart", "checkout_started"):
        return {BROWSE: EXIT_ADDED_TO_CART}
    return {}


@dataclass(frozen=True, slots=True)
class Pending:
    """A step already scheduled (or sent and waiting), as the priority rule needs it."""

    id: int
    intent: str
    due_at: datetime
    expires_at: datetime


def competes(a_due: datetime, a_expires: datetime, b: Pending) -> bool:
    """Two steps compete when their windows overlap: they would text the person at about
    the same time."""
    return a_due <= b.expires_at and b.due_at <= a_expires


def superseded(start: Start, pending: Sequence[Pending], rules: dict[str, Rule]
               ) -> tuple[str | None, list[int]]:
    """The priority rule: (the intent that beats the new start, if any; the ids of pending
    steps of other journeys it beats). Equal priority: the newer one wins."""
    mine = rules[start.intent].priority
    rivals = [p for p in pending if p.intent != start.intent
              and competes(start.due_at, start.expires_at, p)]
    stronger = [p for p in rivals if rules[p.intent].priority > mine]
    if stronger:
        return max(stronger, key=lambda p: rules[p.intent].priority).intent, []
    return None, [p.id for p in rivals]


def with_settings(rule: Rule, *, wait_minutes: int, freshness_minutes: int, priority: int,
                  lookback_minutes: int, enabled: bool) -> Rule:
    return replace(rule, wait=wait_minutes * MINUTE, freshness=freshness_minutes * MINUTE,
                   priority=priority, lookback=lookback_minutes * MINUTE, enabled=enabled)
