"""parse_phone finds the region once; its facts must equal phonenumbers' public functions."""

from __future__ import annotations

import phonenumbers
from hypothesis import given, settings
from hypothesis import strategies as st
from phonenumbers import timezone as pn_timezone

from delivery.phones import InvalidPhone, parse_phone

COUNTRY_CODES = st.sampled_from(["1", "44", "49", "33", "81", "61", "55", "852", "971", "7",
                                 "52", "91", "800", "882", "39", "34"])


def reference(raw: str) -> tuple:
    number = phonenumbers.parse(raw, None)
    valid = phonenumbers.is_valid_number(number)
    zones = tuple(z for z in pn_timezone.time_zones_for_number(number) if z != "Etc/Unknown")
    return (phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164), valid,
            phonenumbers.number_type(number), phonenumbers.region_code_for_number(number),
            zones if valid else (), valid and phonenumbers.is_number_geographical(number))


@settings(max_examples=600, deadline=None)
@given(code=COUNTRY_CODES, digits=st.text(alphabet="0123456789", min_size=6, max_size=12))
def test_parse_phone_equals_the_public_functions(code, digits):
    raw = f"+{code}{digits}"
    try:
        facts = parse_phone(raw, allow_invalid=True)
    except InvalidPhone:
        return
    e164, valid, kind, region, zones, geographic = reference(raw)
    assert (facts.e164, facts.valid, facts.region, facts.time_zones, facts.geographic) == (
        e164, valid, region, zones, geographic)
    assert facts.number_type == {v: k for k, v in vars(phonenumbers.PhoneNumberType).items()
                                 if k.isupper() and isinstance(v, int)}.get(kind, "UNKNOWN")


def test_known_numbers_keep_their_facts():
    for raw in ("+14155550123", "+18005550199", "+442079460958", "+61298765432",
                "+16715550123", "+80012345678"):
        facts = parse_phone(raw, allow_invalid=True)
        e164, valid, _kind, region, zones, geographic = reference(raw)
        assert (facts.e164, facts.valid, facts.region, facts.time_zones,
                facts.geographic) == (e164, valid, region, zones, geographic)
