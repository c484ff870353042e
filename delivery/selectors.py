"""Reads for delivery: consent, send history, suppression, the bandit pool, API keys."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache
from typing import Any, cast

from django.db import connection

from brandguard.models import Brand, BrandPolicy
from brandguard.policy import Policy
from brandguard.services import current_policy
from copygen.models import Variant
from delivery.eligibility import SAME_SUBJECT_CAP_STATES, ConsentState, SendRecord
from delivery.joined_rows import cache_reverse_one, columns, split_row
from delivery.links import destination_allowed
from delivery.models import (
    ApiKey,
    ConsentEvent,
    Contact,
    Decision,
    DeliverySettings,
    Event,
    Send,
    ShortLink,
)

# "A purchase after the cart event" (docs/domain.md §3): nudges about a cart or a browse
# are pointless, and irritating, once the person bought.
SUPPRESSIBLE_INTENTS = frozenset({"cart_abandonment", "browse_abandonment"})
SUPPRESSION_LOOKBACK = timedelta(hours=24)
# The longest rolling cap window (brand weekly cap); older sends cannot matter.
HISTORY_SPAN = timedelta(days=7)
NOT_DELIVERED = [Send.Status.FAILED.value, Send.Status.UNDELIVERED.value]


def delivery_settings(brand: Brand) -> DeliverySettings:
    """The brand's settings row, or unsaved defaults when it has none yet. Always read
    afresh: a row cached on a long-lived Brand object would be stale after an edit."""
    found = DeliverySettings.objects.filter(brand_id=brand.pk).first()
    return found if found is not None else DeliverySettings(brand=brand)


def request_settings(brand: Brand) -> DeliverySettings:
    """The settings row loaded with `brand` in this request (active_api_key joins it in, so a
    decision saves a round trip). Only for a brand read in the same request: never stale."""
    try:
        found = brand.delivery_settings  # select_related cache; a query if it was not joined
    except DeliverySettings.DoesNotExist:
        found = None
    return found if found is not None else DeliverySettings(brand=brand)


# contact_for_decision runs for every decision and every send, so it is one written-out
# query (through the ORM its subqueries cost about 1 ms of Python per call to compile, more
# than PostgreSQL needs to run them): the contact, its current consent, its send history
# for the caps, whether a text ever went out to them and whether a purchase suppresses the
# intent. Every value is a bound parameter.
_CONTACT_SQL = """
SELECT {columns}, consent.kind, consent.occurred_at, history.at, history.subjects{extra}
FROM delivery_contact c
LEFT JOIN LATERAL (
    SELECT e.kind, e.occurred_at FROM delivery_consentevent e
    WHERE e.contact_id = c.id ORDER BY e.occurred_at DESC, e.id DESC LIMIT 1
) consent ON TRUE
LEFT JOIN LATERAL (
    SELECT array_agg(coalesce(s.sent_at, s.scheduled_for)) AS at,
           array_agg(s.subject) AS subjects
    FROM delivery_send s
    WHERE s.contact_id = c.id AND coalesce(s.sent_at, s.scheduled_for) >= %(history_since)s
      AND s.status <> %(canceled)s AND NOT (s.status = %(failed)s AND s.sent_at IS NULL)
      AND s.id <> %(exclude_send)s{queued}
) history ON TRUE
WHERE c.brand_id = %(brand_id)s AND c.phone = {phone}{lock}"""
# Re-checking a queued send, the sends still waiting behind it in the queue do not count:
# they were decided (and their times set) counting this one at its scheduled time, so this
# one goes first and each of them is judged again, against what really went out, when its
# own time comes. Without this, a text deferred by the cap would push back the very text
# it was deferred for.
_QUEUED_BEFORE_SQL = """
      AND (s.status <> %(pending)s OR (s.scheduled_for, s.id) < (%(queued_at)s, %(exclude_send)s))"""
# "Texted" means a text went out to them (first message: CTIA opt-out instructions): a
# handed-over send the provider did not reject. Sends still waiting do not count; the one
# being re-checked never counts itself.
_TEXTED_SQL = """,
    EXISTS (SELECT 1 FROM delivery_send t WHERE t.contact_id = c.id AND t.id <> %(exclude_send)s
            AND t.sent_at IS NOT NULL AND t.status <> ALL(%(not_delivered)s))"""
_SUPPRESSED_SQL = """,
    EXISTS (SELECT 1 FROM delivery_event p WHERE p.brand_id = c.brand_id AND p.phone = c.phone
            AND p.type = %(purchased)s AND p.occurred_at >= %(suppressed_since)s)"""
# The sender asks, under the same lock, whether the copy it is about to send is still
# approved: read after any wait for the lock, so a text sent back to review meanwhile stops.
_VARIANT_SQL = """,
    EXISTS (SELECT 1 FROM copygen_variant v
            WHERE v.id = %(variant_id)s AND v.status = %(approved)s AND v.is_current)"""
_CONTACT_FIELDS = len(Contact._meta.concrete_fields)


@cache
def _contact_sql(*, lock: bool, suppressible: bool, variant: bool, queued: bool,
                 phone: str = "%(phone)s") -> str:
    return _CONTACT_SQL.format(
        columns=columns(Contact, "c"), phone=phone,
        extra=(_TEXTED_SQL + (_SUPPRESSED_SQL if suppressible else "")
               + (_VARIANT_SQL if variant else "")),
        queued=_QUEUED_BEFORE_SQL if queued else "",
        lock=" FOR UPDATE OF c" if lock else "")


def _contact_query(brand: Brand, phone: str, *, intent: str, since: datetime, now: datetime,
                   lock: bool, exclude_send: int | None, variant_id: int | None = None,
                   queued_at: datetime | None = None) -> tuple[str, dict[str, Any]]:
    suppressible = intent in SUPPRESSIBLE_INTENTS
    params: dict[str, Any] = {
        "exclude_send": exclude_send or 0,  # send ids start at 1: 0 excludes nothing
        "not_delivered": NOT_DELIVERED,
        "history_since": now - HISTORY_SPAN,
        "canceled": Send.Status.CANCELED.value, "failed": Send.Status.FAILED.value,
        "brand_id": brand.pk, "phone": phone,
    }
    if suppressible:
        params |= {"purchased": Event.Type.PURCHASED.value,
                   "suppressed_since": since - SUPPRESSION_LOOKBACK}
    if variant_id is not None:
        params |= {"variant_id": variant_id, "approved": Variant.Status.APPROVED.value}
    queued = queued_at is not None and exclude_send is not None
    if queued:
        params |= {"pending": Send.Status.PENDING.value, "queued_at": queued_at}
    return _contact_sql(lock=lock, suppressible=suppressible, variant=variant_id is not None,
                        queued=queued), params


@dataclass(frozen=True, slots=True)
class ContactFacts:
    """A contact and everything eligibility reads about them, as of one read
    (contact_for_decision or decision_inputs).

    history: every send that reached or may reach the person within the longest cap window,
    scheduled ones included (Fla. Stat. 501.059(8)(a) counts every message); canceled sends
    and provider rejections never left. texted: a text went out to them and was not
    rejected. suppressed: a purchase suppresses this intent (always False for intents that
    are never suppressed). variant_approved: None unless the read named a variant.
    """

    contact: Contact
    consent: ConsentState
    history: tuple[SendRecord, ...]
    texted: bool
    suppressed: bool
    variant_approved: bool | None = None


def consent_from(contact: Contact, kind: str | None, occurred_at: datetime | None
                 ) -> ConsentState:
    """The ConsentState of the latest consent event (`kind`, `occurred_at`), if any."""
    granted = kind == ConsentEvent.Kind.GRANTED
    return ConsentState(granted=granted, granted_at=occurred_at if granted else None,
                        revoked=kind == ConsentEvent.Kind.REVOKED, opted_out=contact.opted_out)


def _facts_from_row(row: tuple, intent: str, *, variant: bool = False) -> ContactFacts | None:
    """The ContactFacts of a _CONTACT_SQL row (None: no such contact)."""
    contact = cast(Contact | None, split_row(row[:_CONTACT_FIELDS], (Contact,))[0])
    if contact is None:
        return None
    kind, consent_at, at, subjects, texted, *rest = row[_CONTACT_FIELDS:]
    suppressed = bool(rest.pop(0)) if intent in SUPPRESSIBLE_INTENTS else False
    return ContactFacts(
        contact=contact, consent=consent_from(contact, kind, consent_at),
        history=tuple(SendRecord(sent_at=a, subject=s)
                      for a, s in zip(at or (), subjects or (), strict=True)),
        texted=bool(texted), suppressed=suppressed,
        variant_approved=bool(rest.pop(0)) if variant else None,
    )


def contact_for_decision(brand: Brand, phone: str, *, intent: str, since: datetime,
                         now: datetime, lock: bool = False, exclude_send: int | None = None,
                         variant_id: int | None = None, queued_at: datetime | None = None,
                         ) -> ContactFacts | None:
    """The contact with everything eligibility reads about them, in one query: current
    consent, send history since `now` minus the longest cap window and whether a text ever
    went out to them (both without `exclude_send`, the send being re-checked), whether a
    purchase since `since` (minus the lookback) suppresses this intent. `lock` takes the
    row lock the sender relies on; with `variant_id`, `variant_approved` says whether that
    copy is still approved and current. With `queued_at` (the re-checked send's scheduled
    time), sends still pending behind it in the queue are left out of the history."""
    sql, params = _contact_query(brand, phone, intent=intent, since=since, now=now,
                                 lock=lock, exclude_send=exclude_send, variant_id=variant_id,
                                 queued_at=queued_at)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        row = cursor.fetchone()  # (brand, phone) is unique: at most one row
    return (None if row is None
            else _facts_from_row(row, intent, variant=variant_id is not None))


def caps_apply(contact: Contact, settings: DeliverySettings) -> bool:
    return bool(settings.daily_cap or settings.weekly_cap
                or contact.us_state in SAME_SUBJECT_CAP_STATES)


@dataclass(frozen=True, slots=True)
class PoolArm:
    variant_id: int
    text: str
    successes: int
    failures: int
    penalties: int
    has_state: bool


@dataclass(frozen=True, slots=True)
class Pool:
    arms: list[PoolArm]
    policy_version: int | None  # the brand's current guard policy (None: none saved yet)


# A decision reads the contact, the pool and the policy version in one round trip and one
# row. The pool: the approved current variants of (brand, intent, stage) with their counts,
# as a JSON array of [id, text, successes, failures, penalties] ordered by id (the same rows
# as Variant.objects.for_pool(): test_only_approved_current_variants_...); the version is
# the key of guard_policy()'s cache.
_DECISION_SQL = """
SELECT c.*,
    (SELECT json_agg(json_build_array(v.id, v.text, a.successes, a.failures, a.penalties)
                     ORDER BY v.id)
     FROM copygen_variant v LEFT JOIN delivery_armstate a ON a.variant_id = v.id
     WHERE v.brand_id = %(brand_id)s AND v.intent = %(intent)s AND v.stage = %(stage)s
       AND v.status = %(approved)s AND v.is_current),
    (SELECT max(bp.version) FROM brandguard_brandpolicy bp WHERE bp.brand_id = %(brand_id)s)
FROM (SELECT 1) AS one LEFT JOIN ({contact}) c ON TRUE"""


_LOCK_CONTACT_SQL = """
SELECT 1 FROM delivery_contact WHERE brand_id = %(brand_id)s AND phone = %(phone)s FOR UPDATE"""


@dataclass(frozen=True, slots=True)
class DecisionInputs:
    facts: ContactFacts | None  # None: no contact with this number at this brand
    pool: Pool


def decision_inputs(brand: Brand, phone: str, *, intent: str, stage: str, now: datetime,
                    lock: bool = False) -> DecisionInputs:
    """The contact as contact_for_decision reads it, and the bandit pool, in one query.
    `lock` first takes the contact's row lock (inside the caller's transaction)."""
    contact_sql, params = _contact_query(brand, phone, intent=intent, since=now, now=now,
                                         lock=False, exclude_send=None)
    with connection.cursor() as cursor:
        if lock:
            # A statement of its own: under READ COMMITTED the read below then takes its
            # snapshot after the wait, and sees the sends the lock's previous holder wrote.
            cursor.execute(_LOCK_CONTACT_SQL, params)
        cursor.execute(_DECISION_SQL.format(contact=contact_sql),
                       params | _pool_params(intent, stage))
        row = cursor.fetchone()
    *contact_row, arms, version = row
    if isinstance(arms, str):  # json arrives as text or parsed, by the driver's set-up
        arms = json.loads(arms)
    return DecisionInputs(_facts_from_row(tuple(contact_row), intent),
                          _pool([(*arm, version) for arm in arms or ()]))


# The batch call reads every recipient and the pool in one statement: the contact read of
# _CONTACT_SQL once per number (a lateral join over the list, in the list's order), the
# pool and the policy version on the first row only.
_BATCH_SQL = """
SELECT p.ord, c.*,
    CASE WHEN p.ord = 1 THEN
    (SELECT json_agg(json_build_array(v.id, v.text, a.successes, a.failures, a.penalties)
                     ORDER BY v.id)
     FROM copygen_variant v LEFT JOIN delivery_armstate a ON a.variant_id = v.id
     WHERE v.brand_id = %(brand_id)s AND v.intent = %(intent)s AND v.stage = %(stage)s
       AND v.status = %(approved)s AND v.is_current) END,
    CASE WHEN p.ord = 1 THEN
    (SELECT max(bp.version) FROM brandguard_brandpolicy bp WHERE bp.brand_id = %(brand_id)s)
    END
FROM unnest(%(phones)s::varchar[]) WITH ORDINALITY AS p(phone, ord)
LEFT JOIN LATERAL ({contact}) c ON TRUE
ORDER BY p.ord"""
# Locks in id order, so two batches naming the same people cannot deadlock.
_LOCK_CONTACTS_SQL = """
SELECT 1 FROM delivery_contact WHERE brand_id = %(brand_id)s AND phone = ANY(%(phones)s)
ORDER BY id FOR UPDATE"""


def decision_inputs_many(brand: Brand, phones: list[str], *, intent: str, stage: str,
                         now: datetime, lock: bool = False
                         ) -> tuple[list[ContactFacts | None], Pool]:
    """decision_inputs for many numbers at once: the facts per number (in order) and the
    pool, in one query. `lock` first takes every found contact's row lock."""
    if not phones:
        return [], _pool([])
    _, params = _contact_query(brand, phones[0], intent=intent, since=now, now=now,
                               lock=False, exclude_send=None)
    params |= {"phones": phones} | _pool_params(intent, stage)
    contact_sql = _contact_sql(lock=False, suppressible=intent in SUPPRESSIBLE_INTENTS,
                               variant=False, queued=False, phone="p.phone")
    with connection.cursor() as cursor:
        if lock:
            cursor.execute(_LOCK_CONTACTS_SQL, params)
        cursor.execute(_BATCH_SQL.format(contact=contact_sql), params)
        rows = cursor.fetchall()
    arms, version = rows[0][-2], rows[0][-1]
    if isinstance(arms, str):
        arms = json.loads(arms)
    facts = [_facts_from_row(tuple(row[1:-2]), intent) for row in rows]
    return facts, _pool([(*arm, version) for arm in arms or ()])


def _pool_params(intent: str, stage: str) -> dict[str, Any]:
    return {"intent": intent, "stage": stage, "approved": Variant.Status.APPROVED.value}


def _pool(rows: list[tuple]) -> Pool:
    arms = [PoolArm(vid, text, s or 0, f or 0, p or 0, has_state=s is not None)
            for vid, text, s, f, p, _ in rows]
    return Pool(arms, rows[0][5] if rows else None)


def hash_api_key(plain: str) -> str:
    return hashlib.sha256(plain.encode("utf-8", "surrogatepass")).hexdigest()


# The brand's delivery settings ride along (LEFT JOIN): every decision needs them. Written
# out for its cost (delivery.joined_rows); key_hash is unique, so at most one row. The API
# reads it with its rate-limit bucket in the same statement (services.ratelimits).
KEY_COLUMNS = f"{columns(ApiKey, 'k')}, {columns(Brand, 'b')}, {columns(DeliverySettings, 'ds')}"
KEY_FROM = """
FROM delivery_apikey k
JOIN brandguard_brand b ON b.id = k.brand_id
LEFT JOIN delivery_deliverysettings ds ON ds.brand_id = b.id"""
KEY_WHERE = """
WHERE k.key_hash = %(key_hash)s AND k.revoked_at IS NULL"""
_KEY_SQL = f"SELECT {KEY_COLUMNS}{KEY_FROM}{KEY_WHERE}"
_KEY_WIDTH = sum(len(m._meta.concrete_fields) for m in (ApiKey, Brand, DeliverySettings))


def active_api_key(plain: str) -> ApiKey | None:
    """The unrevoked key, with its brand and the brand's settings (request_settings)."""
    if not plain or len(plain) > 200:
        return None
    with connection.cursor() as cursor:
        cursor.execute(_KEY_SQL, {"key_hash": hash_api_key(plain)})
        row = cursor.fetchone()
    return None if row is None else key_from_row(row)


def key_from_row(row: tuple) -> ApiKey:
    """The ApiKey (brand and settings attached) of the first KEY_COLUMNS of `row`."""
    # The inner joins guarantee key and brand; only the settings row may be missing.
    key, brand, settings = cast(tuple[ApiKey, Brand, DeliverySettings | None],
                                split_row(row[:_KEY_WIDTH], (ApiKey, Brand, DeliverySettings)))
    key.brand = brand
    cache_reverse_one(brand, "delivery_settings", settings)
    return key


# The sender reads this for every text it claims (delivery.services.sending); written out
# for its cost like _KEY_SQL. Every send has a decision (one-to-one, not null).
_SEND_SQL = f"""
SELECT {columns(Send, "s")}, {columns(Decision, "d")}, {columns(Brand, "b")},
       {columns(DeliverySettings, "ds")}
FROM delivery_send s
JOIN delivery_decision d ON d.id = s.decision_id
JOIN brandguard_brand b ON b.id = s.brand_id
LEFT JOIN delivery_deliverysettings ds ON ds.brand_id = b.id
WHERE s.id = %(send_id)s"""


def send_for_delivery(send_id: int) -> Send | None:
    """The send with its decision, brand and the brand's settings (request_settings)."""
    with connection.cursor() as cursor:
        cursor.execute(_SEND_SQL, {"send_id": send_id})
        row = cursor.fetchone()
    if row is None:
        return None
    send, decision, brand, settings = cast(
        tuple[Send, Decision, Brand, DeliverySettings | None],
        split_row(row, (Send, Decision, Brand, DeliverySettings)))
    send.decision, send.brand = decision, brand
    cache_reverse_one(brand, "delivery_settings", settings)
    return send


def current_guard_policy(brand: Brand) -> tuple[Policy, int | None]:
    """brandguard.services.current_policy without re-reading the brand we already hold."""
    row = BrandPolicy.objects.current_for(brand)
    if row is None:
        return current_policy(brand)
    row.brand = brand
    return row.to_policy(), row.version


# Per process: building a Policy from its JSON on every decision costs more than checking the
# text. Policy versions are immutable rows, but to_policy() also copies three editable brand
# fields, so they are part of the key. Callers must treat the cached Policy as read-only.
_POLICIES: dict[tuple, Policy] = {}
_POLICY_CACHE_LIMIT = 256


def guard_policy_key(brand: Brand, version: int | None) -> tuple | None:
    """What guard_policy(brand, version) depends on: equal keys, equal policies (None: no
    saved policy, the engine's defaults, which are not cached)."""
    if version is None:
        return None
    return (brand.pk, version, brand.sender_name, brand.support_contact, brand.website_domain)


def guard_policy(brand: Brand, version: int | None) -> Policy:
    """The brand's guard Policy at `version` (as read by decision_inputs)."""
    key = guard_policy_key(brand, version)
    if key is None or version is None:
        return current_guard_policy(brand)[0]  # no saved policy: the engine's defaults
    policy = _POLICIES.get(key)
    if policy is None:
        row = BrandPolicy.objects.get(brand_id=brand.pk, version=version)
        row.brand = brand
        policy = row.to_policy()
        if len(_POLICIES) >= _POLICY_CACHE_LIMIT:
            _POLICIES.clear()
        _POLICIES[key] = policy
    return policy


def short_link(code: str) -> ShortLink | None:
    return ShortLink.objects.select_related("brand", "decision").filter(code=code).first()


def short_link_allowed(link: ShortLink) -> bool:
    """Judged again at click time against the brand's current policy: a domain the brand
    has since dropped stops redirecting, and no row stored before the guard existed can
    lead anywhere the brand does not own."""
    policy, _ = current_guard_policy(link.brand)
    return destination_allowed(link.destination,
                               [*policy.allowed_link_domains, policy.website_domain])
# -- GET /api/v1/decisions/{id}: the decision, its send's status, its events --------------------

_SENT_STATUSES = frozenset({"accepted", "queued", "sending", "sent"})
_WAITING_STATUSES = frozenset({"pending", "claimed", "unknown"})
# What a flow's own reports say about a pulled decision's send, strongest first.
_FLOW_REPORTS = ("failed", "delivered", "sent")


@dataclass(frozen=True, slots=True)
class SendState:
    """Where a decision's text is, in the API's words: pending, deferred (with send_at),
    sent, delivered, undelivered, failed or canceled (with the reason); `by` says who sends
    it: the studio (send: true) or the flow that pulled it (from its own reports)."""

    by: str
    status: str
    send_at: datetime | None = None
    sent_at: datetime | None = None
    reason: str | None = None
    detail: str | None = None
    error_code: int | None = None
    provider_status: str | None = None


def api_send_status(status: str, scheduled_for: datetime, *, now: datetime) -> str:
    """A Send's own status in the API's words (the worker's claim and Twilio's hand-over
    steps are internal)."""
    if status in _WAITING_STATUSES:
        return "deferred" if scheduled_for > now else "pending"
    if status in _SENT_STATUSES:
        return "sent"
    return status


def studio_send_state(send: Send, *, now: datetime) -> SendState:
    status, reason, detail = api_send_status(send.status, send.scheduled_for, now=now), None, None
    if status == Send.Status.CANCELED:
        # _cancel stores "REASON: detail" (sending.py); the reason is a stable code.
        reason, _, detail = send.error_message.partition(": ")
    elif status in NOT_DELIVERED:
        detail = send.error_message or None
    return SendState(
        by="studio", status=status, send_at=send.scheduled_for, sent_at=send.sent_at,
        reason=reason or None, detail=detail or None, error_code=send.error_code,
        provider_status=send.status)


def flow_send_state(decision: Decision, reported: set[str], *, now: datetime) -> SendState:
    for status in _FLOW_REPORTS:
        if status in reported:
            return SendState(by="flow", status=status, send_at=decision.send_at)
    waiting = decision.send_at is not None and decision.send_at > now
    return SendState(by="flow", status="deferred" if waiting else "pending",
                     send_at=decision.send_at)


def decision_readback(brand: Brand, decision_id: Any, *, now: datetime
                      ) -> tuple[Decision, SendState | None, list[Event]] | None:
    """The brand's decision with its send state and its events (oldest first), or None for
    an unknown id or another brand's decision."""
    decision = (Decision.objects.filter(brand=brand, pk=decision_id)
                .select_related("send").first())
    if decision is None:
        return None
    events = list(decision.events.order_by("occurred_at", "id"))
    state: SendState | None = None
    send = getattr(decision, "send", None)
    if send is not None:
        state = studio_send_state(send, now=now)
    elif decision.status != Decision.Status.DENY:
        state = flow_send_state(decision, {e.type for e in events}, now=now)
    return decision, state, events
