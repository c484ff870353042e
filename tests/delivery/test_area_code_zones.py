"""Area codes that straddle a zone line: every zone must be open before a text goes out.

phonenumbers names one zone for +1 850 (Central), but Tallahassee keeps Eastern time: at
19:00 Central it is 20:00 in Tallahassee, where Florida's 8 pm limit has already passed.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import phonenumbers
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from phonenumbers import timezone as pn_timezone

from delivery import quiet_hours
from delivery.area_code_zones import AREA_CODE_ZONES, zones_for_area_code
from delivery.area_codes import AREA_CODE_STATE
from delivery.phones import InvalidPhone, parse_phone
from delivery.services import DecisionRequest, decide
from tests.factories import make_contact

SPLIT = ["850", "448", "812", "930", "270", "364", "423", "541", "458", "308", "219", "906",
         "208", "986", "574", "606", "931", "605", "620", "701", "785", "915", "907", "928",
         "775"]
_EXCHANGES = ("2001234", "2345678", "4831234", "7831234", "6331234", "9221234", "2881234")


def _number(code: str) -> str | None:
    """A number in the area code that the library accepts, or None (a code too new for it)."""
    for exchange in _EXCHANGES:
        try:
            return parse_phone(f"+1{code}{exchange}").e164
        except InvalidPhone:
            continue
    return None


NUMBERS = {code: _number(code) for code in sorted(AREA_CODE_ZONES)}
KNOWN = sorted(code for code, number in NUMBERS.items() if number)


def test_the_table_covers_every_us_area_code_with_real_zones():
    assert set(AREA_CODE_STATE) <= set(AREA_CODE_ZONES)
    for zones in AREA_CODE_ZONES.values():
        assert zones and all(ZoneInfo(z) for z in zones)
    for code in SPLIT:
        assert len(zones_for_area_code(code)) >= 2, code
    assert {"America/Chicago", "America/New_York"} <= set(zones_for_area_code("850"))


@pytest.mark.parametrize("code", KNOWN)
def test_a_number_has_the_union_of_the_table_and_the_library(code):
    number = phonenumbers.parse(NUMBERS[code])
    library = set(pn_timezone.time_zones_for_number(number)) - {"Etc/Unknown"}
    facts = parse_phone(NUMBERS[code])
    assert set(facts.time_zones) == library | set(AREA_CODE_ZONES[code])


@settings(max_examples=3000, deadline=None)
@given(code=st.sampled_from(KNOWN),
       moment=st.datetimes(min_value=datetime(2024, 1, 1), max_value=datetime(2030, 12, 31),
                           timezones=st.just(UTC)))
def test_open_for_a_number_means_open_in_every_zone_its_area_code_touches(code, moment):
    facts = parse_phone(NUMBERS[code])
    if quiet_hours.is_open(moment, facts.time_zones, facts.us_state):
        for zone in AREA_CODE_ZONES[code]:
            assert quiet_hours.is_open(moment, (zone,), facts.us_state), (code, zone, moment)


# 2026-06-15 is a Monday; CDT is UTC-5, EDT UTC-4: 00:00 UTC on the 16th is 19:00 in
# Pensacola (Central) and 20:00 in Tallahassee (Eastern), after Florida's 8 pm limit.
SEVEN_PM_CENTRAL = datetime(2026, 6, 16, 0, 0, tzinfo=UTC)


def test_the_florida_panhandle_is_deferred_when_its_eastern_side_has_closed(pool_brand):
    phone = "+18502001234"
    make_contact(pool_brand, phone, consent_at=SEVEN_PM_CENTRAL - timedelta(days=2))
    decision = decide(pool_brand, DecisionRequest(phone=phone, intent="cart_abandonment", stage="active",
                      merge={"first_name": "Sam", "link": "https://acme.co/cart/1"},
                      now=SEVEN_PM_CENTRAL))
    assert decision.status == "defer"
    send_at = decision.send_at
    assert send_at is not None and send_at > SEVEN_PM_CENTRAL
    eastern = send_at.astimezone(ZoneInfo("America/New_York"))
    central = send_at.astimezone(ZoneInfo("America/Chicago"))
    assert 8 <= central.hour and eastern.hour < 20


@pytest.mark.parametrize(("phone", "moment"), [
    # 20:30 Central in Evansville is 21:30 Eastern in Bloomington: past the federal 9 pm.
    ("+18122001234", datetime(2026, 6, 16, 1, 30, tzinfo=UTC)),
    # 20:30 Pacific in Eugene is 21:30 Mountain in Ontario, Oregon.
    ("+15412001234", datetime(2026, 6, 16, 3, 30, tzinfo=UTC)),
    # 21:30 Central in Grand Island is 20:30 Mountain in North Platte: Central has closed.
    ("+13082001234", datetime(2026, 6, 16, 2, 30, tzinfo=UTC)),
])
def test_a_split_area_code_is_closed_when_one_of_its_sides_is(phone, moment):
    facts = parse_phone(phone)
    opens = [quiet_hours.is_open(moment, (z,), facts.us_state) for z in facts.time_zones]
    assert not all(opens) and any(opens)  # really straddling the line at this instant
    assert not quiet_hours.is_open(moment, facts.time_zones, facts.us_state)


def test_contacts_stored_before_the_table_gain_their_other_zone(pool_brand):
    from importlib import import_module

    from django.apps import apps

    from delivery.models import Contact

    migration = import_module("delivery.migrations.0003_harden_split_zone_contacts")
    old = make_contact(pool_brand, "+18502001234")
    Contact.objects.filter(pk=old.pk).update(time_zones=["America/Chicago"])
    migration.add_split_zones(apps, None)
    old.refresh_from_db()
    assert old.time_zones == ["America/Chicago", "America/New_York"]
