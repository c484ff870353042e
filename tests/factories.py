"""Plain helpers that make rows with sensible defaults; tests override what they care about."""

from __future__ import annotations

import itertools

from django.contrib.auth import get_user_model

from brandguard.models import Brand
from studio.models import Membership

_seq = itertools.count(1)


def make_brand(**overrides) -> Brand:
    n = next(_seq)
    fields = {
        "name": f"Acme Outdoors {n}",
        "slug": f"acme-{n}",
        "sender_name": "Acme Outdoors",
        "support_contact": "help@acme.example",
        "website_domain": "acme.co",
    }
    fields.update(overrides)
    return Brand.objects.create(**fields)


def make_user(*, brand: Brand | None = None, roles: tuple[str, ...] = (), **overrides):
    n = next(_seq)
    fields = {"username": f"user{n}", "first_name": "Test", "last_name": f"User{n}"}
    password = overrides.pop("password", "correct horse battery staple")
    fields.update(overrides)
    user = get_user_model().objects.create(**fields)
    user.set_password(password)
    user.save()
    for role in roles:
        Membership.objects.create(user=user, brand=brand, role=role)
    return user


def make_guideline_document(brand: Brand, **overrides):
    """A guideline document with no chunks; add them with make_guideline_chunk."""
    from copygen.models import GuidelineDocument

    n = next(_seq)
    fields = {
        "title": f"Guidelines {n}",
        "kind": GuidelineDocument.Kind.OTHER,
        "source_name": f"guidelines-{n}.md",
        "content": "",
        "content_sha256": f"{n:064x}",
    }
    fields.update(overrides)
    return GuidelineDocument.objects.create(brand=brand, **fields)


def make_guideline_chunk(document, *, embedding: list[float], **overrides):
    """A chunk with a given (synthetic) embedding: no model involved."""
    from copygen.models import GuidelineChunk

    fields = {
        "document_version": document.version,
        "position": document.chunks.count(),
        "heading": "",
        "text": f"Chunk of {document.title}",
    }
    fields.update(overrides)
    return GuidelineChunk.objects.create(
        brand=document.brand, document=document, embedding=embedding, **fields
    )


# --- Review studio ---------------------------------------------------------------

CLEAN_TEXT = "Acme Outdoors: your tent is still in your cart. acme.co/cart Reply STOP to opt out"


def make_policy(brand: Brand, *, offers: dict | None = None, **rules):
    """A saved policy version; rules default to a permissive brand policy."""
    from brandguard.services import save_policy_version

    base = {"max_segments": 2, "banned_phrases": ["cheap"], "allowed_link_domains": ["acme.co"],
            "emoji_limit": 1}
    return save_policy_version(brand, rules={**base, **rules}, offers=offers or {})


def make_variant(brand: Brand, *, author=None, text: str = CLEAN_TEXT, status: str = "draft",
                 **overrides):
    """A current, checked root variant (v1) as generation would leave it."""
    from copygen.models import Variant
    from studio.selectors import check_text

    report = check_text(brand, text, intent=overrides.get("intent", "cart_abandonment"))
    fields = {"intent": "cart_abandonment", "stage": "active", "provider": "composer",
              "model_name": "offline composer", "guard_report": report.to_dict(),
              "policy_version": report.policy_version}
    fields.update(overrides)
    if status == "approved" and "approved_by" not in fields:
        fields["approved_by"] = make_user(brand=brand)
    return Variant.objects.create(brand=brand, author=author, text=text, status=status,
                                  **fields)


# --- Delivery --------------------------------------------------------------------

POOL_TEXT = "Acme Outdoors: {first_name}, your cart is waiting: {link} Reply STOP to opt out"
CONSENT_TEXT = ("I agree to receive recurring marketing texts from Acme Outdoors at this "
                "number. Consent is not a condition of purchase. Msg & data rates may apply.")


def make_pool_variant(brand: Brand, *, text: str = POOL_TEXT, intent: str = "cart_abandonment",
                      stage: str = "active", **overrides):
    """An approved, current variant in a delivery pool (written by hand, no guard run)."""
    from copygen.models import Variant

    fields = {"provider": "human", "status": "approved", "is_current": True}
    fields.update(overrides)
    if fields["status"] == "approved" and "approved_by" not in fields:
        fields["approved_by"] = make_user(brand=brand)
    return Variant.objects.create(brand=brand, intent=intent, stage=stage, text=text, **fields)


def make_delivery_settings(brand: Brand, **overrides):
    from delivery.models import DeliverySettings

    settings, _ = DeliverySettings.objects.update_or_create(brand=brand, defaults=overrides)
    return settings


def make_contact(brand: Brand, phone: str = "+12125550123", *, consent: bool = True,
                 consent_at=None, **attributes):
    """A registered contact, by default with a web-form consent grant (TCPA proof)."""
    from datetime import timedelta

    from django.utils import timezone

    from delivery.services import record_consent, register_contact

    contact = register_contact(brand, phone, attributes=attributes or None)
    if consent:
        record_consent(contact, kind="granted", source="web_form", consent_text=CONSENT_TEXT,
                       source_detail="https://acme.co/sms-signup", ip="203.0.113.7",
                       occurred_at=consent_at or timezone.now() - timedelta(days=1))
    return contact


def make_api_key(brand: Brand, *, name: str = "flows") -> str:
    """A new API key for the brand; returns the plain key."""
    from delivery.services import create_api_key

    return create_api_key(brand, name=name)[1]


# --- Performance and outbox ------------------------------------------------------

SAMPLE_MERGE = {"first_name": "Sam", "product_name": "Ridge 2 tent", "link": "acme.co/l/x7Kp2"}


def render_sample(text: str) -> str:
    """The text as a decision would render it for a person, with SAMPLE_MERGE."""
    for name, value in SAMPLE_MERGE.items():
        text = text.replace("{" + name + "}", value)
    return text


def make_delivered_send(variant, contact, *, at=None, clicked: bool = False,
                        converted: bool = False, opted_out: bool = False,
                        status: str = "delivered"):
    """A decision that went out through the console provider, what the person did after it,
    and the arm counts delivery's services would have written for it (rows made directly,
    so tests choose the dates and outcomes). The text is rendered with SAMPLE_MERGE."""
    import uuid

    from django.db.models import F
    from django.utils import timezone

    from delivery.models import ArmState, Decision, Event, OutboxMessage, Send
    from delivery.selectors import delivery_settings

    at = at or timezone.now()
    body = render_sample(variant.text)
    types = {"clicked"} if clicked else set()
    types |= {"converted"} if converted else set()
    rewarded = bool(types & delivery_settings(variant.brand).rewarded_event_types)
    decision = Decision.objects.create(
        brand=variant.brand, contact=contact, phone=contact.phone, intent=variant.intent,
        stage=variant.stage, variant=variant, text=body, encoding="GSM-7", segments=1,
        status="allow", send_at=at, created_at=at, counted_at=at,
        rewarded_at=at if rewarded else None, penalized_at=at if opted_out else None)
    send = Send.objects.create(
        decision=decision, brand=variant.brand, contact=contact,
        idempotency_key=f"decision:{decision.pk}", to_phone=contact.phone, body=body,
        subject=variant.intent, status=status, provider="console",
        provider_sid="CO" + uuid.uuid4().hex, scheduled_for=at, sent_at=at, segments=1)
    OutboxMessage.objects.create(brand=variant.brand, decision=decision, send=send,
                                 to_phone=contact.phone, body=body, kind="sent",
                                 created_at=at)
    for kind in sorted(types):
        Event.objects.create(brand=variant.brand, event_id=f"{kind}:{decision.pk}",
                             phone=contact.phone, contact=contact, type=kind,
                             decision=decision, occurred_at=at)
    arm, _ = ArmState.objects.get_or_create(brand=variant.brand, intent=variant.intent,
                                            stage=variant.stage, variant=variant)
    ArmState.objects.filter(pk=arm.pk).update(
        successes=F("successes") + int(rewarded), failures=F("failures") + int(not rewarded),
        penalties=F("penalties") + int(opted_out))
    return send


def make_blocked_message(brand, *, phone: str = "+12125550199", why_not: str = "QUIET_HOURS",
                         detail: str = "closed in America/New_York until 08:00", at=None,
                         variant=None):
    """An outbox row for a send that was stopped, with its reason, as delivery writes it."""
    from django.utils import timezone

    from delivery.models import Decision, OutboxMessage

    at = at or timezone.now()
    decision = Decision.objects.create(
        brand=brand, phone=phone, intent=getattr(variant, "intent", "cart_abandonment"),
        stage=getattr(variant, "stage", "active"), variant=variant,
        text=render_sample(getattr(variant, "text", "")), status="deny", reason=why_not, detail=detail,
        created_at=at)
    return OutboxMessage.objects.create(brand=brand, decision=decision, to_phone=phone,
                                        body=decision.text, kind="blocked", why_not=why_not,
                                        detail=detail, created_at=at)
