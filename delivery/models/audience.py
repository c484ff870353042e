"""Bringing an audience in: double opt-in requests and contact imports."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from brandguard.models import Brand
from delivery.models.contacts import Contact


class ConsentRequest(models.Model):
    """A web-form grant waiting for the person's Y (double opt-in), with the proof it will
    carry into the ledger once confirmed, and the one confirmation text it sends.

    The confirmation is transactional: it has no Decision and no Send. Like a Send, this row
    exists (with its unique key) before the provider call, and a worker claims it with a
    compare-and-set, so the confirmation goes out at most once.
    """

    class Status(models.TextChoices):
        PENDING = "pending", "Waiting for Y"
        CONFIRMED = "confirmed", "Confirmed"
        EXPIRED = "expired", "Expired"
        CANCELED = "canceled", "Canceled (STOP, erasure or a newer request)"

    class TextStatus(models.TextChoices):
        QUEUED = "queued", "Queued"
        CLAIMED = "claimed", "Claimed by a worker"
        UNKNOWN = "unknown", "Outcome unknown, reconciling"
        SENT = "sent", "Sent"
        FAILED = "failed", "Failed"
        SKIPPED = "skipped", "Not sent (request no longer pending)"

    brand = models.ForeignKey(Brand, on_delete=models.CASCADE, related_name="consent_requests")
    contact = models.ForeignKey(Contact, on_delete=models.CASCADE,
                                related_name="consent_requests")
    phone = models.CharField(max_length=16)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    # The proof of the form submission, copied to the ledger's grant on confirmation.
    source = models.CharField(max_length=20)
    source_detail = models.CharField(max_length=500, blank=True)
    consent_text = models.TextField(blank=True)
    text_version = models.CharField(max_length=60, blank=True)
    text_sha256 = models.CharField(max_length=64, blank=True)
    occurred_at = models.DateTimeField()
    ip = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=500, blank=True)
    expires_at = models.DateTimeField()
    confirmed_at = models.DateTimeField(null=True, blank=True)
    confirm_message_sid = models.CharField(max_length=64, blank=True)
    # The confirmation text and its way out.
    body = models.TextField()
    text_status = models.CharField(max_length=10, choices=TextStatus.choices,
                                   default=TextStatus.QUEUED)
    provider = models.CharField(max_length=10, blank=True)
    provider_sid = models.CharField(max_length=64, unique=True, null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    claimed_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    error_message = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["contact"], condition=Q(status="pending"),
                                    name="consent_request_one_pending"),
            models.CheckConstraint(
                condition=Q(status__in=["pending", "confirmed", "expired", "canceled"]),
                name="consent_request_status_valid"),
            models.CheckConstraint(
                condition=~Q(consent_text="") | (~Q(text_version="") & ~Q(text_sha256="")),
                name="consent_request_has_proof"),
            models.CheckConstraint(condition=~Q(status="confirmed") | Q(confirmed_at__isnull=False),
                                   name="consent_request_confirmed_has_time"),
        ]

    def __str__(self) -> str:
        return f"double opt-in {self.phone} [{self.status}]"


class ContactImport(models.Model):
    """One uploaded file of contacts: its progress while the task runs, then its report."""

    class Status(models.TextChoices):
        UPLOADED = "uploaded", "Uploaded, not started"
        RUNNING = "running", "Running"
        DONE = "done", "Done"
        FAILED = "failed", "Failed"

    brand = models.ForeignKey(Brand, on_delete=models.CASCADE, related_name="contact_imports")
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                    on_delete=models.SET_NULL, related_name="+")
    file_name = models.CharField(max_length=200)
    file_format = models.CharField(max_length=5)  # csv | jsonl
    content = models.TextField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.UPLOADED)
    total_rows = models.PositiveIntegerField(default=0)
    done_rows = models.PositiveIntegerField(default=0)
    counts = models.JSONField(default=dict, blank=True)
    refused = models.JSONField(default=list, blank=True)  # [{"line", "phone", "reason"}]
    message = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(status__in=["uploaded", "running", "done",
                                                           "failed"]),
                                   name="contact_import_status_valid"),
        ]

    def __str__(self) -> str:
        return f"import {self.file_name} [{self.status}]"

    @property
    def percent(self) -> int:
        return int(100 * self.done_rows / self.total_rows) if self.total_rows else 0
