"""The one place the product talks to Twilio's Messages API.

Django-free on purpose: the settings layer builds a `TwilioConfig`, services call
`TwilioClient(config).send_sms(...)`. Timeouts, error mapping and latency live here and
nowhere else; callers only ever see `ProviderError`, never a twilio or requests exception.

Pointing at a loopback server (tests, benchmarks): set `TwilioConfig.base_url`. The client
then gets a `BaseUrlHttpClient`, a `TwilioHttpClient` subclass that swaps the scheme and host
of every URL for the configured base and keeps the path. We hook the HTTP layer rather than
setting `client.api.base_url` because `http_client=` is the constructor argument twilio-python
offers for exactly this, it is where the timeout lives anyway, it covers every Twilio domain,
and it runs after the SDK's own edge/region host rewriting (which reads TWILIO_EDGE and
TWILIO_REGION from the environment), so nothing can steer a test send to the real API.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar
from urllib.parse import urlsplit

import requests
from twilio.base.exceptions import TwilioException, TwilioRestException, TwilioServiceException
from twilio.http.http_client import TwilioHttpClient
from twilio.http.response import Response
from twilio.request_validator import RequestValidator
from twilio.rest import Client
from urllib3.exceptions import NewConnectionError

OPTED_OUT_CODE = 21610  # "Attempt to send to unsubscribed recipient": the person sent STOP
_T = TypeVar("_T")


class ProviderError(Exception):
    """A failed Twilio call, in our terms.

    permanent: retrying the same request cannot succeed (bad number, bad credentials, STOP).
    opted_out: Twilio refused because the recipient opted out; mark the contact, never retry.
    may_have_sent: the request may have reached Twilio (read timeout, unreadable reply), so a
        retry could send twice; reconcile first, as docs/domain.md §6 requires.
    """

    def __init__(
        self,
        message: str,
        code: int | None = None,
        *,
        permanent: bool,
        opted_out: bool = False,
        http_status: int | None = None,
        may_have_sent: bool = False,
        latency_ms: int | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.permanent = permanent
        self.opted_out = opted_out
        self.http_status = http_status
        self.may_have_sent = may_have_sent
        self.latency_ms = latency_ms

    def __repr__(self) -> str:
        return (f"ProviderError({self.message!r}, code={self.code}, permanent={self.permanent}, "
                f"opted_out={self.opted_out}, http_status={self.http_status})")


@dataclass(frozen=True)
class TwilioConfig:
    account_sid: str
    auth_token: str
    messaging_service_sid: str | None = None
    from_number: str | None = None
    base_url: str | None = None  # None: the real https://api.twilio.com
    timeout: float = 10.0  # seconds, for connect and for read

    def __post_init__(self) -> None:
        if not self.account_sid or not self.auth_token:
            raise ValueError("TwilioConfig needs account_sid and auth_token")
        if self.timeout <= 0:
            raise ValueError("TwilioConfig.timeout must be positive")


@dataclass(frozen=True)
class SentMessage:
    sid: str
    status: str
    segments: int
    latency_ms: int


@dataclass(frozen=True)
class MessageState:
    """A message as Twilio reports it now: what reconciliation compares against."""

    sid: str
    status: str
    to: str
    segments: int
    error_code: int | None
    latency_ms: int


@dataclass(frozen=True)
class ListedMessage:
    """One message from a list query: enough to recognise a send whose create timed out."""

    sid: str
    status: str
    to: str
    body: str
    date_created: datetime | None


class BaseUrlHttpClient(TwilioHttpClient):
    """Sends every request to `base_url` (scheme and host) instead of *.twilio.com."""

    def __init__(self, base_url: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.base_url = base_url.rstrip("/")

    def request(self, method: str, url: str, *args: Any, **kwargs: Any) -> Response:
        parts = urlsplit(url)
        query = f"?{parts.query}" if parts.query else ""
        return super().request(method, f"{self.base_url}{parts.path}{query}", *args, **kwargs)


def build_client(config: TwilioConfig) -> Client:
    # No transport retries (TwilioHttpClient's default): creating a message is not
    # idempotent, so a silent resend after a lost reply would text the person twice.
    if config.base_url:
        http_client: TwilioHttpClient = BaseUrlHttpClient(config.base_url, timeout=config.timeout)
    else:
        http_client = TwilioHttpClient(timeout=config.timeout)
    return Client(config.account_sid, config.auth_token, http_client=http_client)


class TwilioClient:
    def __init__(self, config: TwilioConfig, *, client: Client | None = None) -> None:
        self.config = config
        self._client = client or build_client(config)
        # The SDK imports its REST resources on first use (~0.1 s of CPU): pay that when
        # the per-process client is built, not inside the first send's timeout.
        self._client.messages  # noqa: B018

    def send_sms(
        self,
        *,
        to: str,
        body: str,
        messaging_service_sid: str | None = None,
        from_: str | None = None,
        status_callback: str | None = None,
        validity_period: int | None = None,
    ) -> SentMessage:
        """Create one outbound SMS. Raises ProviderError on any failure.

        A Messaging Service (argument, else config) wins over a bare sender number, since it
        carries the 10DLC campaign, sticky sender and opt-out handling.
        """
        service = messaging_service_sid or self.config.messaging_service_sid
        sender = from_ or (None if service else self.config.from_number)
        if not (service or sender):
            raise ProviderError("No Messaging Service SID or sender number configured",
                                permanent=True)
        params = {
            "to": to, "body": body, "messaging_service_sid": service, "from_": sender,
            "status_callback": status_callback, "validity_period": validity_period,
        }
        # Pass only what we set: the SDK's own default for every option is `values.unset`.
        given = {name: value for name, value in params.items() if value is not None}
        message, latency_ms = self._call(lambda: self._client.messages.create(**given),
                                         creates=True)
        return SentMessage(sid=message.sid, status=message.status,
                           segments=_segments(message.num_segments), latency_ms=latency_ms)

    def fetch_message(self, sid: str) -> MessageState:
        message, latency_ms = self._call(lambda: self._client.messages(sid).fetch(),
                                         creates=False)
        return MessageState(sid=message.sid, status=message.status, to=message.to,
                            segments=_segments(message.num_segments),
                            error_code=message.error_code, latency_ms=latency_ms)

    def find_messages(self, *, to: str, created_after: datetime, limit: int = 20
                      ) -> list[ListedMessage]:
        """Recent messages to `to` created at or after `created_after` (newest first).

        Messages create has no idempotency key, so after a timeout this is how we learn
        whether Twilio made the message before retrying (docs/domain.md §6).
        """
        found, _latency = self._call(lambda: self._client.messages.list(to=to, limit=limit),
                                     creates=False)
        return [ListedMessage(sid=m.sid, status=m.status, to=m.to, body=m.body or "",
                              date_created=m.date_created)
                for m in found if m.date_created is None or m.date_created >= created_after]

    def _call(self, fn: Callable[[], _T], *, creates: bool) -> tuple[_T, int]:
        started = time.perf_counter()
        try:
            result = fn()
        except (TwilioException, requests.RequestException, ValueError) as exc:
            error = map_error(exc, timeout=self.config.timeout, creates=creates)
            error.latency_ms = _elapsed_ms(started)
            raise error from exc
        return result, _elapsed_ms(started)


def map_error(exc: Exception, *, timeout: float, creates: bool) -> ProviderError:
    """Translate a vendor or transport exception into ProviderError."""
    if isinstance(exc, TwilioRestException | TwilioServiceException):
        status, code = exc.status, exc.code
        text = getattr(exc, "msg", None) or getattr(exc, "detail", None) or exc.title
        # 429 and 5xx are Twilio saying "not now"; every other 4xx is about the request.
        transient = status in (408, 429) or status >= 500
        return ProviderError(f"Twilio {status}: {text}", code, permanent=not transient,
                             opted_out=code == OPTED_OUT_CODE, http_status=status)
    if isinstance(exc, requests.RequestException) and _never_reached_twilio(exc):
        return ProviderError(f"Twilio unreachable: {exc}", permanent=False)
    if isinstance(exc, requests.Timeout):
        return ProviderError(f"Twilio did not answer within {timeout:g}s", permanent=False,
                             may_have_sent=creates)
    # A dropped connection after the request went out, an unreadable success body, anything
    # else: Twilio may have acted on it, so the outcome is unknown.
    return ProviderError(f"Twilio call failed: {type(exc).__name__}: {exc}", permanent=False,
                         may_have_sent=creates)


def _never_reached_twilio(exc: requests.RequestException) -> bool:
    """True only when no byte of the request can have reached Twilio."""
    if isinstance(exc, requests.ConnectTimeout):
        return True
    reason = getattr(exc.args[0], "reason", None) if exc.args else None
    return isinstance(reason, NewConnectionError)  # refused, DNS failure


def validate_signature(
    url: str, params: Mapping[str, Any], signature: str | None, auth_token: str
) -> bool:
    """True when X-Twilio-Signature matches `url` (the full public URL Twilio called) and the
    POSTed params. A missing or empty signature is simply invalid."""
    if not signature:
        return False
    return RequestValidator(auth_token).validate(url, params, signature)


def _elapsed_ms(started: float) -> int:
    return round((time.perf_counter() - started) * 1000)


def _segments(value: str | None) -> int:
    try:
        return int(value or 1)
    except ValueError:
        return 1
