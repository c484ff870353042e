"""Saving a brand's delivery settings (caps, quiet hours, how the bandit learns)."""

from __future__ import annotations

from typing import Any

from django.db import transaction

from brandguard.models import Brand
from delivery.models import DeliverySettings

# What the studio's Delivery settings page may change; the sender routing fields
# (messaging service, sender number) stay with the administrators.
EDITABLE_FIELDS = (
    "daily_cap", "weekly_cap", "quiet_end", "quiet_start", "reward_metric",
    "attribution_window_days", "optout_penalty_weight", "penalty_window_days",
)


def save_delivery_settings(brand: Brand, *, values: dict[str, Any]) -> DeliverySettings:
    """Create or update the brand's row with `values` (EDITABLE_FIELDS only). The next
    decision reads it afresh; sends already queued are re-checked against it."""
    unknown = set(values) - set(EDITABLE_FIELDS)
    if unknown:
        raise ValueError(f"not editable here: {', '.join(sorted(unknown))}")
    with transaction.atomic():
        settings, _ = DeliverySettings.objects.select_for_update().get_or_create(brand=brand)
        for name, value in values.items():
            setattr(settings, name, value)
        settings.full_clean()
        settings.save()
    return settings
