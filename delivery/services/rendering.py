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
from brandguard.scan import VALID_PLACEHOLDER_RE, host_matches
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
    return value.lower().startswith(("http://", "https://"))


def render(template: str, merge: dict[str, str]) -> Rendered:
    """Fill `{name}` placeholders. A URL value becomes a new first-party short link
    (`<base>/l/<code>`): public shorteners are filtered (Twilio 30963) and our own link is how
    a click is seen. One code per placeholder use, so each click is attributable."""
    links: dict[str, str] = {}

    def fill(match) -> str:
        value = merge[match.group(1)]
        if not is_link(value):
            return value
        _check_url(match.group(1), value)
        code = "".join(secrets.choice(_CODE_ALPHABET) for _ in range(CODE_LENGTH))
        links[code] = value
        return f"{short_link_base()}/l/{code}"

    return Rendered(VALID_PLACEHOLDER_RE.sub(fill, template), links)


def _check_url(name: str, value: str) -> None:
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
        host = (urlsplit(url).hostname or "").lower()
        if is_public_shortener(host):
            found.append({"rule": "PUBLIC_SHORTENER", "severity": "block",
                          "message": f"link destination {host} is a public shortener "
                                     "(Twilio 30963)"})
        elif not any(host_matches(host, d) for d in allowed if d):
            found.append({"rule": "LINK_DOMAIN", "severity": "block",
                          "message": f"link destination {host} is not a brand domain"})
    return found
