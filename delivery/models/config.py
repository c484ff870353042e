"""Per-brand delivery settings and the API keys flows authenticate with."""

from __future__ import annotations

from datetime import time

from django.db import models
from django.db.models import F, Q

from brandguard.models import Brand
from delivery.eligibility import DeliveryPolicy


class DeliverySettings(models.Model):
    """A brand's own limits on top of the law, and how its bandit learns.

    The quiet window can only narrow the legal one: `delivery.quiet_hours.window_for`
    intersects it with 08:00-21:00 (TCPA) or 08:00-20:00 (FL/OK/MD/WA).
    """

    class RewardMetric(models.TextChoices):
        CLICK = "click", "Click on a short link"
        CONVERSION = "conversion", "Conversion or purchase"

    brand = models.OneToOneField(Brand, on_delete=models.CASCADE, related_name="delivery_settings")
    # On by default, like Klaviyo's Smart Sending: one marketing text per person per rolling
    # 24 h. Blank turns the brand's own cap off (the state caps of eligibility still apply).
    daily_cap = models.PositiveSmallIntegerField(
        null=True, blank=True, default=1,
        help_text="Most texts per person per rolling 24 hours. Blank: no brand cap.")
    weekly_cap = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text="Most texts per person per rolling 7 days.")
    reconfirm_after_days = models.PositiveIntegerField(null=True, blank=True)
    quiet_start = models.TimeField(default=time(21, 0), help_text="No texts from this time…")
    quiet_end = models.TimeField(default=time(8, 0), help_text="…until this time next morning.")
    reward_metric = models.CharField(
        max_length=12, choices=RewardMetric.choices, default=RewardMetric.CLICK
    )
    optout_penalty_weight = models.FloatField(default=5.0)
    penalty_window_days = models.PositiveSmallIntegerField(default=7)
    attribution_window_days = models.PositiveSmallIntegerField(default=7)
    # Which inbound texts belong to this brand: Twilio posts the Messaging Service SID and
    # the number the person texted. Blank means the account-wide sender is shared.
    messaging_service_sid = models.CharField(max_length=64, blank=True)
    sender_number = models.CharField(max_length=16, blank=True)
    # Double opt-in: a web-form grant only counts once the person replies Y to a confirmation
    # text, within this many hours.
    double_opt_in = models.BooleanField(default=False)
    double_opt_in_window_hours = models.PositiveSmallIntegerField(default=72)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name_plural = "delivery settings"
        constraints = [
            models.CheckConstraint(condition=Q(quiet_end__lt=F("quiet_start")),
                                   name="settings_window_not_empty"),
            models.CheckConstraint(condition=Q(daily_cap__isnull=True) | Q(daily_cap__gte=1),
                                   name="settings_daily_cap_positive"),
            models.CheckConstraint(condition=Q(weekly_cap__isnull=True) | Q(weekly_cap__gte=1),
                                   name="settings_weekly_cap_positive"),
            models.CheckConstraint(
                condition=Q(reconfirm_after_days__isnull=True) | Q(reconfirm_after_days__gte=1),
                name="settings_reconfirm_positive",
            ),
            models.CheckConstraint(condition=Q(optout_penalty_weight__gte=0),
                                   name="settings_penalty_weight_nonnegative"),
            models.CheckConstraint(condition=Q(reward_metric__in=["click", "conversion"]),
                                   name="settings_reward_metric_valid"),
            models.CheckConstraint(
                condition=Q(penalty_window_days__gte=1) & Q(attribution_window_days__gte=1),
                name="settings_windows_positive",
            ),
            models.CheckConstraint(condition=Q(double_opt_in_window_hours__gte=1),
                                   name="settings_doi_window_positive"),
        ]

    def __str__(self) -> str:
        return f"Delivery settings for {self.brand_id}"

    @property
    def policy(self) -> DeliveryPolicy:
        return DeliveryPolicy(
            daily_cap=self.daily_cap, weekly_cap=self.weekly_cap,
            reconfirm_after_days=self.reconfirm_after_days,
            quiet_start=self.quiet_start, quiet_end=self.quiet_end,
        )

    @property
    def rewarded_event_types(self) -> frozenset[str]:
        if self.reward_metric == self.RewardMetric.CLICK:
            return frozenset({"clicked"})
        return frozenset({"converted", "purchased"})


class ApiKey(models.Model):
    """A brand's bearer key. Only its SHA-256 is stored; the key is shown once."""

    brand = models.ForeignKey(Brand, on_delete=models.CASCADE, related_name="api_keys")
    name = models.CharField(max_length=100)
    prefix = models.CharField(max_length=16, unique=True, help_text="Shown to tell keys apart.")
    key_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    rate_limit_per_minute = models.PositiveIntegerField(
        null=True, blank=True,
        help_text="Requests per minute this key may make (bursts up to that many at once). "
                  "Empty: the API_RATE_LIMIT_PER_MINUTE setting.")

    class Meta:
        ordering = ["brand_id", "-created_at"]
        constraints = [
            models.CheckConstraint(condition=Q(key_hash__regex=r"^[0-9a-f]{64}$"),
                                   name="apikey_hash_is_sha256"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @property
    def active(self) -> bool:
        return self.revoked_at is None


class ApiRateBucket(models.Model):
    """One API key's token bucket (delivery.services.ratelimits). UNLOGGED (migration): a
    bucket is throttling state, not a record; after a database crash every key simply
    starts with a full bucket, and no request pays for a WAL flush."""

    api_key = models.OneToOneField(ApiKey, on_delete=models.CASCADE, primary_key=True,
                                   related_name="+")
    tokens = models.FloatField()
    refilled_at = models.DateTimeField()
    allowed = models.BooleanField(default=True)  # the last request's verdict

    def __str__(self) -> str:
        return f"{self.api_key_id}: {self.tokens:.1f} tokens"
