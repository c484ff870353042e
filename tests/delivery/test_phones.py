from __future__ import annotations

import re

import phonenumbers
import pytest
from hypothesis import given
from hypothesis import strategies as st
from phonenumbers.geodata import GEOCODE_DATA

from delivery.area_codes import AREA_CODE_STATE, TOLL_FREE_AREA_CODES, state_for_area_code
from delivery.phones import (
    FLAG_INVALID,
    FLAG_NON_GEOGRAPHIC,
    FLAG_TOLL_FREE,
    FLAG_UNKNOWN_TIMEZONE,
    InvalidPhone,
    PhoneFacts,
    parse_phone,
)

US_STATES_AND_DC = set(
    "AL AK AZ AR CA CO CT DE DC FL GA HI ID IL IN IA KS KY LA ME MD MA MI MN MS MO MT NE NV "
    "NH NJ NM NY NC ND OH OK OR PA RI SC SD TN TX UT VT VA WA WV WI WY".split()
)


def test_it_normalises_pasted_formatting_to_e164():
    facts = parse_phone(" +1 (206) 555-0123 ")

    assert facts.e164 == "+12065550123"
    assert facts.valid
    assert facts.region == "US"
    assert facts.us_state == "WA"
    assert facts.time_zones == ("America/Los_Angeles",)
    assert facts.geographic
    assert facts.flags == ()


def test_it_keeps_every_zone_of_a_number_that_spans_two():
    facts = parse_phone("+12085550123")

    assert set(facts.time_zones) == {"America/Boise", "America/Los_Angeles"}
    assert facts.us_state == "ID"


@pytest.mark.parametrize(
    ("number", "state"),
    [
        ("+13055550123", "FL"),
        ("+19545550123", "FL"),
        ("+14055550123", "OK"),
        ("+19185550123", "OK"),
        ("+14105550123", "MD"),
        ("+13015550123", "MD"),
        ("+12065550123", "WA"),
        ("+15095550123", "WA"),
        ("+12125550123", "NY"),
        ("+12025550123", "DC"),
        ("+16025550123", "AZ"),
    ],
)
def test_it_derives_the_state_from_the_area_code(number, state):
    assert parse_phone(number).us_state == state


def test_it_gives_arizona_its_own_zone_without_dst():
    assert parse_phone("+16025550123").time_zones == ("America/Phoenix",)


def test_it_leaves_the_state_empty_for_canada():
    facts = parse_phone("+14165550123")

    assert facts.region == "CA"
    assert facts.us_state is None
    assert facts.time_zones == ("America/Toronto",)


@pytest.mark.parametrize("code", sorted(TOLL_FREE_AREA_CODES))
def test_it_flags_toll_free_numbers(code):
    facts = parse_phone(f"+1{code}5550123")

    assert facts.toll_free
    assert not facts.geographic
    assert FLAG_TOLL_FREE in facts.flags
    assert FLAG_NON_GEOGRAPHIC in facts.flags
    assert facts.us_state is None


def test_it_flags_a_non_geographic_personal_number():
    facts = parse_phone("+15005550006")

    assert facts.number_type == "PERSONAL_NUMBER"
    assert facts.flags == (FLAG_NON_GEOGRAPHIC,)


@pytest.mark.parametrize(
    ("raw", "fragment"),
    [
        ("", "required"),
        ("   ", "required"),
        ("2065550123", "must start with +"),
        ("+1-800-FLOWERS", "only contain digits"),
        ("+1 206 555 0123 ext 4", "only contain digits"),
        ("+1206", "too few digits"),
        ("+1206555012345", "too many digits"),
        ("+999123456", "unknown country calling code"),
        ("+12425551234", "not an assigned phone number range"),
    ],
)
def test_it_refuses_invalid_input_with_a_clear_message(raw, fragment):
    with pytest.raises(InvalidPhone) as caught:
        parse_phone(raw)

    assert fragment in caught.value.message
    assert str(caught.value) == caught.value.message


def test_it_refuses_a_non_string():
    with pytest.raises(InvalidPhone):
        parse_phone(None)  # type: ignore[arg-type]


def test_it_can_describe_an_invalid_number_for_review_instead_of_raising():
    facts = parse_phone("+12425551234", allow_invalid=True)

    assert not facts.valid
    assert facts.time_zones == ()
    assert facts.flags[0] == FLAG_INVALID
    assert FLAG_UNKNOWN_TIMEZONE in facts.flags


def test_an_empty_zone_tuple_is_flagged_as_unknown():
    facts = PhoneFacts("+12065550123", True, "FIXED_LINE_OR_MOBILE", "US", (), "WA", True)

    assert facts.flags == (FLAG_UNKNOWN_TIMEZONE,)


def test_the_area_code_table_covers_every_state_and_dc():
    assert US_STATES_AND_DC <= set(AREA_CODE_STATE.values())
    assert all(re.fullmatch(r"[2-9]\d\d", code) for code in AREA_CODE_STATE)
    assert not TOLL_FREE_AREA_CODES & set(AREA_CODE_STATE)
    assert state_for_area_code("800") is None


def test_the_area_code_table_agrees_with_the_phonenumbers_geocoder():
    # The geocoder names the state (or "City, ST") of most NANP area codes: an independent
    # source for the same public list.
    names = {
        "Washington D.C.": "DC",
        "Washington State": "WA",
        **{name: code for code, name in _STATE_NAMES.items()},
    }
    checked = 0
    for prefix, descriptions in GEOCODE_DATA.items():
        if not (prefix.startswith("1") and len(prefix) == 4):
            continue
        text = descriptions.get("en", "")
        state = names.get(text) or (text.rsplit(", ", 1)[-1] if ", " in text else None)
        if state in US_STATES_AND_DC:
            assert AREA_CODE_STATE.get(prefix[1:]) == state, (prefix, text)
            checked += 1
    assert checked > 300


@given(
    code=st.sampled_from(sorted(AREA_CODE_STATE)),
    exchange=st.integers(200, 999),
    line=st.integers(0, 9999),
)
def test_random_us_numbers_round_trip_with_state_and_zones(code, exchange, line):
    raw = f"+1{code}{exchange}{line:04d}"
    number = phonenumbers.parse(raw)
    if not phonenumbers.is_valid_number(number):
        with pytest.raises(InvalidPhone):
            parse_phone(raw)
        return

    facts = parse_phone(raw)

    assert facts.e164 == raw
    assert facts.us_state == AREA_CODE_STATE[code]
    assert facts.time_zones
    assert "Etc/Unknown" not in facts.time_zones


_STATE_NAMES = {
    "AL": "Alabama", "AK": "Alaska", "AZ": "Arizona", "AR": "Arkansas", "CA": "California",
    "CO": "Colorado", "CT": "Connecticut", "DE": "Delaware", "FL": "Florida", "GA": "Georgia",
    "HI": "Hawaii", "ID": "Idaho", "IL": "Illinois", "IN": "Indiana", "IA": "Iowa",
    "KS": "Kansas", "KY": "Kentucky", "LA": "Louisiana", "ME": "Maine", "MD": "Maryland",
    "MA": "Massachusetts", "MI": "Michigan", "MN": "Minnesota", "MS": "Mississippi",
    "MO": "Missouri", "MT": "Montana", "NE": "Nebraska", "NV": "Nevada",
    "NH": "New Hampshire", "NJ": "New Jersey", "NM": "New Mexico", "NY": "New York",
    "NC": "North Carolina", "ND": "North Dakota", "OH": "Ohio", "OK": "Oklahoma",
    "OR": "Oregon", "PA": "Pennsylvania", "RI": "Rhode Island", "SC": "South Carolina",
    "SD": "South Dakota", "TN": "Tennessee", "TX": "Texas", "UT": "Utah", "VT": "Vermont",
    "VA": "Virginia", "WV": "West Virginia", "WI": "Wisconsin", "WY": "Wyoming",
}  # fmt: skip
