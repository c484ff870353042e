"""Merge-field rendering, first-party short links and the brandguard re-check of the text
exactly as it will be sent."""

from __future__ import annotations

import dataclasses
import secrets
import string
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator

import brandguard
from brandguard.checks.links import is_public_shortener
from brandguard.scan import VALID_PLACEHOLDER_RE
from delivery.links import SAFE_SCHEMES, destination_allowed, destination_host, link_scheme
from delivery.services.errors import InvalidMergeValue

_CODE_ALPHABET = string.ascii_letters + string.digits
CODE_LENGTH = 10  # 62**10: guessing a live code is hopeless, and it stays short in a text
_url_validator = URLValidator(schemes=["http", "https"])


@dataclass(frozen=True, slots=True)
class Rendered:
    text: str
    links: dict[str, str] = field(default_factory=dict)  # code -> destination


def placeholders(template: str) -> list[str]:
    return [m.group(1) for m in VALID_PLACEHOLDER_RE.finditer(template)]


def missing_fields(template: str, merge: dict[str, str]) -> list[str]:
    return [name for name in placeholders(template) if name not in merge]


def short_link_base() -> str:
    return (settings.SHORT_LINK_BASE_URL or settings.PUBLIC_BASE_URL).rstrip("/")


def is_link(value: str) -> bool:
    return link_scheme(value) is not None


def render(template: str, merge: dict[str, str]) -> Rendered:
    """Fill `{name}` placeholders. A URL value becomes a new first-party short link
    (`<base>/l/<code>`): public shorteners are filtered (Twilio 30963) and our own link is how
    a click is seen. One code per placeholder use, so each click is attributable."""
    links: dict[str, str] = {}

    def fill(match) -> str:
        value = merge[match.group(1)]
        if not is_link(value):
            return value
        _check_url(match.group(1), value)  # javascript:, data:, tel: … never become links
        code = "".join(secrets.choice(_CODE_ALPHABET) for _ in range(CODE_LENGTH))
        links[code] = value
        return f"{short_link_base()}/l/{code}"

    return Rendered(VALID_PLACEHOLDER_RE.sub(fill, template), links)


def withhold_links(rendered: Rendered) -> str:
    """The text with each short link replaced by a note of where it would have led, for
    the studio's record of a blocked text: nothing in it can be clicked through us."""
    text = rendered.text
    for code, destination in rendered.links.items():
        host = destination_host(destination) or "an unreadable URL"
        text = text.replace(f"{short_link_base()}/l/{code}", f"[link to {host} withheld]")
    return text


def _check_url(name: str, value: str) -> None:
    scheme = link_scheme(value)
    if scheme not in SAFE_SCHEMES:
        raise InvalidMergeValue(f"{name} is a {scheme}: link; only http(s) links are allowed",
                                field=f"merge.{name}")
    try:
        _url_validator(value)
    except ValidationError:
        raise InvalidMergeValue(f"{name} is not a valid http(s) URL", field=f"merge.{name}"
                                ) from None


@dataclass(frozen=True, slots=True)
class GuardResult:
    passed: bool
    encoding: str
    segments: int
    findings: list[dict]


def guard_rendered(rendered: Rendered, policy: brandguard.Policy, *, first_message: bool
                   ) -> GuardResult:
    """Re-check the text as sent. Our own short-link host is allowed next to the brand's
    domains; each destination must itself be on the brand's domains and no public shortener
    (a redirect through bit.ly is still a shared-shortener link to the carrier's crawler)."""
    host = urlsplit(short_link_base()).hostname or ""
    sent_policy = dataclasses.replace(
        policy, allowed_link_domains=[*policy.allowed_link_domains, host]
    )
    context = brandguard.MessageContext(message_type="marketing", first_message=first_message)
    report = brandguard.check(rendered.text, sent_policy, context, fix=False)
    blocking = [f.to_dict() for f in report.findings if f.severity == brandguard.Severity.BLOCK]
    blocking += _destination_findings(rendered.links.values(), policy)
    return GuardResult(not blocking, report.analysis.encoding, report.analysis.segments,
                       blocking)


def _destination_findings(destinations, policy: brandguard.Policy) -> list[dict]:
    allowed = [*policy.allowed_link_domains, policy.website_domain]
    found = []
    for url in destinations:
        host = destination_host(url)
        if host is None:
            found.append({"rule": "LINK_DOMAIN", "severity": "block",
                          "message": "link destination is not a plain http(s) URL on a host "
                                     "(credentials, escapes or spaces in it)"})
        elif is_public_shortener(host):
            found.append({"rule": "PUBLIC_SHORTENER", "severity": "block",
                          "message": f"link destination {host} is a public shortener "
                                     "(Twilio 30963)"})
        elif not destination_allowed(url, allowed):
            found.append({"rule": "LINK_DOMAIN", "severity": "block",
                          "message": f"link destination {host} is not a brand domain"})
    return found
