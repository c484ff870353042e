"""Fixtures for the delivery tests: a policy'd brand with a pool, a loopback Twilio, clocks.

Every clock is injected (`now=`); the few tests that go through the Celery task (which
reads the real clock) pick a number whose window is open right now with `open_phone`.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta

import pytest

from brandguard.services import save_policy_version
from delivery import quiet_hours
from delivery.phones import parse_phone
from tests.factories import make_api_key, make_brand, make_pool_variant
from tests.servers.twilio_server import TwilioServer

SERVICE_SID = "MG" + "7" * 32
# 2026-06-15 is a Monday in EDT (UTC-4): 16:00 UTC is noon in New York, 03:00 UTC is 23:00.
NOON_NY = datetime(2026, 6, 15, 16, 0, tzinfo=UTC)
NIGHT_NY = datetime(2026, 6, 16, 3, 0, tzinfo=UTC)
NY = "+12125550123"

# Numbers with one zone each, spread around the globe: at any instant one is open and one
# closed with a margin (the TCPA window applies to every zone we text). No two neighbouring
# offsets are more than about two hours apart, so whatever the hour some zone has just
# opened and stays open for ten hours (tests/delivery/test_world_clock.py holds this).
_WORLD = ("+12125550123", "+13125550123", "+12135550123", "+18085550123", "+16715550123",
          "+442079460958", "+493012345678", "+81312345678", "+61298765432", "+551134567890",
          "+85223456789", "+97142345678", "+912223456789", "+6621234567", "+74951234567",
          "+6493012345", "+2382601234")


def _open_for(phone: str, start: datetime, minutes: int) -> bool:
    facts = parse_phone(phone)
    return all(quiet_hours.is_open(start + timedelta(minutes=m), facts.time_zones,
                                   facts.us_state) for m in (0, minutes // 2, minutes))


def phone_open_now(minutes: int = 30) -> str:
    now = datetime.now(UTC)
    return next(p for p in _WORLD if _open_for(p, now, minutes))


def phones_open_now(count: int, minutes: int = 30) -> list[str]:
    """`count` distinct valid numbers sharing the zones of one that is open now (the last
    digits varied), for tests that need many people texted in the open window."""
    base = phone_open_now(minutes)
    zones = parse_phone(base).time_zones
    found = [base]
    for n in range(10_000):
        if len(found) == count:
            return found
        candidate = f"{base[:-4]}{n:04d}"
        try:
            facts = parse_phone(candidate)
        except ValueError:
            continue
        if candidate not in found and facts.time_zones == zones and not facts.flags:
            found.append(candidate)
    raise AssertionError(f"only {len(found)} numbers like {base}")


def phone_closed_now(minutes: int = 30) -> str:
    now = datetime.now(UTC)
    return next(p for p in _WORLD if not any(
        quiet_hours.is_open(now + timedelta(minutes=m), parse_phone(p).time_zones,
                            parse_phone(p).us_state) for m in (0, minutes // 2, minutes)))


def wait_until(condition: Callable[[], bool], timeout: float = 10.0) -> None:
    """Poll a condition (not a timing assumption): fail loudly if it never holds."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        time.sleep(0.01)


@pytest.fixture
def pool_brand(db):
    """A brand with a saved policy and two approved cart variants using {first_name}/{link}."""
    brand = make_brand()
    save_policy_version(brand, rules={
        "max_segments": 2, "allowed_link_domains": ["acme.co"],
        "merge_fields": {"first_name": {"max_length": 12}, "link": {"max_length": 40}},
    })
    make_pool_variant(brand, text="Acme Outdoors: {first_name}, your cart is waiting: {link} "
                                  "Reply STOP to opt out")
    make_pool_variant(brand, text="Acme Outdoors: still thinking it over, {first_name}? "
                                  "Your cart: {link} Reply STOP to opt out")
    return brand


@pytest.fixture
def api_key(pool_brand) -> str:
    return make_api_key(pool_brand)


MERGE = {"first_name": "Sam", "link": "https://acme.co/cart/123"}


@pytest.fixture
def twilio_server() -> Iterator[TwilioServer]:
    yield from TwilioServer.serve()


@pytest.fixture
def twilio(twilio_server: TwilioServer, settings) -> TwilioServer:
    """SMS_PROVIDER=twilio, pointed at the loopback server through the client's HTTP layer."""
    settings.SMS_PROVIDER = "twilio"
    settings.TWILIO_ACCOUNT_SID = twilio_server.account_sid
    settings.TWILIO_AUTH_TOKEN = twilio_server.auth_token
    settings.TWILIO_MESSAGING_SERVICE_SID = SERVICE_SID
    settings.TWILIO_API_BASE_URL = twilio_server.base_url
    settings.TWILIO_TIMEOUT = 2.0
    return twilio_server


@pytest.fixture
def signed_app(twilio: TwilioServer, live_server, settings) -> str:
    """The Django app served on loopback, with webhook signatures over its real URL."""
    settings.PUBLIC_BASE_URL = live_server.url
    return live_server.url
