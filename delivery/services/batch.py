"""decide_batch(): one (intent, stage) for up to 1,000 people, in one read and one write.

Each person gets exactly what decide() would give them: the same parsing, eligibility,
bandit draw, rendering, guard re-check and idempotency rules (the functions are shared,
not copied). Only the I/O is batched: one statement reads every recipient and the pool, one
statement stores every decision with its links, new arms and sends. A recipient's own
problem (a malformed number, a missing merge field, a reused idempotency key) is that item's
error; the others are decided.

Two items for the same person are judged in order: a send the first queues counts against
the caps of the second, as two single calls one after the other would.
"""

from __future__ import annotations

import random
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from functools import partial

from django.db import transaction
from django.utils import timezone

from brandguard.models import Brand
from delivery import phones
from delivery.eligibility import SendRecord
from delivery.models import Decision, DeliverySettings
from delivery.selectors import (
    ContactFacts,
    DecisionInputs,
    Pool,
    decision_inputs_many,
    delivery_settings,
)
from delivery.services.contacts import parse_or_refuse
from delivery.services.decision_rows import insert_decisions
from delivery.services.decisions import (
    _after_store,
    _decision,
    _fingerprint,
    _Plan,
    _plan,
    _replay,
)
from delivery.services.errors import DeliveryError

MAX_BATCH = 1000


@dataclass(frozen=True, slots=True)
class Recipient:
    phone: str
    merge: Mapping[str, str] = field(default_factory=dict)
    idempotency_key: str | None = None


@dataclass(frozen=True, slots=True)
class BatchRequest:
    """Many DecisionRequests that share intent, stage and send (see DecisionRequest)."""

    intent: str
    stage: str
    recipients: Sequence[Recipient]
    send: bool = False
    now: datetime | None = None
    rng: random.Random | None = None


@dataclass
class _Item:
    index: int
    e164: str
    merge: dict
    key: str | None
    fingerprint: str


def decide_batch(brand: Brand, batch: BatchRequest, *,
                 settings: DeliverySettings | None = None) -> list[Decision | DeliveryError]:
    """One answer per recipient, in order: the stored (or replayed) Decision, or the
    DeliveryError that single call would have raised."""
    if len(batch.recipients) > MAX_BATCH:
        raise ValueError(f"at most {MAX_BATCH} recipients per batch")
    now = batch.now or timezone.now()
    settings = settings if settings is not None else delivery_settings(brand)
    results: list[Decision | DeliveryError | None] = [None] * len(batch.recipients)
    items = _parsed(batch, results)
    with transaction.atomic():
        facts, pool = decision_inputs_many(brand, [item.e164 for item in items],
                                           intent=batch.intent, stage=batch.stage, now=now,
                                           lock=batch.send)
        planned = _plan_all(brand, batch, settings, items, facts, pool, now, results)
        _store(brand, batch, planned, now, results)
    return [r for r in results if r is not None]


def _parsed(batch: BatchRequest, results: list) -> list[_Item]:
    items = []
    for index, recipient in enumerate(batch.recipients):
        try:
            # As decide(): a number in E.164 is looked up as given (a contact's number was
            # parsed when registered); anything else must parse, or it is refused.
            e164 = (recipient.phone if phones.is_e164(recipient.phone)
                    else parse_or_refuse(recipient.phone).e164)
        except DeliveryError as error:
            results[index] = error
            continue
        merge = dict(recipient.merge)
        items.append(_Item(index, e164, merge, recipient.idempotency_key,
                           _fingerprint(e164, batch.intent, batch.stage, merge, batch.send)))
    return items


_Planned = tuple[_Item, ContactFacts | None, _Plan, Decision]


def _plan_all(brand: Brand, batch: BatchRequest, settings: DeliverySettings,
              items: list[_Item], facts: list[ContactFacts | None], pool: Pool,
              now: datetime, results: list) -> list[_Planned]:
    queued: dict[int, list[SendRecord]] = defaultdict(list)  # contact id -> sends planned
    planned: list[_Planned] = []
    for item, found in zip(items, facts, strict=True):
        if found is None and phones.is_e164(item.e164):
            try:  # as decide(): an unknown number that does not parse is refused
                item.e164 = parse_or_refuse(item.e164).e164
            except DeliveryError as error:
                results[item.index] = error
                continue
        if found is not None and queued[found.contact.pk]:
            found = replace(found, history=found.history + tuple(queued[found.contact.pk]))
        try:
            plan = _plan(brand, DecisionInputs(found, pool), settings, batch.intent,
                         batch.stage, item.merge, batch.rng, now)
        except DeliveryError as error:
            results[item.index] = _replayed_or(brand, item, error)
            continue
        decision = _decision(brand, DecisionInputs(found, pool), plan, e164=item.e164,
                             intent=batch.intent, stage=batch.stage, merge=item.merge,
                             key=item.key, fingerprint=item.fingerprint, now=now)
        if batch.send and found is not None and plan.status != "deny" and plan.send_at:
            queued[found.contact.pk].append(SendRecord(plan.send_at, batch.intent))
        planned.append((item, found, plan, decision))
    return planned


def _replayed_or(brand: Brand, item: _Item, error: DeliveryError) -> Decision | DeliveryError:
    """A retry gets its stored answer even if the copy changed under it (as decide())."""
    if not item.key:
        return error
    try:
        return _replay(brand, item.key, item.fingerprint) or error
    except DeliveryError as conflict:
        return conflict


def _store(brand: Brand, batch: BatchRequest, planned: list[_Planned], now: datetime,
           results: list) -> None:
    from delivery.services.sending import enqueue_delivery

    links = {code: (decision.id, destination) for _, _, plan, decision in planned
             for code, destination in plan.links.items()}
    new_arms = sorted({arm for _, _, plan, _ in planned for arm in plan.missing_arms})
    stored = insert_decisions([decision for *_, decision in planned], links=links,
                              new_arms=new_arms, send=batch.send)
    for item, found, plan, decision in planned:
        if decision.id not in stored:  # its key is taken: a retry, or a duplicate in the batch
            results[item.index] = _stored_answer(brand, item)
            continue
        results[item.index] = decision
        _after_store(decision, found, plan, send=batch.send, now=now, scheduled=True)
        send_id = stored[decision.id]
        if send_id is not None:
            transaction.on_commit(partial(enqueue_delivery, send_id, decision.send_at))


def _stored_answer(brand: Brand, item: _Item) -> Decision | DeliveryError:
    try:
        existing = _replay(brand, item.key or "", item.fingerprint)
    except DeliveryError as conflict:
        return conflict
    if existing is None:  # only the idempotency key's index can make the insert skip a row
        raise RuntimeError(f"decision insert conflicted without a stored key ({item.key!r})")
    return existing
