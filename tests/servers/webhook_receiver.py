"""A brand's webhook receiver on loopback, for tests: verifies the signature the way the
README tells receivers to, deduplicates on the event id, and fails on demand.

    with WebhookReceiver(secret) as receiver:
        receiver.fail_next(2)            # the next two requests get a 500
        ...
        receiver.processed               # events acted on, once each
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler

from delivery import webhook_signing
from tests.servers.base import LoopbackServer


@dataclass(frozen=True)
class ReceivedRequest:
    at: float  # time.monotonic()
    headers: dict[str, str]  # names lower-cased
    body: bytes
    signature_ok: bool
    status: int


class WebhookReceiver(LoopbackServer):
    thread_name = "webhook-receiver"

    def __init__(self, secret: str = "") -> None:
        super().__init__()
        self.secret = secret
        self.requests: list[ReceivedRequest] = []
        self.processed: list[dict] = []  # each event once, in the order first acted on
        self._seen: set[str] = set()
        self._failures = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hooks/studio"

    def fail_next(self, count: int) -> None:
        with self._lock:
            self._failures = count

    def handle(self, h: BaseHTTPRequestHandler) -> None:
        body = h.rfile.read(int(h.headers.get("Content-Length") or 0))
        headers = {k.lower(): v for k, v in h.headers.items()}
        ok = webhook_signing.verify(self.secret, headers.get("studio-signature", ""), body,
                                    now=int(time.time()))
        with self._lock:
            if not ok:
                status = 403
            else:
                event = json.loads(body)
                # Act on each event once, whatever happens to our answer (at least once).
                if event["id"] not in self._seen:
                    self._seen.add(event["id"])
                    self.processed.append(event)
                status = 500 if self._failures else 200
                self._failures = max(0, self._failures - 1)
            self.requests.append(ReceivedRequest(time.monotonic(), headers, body, ok, status))
        h.send_response(status)
        h.send_header("Content-Length", "0")
        h.end_headers()
