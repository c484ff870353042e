"""Behaviour in, steps out: schedule the steps an event starts, end the ones it ends.

Everything runs in the caller's transaction (record_event's), under the person's contact
row lock, so two events of one person never interleave, an exit is in the same commit as
the event that caused it, and the opt-out path (which holds the same lock) never races a
step being scheduled.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import Q

from brandguard.models import Brand
from delivery import journeys
from delivery.models import Contact, Event, Journey, JourneyStep, Send
from delivery.selectors import SUPPRESSIBLE_INTENTS, SUPPRESSION_LOOKBACK
from delivery.services.journeys import stages
from delivery.services.journeys.context import BrandContext
from delivery.services.journeys.timing import personal_due
from delivery.services.sending import cancel_send

PERSON_LOOKBACK = timedelta(days=1)  # the longest person-journey lookback worth reading


def happened(event: Event) -> journeys.Happened:
    return _happened(event.type, event.occurred_at, event.event_id, event.data)


def _happened(type: str, occurred_at: datetime, event_id: str, data: dict) -> journeys.Happened:
    product = data.get("product") or {}
    order = data.get("order") or {}
    return journeys.Happened(
        type=type, occurred_at=occurred_at, event_id=event_id,
        product_id=str(product.get("id", "")), category=str(product.get("category") or ""),
        item_ids=frozenset(str(i["id"]) for i in order.get("items", ())))


def person_history(contact: Contact, *, since: datetime) -> list[journeys.Happened]:
    rows = (Event.objects.filter(contact=contact, occurred_at__gte=since)
            .exclude(type__in=[Event.Type.CLICKED, Event.Type.CONVERTED])
            .values_list("type", "occurred_at", "event_id", "data"))
    return [_happened(*row) for row in rows]


def on_behaviour_event(event: Event, *, now: datetime, ctx: BrandContext | None = None,
                       contact: Contact | None = None) -> None:
    """Move the stage, end what the event ends, start what it starts (record_event calls
    this inside its transaction, once per new event). `ctx`: the brand's journeys and
    settings, shared by a batch; `contact`: the person's row if the caller locked it."""
    ctx = ctx or BrandContext.load(event.brand, now=now)
    if event.type in ("back_in_stock", "price_dropped"):
        _fan_out(event, now=now, ctx=ctx)
        return
    if event.contact_id is None:
        return  # nobody we may text: the event is kept for when they register
    if contact is None:
        contact = Contact.objects.select_for_update().select_related("brand").get(
            pk=event.contact_id)
    if event.type == Event.Type.PURCHASED:
        stages.refresh_stage(contact, now=now, event=event, thresholds=ctx.thresholds)
    this = happened(event)
    history = [h for h in person_history(contact, since=event.occurred_at - PERSON_LOOKBACK)
               if h.event_id != event.event_id]
    end_for_event(contact, this, now=now)
    order = event.data.get("order") or {}
    for start in journeys.starts_for(this, history, ctx.rules, product=event.data.get("product"),
                                     items=order.get("items", ())):
        schedule(contact, ctx.by_intent[start.intent], start, event, now=now, ctx=ctx)


def end_for_event(contact: Contact, this: journeys.Happened, *, now: datetime) -> int:
    """End the person's steps (and their pending sends) this event ends, judged by when it
    happened. A purchase also cancels, at once, any pending cart or browse send decided
    through the API (whatever asked for it), as the sender's own re-check would."""
    ended = journeys.ended_by(this)
    count = 0
    if ended:
        for step in _open_steps(contact).filter(intent__in=list(ended),
                                                trigger_at__lte=this.occurred_at):
            product_id = str(step.merge.get("product_id", ""))
            reason = journeys.exit_reason(step.intent, step.trigger_at, [this],
                                          product_id=product_id)
            if reason is not None:
                count += end_step(step, reason=reason, now=now,
                                  detail=f"{this.type} {this.event_id} at "
                                         f"{this.occurred_at:%Y-%m-%d %H:%M}")
    if this.type == Event.Type.PURCHASED:
        count += _cancel_suppressed_sends(contact, this, now=now)
    return count


def _cancel_suppressed_sends(contact: Contact, purchase: journeys.Happened, *, now: datetime
                             ) -> int:
    # The same rule as delivery.selectors' suppression: a purchase at or after the decision
    # (less the lookback) makes a cart or browse nudge pointless.
    sends = Send.objects.filter(
        contact=contact, status=Send.Status.PENDING, subject__in=list(SUPPRESSIBLE_INTENTS),
        decision__created_at__lte=purchase.occurred_at + SUPPRESSION_LOOKBACK)
    detail = f"purchased ({purchase.event_id}) at {purchase.occurred_at:%Y-%m-%d %H:%M}"
    canceled = 0
    for send in sends:
        canceled += cancel_send(send, reason=send_reason(journeys.EXIT_PURCHASE),
                                detail=detail, now=now)
        JourneyStep.objects.filter(decision_id=send.decision_id).update(
            reason=journeys.EXIT_PURCHASE, detail=detail[:500])
    return canceled


def send_reason(exit_reason: str) -> str:
    """The code a canceled send carries for a journey exit (EXIT_PURCHASE, EXIT_OPT_OUT…)."""
    return f"EXIT_{exit_reason.upper()}"


def _open_steps(contact: Contact):
    """Steps that can still end: pending, or fired with their send still waiting."""
    return JourneyStep.objects.select_for_update(of=("self",)).filter(
        Q(status=JourneyStep.Status.PENDING)
        | Q(status=JourneyStep.Status.FIRED, decision__send__status=Send.Status.PENDING),
        contact=contact)


def end_step(step: JourneyStep, *, reason: str, now: datetime, detail: str = "") -> int:
    """End one step for `reason`: a pending step is canceled; a fired one's waiting send
    is canceled with the same reason. Returns 1 if something was stopped."""
    if step.status == JourneyStep.Status.PENDING:
        return JourneyStep.objects.filter(pk=step.pk, status=JourneyStep.Status.PENDING).update(
            status=JourneyStep.Status.CANCELED, reason=reason, detail=detail[:500],
            finished_at=now)
    send = (Send.objects.filter(decision_id=step.decision_id).first()
            if step.decision_id is not None else None)
    if send is None or not cancel_send(send, reason=send_reason(reason), detail=detail, now=now):
        return 0
    JourneyStep.objects.filter(pk=step.pk).update(reason=reason, detail=detail[:500])
    return 1


def exit_journeys(contact: Contact, *, reason: str, now: datetime, detail: str = "") -> int:
    """End every journey of the person at once (an opt-out, consent ended)."""
    with transaction.atomic():
        return sum(end_step(step, reason=reason, now=now, detail=detail)
                   for step in _open_steps(contact))


def schedule(contact: Contact, journey: Journey, start: journeys.Start, event: Event, *,
             now: datetime, ctx: BrandContext | None = None) -> JourneyStep:
    """Write the step a start asks for: past its freshness it is stored expired; a pending
    step with the same key moves to the later trigger (a second cart add restarts the
    wait); a competing journey of higher priority wins (the loser is stored canceled,
    `superseded`, so the studio shows why nothing went out)."""
    ctx = ctx or BrandContext.load(contact.brand, now=now)
    merge = step_merge(contact, start.product, event)
    pending = list(JourneyStep.objects.select_for_update().filter(
        contact=contact, status=JourneyStep.Status.PENDING))
    existing = next((p for p in pending if p.key == start.key), None)
    if existing is not None:
        if start.trigger_at > existing.trigger_at:
            existing.trigger_at, existing.trigger_event = start.trigger_at, event
            existing.due_at = personal_due(contact, start, now=now, ctx=ctx)
            existing.expires_at, existing.merge = start.expires_at, merge
            existing.save(update_fields=["trigger_at", "trigger_event", "due_at",
                                         "expires_at", "merge"])
        return existing
    step = JourneyStep(brand_id=contact.brand_id, journey=journey, contact=contact,
                       intent=start.intent, key=start.key, trigger_event=event,
                       trigger_at=start.trigger_at, due_at=start.due_at,
                       expires_at=start.expires_at, merge=merge, created_at=now)
    if now > start.expires_at:
        return _stored_ended(step, JourneyStep.Status.EXPIRED, journeys.EXIT_EXPIRED,
                             "the event arrived after the journey's freshness window", now)
    step.due_at = personal_due(contact, start, now=now, ctx=ctx)
    winner, beaten = journeys.superseded(
        start, [journeys.Pending(p.pk, p.intent, p.due_at, p.expires_at) for p in pending],
        ctx.rules)
    if winner is not None:
        return _stored_ended(step, JourneyStep.Status.CANCELED, journeys.EXIT_SUPERSEDED,
                             f"a {winner} step for the same time has priority", now)
    for loser in (p for p in pending if p.pk in beaten):
        end_step(loser, reason=journeys.EXIT_SUPERSEDED, now=now,
                 detail=f"a newer {start.intent} step has priority")
    step.save()
    return step


def _stored_ended(step: JourneyStep, status: str, reason: str, detail: str, now: datetime
                  ) -> JourneyStep:
    step.status, step.reason, step.detail, step.finished_at = status, reason, detail, now
    step.save()
    return step


def step_merge(contact: Contact, product: dict, event: Event) -> dict:
    """Merge values from the event: the product's name and a link to it (or to the cart),
    which rendering turns into a first-party short link; the person's own string
    attributes (first_name…) fill the rest."""
    merge = {k: v for k, v in (contact.attributes or {}).items()
             if isinstance(v, str) and k.isidentifier() and len(k) <= 40}
    product = dict(product or {})
    if product.get("id") and not product.get("name"):
        product = {**_known_product(contact.brand_id, str(product["id"])), **product}
    if product.get("name"):
        merge["product_name"] = product["name"]
    if product.get("id"):
        merge["product_id"] = str(product["id"])
    if product.get("price") is not None:
        merge["price"] = f"${product['price']:,.2f}"
    link = event.data.get("cart_url") or product.get("url") or _home(contact.brand)
    if link:
        merge["link"] = link
    return merge


def _known_product(brand_id: int, product_id: str) -> dict:
    """An order names items by id only: the product as the brand last described it."""
    seen = (Event.objects.filter(brand_id=brand_id, data__product__id=product_id)
            .order_by("-occurred_at").values_list("data", flat=True).first())
    return dict(seen["product"]) if seen else {}


def _home(brand: Brand) -> str:
    # Welcome, cross-sell and win-back have no product of their own: the shop's front page.
    return f"https://{brand.website_domain}/" if brand.website_domain else ""


def _fan_out(event: Event, *, now: datetime, ctx: BrandContext) -> None:
    """Back in stock / price dropped: a step for each person who viewed the product within
    the journey's lookback before the news (and has not bought it since)."""
    intent = journeys.BACK_IN_STOCK if event.type == "back_in_stock" else journeys.PRICE_DROP
    rule = ctx.rules[intent]
    if not rule.enabled:
        return
    product = event.data["product"]
    viewers = (Event.objects.filter(
        brand_id=event.brand_id, type=Event.Type.PRODUCT_VIEWED, contact__isnull=False,
        data__product__id=product["id"], occurred_at__lte=event.occurred_at,
        occurred_at__gte=event.occurred_at - rule.lookback)
        .values_list("contact_id", flat=True).distinct())
    bought = set(Event.objects.filter(
        brand_id=event.brand_id, type=Event.Type.PURCHASED, contact_id__in=viewers,
        occurred_at__gte=event.occurred_at - rule.lookback,
        data__order__items__contains=[{"id": product["id"]}]).values_list("contact_id",
                                                                          flat=True))
    start = journeys.news_start(ctx.rules, intent, happened(event), product)
    for contact in (Contact.objects.select_for_update().select_related("brand")
                    .filter(pk__in=set(viewers) - bought, opted_out=False).order_by("pk")):
        schedule(contact, ctx.by_intent[intent], start, event, now=now, ctx=ctx)


def update_journey(journey: Journey, *, enabled: bool, wait_minutes: int,
                   freshness_minutes: int, priority: int, lookback_minutes: int) -> Journey:
    """A brand manager's settings for one journey. Steps already scheduled keep their times;
    a journey turned off cancels its pending steps when they come due (`disabled`)."""
    journey.enabled, journey.wait_minutes = enabled, wait_minutes
    journey.freshness_minutes, journey.priority = freshness_minutes, priority
    journey.lookback_minutes = lookback_minutes
    journey.save()
    return journey
