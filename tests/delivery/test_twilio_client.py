"""delivery.twilio_client against the loopback Twilio server, over real HTTP."""

from __future__ import annotations

import re
import socket
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl

import pytest

from delivery.twilio_client import ProviderError, TwilioClient, TwilioConfig, validate_signature
from tests.servers.twilio_server import TwilioServer

SERVICE_SID = "MG" + "1" * 32
CUSTOMER = "+15558675310"
BRAND_NUMBER = "+15017122661"


class WebhookReceiver:
    """A stand-in for our webhook view: captures each POST, 403s a bad signature."""

    def __init__(self, auth_token: str) -> None:
        self.auth_token = auth_token
        self.captured: list[tuple[dict[str, str], dict[str, str]]] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                raw = self.rfile.read(int(self.headers["Content-Length"])).decode()
                params = dict(parse_qsl(raw, keep_blank_values=True))
                receiver.captured.append((dict(self.headers.items()), params))
                signature = self.headers.get("X-Twilio-Signature")
                ok = validate_signature(receiver.url, params, signature, receiver.auth_token)
                self.send_response(200 if ok else 403)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: object) -> None:
                pass

        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._httpd.daemon_threads = False  # so server_close() joins every handler thread
        self._thread = threading.Thread(target=self._httpd.serve_forever, args=(0.05,))
        self._thread.start()
        self.url = f"http://127.0.0.1:{self._httpd.server_address[1]}/webhooks/twilio/status"

    def close(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join()


@pytest.fixture
def twilio() -> Iterator[TwilioServer]:
    yield from TwilioServer.serve()


@pytest.fixture
def receiver(twilio: TwilioServer) -> Iterator[WebhookReceiver]:
    hooks = WebhookReceiver(twilio.auth_token)
    yield hooks
    hooks.close()


def client_for(twilio: TwilioServer, **overrides) -> TwilioClient:
    options = {
        "account_sid": twilio.account_sid,
        "auth_token": twilio.auth_token,
        "messaging_service_sid": SERVICE_SID,
        "base_url": twilio.base_url,
        "timeout": 2.0,
    }
    return TwilioClient(TwilioConfig(**(options | overrides)))


def send(client: TwilioClient, **overrides):
    return client.send_sms(**({"to": CUSTOMER, "body": "Acme: your cart is waiting."} | overrides))


def test_send_sms_returns_the_sid_and_twilio_records_what_we_sent(twilio):
    sent = client_for(twilio).send_sms(
        to=CUSTOMER,
        body="Acme: your cart is waiting. Reply STOP to opt out.",
        status_callback="https://studio.example/webhooks/twilio/status",
        validity_period=3600,
    )
    assert re.fullmatch(r"SM[0-9a-f]{32}", sent.sid)
    assert (sent.status, sent.segments) == ("accepted", 1)
    assert sent.latency_ms >= 0
    assert twilio.messages[0].sid == sent.sid
    assert twilio.messages[0].params == {
        "To": CUSTOMER,
        "Body": "Acme: your cart is waiting. Reply STOP to opt out.",
        "MessagingServiceSid": SERVICE_SID,
        "StatusCallback": "https://studio.example/webhooks/twilio/status",
        "ValidityPeriod": "3600",
    }
    request = twilio.requests[0]
    assert request.path == f"/2010-04-01/Accounts/{twilio.account_sid}/Messages.json"
    assert request.headers["authorization"].startswith("Basic ")


def test_a_bare_sender_number_is_used_when_no_messaging_service_is_configured(twilio):
    sent = send(client_for(twilio, messaging_service_sid=None, from_number=BRAND_NUMBER))
    assert sent.status == "queued"
    assert twilio.messages[0].params["From"] == BRAND_NUMBER
    assert "MessagingServiceSid" not in twilio.messages[0].params


def test_segments_come_back_as_twilio_counts_them(twilio):
    # An escape pair never splits across segments: 3 segments, not 2 (docs/domain.md §1).
    assert send(client_for(twilio), body="a" * 152 + "€" + "a" * 152).segments == 3


def test_fetch_message_reports_the_status_after_a_callback(twilio, receiver):
    client = client_for(twilio)
    sid = send(client, status_callback=receiver.url).sid
    assert twilio.post_status_callback(sid, "delivered") == 200
    state = client.fetch_message(sid)
    assert (state.sid, state.status, state.to, state.error_code) == (sid, "delivered", CUSTOMER,
                                                                     None)


def test_fetching_an_unknown_sid_is_a_permanent_error(twilio):
    with pytest.raises(ProviderError) as raised:
        client_for(twilio).fetch_message("SM" + "0" * 32)
    assert (raised.value.code, raised.value.permanent) == (20404, True)


def test_an_opted_out_number_raises_opted_out_and_nothing_is_sent(twilio):
    twilio.opt_out(CUSTOMER)
    with pytest.raises(ProviderError) as raised:
        send(client_for(twilio))
    error = raised.value
    assert (error.code, error.opted_out, error.permanent, error.http_status) == (
        21610, True, True, 400)
    assert twilio.messages == []


def test_a_scripted_21610_is_mapped_the_same_way(twilio):
    twilio.enqueue(status=400, code=21610)
    with pytest.raises(ProviderError) as raised:
        send(client_for(twilio))
    assert raised.value.opted_out and raised.value.permanent


def test_a_stop_reply_makes_later_sends_fail_with_21610(twilio, receiver):
    assert twilio.post_inbound(receiver.url, from_=CUSTOMER, to=BRAND_NUMBER, body="Stop") == 200
    with pytest.raises(ProviderError) as raised:
        send(client_for(twilio))
    assert raised.value.opted_out


@pytest.mark.parametrize(("status", "code"), [(500, 20500), (503, 20503), (429, 20429)])
def test_server_errors_and_rate_limits_are_transient(twilio, status, code):
    twilio.enqueue(status=status)
    with pytest.raises(ProviderError) as raised:
        send(client_for(twilio))
    error = raised.value
    assert (error.permanent, error.opted_out, error.code, error.http_status) == (
        False, False, code, status)


def test_other_client_errors_are_permanent(twilio):
    twilio.enqueue(status=400, code=21211)
    with pytest.raises(ProviderError) as raised:
        send(client_for(twilio))
    assert (raised.value.permanent, raised.value.opted_out) == (True, False)
    assert "Invalid 'To' Phone Number" in str(raised.value)


def test_a_timeout_is_transient_and_flags_that_the_message_may_exist(twilio):
    twilio.enqueue(status=201, delay=5)
    with pytest.raises(ProviderError) as raised:
        send(client_for(twilio, timeout=0.3))
    assert (raised.value.permanent, raised.value.may_have_sent) == (False, True)
    assert len(twilio.messages) == 1  # Twilio created it anyway: reconcile before retrying


def test_an_unreachable_twilio_is_transient_and_certainly_unsent():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]
    config = TwilioConfig(account_sid="AC" + "0" * 32, auth_token="t", from_number=BRAND_NUMBER,
                          base_url=f"http://127.0.0.1:{closed_port}", timeout=1)
    with pytest.raises(ProviderError) as raised:
        send(TwilioClient(config))
    assert (raised.value.permanent, raised.value.may_have_sent) == (False, False)


def test_bad_credentials_are_permanent(twilio):
    with pytest.raises(ProviderError) as raised:
        send(client_for(twilio, auth_token="wrong"))
    assert (raised.value.permanent, raised.value.code, raised.value.http_status) == (
        True, 20003, 401)
    assert twilio.messages == []


def test_a_signed_status_callback_validates_against_the_url_and_params(twilio, receiver):
    sid = send(client_for(twilio), status_callback=receiver.url).sid
    assert twilio.post_status_callback(sid, "undelivered", error_code=30003) == 200
    headers, params = receiver.captured[-1]
    assert params["MessageSid"] == sid
    assert (params["MessageStatus"], params["ErrorCode"], params["To"]) == (
        "undelivered", "30003", CUSTOMER)
    assert headers["I-Twilio-Idempotency-Token"]
    signature = headers["X-Twilio-Signature"]
    assert validate_signature(receiver.url, params, signature, twilio.auth_token)
    assert not validate_signature(receiver.url, params | {"MessageStatus": "delivered"},
                                  signature, twilio.auth_token)
    assert not validate_signature(receiver.url + "?x=1", params, signature, twilio.auth_token)
    assert not validate_signature(receiver.url, params, signature, "another-token")


@pytest.mark.parametrize("signature", ["forged", "missing"])
def test_forged_or_missing_signatures_are_rejected(twilio, receiver, signature):
    sid = send(client_for(twilio), status_callback=receiver.url).sid
    assert twilio.post_status_callback(sid, "delivered", signature=signature) == 403
    headers, params = receiver.captured[-1]
    assert not validate_signature(receiver.url, params, headers.get("X-Twilio-Signature"),
                                  twilio.auth_token)


def test_a_signed_inbound_message_carries_twilios_usual_params(twilio, receiver):
    assert twilio.post_inbound(receiver.url, from_=CUSTOMER, to=BRAND_NUMBER, body="HELP") == 200
    assert twilio.post_inbound(receiver.url, from_=CUSTOMER, to=BRAND_NUMBER, body="hi",
                               signature="forged") == 403
    _, params = receiver.captured[0]
    assert re.fullmatch(r"SM[0-9a-f]{32}", params["MessageSid"])
    assert (params["From"], params["To"], params["Body"], params["NumMedia"]) == (
        CUSTOMER, BRAND_NUMBER, "HELP", "0")
    assert params["AccountSid"] == twilio.account_sid


def test_a_replayed_callback_keeps_its_idempotency_token(twilio, receiver):
    sid = send(client_for(twilio), status_callback=receiver.url).sid
    for _ in range(2):
        twilio.post_status_callback(sid, "delivered", idempotency_token="tok-1")
    tokens = [headers["I-Twilio-Idempotency-Token"] for headers, _ in receiver.captured]
    assert tokens == ["tok-1", "tok-1"]


def test_a_send_without_any_sender_is_refused_before_calling_twilio(twilio):
    with pytest.raises(ProviderError) as raised:
        send(client_for(twilio, messaging_service_sid=None))
    assert raised.value.permanent
    assert twilio.requests == []


def test_the_server_binds_loopback_and_stops_cleanly_with_a_late_reply_in_flight():
    threads_before = threading.active_count()
    server = TwilioServer().start()
    assert server.base_url.startswith("http://127.0.0.1:")
    server.enqueue(status=201, delay=60)
    with pytest.raises(ProviderError):
        send(client_for(server, timeout=0.2))
    server.stop()
    assert threading.active_count() == threads_before, threading.enumerate()
