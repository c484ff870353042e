"""Contacts, consent, decisions and sends. One module per family; import from here."""

from delivery.models.config import ApiKey, DeliverySettings
from delivery.models.contacts import ConsentEvent, Contact, InboundMessage
from delivery.models.decisions import ArmState, Decision, Event, ShortLink
from delivery.models.journeys import Journey, JourneyStep, LifecycleSettings, StageChange
from delivery.models.sends import OutboxMessage, Send, SendStatusEvent

__all__ = [
    "ApiKey",
    "ArmState",
    "ConsentEvent",
    "Contact",
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
    "StageChange",
]
