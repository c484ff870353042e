"""Read-mostly admin for delivery records; ledgers are append-only, so no edits there."""

from __future__ import annotations

from django.contrib import admin

from delivery import models


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(models.Contact)
class ContactAdmin(ReadOnlyAdmin):
    list_display = ["phone", "brand", "us_state", "opted_out", "hold_for_review"]
    list_filter = ["brand", "opted_out", "hold_for_review"]
    search_fields = ["phone"]


@admin.register(models.ConsentEvent)
class ConsentEventAdmin(ReadOnlyAdmin):
    list_display = ["phone", "brand", "kind", "source", "occurred_at"]
    list_filter = ["brand", "kind", "source"]
    search_fields = ["phone"]


@admin.register(models.Decision)
class DecisionAdmin(ReadOnlyAdmin):
    list_display = ["id", "brand", "phone", "intent", "stage", "status", "reason", "created_at"]
    list_filter = ["brand", "status", "reason"]


@admin.register(models.Send)
class SendAdmin(ReadOnlyAdmin):
    list_display = ["id", "brand", "to_phone", "status", "provider_sid", "scheduled_for"]
    list_filter = ["brand", "status", "provider"]


@admin.register(models.DeliverySettings)
class DeliverySettingsAdmin(admin.ModelAdmin):
    list_display = ["brand", "daily_cap", "weekly_cap", "reward_metric"]


for model in (models.InboundMessage, models.OutboxMessage, models.Event, models.ShortLink,
              models.ArmState, models.SendStatusEvent, models.ApiKey):
    admin.site.register(model, ReadOnlyAdmin)
