"""The SMS provider chosen by settings.SMS_PROVIDER, behind one small interface.

`twilio` goes through `delivery.twilio_client` (the only module that speaks to Twilio);
`console` records the message in the outbox table the studio shows, with no network.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Protocol

from django.conf import settings
from django.urls import reverse

from delivery.models import OutboxMessage, Send
from delivery.twilio_client import TwilioClient, TwilioConfig

# Twilio's date_created has one-second resolution and clocks drift: look a little earlier.
RECONCILE_SLACK = timedelta(minutes=2)


@dataclass(frozen=True, slots=True)
class Handover:
    sid: str
    status: str
    segments: int | None = None
    latency_ms: int | None = None


class Provider(Protocol):
    name: str

    def send(self, send: Send, *, validity_period: int, now: datetime, service: str = ""
             ) -> Handover: ...

    def find(self, send: Send) -> Handover | None: ...

    def send_text(self, text: Text, *, now: datetime, service: str = "") -> Handover: ...

    def find_text(self, text: Text) -> Handover | None: ...


@dataclass(frozen=True, slots=True)
class Text:
    """A transactional text (the double opt-in confirmation): no decision, no Send row; the
    caller's own row holds `key` and claims it before the call, as a Send does."""

    brand_id: int
    to: str
    body: str
    key: str
    created_at: datetime


class ConsoleProvider:
    name: str = Send.Provider.CONSOLE.value

    def send(self, send: Send, *, validity_period: int, now: datetime, service: str = ""
             ) -> Handover:
        OutboxMessage.objects.create(
            brand_id=send.brand_id, decision_id=send.decision_id, send=send,
            to_phone=send.to_phone, body=send.body, kind=OutboxMessage.Kind.SENT,
            created_at=now)
        return Handover(sid=_console_sid(send), status=Send.Status.SENT,
                        segments=send.segments, latency_ms=0)

    def find(self, send: Send) -> Handover | None:
        row = OutboxMessage.objects.filter(send=send, kind=OutboxMessage.Kind.SENT).first()
        return Handover(sid=_console_sid(send), status=Send.Status.SENT) if row else None


    def send_text(self, text: Text, *, now: datetime, service: str = "") -> Handover:
        OutboxMessage.objects.create(brand_id=text.brand_id, to_phone=text.to, body=text.body,
                                     kind=OutboxMessage.Kind.SENT, created_at=now)
        return Handover(sid=_sid_for(text.key), status=Send.Status.SENT, latency_ms=0)

    def find_text(self, text: Text) -> Handover | None:
        found = OutboxMessage.objects.filter(
            brand_id=text.brand_id, to_phone=text.to, body=text.body, send__isnull=True,
            kind=OutboxMessage.Kind.SENT, created_at__gte=text.created_at).exists()
        return Handover(sid=_sid_for(text.key), status=Send.Status.SENT) if found else None


def _console_sid(send: Send) -> str:
    return _sid_for(send.idempotency_key)


def _sid_for(key: str) -> str:
    return "CO" + uuid.uuid5(uuid.NAMESPACE_URL, key).hex


class TwilioProvider:
    name: str = Send.Provider.TWILIO.value

    def __init__(self, client: TwilioClient) -> None:
        self.client = client

    def send(self, send: Send, *, validity_period: int, now: datetime, service: str = ""
             ) -> Handover:
        # The brand's own Messaging Service (its 10DLC campaign), else the account default.
        sent = self.client.send_sms(
            to=send.to_phone, body=send.body, messaging_service_sid=service or None,
            status_callback=status_callback_url(send), validity_period=validity_period,
        )
        return Handover(sid=sent.sid, status=sent.status, segments=sent.segments,
                        latency_ms=sent.latency_ms)

    def find(self, send: Send) -> Handover | None:
        # From the row's creation: the lost create happened after it, however late the retry.
        since = send.created_at - RECONCILE_SLACK
        for message in self.client.find_messages(to=send.to_phone, created_after=since):
            if message.body == send.body:
                return Handover(sid=message.sid, status=message.status)
        return None


    def send_text(self, text: Text, *, now: datetime, service: str = "") -> Handover:
        # No status callback: the row is not a Send, and a callback for an unknown SID is
        # answered 200 and dropped anyway.
        sent = self.client.send_sms(to=text.to, body=text.body,
                                    messaging_service_sid=service or None)
        return Handover(sid=sent.sid, status=sent.status, segments=sent.segments,
                        latency_ms=sent.latency_ms)

    def find_text(self, text: Text) -> Handover | None:
        since = text.created_at - RECONCILE_SLACK
        for message in self.client.find_messages(to=text.to, created_after=since):
            if message.body == text.body:
                return Handover(sid=message.sid, status=message.status)
        return None


def status_callback_url(send: Send) -> str:
    # The send id rides along so a callback that beats the create response (or follows a
    # timed-out create) still finds its row.
    return f"{settings.PUBLIC_BASE_URL}{status_callback_path()}?send={send.pk}"


@lru_cache(maxsize=1)
def status_callback_path() -> str:
    # Resolved in delivery.urls alone, which studio/urls.py mounts at the root (a test holds
    # the two equal): the project URLconf imports every studio view and with them the LLM
    # client stack, 1-3 s of CPU a fresh sender worker would otherwise spend on its first text.
    return reverse("twilio-status", urlconf="delivery.urls")


def twilio_config() -> TwilioConfig:
    return TwilioConfig(
        account_sid=settings.TWILIO_ACCOUNT_SID or "", auth_token=settings.TWILIO_AUTH_TOKEN or "",
        messaging_service_sid=settings.TWILIO_MESSAGING_SERVICE_SID,
        from_number=settings.TWILIO_FROM_NUMBER, base_url=settings.TWILIO_API_BASE_URL,
        timeout=settings.TWILIO_TIMEOUT,
    )


@lru_cache(maxsize=8)
def _twilio_client(config: TwilioConfig) -> TwilioClient:
    # One client (and HTTP session) per process and configuration, not one per send.
    return TwilioClient(config)


def get_provider() -> Provider:
    if settings.SMS_PROVIDER == "twilio":
        return TwilioProvider(_twilio_client(twilio_config()))
    return ConsoleProvider()
