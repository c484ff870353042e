"""The one place outgoing webhook HTTP calls are made: timeout, latency, error mapping, and
which destinations may be reached at all.

Every answer comes back as a `WebhookResponse`; nothing from httpx leaks past this module.
Redirects are not followed (the signed URL is the one the brand registered).

A brand manager types the URL and our worker makes the request from inside our network, so
without a check the studio would fetch whatever that network can reach: the cloud metadata
service at 169.254.169.254, Redis or PostgreSQL on loopback, an admin panel on 10.0.0.0/8
(server-side request forgery, OWASP A10:2021). Unless private destinations are allowed
(development and tests, whose receivers listen on loopback), the host is resolved once,
every address it resolves to must be public, and the request is made to that checked
address (with the name kept for the Host header, TLS SNI and certificate check), so a
second DNS answer cannot swap in a private address between check and connect."""

from __future__ import annotations

import ipaddress
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urlsplit, urlunsplit

import httpx

USER_AGENT = "SMSCopyStudio-Webhooks/1.0"


@dataclass(frozen=True, slots=True)
class WebhookResponse:
    ok: bool  # the receiver acknowledged it (2xx)
    status_code: int | None  # None when no HTTP answer came back
    error: str  # empty when ok
    latency_ms: int
    # Retrying cannot help (the destination is one we refuse to reach).
    permanent: bool = False


class BlockedDestination(ValueError):
    """The URL's host is, or resolves to, an address webhooks may not reach."""


def is_public_address(address: str) -> bool:
    """True for a globally routable unicast address (not loopback, private, link-local,
    shared CGNAT space, multicast, reserved or unspecified); IPv4-mapped IPv6 is judged as
    the IPv4 address it carries."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_global and not ip.is_multicast


AddressRule = Callable[[str], bool]


def resolve_public(host: str, port: int, allowed: AddressRule = is_public_address) -> str:
    """The first address `host` resolves to, once every address it resolves to is
    `allowed` (public, by default). Raises `BlockedDestination` otherwise (and when the name
    does not resolve): one private answer among public ones is refused, not skipped."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as error:
        raise BlockedDestination(f"{host} does not resolve ({error})") from error
    addresses = list(dict.fromkeys(str(info[4][0]) for info in infos))
    private = [address for address in addresses if not allowed(address)]
    if private or not addresses:
        raise BlockedDestination(
            f"{host} resolves to {', '.join(private) or 'nothing'}, which is not a public "
            "address; webhooks go only to endpoints on the public internet")
    return addresses[0]


def check_destination(url: str) -> None:
    """Raises `BlockedDestination` when `url` could not be delivered to with private
    destinations refused; a form calls this to tell the brand manager at once."""
    parts = urlsplit(url)
    resolve_public(parts.hostname or "", parts.port or _default_port(parts.scheme))


def post(url: str, body: bytes, headers: dict[str, str], *, timeout: float,
         allowed: AddressRule | None = is_public_address) -> WebhookResponse:
    """POST `body` to `url`. `allowed` judges each address the host resolves to; None lets
    any destination through (private networks allowed)."""
    started = time.perf_counter()
    headers = {"Content-Type": "application/json", "User-Agent": USER_AGENT, **headers}
    extensions: dict[str, str] = {}
    if allowed is not None:
        try:
            url, headers, extensions = pin_destination(url, headers, allowed)
        except BlockedDestination as error:
            return _failed(None, f"refused: {error}", started, permanent=True)
    try:
        with httpx.Client(timeout=timeout, follow_redirects=False) as http:
            response = http.post(url, content=body, headers=headers, extensions=extensions)
    except httpx.TimeoutException:
        return _failed(None, f"no answer within {timeout:g} s", started)
    except httpx.HTTPError as error:
        return _failed(None, f"could not connect: {type(error).__name__}: {error}", started)
    if 200 <= response.status_code < 300:
        return WebhookResponse(True, response.status_code, "", _ms(started))
    snippet = response.text[:200].strip()
    return _failed(response.status_code, f"HTTP {response.status_code}"
                   + (f": {snippet}" if snippet else ""), started)


def pin_destination(url: str, headers: dict[str, str], allowed: AddressRule
            ) -> tuple[str, dict[str, str], dict[str, str]]:
    """The URL rewritten to the checked address, the Host header it needs, and the TLS
    name to present and verify (httpcore's `sni_hostname` extension)."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    port = parts.port or _default_port(parts.scheme)
    address = resolve_public(host, port, allowed)
    literal = f"[{address}]" if ":" in address else address
    netloc = f"{literal}:{parts.port}" if parts.port else literal
    host_header = parts.netloc.rsplit("@", 1)[-1]
    extensions = {"sni_hostname": host} if parts.scheme == "https" else {}
    return (urlunsplit(parts._replace(netloc=netloc)), {**headers, "Host": host_header},
            extensions)


def _default_port(scheme: str) -> int:
    return 443 if scheme == "https" else 80


def _failed(status: int | None, error: str, started: float, *,
            permanent: bool = False) -> WebhookResponse:
    return WebhookResponse(False, status, error[:500], _ms(started), permanent)


def _ms(started: float) -> int:
    return int((time.perf_counter() - started) * 1000)
