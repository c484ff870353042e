"""One text on its way out: the send row, the provider's status reports, the console outbox."""

from __future__ import annotations

from django.db import models
from django.db.models import Q

from brandguard.models import Brand
from delivery.models.contacts import Contact
from delivery.models.decisions import Decision

# Twilio's ValidityPeriod is 1..36000 seconds (error 21624 otherwise; docs/domain.md §6).
MAX_VALIDITY_SECONDS = 36_000

# Forward order of states. A report may only move a send to a higher rank; every terminal
# state shares the top rank, so once there nothing moves it again.
STATUS_RANK: dict[str, int] = {
    "pending": 0, "claimed": 1, "unknown": 1, "accepted": 2, "queued": 3, "sending": 4,
    "sent": 5, "delivered": 9, "undelivered": 9, "failed": 9, "canceled": 9,
}
TERMINAL_STATUSES = frozenset(s for s, rank in STATUS_RANK.items() if rank == 9)
PROVIDER_STATUSES = frozenset(
    {"accepted", "queued", "sending", "sent", "delivered", "undelivered", "failed"}
)


def statuses_below(status: str) -> list[str]:
    rank = STATUS_RANK[status]
    return [s for s, r in STATUS_RANK.items() if r < rank]


class Send(models.Model):
    """Written (with a unique idempotency key) BEFORE the provider call: Twilio's Messages
    create has no idempotency key, so this row is what makes "never send twice" provable.

    Our own states come first: pending (waiting for its time), claimed (one worker owns it
    and may be calling the provider), unknown (the call may have reached Twilio; reconcile
    before any retry), canceled (the last eligibility re-check said no). Twilio's states follow
    and only ever move forward; terminal states stay final (docs/domain.md §6).
    """

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        CLAIMED = "claimed", "Claimed by a worker"
        UNKNOWN = "unknown", "Outcome unknown, reconciling"
        ACCEPTED = "accepted", "Accepted"
        QUEUED = "queued", "Queued"
        SENDING = "sending", "Sending"
        SENT = "sent", "Sent"
        DELIVERED = "delivered", "Delivered"
        UNDELIVERED = "undelivered", "Undelivered"
        FAILED = "failed", "Failed"
        CANCELED = "canceled", "Canceled before sending"

    class Provider(models.TextChoices):
        CONSOLE = "console", "Console outbox"
        TWILIO = "twilio", "Twilio"

    decision = models.OneToOneField(Decision, on_delete=models.CASCADE, related_name="send")
    brand = models.ForeignKey(Brand, on_delete=models.CASCADE, related_name="sends")
    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="sends")
    idempotency_key = models.CharField(max_length=80, unique=True)
    to_phone = models.CharField(max_length=16)
    body = models.TextField()
    subject = models.CharField(max_length=40, help_text="Same-subject caps (FL/OK/MD).")
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.PENDING)
    provider = models.CharField(max_length=10, choices=Provider.choices, blank=True)
    provider_sid = models.CharField(max_length=64, unique=True, null=True, blank=True)
    error_code = models.IntegerField(null=True, blank=True)
    error_message = models.CharField(max_length=500, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    scheduled_for = models.DateTimeField()
    claimed_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    validity_period = models.PositiveIntegerField(null=True, blank=True)
    segments = models.PositiveSmallIntegerField(default=1)
    latency_ms = models.PositiveIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-scheduled_for"]
        constraints = [
            models.CheckConstraint(condition=Q(status__in=list(STATUS_RANK)),
                                   name="send_status_valid"),
            models.CheckConstraint(
                condition=Q(validity_period__isnull=True)
                | Q(validity_period__gte=1, validity_period__lte=MAX_VALIDITY_SECONDS),
                name="send_validity_in_twilio_range",
            ),
            models.CheckConstraint(
                condition=~Q(status__in=["accepted", "queued", "sending", "sent", "delivered"])
                | Q(sent_at__isnull=False),
                name="send_handed_over_has_time",
            ),
        ]
        indexes = [
            models.Index(fields=["contact", "scheduled_for"], name="send_history_idx"),
            models.Index(fields=["status", "scheduled_for"], name="send_due_idx"),
        ]

    def __str__(self) -> str:
        return f"send {self.pk} to {self.to_phone} [{self.status}]"


class SendStatusEvent(models.Model):
    """Every status report the provider sent, append-only. Twilio retries callbacks and
    sends them out of order: one row per I-Twilio-Idempotency-Token (else per SID+status)."""

    send = models.ForeignKey(Send, on_delete=models.CASCADE, related_name="status_events")
    provider_sid = models.CharField(max_length=64)
    status = models.CharField(max_length=20)
    error_code = models.IntegerField(null=True, blank=True)
    idempotency_token = models.CharField(max_length=200, blank=True)
    applied = models.BooleanField(help_text="False when it arrived after a later state.")
    received_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["received_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["idempotency_token"],
                                    condition=~Q(idempotency_token=""),
                                    name="status_event_unique_token"),
            models.UniqueConstraint(fields=["provider_sid", "status"],
                                    condition=Q(idempotency_token=""),
                                    name="status_event_unique_sid_status"),
        ]

    def __str__(self) -> str:
        return f"{self.provider_sid} {self.status}"


class OutboxMessage(models.Model):
    """What the console provider "sent" (no network), and sends that were stopped, with the
    reason, so the studio can show what went out and why something did not."""

    class Kind(models.TextChoices):
        SENT = "sent", "Sent"
        BLOCKED = "blocked", "Blocked"

    brand = models.ForeignKey(Brand, on_delete=models.CASCADE, related_name="outbox")
    decision = models.ForeignKey(Decision, null=True, blank=True, on_delete=models.CASCADE,
                                 related_name="outbox")
    send = models.ForeignKey(Send, null=True, blank=True, on_delete=models.CASCADE,
                             related_name="outbox")
    to_phone = models.CharField(max_length=16)
    body = models.TextField(blank=True)
    kind = models.CharField(max_length=8, choices=Kind.choices)
    why_not = models.CharField(max_length=40, blank=True, help_text="Reason code if blocked.")
    detail = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(kind="sent") | ~Q(why_not=""),
                                   name="outbox_blocked_has_reason"),
            # The console provider writes one "sent" row per send, never two.
            models.UniqueConstraint(fields=["send"], condition=Q(kind="sent"),
                                    name="outbox_one_sent_row_per_send"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} to {self.to_phone} at {self.created_at:%Y-%m-%d %H:%M}"
