"""People a brand may text, the consent ledger that proves it, and what they text back."""

from __future__ import annotations

from django.db import models
from django.db.models import Q

from brandguard.models import Brand
from delivery.phones import E164_RE, PhoneFacts

E164_REGEX = f"^{E164_RE.pattern}$"


class Contact(models.Model):
    """One phone number at one brand. Consent is scoped per brand (docs/domain.md §5), so
    the same number at two brands is two contacts with two ledgers."""

    brand = models.ForeignKey(Brand, on_delete=models.CASCADE, related_name="contacts")
    phone = models.CharField(max_length=16, help_text="E.164, e.g. +14155550123")
    # Number facts from `delivery.phones.parse_phone`, frozen at registration so every
    # decision about this person judges the same zones and state.
    valid = models.BooleanField(default=True)
    number_type = models.CharField(max_length=40, blank=True)
    region = models.CharField(max_length=4, blank=True)
    time_zones = models.JSONField(default=list, blank=True)
    us_state = models.CharField(max_length=2, blank=True)
    geographic = models.BooleanField(default=True)
    number_flags = models.JSONField(default=list, blank=True)
    attributes = models.JSONField(default=dict, blank=True)
    # STOP is honoured at once (FCC 2024 revocation order); only an opt-in keyword clears it,
    # exactly as Twilio keeps answering 21610 until the person texts START.
    opted_out = models.BooleanField(default=False)
    opted_out_at = models.DateTimeField(null=True, blank=True)
    hold_for_review = models.BooleanField(default=False)
    review_reason = models.CharField(max_length=200, blank=True)
    # Double opt-in: a form grant waits for the person's Y until this instant (then it has
    # expired). Read with the contact by every decision, so "pending" costs no extra query.
    consent_pending_until = models.DateTimeField(null=True, blank=True)
    # Erased on request: personal data is gone; the number and its consent ledger stay so
    # that nothing is ever texted to it again by mistake.
    erased_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["brand_id", "phone"]
        constraints = [
            models.UniqueConstraint(fields=["brand", "phone"], name="contact_unique_phone"),
            models.CheckConstraint(condition=Q(phone__regex=E164_REGEX), name="contact_e164"),
            models.CheckConstraint(
                condition=Q(opted_out=False) | Q(opted_out_at__isnull=False),
                name="contact_opt_out_has_time",
            ),
        ]
        indexes = [models.Index(fields=["phone"], name="contact_phone_idx")]

    def __str__(self) -> str:
        return f"{self.phone} @ {self.brand_id}"

    @property
    def facts(self) -> PhoneFacts:
        return PhoneFacts(
            e164=self.phone, valid=self.valid, number_type=self.number_type,
            region=self.region or None, time_zones=tuple(self.time_zones),
            us_state=self.us_state or None, geographic=self.geographic,
        )


class ConsentEvent(models.Model):
    """Append-only consent ledger (docs/domain.md §5; TCPA: the seller must prove prior
    express written consent). Current consent is the latest row; a revocation is a new row.
    A database trigger refuses UPDATE (migration 0002)."""

    class Kind(models.TextChoices):
        GRANTED = "granted", "Granted"
        REVOKED = "revoked", "Revoked"

    class Source(models.TextChoices):
        WEB_FORM = "web_form", "Web form"
        KEYWORD = "keyword", "Keyword reply"
        IMPORT = "import", "Import"
        API = "api", "API"
        PROVIDER = "provider", "Provider report (Twilio 21610)"
        SUPPORT = "support", "Support request"

    brand = models.ForeignKey(Brand, on_delete=models.CASCADE, related_name="consent_events")
    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="consent_events")
    phone = models.CharField(max_length=16)  # kept with the proof, whatever happens to contact
    kind = models.CharField(max_length=10, choices=Kind.choices)
    source = models.CharField(max_length=20, choices=Source.choices)
    source_detail = models.CharField(max_length=500, blank=True, help_text="Form URL, keyword…")
    consent_text = models.TextField(blank=True, help_text="The exact disclosure shown.")
    text_version = models.CharField(max_length=60, blank=True)
    text_sha256 = models.CharField(max_length=64, blank=True)
    occurred_at = models.DateTimeField()
    recorded_at = models.DateTimeField(auto_now_add=True)
    ip = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=500, blank=True)
    inbound_message_sid = models.CharField(max_length=64, blank=True)

    class Meta:
        ordering = ["contact_id", "-occurred_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=["granted", "revoked"]), name="consent_kind_valid"
            ),
            # A grant without its wording (or a keyword message id) proves nothing.
            models.CheckConstraint(
                condition=Q(kind="revoked") | ~Q(consent_text="")
                | (~Q(text_version="") & ~Q(text_sha256="")) | ~Q(inbound_message_sid=""),
                name="consent_grant_has_proof",
            ),
        ]
        indexes = [
            models.Index(fields=["contact", "-occurred_at", "-id"], name="consent_latest_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.phone} ({self.source}) at {self.occurred_at:%Y-%m-%d %H:%M}"


class InboundMessage(models.Model):
    """A text a person sent us, as Twilio's inbound webhook delivered it."""

    class Classification(models.TextChoices):
        OPT_OUT = "opt_out", "Opt-out"
        OPT_IN = "opt_in", "Opt-in"
        HELP = "help", "Help"
        REVIEW = "review", "Needs review"
        OTHER = "other", "Other"

    sid = models.CharField(max_length=64, unique=True)
    idempotency_token = models.CharField(max_length=200, null=True, blank=True, unique=True)
    brand = models.ForeignKey(
        Brand, null=True, blank=True, on_delete=models.SET_NULL, related_name="inbound_messages"
    )
    from_phone = models.CharField(max_length=32)
    to_phone = models.CharField(max_length=32, blank=True)
    body = models.TextField(blank=True)
    classification = models.CharField(max_length=10, choices=Classification.choices)
    matched = models.CharField(max_length=200, blank=True)
    needs_review = models.BooleanField(default=False)
    handled = models.BooleanField(default=False)
    reply_body = models.TextField(blank=True)
    received_at = models.DateTimeField()

    class Meta:
        ordering = ["-received_at", "-id"]
        indexes = [models.Index(fields=["needs_review", "handled"], name="inbound_review_idx")]

    def __str__(self) -> str:
        return f"{self.from_phone}: {self.body[:40]!r} [{self.classification}]"
