"""Which links a brand's short links may lead to.

Pure: no Django, no I/O. A first-party short link (`/l/<code>`) carries the brand's name and
the carrier's trust; redirecting to a host the brand does not own would make it a phishing
tool. The host is judged the way a browser will read the URL, and every URL this module
cannot read unambiguously is refused rather than guessed at: credentials before the host
(`brand.com@evil.example`), a backslash (browsers read it as `/`, Python's parser does not),
percent escapes, whitespace or non-ASCII in the host.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

SAFE_SCHEMES = ("http", "https")
# WHATWG URL parsing strips leading C0 controls and spaces and drops tabs and newlines
# anywhere, so "  java\tscript:alert(1)" is still a javascript: URL to a browser.
_IGNORED_BY_BROWSERS = re.compile(r"[\x00-\x20]")
_SCHEME = re.compile(r"([a-z][a-z0-9+.\-]*):", re.IGNORECASE)
# Schemes a merge value might carry into a text that a phone or a browser would act on.
_KNOWN_SCHEMES = frozenset({
    "javascript", "vbscript", "data", "file", "blob", "filesystem", "about", "ftp", "ftps",
    "mailto", "tel", "sms", "smsto", "mms", "intent", "market", "itms", "itms-apps", "ws",
    "wss", "content", "chrome", "view-source", "jar",
})
_HOST = re.compile(r"[a-z0-9](?:[a-z0-9\-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9\-]*[a-z0-9])?)*")
_UNSAFE_IN_URL = re.compile(r"[\x00-\x20\x7f\\]")


def link_scheme(value: str) -> str | None:
    """The scheme a browser would see in `value` (lower case), or None for plain text.

    Only `scheme://…` or a known scheme counts, so ordinary merge text with a colon
    ("Time: 5pm") stays text."""
    squeezed = _IGNORED_BY_BROWSERS.sub("", value)
    match = _SCHEME.match(squeezed)
    if match is None:
        return None
    scheme = match.group(1).lower()
    if scheme in _KNOWN_SCHEMES or scheme in SAFE_SCHEMES or squeezed[match.end():].startswith("//"):
        return scheme
    return None


def is_safe_scheme(value: str) -> bool:
    return link_scheme(value) in SAFE_SCHEMES


def destination_host(url: str) -> str | None:
    """The host a browser would go to, lower case, or None when the URL is not an http(s)
    URL this module can read without ambiguity."""
    if _UNSAFE_IN_URL.search(url):
        return None
    try:
        parts = urlsplit(url)
        host = parts.hostname
        parts.port  # noqa: B018  (raises ValueError on a malformed port)
    except ValueError:
        return None
    if parts.scheme.lower() not in SAFE_SCHEMES or not host:
        return None
    if "@" in parts.netloc:
        return None  # https://brand.com@evil.example goes to evil.example
    host = host.rstrip(".")
    return host if _HOST.fullmatch(host) else None


def host_matches(host: str, domain: str) -> bool:
    """The domain itself or a subdomain of it ("evilbrand.com" is not "brand.com")."""
    domain = domain.lower().strip().strip(".")
    return bool(domain) and (host == domain or host.endswith("." + domain))


def destination_allowed(url: str, domains: list[str] | tuple[str, ...]) -> bool:
    """May a short link lead to `url`: an http(s) URL whose host is one of `domains` or a
    subdomain of one."""
    host = destination_host(url)
    return host is not None and any(host_matches(host, d) for d in domains if d)
