"""Merge-field rendering and first-party short links (the brandguard re-check of the text
exactly as it will be sent: delivery.services.text_guard)."""

from __future__ import annotations

import secrets
import string
from dataclasses import dataclass, field
from functools import lru_cache

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator

from brandguard.scan import VALID_PLACEHOLDER_RE
from delivery.links import SAFE_SCHEMES, destination_host, link_scheme
from delivery.services.errors import InvalidMergeValue

_CODE_ALPHABET = string.ascii_letters + string.digits
CODE_LENGTH = 10  # 62**10: guessing a live code is hopeless, and it stays short in a text
_CODE_SPACE = len(_CODE_ALPHABET) ** CODE_LENGTH
_url_validator = URLValidator(schemes=["http", "https"])


@dataclass(frozen=True, slots=True)
class Rendered:
    text: str
    links: dict[str, str] = field(default_factory=dict)  # code -> destination
    # The text in pieces, each short link as (base,) instead of its URL: two renderings of
    # one shape differ only in their codes (delivery.services.text_guard's cache key).
    shape: tuple = ()


def placeholders(template: str) -> list[str]:
    return list(_placeholders(template))


@lru_cache(maxsize=1024)  # a pool's few approved texts, asked about for every decision
def _placeholders(template: str) -> tuple[str, ...]:
    return tuple(m.group(1) for m in VALID_PLACEHOLDER_RE.finditer(template))


def missing_fields(template: str, merge: dict[str, str]) -> list[str]:
    return [name for name in _placeholders(template) if name not in merge]


def short_link_base() -> str:
    return (settings.SHORT_LINK_BASE_URL or settings.PUBLIC_BASE_URL).rstrip("/")


@lru_cache(maxsize=8192)  # pure; a campaign's merge values repeat
def is_link(value: str) -> bool:
    return link_scheme(value) is not None


def new_code() -> str:
    """CODE_LENGTH characters of _CODE_ALPHABET, each uniform and independent: one
    uniform number below 62**CODE_LENGTH written in base 62 is exactly that."""
    number = secrets.randbelow(_CODE_SPACE)
    digits = []
    for _ in range(CODE_LENGTH):
        number, digit = divmod(number, len(_CODE_ALPHABET))
        digits.append(_CODE_ALPHABET[digit])
    return "".join(digits)


def render(template: str, merge: dict[str, str]) -> Rendered:
    """Fill `{name}` placeholders. A URL value becomes a new first-party short link
    (`<base>/l/<code>`): public shorteners are filtered (Twilio 30963) and our own link is how
    a click is seen. One code per placeholder use, so each click is attributable."""
    links: dict[str, str] = {}
    base = short_link_base()
    parts: list[str] = []
    shape: list = []
    at = 0
    for match in VALID_PLACEHOLDER_RE.finditer(template):
        literal, name = template[at:match.start()], match.group(1)
        at = match.end()
        value = merge[name]
        if is_link(value):
            _check_url(name, value)  # javascript:, data:, tel: … never become links
            code = new_code()
            links[code] = value
            parts += (literal, base, "/l/", code)
            shape += (literal, (base,))
        else:
            parts += (literal, value)
            shape += (literal, value)
    parts.append(template[at:])
    shape.append(template[at:])
    return Rendered("".join(parts), links, tuple(shape))


def withhold_links(rendered: Rendered) -> str:
    """The text with each short link replaced by a note of where it would have led, for
    the studio's record of a blocked text: nothing in it can be clicked through us."""
    text = rendered.text
    for code, destination in rendered.links.items():
        host = destination_host(destination) or "an unreadable URL"
        text = text.replace(f"{short_link_base()}/l/{code}", f"[link to {host} withheld]")
    return text


def _check_url(name: str, value: str) -> None:
    problem = _url_problem(value)
    if problem is not None:
        raise InvalidMergeValue(problem.format(name=name), field=f"merge.{name}")


@lru_cache(maxsize=4096)  # pure, and a campaign's links repeat: validate each one once
def _url_problem(value: str) -> str | None:
    scheme = link_scheme(value)
    if scheme not in SAFE_SCHEMES:
        return f"{{name}} is a {scheme}: link; only http(s) links are allowed"
    try:
        _url_validator(value)
    except ValidationError:
        return "{name} is not a valid http(s) URL"
    return None
