"""Journeys (one per intent per brand), their scheduled steps, lifecycle thresholds and the
stage history. Steps live here, not in the broker: a beat-driven task picks due ones with
SELECT … FOR UPDATE SKIP LOCKED, so a restart loses nothing and fires nothing twice."""

from __future__ import annotations

from django.db import models
from django.db.models import F, Q

from brandguard.models import Brand
from copygen.taxonomy import Intent, Stage
from delivery import journeys, lifecycle
from delivery.models.contacts import Contact
from delivery.models.decisions import Decision, Event

_DEFAULT_LIFECYCLE = lifecycle.Thresholds()


class Journey(models.Model):
    """A brand's settings for one intent's journey. Rows are created with the defaults of
    `delivery.journeys.DEFAULT_RULES` the first time a brand needs them."""

    brand = models.ForeignKey(Brand, on_delete=models.CASCADE, related_name="journeys")
    intent = models.CharField(max_length=40, choices=Intent.choices)
    enabled = models.BooleanField(default=True)
    wait_minutes = models.PositiveIntegerField(help_text="From the trigger to the text.")
    freshness_minutes = models.PositiveIntegerField(
        help_text="How long after its due time a step is still worth sending.")
    priority = models.PositiveSmallIntegerField(
        help_text="When two journeys would text the same person at once, the higher wins.")
    lookback_minutes = models.PositiveIntegerField(
        help_text="How far back the trigger looks (browse: repeat views; stock and price "
                  "news: who viewed the product).")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["brand_id", "-priority"]
        constraints = [
            models.UniqueConstraint(fields=["brand", "intent"], name="journey_one_per_intent"),
            models.CheckConstraint(condition=Q(freshness_minutes__gte=1),
                                   name="journey_freshness_positive"),
            models.CheckConstraint(condition=Q(lookback_minutes__gte=1),
                                   name="journey_lookback_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.intent} journey of {self.brand_id}"

    @property
    def rule(self) -> journeys.Rule:
        return journeys.with_settings(
            journeys.DEFAULT_RULES[self.intent], wait_minutes=self.wait_minutes,
            freshness_minutes=self.freshness_minutes, priority=self.priority,
            lookback_minutes=self.lookback_minutes, enabled=self.enabled)

    @classmethod
    def from_rule(cls, brand: Brand, rule: journeys.Rule) -> Journey:
        return cls(brand=brand, intent=rule.intent, enabled=rule.enabled,
                   wait_minutes=int(rule.wait.total_seconds() // 60),
                   freshness_minutes=int(rule.freshness.total_seconds() // 60),
                   priority=rule.priority,
                   lookback_minutes=int(rule.lookback.total_seconds() // 60))


class JourneyStep(models.Model):
    """One text a journey means to send one person. pending → fired (a decision was asked,
    with send) | canceled (an exit; `reason` says which) | expired (past its freshness)
    | failed (delivery refused the request, e.g. a merge field the copy needs is missing)."""

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        FIRED = "fired", "Fired"
        CANCELED = "canceled", "Canceled"
        EXPIRED = "expired", "Expired"
        FAILED = "failed", "Failed"

    brand = models.ForeignKey(Brand, on_delete=models.CASCADE, related_name="+")
    journey = models.ForeignKey(Journey, on_delete=models.CASCADE, related_name="steps")
    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="journey_steps")
    intent = models.CharField(max_length=40, choices=Intent.choices)
    key = models.CharField(max_length=200, help_text="One pending step per person and key.")
    trigger_event = models.ForeignKey(Event, null=True, blank=True, on_delete=models.CASCADE,
                                      related_name="journey_steps")
    trigger_at = models.DateTimeField()
    due_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    stage = models.CharField(max_length=40, choices=Stage.choices, blank=True)
    merge = models.JSONField(default=dict, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    reason = models.CharField(max_length=40, blank=True)
    detail = models.CharField(max_length=500, blank=True)
    decision = models.ForeignKey(Decision, null=True, blank=True, on_delete=models.SET_NULL,
                                 related_name="journey_steps")
    created_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-due_at"]
        constraints = [
            models.UniqueConstraint(fields=["contact", "key"], condition=Q(status="pending"),
                                    name="journeystep_one_pending_per_key"),
            models.CheckConstraint(condition=Q(status__in=["pending", "fired", "canceled",
                                                           "expired", "failed"]),
                                   name="journeystep_status_valid"),
            models.CheckConstraint(condition=Q(expires_at__gte=F("due_at")),
                                   name="journeystep_expires_after_due"),
            models.CheckConstraint(condition=Q(status__in=["pending", "fired"]) | ~Q(reason=""),
                                   name="journeystep_end_has_reason"),
        ]
        indexes = [
            # The scheduler's pick: pending rows by due time (partial, stays small).
            models.Index(fields=["due_at"], condition=Q(status="pending"),
                         name="journeystep_due_idx"),
            models.Index(fields=["contact", "status"], name="journeystep_contact_idx"),
            models.Index(fields=["journey", "status"], name="journeystep_journey_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.intent} step for {self.contact_id} [{self.status}]"


class LifecycleSettings(models.Model):
    """A brand's lifecycle thresholds (`delivery.lifecycle` documents the rule)."""

    brand = models.OneToOneField(Brand, on_delete=models.CASCADE,
                                 related_name="lifecycle_settings")
    new_customer_days = models.PositiveIntegerField(default=_DEFAULT_LIFECYCLE.new_customer_days)
    repeat_orders = models.PositiveSmallIntegerField(default=_DEFAULT_LIFECYCLE.repeat_orders)
    lapsing_days = models.PositiveIntegerField(default=_DEFAULT_LIFECYCLE.lapsing_days)
    churned_days = models.PositiveIntegerField(default=_DEFAULT_LIFECYCLE.churned_days)
    # Off, a step goes at the first minute quiet hours allow at or after it is due: the
    # baseline the simulator measures personal send time against.
    personal_send_time = models.BooleanField(
        default=True, help_text="Move each step to the hour the person clicks most, inside "
        "quiet hours and the journey's freshness window.")

    class Meta:
        verbose_name_plural = "lifecycle settings"
        constraints = [
            models.CheckConstraint(condition=Q(lapsing_days__lt=F("churned_days")),
                                   name="lifecycle_lapsing_before_churned"),
            models.CheckConstraint(condition=Q(repeat_orders__gte=2) & Q(new_customer_days__gte=1)
                                   & Q(lapsing_days__gte=1), name="lifecycle_positive"),
        ]

    def __str__(self) -> str:
        return f"Lifecycle settings for {self.brand_id}"

    @property
    def thresholds(self) -> lifecycle.Thresholds:
        return lifecycle.Thresholds(
            new_customer_days=self.new_customer_days, repeat_orders=self.repeat_orders,
            lapsing_days=self.lapsing_days, churned_days=self.churned_days)


class StageChange(models.Model):
    """Append-only history of a person's lifecycle stage; the latest row is the current one."""

    brand = models.ForeignKey(Brand, on_delete=models.CASCADE, related_name="+")
    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="stage_changes")
    from_stage = models.CharField(max_length=40, choices=Stage.choices, blank=True)
    to_stage = models.CharField(max_length=40, choices=Stage.choices)
    event = models.ForeignKey(Event, null=True, blank=True, on_delete=models.CASCADE,
                              related_name="+", help_text="The event that moved it, if one did.")
    occurred_at = models.DateTimeField()

    class Meta:
        ordering = ["contact_id", "-occurred_at", "-id"]
        indexes = [models.Index(fields=["contact", "-occurred_at", "-id"],
                                name="stagechange_latest_idx")]

    def __str__(self) -> str:
        return f"{self.contact_id}: {self.from_stage or '-'} -> {self.to_stage}"
