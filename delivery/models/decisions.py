"""What the sender decided, what the bandit knows, and what people did afterwards."""

from __future__ import annotations

import uuid

from django.db import models
from django.db.models import Q
from django.utils import timezone

from brandguard.models import Brand
from copygen.models import Variant
from copygen.taxonomy import Intent, Stage
from delivery.models.contacts import Contact


class ArmState(models.Model):
    """Beta-Bernoulli counts of one variant in its (brand, intent, stage) pool.

    Written only with F() expressions in services, so concurrent workers and gunicorn
    processes never lose an update. A send counts as a failure when it goes out; a reward
    turns that failure into a success (so failures never go negative, see the constraint).
    """

    brand = models.ForeignKey(Brand, on_delete=models.CASCADE, related_name="+")
    intent = models.CharField(max_length=40, choices=Intent.choices)
    stage = models.CharField(max_length=40, choices=Stage.choices)
    variant = models.ForeignKey(Variant, on_delete=models.CASCADE, related_name="arm_states")
    successes = models.PositiveBigIntegerField(default=0)
    failures = models.PositiveBigIntegerField(default=0)
    penalties = models.PositiveBigIntegerField(default=0)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["brand", "intent", "stage", "variant"],
                                    name="armstate_unique_arm"),
        ]

    def __str__(self) -> str:
        return f"arm {self.variant_id}: {self.successes}/{self.failures}/{self.penalties}"


class Decision(models.Model):
    class Status(models.TextChoices):
        ALLOW = "allow", "Allow"
        DEFER = "defer", "Defer"
        DENY = "deny", "Deny"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    brand = models.ForeignKey(Brand, on_delete=models.CASCADE, related_name="decisions")
    contact = models.ForeignKey(
        Contact, null=True, blank=True, on_delete=models.CASCADE, related_name="decisions"
    )
    phone = models.CharField(max_length=16)
    intent = models.CharField(max_length=40, choices=Intent.choices)
    stage = models.CharField(max_length=40, choices=Stage.choices)
    # RESTRICT: an approved variant that was ever chosen stays, for audit and off-policy eval.
    variant = models.ForeignKey(
        Variant, null=True, blank=True, on_delete=models.RESTRICT, related_name="decisions"
    )
    text = models.TextField(blank=True)
    encoding = models.CharField(max_length=10, blank=True)
    segments = models.PositiveSmallIntegerField(default=0)
    status = models.CharField(max_length=5, choices=Status.choices)
    reason = models.CharField(max_length=40, blank=True)
    detail = models.CharField(max_length=500, blank=True)
    send_at = models.DateTimeField(null=True, blank=True)
    # P(chosen) of every arm at decision time: inverse-propensity estimators need it.
    propensities = models.JSONField(default=dict, blank=True)
    merge = models.JSONField(default=dict, blank=True)
    guard_findings = models.JSONField(default=list, blank=True)
    policy_version = models.PositiveIntegerField(null=True, blank=True)
    idempotency_key = models.CharField(max_length=120, blank=True)
    request_fingerprint = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    # Bandit bookkeeping, each set once by a conditional UPDATE (idempotent rewards).
    counted_at = models.DateTimeField(null=True, blank=True)
    rewarded_at = models.DateTimeField(null=True, blank=True)
    penalized_at = models.DateTimeField(null=True, blank=True)
    # A flow reported the pulled text `failed` (it never reached the person): the decision
    # leaves the bandit's counts for good, so a later `sent` or click cannot count it again.
    voided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["brand", "idempotency_key"], condition=~Q(idempotency_key=""),
                name="decision_unique_idempotency_key",
            ),
            models.CheckConstraint(condition=Q(status__in=["allow", "defer", "deny"]),
                                   name="decision_status_valid"),
            models.CheckConstraint(
                condition=Q(status="deny") | (Q(variant__isnull=False) & Q(send_at__isnull=False)),
                name="decision_sendable_has_variant_and_time",
            ),
            models.CheckConstraint(condition=~Q(status="deny") | ~Q(reason=""),
                                   name="decision_deny_has_reason"),
        ]
        indexes = [models.Index(fields=["contact", "-created_at"], name="decision_contact_idx")]

    def __str__(self) -> str:
        return f"{self.status} {self.intent}/{self.stage} for {self.phone}"


class ShortLink(models.Model):
    """A first-party short link (`/l/<code>`): public shorteners are filtered by carriers
    (Twilio 30963), and our own link is also how a click is seen (docs/domain.md §3)."""

    code = models.CharField(max_length=16, unique=True)
    brand = models.ForeignKey(Brand, on_delete=models.CASCADE, related_name="+")
    decision = models.ForeignKey(Decision, on_delete=models.CASCADE, related_name="short_links")
    destination = models.URLField(max_length=2000)
    clicks = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    first_clicked_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"/l/{self.code} -> {self.destination}"


class Event(models.Model):
    """What a person did, after a text or on the brand's site: append-only, idempotent on
    (brand, event_id). Behaviour events (views, carts, purchases, subscriptions, stock and
    price news) feed the lifecycle stage and the journeys; `data` keeps their product or
    order as the brand reported it."""

    class Type(models.TextChoices):
        CLICKED = "clicked", "Clicked"
        CONVERTED = "converted", "Converted"
        PURCHASED = "purchased", "Purchased"
        # What a flow that pulled the copy reports about its own send of it.
        SENT = "sent", "Sent"
        DELIVERED = "delivered", "Delivered"
        FAILED = "failed", "Failed"
        OPTED_OUT = "opted_out", "Opted out"
        SUBSCRIBED = "subscribed", "Subscribed"
        PRODUCT_VIEWED = "product_viewed", "Viewed a product"
        ADDED_TO_CART = "added_to_cart", "Added to cart"
        CHECKOUT_STARTED = "checkout_started", "Started checkout"
        BACK_IN_STOCK = "back_in_stock", "Product back in stock"
        PRICE_DROPPED = "price_dropped", "Product price dropped"

    brand = models.ForeignKey(Brand, on_delete=models.CASCADE, related_name="delivery_events")
    event_id = models.CharField(max_length=120)
    phone = models.CharField(max_length=16)
    # CASCADE, not SET_NULL: the table refuses UPDATE (append-only), and erasing a person
    # or a decision erases what they did with it.
    contact = models.ForeignKey(Contact, null=True, blank=True, on_delete=models.CASCADE,
                                related_name="events")
    type = models.CharField(max_length=20, choices=Type.choices)
    decision = models.ForeignKey(Decision, null=True, blank=True, on_delete=models.CASCADE,
                                 related_name="events")
    data = models.JSONField(default=dict, blank=True, help_text="product / order / cart_url")
    occurred_at = models.DateTimeField()
    received_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-occurred_at"]
        constraints = [
            models.UniqueConstraint(fields=["brand", "event_id"], name="event_unique_id"),
            models.CheckConstraint(condition=Q(type__in=[
                "clicked", "converted", "purchased", "sent", "delivered", "failed", "opted_out",
                "subscribed", "product_viewed", "added_to_cart", "checkout_started",
                "back_in_stock", "price_dropped",
            ]), name="event_type_valid"),
        ]
        indexes = [
            models.Index(fields=["brand", "phone", "type", "-occurred_at"], name="event_lookup_idx"),
            models.Index(fields=["decision", "type"], name="event_decision_idx"),
            models.Index(fields=["contact", "-occurred_at"], name="event_contact_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.type} {self.phone} ({self.event_id})"
