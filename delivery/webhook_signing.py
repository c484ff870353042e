"""Signatures of outgoing webhooks, as Stripe signs its own. Pure: no Django, no I/O.

Header: `Studio-Signature: t=<unix seconds>,v1=<hex>` where hex is
HMAC-SHA256(secret, "<t>.<raw body>"). The timestamp is signed with the body, so a captured
request cannot be replayed later than the receiver's tolerance. A receiver may see several
v1= values while a secret is being rolled; any one matching is enough.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

HEADER = "Studio-Signature"
DEFAULT_TOLERANCE = 300  # seconds


def new_secret() -> str:
    return "whsec_" + secrets.token_urlsafe(32)


def signature(secret: str, timestamp: int, body: bytes) -> str:
    signed = str(timestamp).encode() + b"." + body
    return hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()


def header_value(secret: str, timestamp: int, body: bytes) -> str:
    return f"t={timestamp},v1={signature(secret, timestamp, body)}"


def verify(secret: str, header: str, body: bytes, *, now: int,
           tolerance: int = DEFAULT_TOLERANCE) -> bool:
    """True if `header` signs `body` with `secret` within `tolerance` seconds of `now`."""
    parts = [part.partition("=") for part in (header or "").split(",")]
    stamps = [value for key, _, value in parts if key.strip() == "t"]
    candidates = [value.strip() for key, _, value in parts if key.strip() == "v1"]
    if len(stamps) != 1 or not stamps[0].strip().isdigit() or not candidates:
        return False
    timestamp = int(stamps[0])
    if abs(now - timestamp) > tolerance:
        return False
    expected = signature(secret, timestamp, body)
    return any(hmac.compare_digest(expected, candidate) for candidate in candidates)
