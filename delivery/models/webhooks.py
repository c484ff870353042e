"""Signed outgoing webhooks: a brand's endpoints and the outbox of deliveries to them."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q

from brandguard.models import Brand

WEBHOOK_EVENT_TYPES = ("send.status_changed", "contact.opted_out", "contact.opted_in")


class WebhookEndpoint(models.Model):
    """Where a brand wants to hear about changes. The secret signs every delivery; it is
    shown once when created (or rolled) and masked after that."""

    brand = models.ForeignKey(Brand, on_delete=models.CASCADE, related_name="webhook_endpoints")
    url = models.URLField(max_length=2000)
    description = models.CharField(max_length=200, blank=True)
    # Kept in the clear because HMAC signing needs it (as Stripe and GitHub do); never shown
    # again after creation.
    secret = models.CharField(max_length=100)
    event_types = models.JSONField(default=list, help_text="Empty: every event type.")
    active = models.BooleanField(default=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["brand_id", "created_at"]
        indexes = [models.Index(fields=["brand", "active"], name="webhook_endpoint_brand_idx")]

    def __str__(self) -> str:
        return f"webhook {self.url}"

    @property
    def masked_secret(self) -> str:
        return f"{self.secret[:6]}…{self.secret[-4:]}"

    def wants(self, event_type: str) -> bool:
        return not self.event_types or event_type in self.event_types


class WebhookDelivery(models.Model):
    """One event for one endpoint: the outbox row, written in the same transaction as the
    change it reports and sent after commit, retried until the endpoint answers 2xx. The
    body is fixed when written, so every attempt carries the same event id and data."""

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        DELIVERED = "delivered", "Delivered"
        FAILED = "failed", "Gave up"

    endpoint = models.ForeignKey(WebhookEndpoint, on_delete=models.CASCADE,
                                 related_name="deliveries")
    brand = models.ForeignKey(Brand, on_delete=models.CASCADE, related_name="+")
    event_id = models.UUIDField(default=uuid.uuid4, help_text="Receivers dedupe on it.")
    event_type = models.CharField(max_length=40)
    payload = models.JSONField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField()
    locked_until = models.DateTimeField(null=True, blank=True)
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    last_status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    last_error = models.CharField(max_length=500, blank=True)
    last_latency_ms = models.PositiveIntegerField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["endpoint", "event_id"],
                                    name="webhook_delivery_once_per_endpoint"),
            models.CheckConstraint(condition=Q(status__in=["pending", "delivered", "failed"]),
                                   name="webhook_delivery_status_valid"),
            models.CheckConstraint(condition=~Q(status="delivered")
                                   | Q(delivered_at__isnull=False),
                                   name="webhook_delivered_has_time"),
        ]
        indexes = [
            models.Index(fields=["status", "next_attempt_at"], name="webhook_due_idx"),
            models.Index(fields=["brand", "-created_at"], name="webhook_log_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.event_type} {self.event_id} -> {self.endpoint_id} [{self.status}]"
