"""Reads for delivery: consent, send history, suppression, the bandit pool, API keys."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import Exists, OuterRef, Q, QuerySet, Subquery

from brandguard.models import Brand, BrandPolicy
from brandguard.policy import Policy
from brandguard.services import current_policy
from copygen.models import Variant
from delivery.eligibility import SAME_SUBJECT_CAP_STATES, ConsentState, SendRecord
from delivery.models import ApiKey, ConsentEvent, Contact, DeliverySettings, Event, Send

# "A purchase after the cart event" (DOMAIN.md, issue 5): nudges about a cart or a browse
# are pointless, and irritating, once the person bought.
SUPPRESSIBLE_INTENTS = frozenset({"cart_abandonment", "browse_abandonment"})
SUPPRESSION_LOOKBACK = timedelta(hours=24)
# The longest rolling cap window (brand weekly cap); older sends cannot matter.
HISTORY_SPAN = timedelta(days=7)


def delivery_settings(brand: Brand) -> DeliverySettings:
    """The brand's settings row, or unsaved defaults when it has none yet. Always read
    afresh: a row cached on a long-lived Brand object would be stale after an edit."""
    found = DeliverySettings.objects.filter(brand_id=brand.pk).first()
    return found if found is not None else DeliverySettings(brand=brand)


def contacts_with_consent() -> QuerySet[Contact]:
    """Contacts annotated with their latest consent event (the current consent)."""
    latest = ConsentEvent.objects.filter(contact=OuterRef("pk")).order_by("-occurred_at", "-id")
    return Contact.objects.annotate(
        consent_kind=Subquery(latest.values("kind")[:1]),
        consent_at=Subquery(latest.values("occurred_at")[:1]),
    )


def contact_for_decision(brand: Brand, phone: str, *, intent: str, since: datetime,
                         lock: bool = False) -> Contact | None:
    """The contact with everything a decision reads about them, in one query: current
    consent, whether they were ever texted, whether a purchase since `since` (minus the
    lookback) suppresses this intent. `lock` takes the row lock the sender relies on."""
    contacts = contacts_with_consent()
    if not lock:  # only a new decision asks (first message: CTIA opt-out instructions)
        texted = Send.objects.filter(contact=OuterRef("pk")).exclude(
            status=Send.Status.CANCELED)
        contacts = contacts.annotate(texted=Exists(texted))
    if intent in SUPPRESSIBLE_INTENTS:
        contacts = contacts.annotate(suppressed=Exists(_purchases(since).filter(
            brand_id=OuterRef("brand_id"), phone=OuterRef("phone"))))
    if lock:
        contacts = contacts.select_for_update(of=("self",))
    try:
        return contacts.get(brand=brand, phone=phone)  # get(): no ORDER BY, no join
    except Contact.DoesNotExist:
        return None


def consent_state(contact: Contact) -> ConsentState:
    if not hasattr(contact, "consent_kind"):
        contact = contacts_with_consent().get(pk=contact.pk)
    kind = getattr(contact, "consent_kind", None)  # annotated by contacts_with_consent()
    granted = kind == ConsentEvent.Kind.GRANTED
    return ConsentState(
        granted=granted,
        granted_at=getattr(contact, "consent_at", None) if granted else None,
        revoked=kind == ConsentEvent.Kind.REVOKED,
        opted_out=contact.opted_out,
    )


def caps_apply(contact: Contact, settings: DeliverySettings) -> bool:
    return bool(settings.daily_cap or settings.weekly_cap
                or contact.us_state in SAME_SUBJECT_CAP_STATES)


def send_history(contact: Contact, *, now: datetime, exclude_send: int | None = None
                 ) -> list[SendRecord]:
    """Every send that reached or may reach the person, scheduled ones included (Fla. Stat.
    501.059(8)(a) counts every message). Canceled sends and provider rejections never left."""
    rows = (
        Send.objects.filter(contact=contact)
        .filter(Q(sent_at__gte=now - HISTORY_SPAN) | Q(sent_at__isnull=True,
                                                      scheduled_for__gte=now - HISTORY_SPAN))
        .exclude(status=Send.Status.CANCELED)
        .exclude(status=Send.Status.FAILED, sent_at__isnull=True)
    )
    if exclude_send is not None:
        rows = rows.exclude(pk=exclude_send)
    return [
        SendRecord(sent_at=sent_at or scheduled_for, subject=subject)
        for sent_at, scheduled_for, subject in rows.values_list("sent_at", "scheduled_for",
                                                                "subject")
    ]


def has_been_texted(contact: Contact) -> bool:
    if hasattr(contact, "texted"):
        return contact.texted
    return contact.sends.exclude(status=Send.Status.CANCELED).exists()


def is_suppressed(contact: Contact, *, intent: str, since: datetime) -> bool:
    if intent not in SUPPRESSIBLE_INTENTS:
        return False
    if hasattr(contact, "suppressed"):
        return contact.suppressed
    return _purchases(since).filter(brand_id=contact.brand_id, phone=contact.phone).exists()


def _purchases(since: datetime) -> QuerySet[Event]:
    return Event.objects.filter(type=Event.Type.PURCHASED,
                                occurred_at__gte=since - SUPPRESSION_LOOKBACK)


@dataclass(frozen=True, slots=True)
class PoolArm:
    variant_id: int
    text: str
    successes: int
    failures: int
    penalties: int
    has_state: bool


def pool_arms(brand: Brand, intent: str, stage: str) -> list[PoolArm]:
    """Approved current variants of the pool with their counts, in one LEFT JOIN."""
    rows = (
        Variant.objects.for_pool(brand, intent, stage)
        .order_by("id")
        .values_list("id", "text", "arm_states__successes", "arm_states__failures",
                     "arm_states__penalties")
    )
    return [
        PoolArm(vid, text, s or 0, f or 0, p or 0, has_state=s is not None)
        for vid, text, s, f, p in rows
    ]


def hash_api_key(plain: str) -> str:
    return hashlib.sha256(plain.encode("utf-8", "surrogatepass")).hexdigest()


def active_api_key(plain: str) -> ApiKey | None:
    if not plain or len(plain) > 200:
        return None
    return (ApiKey.objects.select_related("brand")
            .filter(key_hash=hash_api_key(plain), revoked_at__isnull=True).first())


def current_guard_policy(brand: Brand) -> tuple[Policy, int | None]:
    """brandguard.services.current_policy without re-reading the brand we already hold."""
    row = BrandPolicy.objects.current_for(brand)
    if row is None:
        return current_policy(brand)
    row.brand = brand
    return row.to_policy(), row.version
