"""Contacts, consent, decisions and sends. One module per family; import from here."""

from delivery.models.audience import ConsentRequest, ContactImport
from delivery.models.config import ApiKey, ApiRateBucket, DeliverySettings
from delivery.models.contacts import ConsentEvent, Contact, InboundMessage
from delivery.models.decisions import ArmState, Decision, Event, ShortLink
from delivery.models.journeys import Journey, JourneyStep, LifecycleSettings, StageChange
from delivery.models.sends import OutboxMessage, Send, SendStatusEvent
from delivery.models.webhooks import WebhookDelivery, WebhookEndpoint

__all__ = [
    "ApiKey",
    "ApiRateBucket",
    "ArmState",
    "ConsentEvent",
    "ConsentRequest",
    "Contact",
    "ContactImport",
    "Decision",
    "DeliverySettings",
    "Event",
    "InboundMessage",
    "Journey",
    "JourneyStep",
    "LifecycleSettings",
    "OutboxMessage",
    "Send",
    "SendStatusEvent",
    "ShortLink",
    "WebhookDelivery",
    "WebhookEndpoint",
    "StageChange",
]
