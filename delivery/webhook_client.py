"""The one place outgoing webhook HTTP calls are made: timeout, latency, error mapping.

Every answer comes back as a `WebhookResponse`; nothing from httpx leaks past this module.
Redirects are not followed (the signed URL is the one the brand registered)."""

from __future__ import annotations

import time
from dataclasses import dataclass

import httpx

USER_AGENT = "SMSCopyStudio-Webhooks/1.0"


@dataclass(frozen=True, slots=True)
class WebhookResponse:
    ok: bool  # the receiver acknowledged it (2xx)
    status_code: int | None  # None when no HTTP answer came back
    error: str  # empty when ok
    latency_ms: int


def post(url: str, body: bytes, headers: dict[str, str], *, timeout: float) -> WebhookResponse:
    started = time.perf_counter()
    try:
        response = httpx.post(url, content=body, timeout=timeout, follow_redirects=False,
                              headers={"Content-Type": "application/json",
                                       "User-Agent": USER_AGENT, **headers})
    except httpx.TimeoutException:
        return _failed(None, f"no answer within {timeout:g} s", started)
    except httpx.HTTPError as error:
        return _failed(None, f"could not connect: {type(error).__name__}: {error}", started)
    if 200 <= response.status_code < 300:
        return WebhookResponse(True, response.status_code, "", _ms(started))
    snippet = response.text[:200].strip()
    return _failed(response.status_code, f"HTTP {response.status_code}"
                   + (f": {snippet}" if snippet else ""), started)


def _failed(status: int | None, error: str, started: float) -> WebhookResponse:
    return WebhookResponse(False, status, error[:500], _ms(started))


def _ms(started: float) -> int:
    return int((time.perf_counter() - started) * 1000)
