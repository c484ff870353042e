"""A Twilio-protocol HTTP server on loopback, for tests.

Speaks the Messages REST API the official `twilio` client uses (create and fetch, basic auth,
Twilio's error JSON) and plays Twilio's side of webhooks: it POSTs signed status callbacks and
inbound messages to our views, as Twilio would. As a fixture: `yield from TwilioServer.serve()`.

    with TwilioServer() as twilio:
        twilio.enqueue(status=400, code=21610)   # the next API call fails like Twilio's
        twilio.opt_out("+15558675310")           # every send to this number gets 21610
        twilio.post_status_callback(sid, "delivered")
"""

from __future__ import annotations

import base64
import json
import re
import secrets
import urllib.error
import urllib.request
from collections import deque
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

from twilio.request_validator import RequestValidator

from tests.servers.base import LoopbackServer

API_VERSION = "2010-04-01"
_MESSAGES = re.compile(
    rf"^/{API_VERSION}/Accounts/(?P<account>AC\w+)/Messages(?:/(?P<sid>[SM]M\w+))?\.json$"
)
# Messages Twilio returns for the codes tests use; more_info always points at the docs page.
ERROR_MESSAGES = {
    20003: "Authenticate",
    20404: "The requested resource was not found",
    20429: "Too Many Requests",
    20500: "Internal Server Error",
    20503: "Service Unavailable",
    21211: "Invalid 'To' Phone Number",
    21602: "Message body is required.",
    21603: "The source 'From' phone number is required to send an SMS",
    21604: "A 'To' phone number is required.",
    21610: "Attempt to send to unsubscribed recipient",
    21617: "The concatenated message body exceeds the 1600 character limit.",
    21624: "Validity period can only be set to integers between 1 and 36,000 seconds.",
}
_DEFAULT_CODE = {400: 21211, 401: 20003, 404: 20404, 429: 20429, 500: 20500, 503: 20503}
# Twilio's default keyword handling (docs/domain.md §2): after STOP, sends answer 21610.
OPT_OUT_WORDS = {"STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "REVOKE", "OPTOUT"}
OPT_IN_WORDS = {"START", "YES", "UNSTOP"}
_GSM_BASIC = set(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡"
    "ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
_GSM_EXTENSION = set("\f^{}\\[~]|€")
_Reply = tuple[int, dict[str, Any], dict[str, str]]


@dataclass(frozen=True)
class RecordedRequest:
    method: str
    path: str
    headers: dict[str, str]  # names lower-cased
    form: dict[str, str]  # one value per name (the Messages API repeats only MediaUrl)


@dataclass
class ReceivedMessage:
    sid: str
    params: dict[str, str]  # the form exactly as posted: To, Body, StatusCallback, ...
    resource: dict[str, Any]  # the Message resource as the API returns it


@dataclass
class ScriptedFailure:
    """The next API call's fate. A status below 400 creates normally, after `delay`."""

    status: int = 500
    code: int | None = None
    message: str | None = None
    delay: float = 0.0
    headers: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class PostedWebhook:
    url: str
    params: dict[str, str]
    headers: dict[str, str]
    status: int


def new_sid(prefix: str) -> str:
    return prefix + secrets.token_hex(16)


def error_json(status: int, code: int | None = None, message: str | None = None) -> dict:
    code = code or _DEFAULT_CODE.get(status, 20500 if status >= 500 else 21211)
    return {
        "code": code,
        "message": message or ERROR_MESSAGES.get(code, "Error"),
        "more_info": f"https://www.twilio.com/docs/errors/{code}",
        "status": status,
    }


def count_segments(body: str) -> int:
    """Segments as Twilio bills them: GSM-7 septets or UCS-2 units, escapes never split."""
    if all(c in _GSM_BASIC or c in _GSM_EXTENSION for c in body):
        costs, single, multi = [2 if c in _GSM_EXTENSION else 1 for c in body], 160, 153
    else:
        costs, single, multi = [2 if ord(c) > 0xFFFF else 1 for c in body], 70, 67
    if sum(costs) <= single:
        return 1
    segments, used = 1, 0
    for cost in costs:
        if used + cost > multi:
            segments, used = segments + 1, 0
        used += cost
    return segments


def _now() -> str:
    return format_datetime(datetime.now(UTC))  # RFC 2822, as Twilio's JSON dates are


class TwilioServer(LoopbackServer):
    thread_name = "twilio-loopback"

    def __init__(self, *, account_sid: str | None = None, auth_token: str | None = None,
                 service_from: str = "+15017122661") -> None:
        super().__init__()
        self.account_sid = account_sid or new_sid("AC")
        self.auth_token = auth_token or secrets.token_hex(16)
        self.service_from = service_from  # the pool number a Messaging Service sends from
        self.requests: list[RecordedRequest] = []
        self.messages: list[ReceivedMessage] = []
        self.webhooks: list[PostedWebhook] = []
        self.opted_out: set[str] = set()
        self._failures: deque[ScriptedFailure] = deque()

    @property
    def base_url(self) -> str:
        """Stands in for https://api.twilio.com."""
        return f"http://127.0.0.1:{self.port}"

    # -- scripting ---------------------------------------------------------------------------
    def enqueue(self, status: int = 500, **kw: Any) -> None:
        """Script the next API call: status, code, message, delay (seconds), headers.
        `enqueue(status=201, delay=5)` creates the message, then answers too late."""
        self._failures.append(ScriptedFailure(status=status, **kw))

    def opt_out(self, phone: str) -> None:
        self.opted_out.add(phone)  # as if the person had replied STOP

    def message(self, sid: str) -> ReceivedMessage:
        for received in self.messages:
            if received.sid == sid:
                return received
        raise KeyError(f"no message {sid} was sent to this server")

    # -- REST API ----------------------------------------------------------------------------
    def handle(self, h: BaseHTTPRequestHandler) -> None:
        raw = h.rfile.read(int(h.headers.get("Content-Length") or 0)).decode("utf-8")
        form = dict(parse_qsl(raw, keep_blank_values=True))
        path, query = urlsplit(h.path)[2:4]
        if h.command == "GET":  # list filters (To=, PageSize=) travel in the query string
            form.update(parse_qsl(query, keep_blank_values=True))
        headers = {k.lower(): v for k, v in h.headers.items()}
        with self._lock:
            self.requests.append(RecordedRequest(h.command, path, headers, form))
        status, payload, extra = self._route(h.command, path, headers, form)
        try:
            _send(h, status, payload, extra)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client timed out and left; Twilio would not notice either

    def _route(self, method: str, path: str, headers: dict, form: dict[str, str]) -> _Reply:
        match = _MESSAGES.match(path)
        if match is None:
            return 404, error_json(404), {}
        if not self._authorized(headers.get("authorization", ""), match["account"]):
            return 401, error_json(401), {"WWW-Authenticate": 'Basic realm="Twilio API"'}
        with self._lock:
            failure = self._failures.popleft() if self._failures else None
        if failure is None or failure.status < 400:
            # A late success acts first and answers late: the message exists though the
            # client gave up, which is what reconciliation must cope with.
            reply = self._dispatch(method, match["sid"], form)
        else:
            payload = error_json(failure.status, failure.code, failure.message)
            reply = failure.status, payload, failure.headers
        if failure is not None:
            self._stopping.wait(failure.delay)
        return reply

    def _authorized(self, header: str, account: str) -> bool:
        scheme, _, encoded = header.partition(" ")
        try:
            user, _, password = base64.b64decode(encoded).decode().partition(":")
        except ValueError:
            return False
        return (scheme.lower() == "basic" and account == self.account_sid
                and user == self.account_sid and password == self.auth_token)

    def _dispatch(self, method: str, sid: str | None, form: dict[str, str]) -> _Reply:
        if method == "POST" and sid is None:
            return self._create(form)
        if method == "GET" and sid is None:
            return 200, self._list(form), {}
        found = [m for m in self.messages if m.sid == sid]
        if method == "GET" and found:
            return 200, dict(found[0].resource), {}
        return 404, error_json(404), {}

    def _list(self, query: dict[str, str]) -> dict[str, Any]:
        to, size = query.get("To"), int(query.get("PageSize") or 50)
        found = [dict(m.resource) for m in reversed(self.messages) if to in (None, m.params["To"])]
        uri = f"/{API_VERSION}/Accounts/{self.account_sid}/Messages.json"
        return {"messages": found[:size], "page": 0, "page_size": size, "start": 0,
                "end": max(0, min(size, len(found)) - 1), "uri": uri, "first_page_uri": uri,
                "next_page_uri": None, "previous_page_uri": None}

    def _create(self, form: dict[str, str]) -> _Reply:
        problem = _create_problem(form, self.opted_out)
        if problem is not None:
            return 400, error_json(400, problem), {}
        sid, via_service = new_sid("SM"), "MessagingServiceSid" in form
        uri = f"/{API_VERSION}/Accounts/{self.account_sid}/Messages/{sid}.json"
        resource = {
            "account_sid": self.account_sid, "api_version": API_VERSION,
            "body": form.get("Body", ""), "date_created": _now(), "date_sent": None,
            "date_updated": _now(), "direction": "outbound-api", "error_code": None,
            "error_message": None, "from": form.get("From"),
            "messaging_service_sid": form.get("MessagingServiceSid"), "num_media": "0",
            "num_segments": str(count_segments(form.get("Body", ""))), "price": None,
            "price_unit": "USD", "sid": sid,
            # With a Messaging Service Twilio has not picked a sender yet: "accepted".
            "status": "accepted" if via_service else "queued", "to": form["To"], "uri": uri,
            "subresource_uris": {"media": uri.replace(".json", "/Media.json")},
        }
        with self._lock:
            self.messages.append(ReceivedMessage(sid, dict(form), resource))
        return 201, resource, {}

    # -- webhooks (Twilio -> us) -------------------------------------------------------------
    def post_status_callback(self, message_sid: str, status: str, url: str | None = None, *,
                             error_code: int | None = None, signature: str = "valid",
                             idempotency_token: str | None = None) -> int:
        """POST a status callback for a sent message; returns the receiver's HTTP status.

        `signature` is "valid", "forged" (signed with the wrong token) or "missing".
        Passing the same `idempotency_token` twice replays a callback as Twilio's retries do.
        """
        sent = self.message(message_sid)
        target = url or sent.params.get("StatusCallback")
        if not target:
            raise ValueError(f"{message_sid} has no StatusCallback and no url was given")
        sender = sent.params.get("From") or self.service_from
        sent.resource.update(status=status, error_code=error_code, date_updated=_now(),
                             **{"from": sender})
        params = {
            "MessageSid": message_sid, "SmsSid": message_sid, "MessageStatus": status,
            "SmsStatus": status, "AccountSid": self.account_sid, "From": sender,
            "To": sent.params["To"], "ApiVersion": API_VERSION,
        }
        if "MessagingServiceSid" in sent.params:
            params["MessagingServiceSid"] = sent.params["MessagingServiceSid"]
        if error_code is not None:
            params["ErrorCode"] = str(error_code)
        return self._post_webhook(target, params, signature, idempotency_token)

    def post_inbound(self, url: str, from_: str, to: str, body: str, *, signature: str = "valid",
                     idempotency_token: str | None = None) -> int:
        """POST an incoming SMS webhook; returns the receiver's HTTP status.

        Like Twilio's default opt-out handling, STOP-family keywords make later sends to
        `from_` fail with 21610 and START-family keywords lift that.
        """
        keyword = body.strip().rstrip(".!?").upper()
        if keyword in OPT_OUT_WORDS:
            self.opted_out.add(from_)
        elif keyword in OPT_IN_WORDS:
            self.opted_out.discard(from_)
        sid = new_sid("SM")
        params = {
            "MessageSid": sid, "SmsSid": sid, "SmsMessageSid": sid,
            "AccountSid": self.account_sid, "From": from_, "To": to, "Body": body,
            "NumMedia": "0", "NumSegments": str(count_segments(body)),
            "SmsStatus": "received", "ApiVersion": API_VERSION,
            "FromCountry": "US", "ToCountry": "US",
        }
        return self._post_webhook(url, params, signature, idempotency_token)

    def _post_webhook(self, url: str, params: dict, signature: str, token: str | None) -> int:
        if signature not in ("valid", "forged", "missing"):
            raise ValueError(f"signature must be valid, forged or missing, not {signature!r}")
        headers = {
            "Content-Type": "application/x-www-form-urlencoded",
            "User-Agent": "TwilioProxy/1.1",
            "I-Twilio-Idempotency-Token": token or secrets.token_hex(16),
        }
        if signature != "missing":  # a forgery is well-formed but signed with the wrong key
            key = self.auth_token if signature == "valid" else self.auth_token[::-1] + "x"
            headers["X-Twilio-Signature"] = RequestValidator(key).compute_signature(url, params)
        status = _post_form(url, params, headers)
        with self._lock:
            self.webhooks.append(PostedWebhook(url, dict(params), headers, status))
        return status


def _create_problem(form: dict[str, str], opted_out: set[str]) -> int | None:
    """The Twilio error code a create request earns, checked in Twilio's order."""
    validity = form.get("ValidityPeriod")
    checks = [
        (not form.get("To"), 21604),
        (not (form.get("From") or form.get("MessagingServiceSid")), 21603),
        (not (form.get("Body") or form.get("MediaUrl") or form.get("ContentSid")), 21602),
        (len(form.get("Body", "")) > 1600, 21617),
        (validity is not None and not (validity.isdigit() and 1 <= int(validity) <= 36000),
         21624),
        (form.get("To") in opted_out, 21610),
    ]
    return next((code for failed, code in checks if failed), None)


def _post_form(url: str, params: dict[str, str], headers: dict[str, str]) -> int:
    # An opener without proxies: a stray HTTP_PROXY must never reroute a loopback webhook.
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    request = urllib.request.Request(url, urlencode(params).encode(), headers, method="POST")
    try:
        with opener.open(request, timeout=10) as response:
            return response.status
    except urllib.error.HTTPError as error:
        error.close()
        return error.code


def _send(h: BaseHTTPRequestHandler, status: int, payload: dict, headers: dict) -> None:
    body = json.dumps(payload).encode()
    h.send_response(status)
    h.send_header("Content-Type", "application/json; charset=utf-8")
    h.send_header("Content-Length", str(len(body)))
    h.send_header("Twilio-Request-Id", new_sid("RQ"))
    for name, value in headers.items():
        h.send_header(name, value)
    # One request per connection: no idle keep-alive socket can hold shutdown hostage.
    h.send_header("Connection", "close")
    h.end_headers()
    h.wfile.write(body)
