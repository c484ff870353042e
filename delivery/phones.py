"""Phone number facts for delivery rules: E.164 parsing, time zones, US state.

Pure: no Django, no I/O. `phonenumbers` carries the numbering-plan metadata; the area code
table in `delivery.area_codes` carries the state (docs/domain.md §4).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import phonenumbers
from phonenumbers import NumberParseException, PhoneNumberType, ValidationResult
from phonenumbers import phonenumberutil as pn_util
from phonenumbers import timezone as pn_timezone

from delivery.area_code_zones import zones_for_area_code
from delivery.area_codes import TOLL_FREE_AREA_CODES, state_for_area_code

# phonenumbers answers "Etc/Unknown" when it cannot place a number in a zone.
UNKNOWN_ZONE = "Etc/Unknown"

# Flags that mean "do not send, hold for human review" (docs/domain.md §4).
FLAG_INVALID = "invalid"
FLAG_TOLL_FREE = "toll_free"
FLAG_NON_GEOGRAPHIC = "non_geographic"
FLAG_UNKNOWN_TIMEZONE = "unknown_timezone"

_TYPE_NAMES = {
    value: name
    for name, value in vars(PhoneNumberType).items()
    if name.isupper() and isinstance(value, int)
}

# Digits plus the separators people paste ("+1 (206) 555-0123"); no letters, no extensions.
_E164_ISH = re.compile(r"\+[0-9][0-9 ().-]*")
# The stored form (also the contact table's check constraint): "+", no trunk 0, 7-15 digits.
E164_RE = re.compile(r"\+[1-9][0-9]{6,14}")

_PARSE_ERRORS = {
    NumberParseException.INVALID_COUNTRY_CODE: "unknown country calling code",
    NumberParseException.NOT_A_NUMBER: "not a phone number",
    NumberParseException.TOO_SHORT_AFTER_IDD: "too few digits",
    NumberParseException.TOO_SHORT_NSN: "too few digits",
    NumberParseException.TOO_LONG: "too many digits",
}

_POSSIBLE_ERRORS = {
    ValidationResult.INVALID_COUNTRY_CODE: "unknown country calling code",
    ValidationResult.TOO_SHORT: "too few digits",
    ValidationResult.TOO_LONG: "too many digits",
    ValidationResult.INVALID_LENGTH: "wrong number of digits for its country",
}


class InvalidPhone(ValueError):
    """The input is not a usable phone number. `message` is safe to show to a user."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True, slots=True)
class PhoneFacts:
    e164: str
    valid: bool
    number_type: str
    region: str | None
    time_zones: tuple[str, ...]
    us_state: str | None
    geographic: bool

    @property
    def nanp_area_code(self) -> str | None:
        return self.e164[2:5] if self.e164.startswith("+1") and len(self.e164) == 12 else None

    @property
    def toll_free(self) -> bool:
        return self.number_type == "TOLL_FREE" or self.nanp_area_code in TOLL_FREE_AREA_CODES

    @property
    def flags(self) -> tuple[str, ...]:
        """Reasons to hold this number for review instead of sending; empty means none."""
        found = []
        if not self.valid:
            found.append(FLAG_INVALID)
        if self.toll_free:
            found.append(FLAG_TOLL_FREE)
        if not self.geographic:
            found.append(FLAG_NON_GEOGRAPHIC)
        if not self.time_zones:
            found.append(FLAG_UNKNOWN_TIMEZONE)
        return tuple(found)


def is_e164(raw: str) -> bool:
    """Already in the stored form? Says nothing about validity: only parse_phone knows."""
    return isinstance(raw, str) and E164_RE.fullmatch(raw) is not None


def parse_phone(raw: str, *, allow_invalid: bool = False) -> PhoneFacts:
    """Parse an E.164 number ("+14155550123"; spaces, dashes and brackets tolerated).

    Raises InvalidPhone for anything that is not a valid number. With allow_invalid=True a
    number that parses but fails validation (e.g. a stored contact the newer metadata no
    longer knows) comes back with valid=False so the caller can hold it for review.
    """
    number = _parse(raw)
    region = phonenumbers.region_code_for_number(number)
    valid = region is not None and phonenumbers.is_valid_number_for_region(number, region)
    if not valid and not allow_invalid:
        raise InvalidPhone(f"{raw.strip()!r} is not an assigned phone number range")
    e164 = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    kind = _number_type(number, region)
    geographic = phonenumbers.is_number_type_geographical(kind, number.country_code or 0)
    return PhoneFacts(
        e164=e164,
        valid=valid,
        number_type=_TYPE_NAMES.get(kind, "UNKNOWN"),
        region=region,
        time_zones=_zones(number, kind, geographic) if valid else (),
        us_state=state_for_area_code(e164[2:5]) if number.country_code == 1 else None,
        geographic=valid and geographic,
    )


# phonenumbers' is_valid_number, number_type, region_code_for_number, is_number_geographical
# and time_zones_for_number each look the region up again; for +1 that is a scan of some 25
# regions' patterns, most of a parse's cost (an import parses thousands of numbers a second).
# These do the same with the region found once; test_phones holds them equal to the public
# functions.

def _number_type(number: phonenumbers.PhoneNumber, region: str | None) -> int:
    metadata = phonenumbers.PhoneMetadata.metadata_for_region_or_calling_code(
        number.country_code or 0, region or "")
    if metadata is None:
        return PhoneNumberType.UNKNOWN
    national = phonenumbers.national_significant_number(number)
    return pn_util._number_type_helper(national, metadata)


def _parse(raw: str) -> phonenumbers.PhoneNumber:
    if not isinstance(raw, str) or not raw.strip():
        raise InvalidPhone("a phone number is required")
    text = raw.strip()
    if not text.startswith("+"):
        # Without a country code "2065550123" is ambiguous; E.164 is the stored form.
        raise InvalidPhone(f"{text!r} must start with + and the country code, e.g. +14155550123")
    if not _E164_ISH.fullmatch(text):
        raise InvalidPhone(f"{text!r} may only contain digits after the +, e.g. +14155550123")
    try:
        number = phonenumbers.parse(text, None)
    except NumberParseException as exc:
        problem = _PARSE_ERRORS.get(exc.error_type, "not a phone number")
        raise InvalidPhone(f"{text!r} is not a phone number: {problem}") from None
    reason = phonenumbers.is_possible_number_with_reason(number)
    if reason in _POSSIBLE_ERRORS:
        raise InvalidPhone(f"{text!r} is not a phone number: {_POSSIBLE_ERRORS[reason]}")
    return number


def _zones(number: phonenumbers.PhoneNumber, kind: int, geographic: bool) -> tuple[str, ...]:
    """The library's zones for the number's prefix, united with every zone its NANP area
    code touches (delivery.area_code_zones): the library names one zone for +1 850, but
    the panhandle keeps both Central and Eastern time, and quiet hours must hold in both."""
    if kind == PhoneNumberType.UNKNOWN:
        return ()
    if geographic:
        zones = set(pn_timezone.time_zones_for_geographical_number(number))
    else:
        zones = set(pn_timezone._country_level_time_zones_for_number(number))
    if number.country_code == 1:
        zones.update(zones_for_area_code(str(number.national_number)[:3]))
    # Normalise "unknown" to an empty tuple so callers test one thing: `if not zones`.
    zones.discard(UNKNOWN_ZONE)
    return tuple(sorted(zones))
