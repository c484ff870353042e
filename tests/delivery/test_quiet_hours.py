from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from delivery import quiet_hours
from delivery.quiet_hours import (
    FEDERAL_WINDOW,
    STRICT_WINDOW,
    NoSendWindow,
    UnknownZone,
    WindowClosed,
    closes_at,
    is_open,
    next_open,
    window_for,
    zone_interval,
)

NY = ("America/New_York",)
IDAHO_208 = ("America/Boise", "America/Los_Angeles")
PHOENIX = ("America/Phoenix",)


def local(zone: str, *args: int) -> datetime:
    return datetime(*args, tzinfo=ZoneInfo(zone))


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def test_the_federal_window_opens_at_eight_and_closes_at_nine_pm_local():
    assert not is_open(local("America/New_York", 2024, 6, 3, 7, 59), NY, "NY")
    assert is_open(local("America/New_York", 2024, 6, 3, 8, 0), NY, "NY")
    assert is_open(local("America/New_York", 2024, 6, 3, 20, 59), NY, "NY")
    assert not is_open(local("America/New_York", 2024, 6, 3, 21, 0), NY, "NY")


@pytest.mark.parametrize("state", ["FL", "OK", "MD", "WA"])
def test_strict_states_close_at_eight_pm(state):
    assert window_for(state) == STRICT_WINDOW
    assert is_open(local("America/New_York", 2024, 6, 3, 19, 59), NY, state)
    assert not is_open(local("America/New_York", 2024, 6, 3, 20, 0), NY, state)


def test_a_brand_window_narrows_the_legal_one():
    assert window_for("NY", (time(9), time(17))) == (time(9), time(17))
    assert not is_open(local("America/New_York", 2024, 6, 3, 8, 30), NY, "NY", (time(9), time(17)))


def test_a_brand_window_can_never_widen_the_legal_one():
    assert window_for("NY", (time(6), time(23))) == FEDERAL_WINDOW
    assert window_for("FL", (time(7), time(22))) == STRICT_WINDOW
    assert not is_open(local("America/New_York", 2024, 6, 3, 7, 0), NY, "NY", (time(6), time(23)))


def test_a_brand_window_outside_the_legal_one_leaves_nothing():
    with pytest.raises(NoSendWindow):
        window_for("NY", (time(21, 30), time(23)))


def test_every_zone_of_the_number_must_be_open():
    # 08:30 in Boise is 07:30 in Los Angeles: one of the two zones is still closed.
    moment = local("America/Boise", 2024, 6, 3, 8, 30)

    assert not is_open(moment, IDAHO_208, "ID")
    assert next_open(moment, IDAHO_208, "ID") == local("America/Los_Angeles", 2024, 6, 3, 8, 0)


def test_the_window_closes_at_the_earliest_close_across_zones():
    moment = local("America/Los_Angeles", 2024, 6, 3, 12, 0)

    assert closes_at(moment, IDAHO_208, "ID") == local("America/Boise", 2024, 6, 3, 21, 0)


def test_closes_at_refuses_a_closed_window():
    with pytest.raises(WindowClosed):
        closes_at(local("America/New_York", 2024, 6, 3, 22, 0), NY, "NY")


def test_next_open_returns_now_when_already_open():
    moment = utc(2024, 6, 3, 15, 17, 3)

    assert next_open(moment, NY, "NY") == moment


def test_next_open_after_close_is_tomorrow_morning():
    moment = local("America/New_York", 2024, 6, 3, 21, 0)

    assert next_open(moment, NY, "NY") == local("America/New_York", 2024, 6, 4, 8, 0)


def test_next_open_across_spring_forward_uses_the_new_offset():
    moment = local("America/New_York", 2024, 3, 9, 22, 0)

    assert next_open(moment, NY, "NY") == utc(2024, 3, 10, 12, 0)  # 08:00 EDT


def test_next_open_across_fall_back_uses_the_new_offset():
    moment = local("America/New_York", 2024, 11, 2, 22, 0)

    assert next_open(moment, NY, "NY") == utc(2024, 11, 3, 13, 0)  # 08:00 EST


def test_arizona_opens_at_the_same_utc_hour_all_year():
    for day in (date(2024, 1, 15), date(2024, 7, 15), date(2024, 3, 10), date(2024, 11, 3)):
        moment = datetime.combine(day, time(10, 0), tzinfo=UTC)  # 03:00 in Phoenix

        assert next_open(moment, PHOENIX, "AZ") == datetime.combine(day, time(15), tzinfo=UTC)


def test_a_window_start_inside_a_dst_gap_opens_when_the_clock_jumps_past_it():
    opens, closes = zone_interval(
        date(2024, 3, 10), ZoneInfo("America/New_York"), (time(2, 30), time(21))
    )

    assert opens == utc(2024, 3, 10, 7, 0)  # 02:00 EST becomes 03:00 EDT
    assert closes == utc(2024, 3, 11, 1, 0)


def test_a_window_start_inside_a_dst_fold_waits_for_its_second_reading():
    opens, _ = zone_interval(
        date(2024, 11, 3), ZoneInfo("America/New_York"), (time(1, 30), time(21))
    )

    assert opens == utc(2024, 11, 3, 6, 30)  # 01:30 EST, not 01:30 EDT an hour earlier


def test_a_window_end_inside_a_dst_fold_closes_at_its_first_reading():
    _, closes = zone_interval(
        date(2024, 11, 3), ZoneInfo("America/New_York"), (time(0), time(1, 30))
    )

    assert closes == utc(2024, 11, 3, 5, 30)  # 01:30 EDT; the repeated hour stays closed


def test_zones_that_never_overlap_raise_no_send_window():
    with pytest.raises(NoSendWindow):
        next_open(utc(2024, 6, 3), ("Pacific/Guam", "America/New_York"), None, (time(9), time(12)))


def test_unknown_or_missing_zones_fail_closed():
    with pytest.raises(UnknownZone):
        is_open(utc(2024, 6, 3, 15), (), "NY")
    with pytest.raises(UnknownZone):
        is_open(utc(2024, 6, 3, 15), ("Mars/Olympus_Mons",), "NY")


def test_a_naive_datetime_is_refused():
    with pytest.raises(ValueError, match="aware"):
        is_open(datetime(2024, 6, 3, 15), NY, "NY")


# --- properties -------------------------------------------------------------------------

US_ZONE_SETS = [
    NY,
    IDAHO_208,
    PHOENIX,
    ("America/Chicago",),
    ("America/Denver",),
    ("America/Los_Angeles",),
    ("America/Anchorage",),
    ("Pacific/Honolulu",),
    ("America/Adak",),
    ("America/Puerto_Rico",),
    ("America/Indiana/Indianapolis",),
    ("America/Chicago", "America/New_York"),
    ("America/Denver", "America/Phoenix"),
]
STATES = [None, "NY", "ID", "AZ", "FL", "OK", "MD", "WA", "TX"]
BRAND_WINDOWS = [None, (time(9), time(17)), (time(10, 30), time(19, 45)), (time(6), time(23))]


def dst_transition_days() -> list[date]:
    days = []
    for year in range(2020, 2036):
        march = date(year, 3, 8)
        days.append(march + timedelta(days=(6 - march.weekday()) % 7))  # second Sunday
        november = date(year, 11, 1)
        days.append(november + timedelta(days=(6 - november.weekday()) % 7))  # first Sunday
    return days


instants = st.datetimes(
    min_value=datetime(2020, 1, 1), max_value=datetime(2035, 12, 31), timezones=st.just(UTC)
)
around_dst = st.builds(
    lambda day, minutes: datetime.combine(day, time(0), tzinfo=UTC) + timedelta(minutes=minutes),
    st.sampled_from(dst_transition_days()),
    st.integers(-36 * 60, 36 * 60),
)


def open_by_the_wall_clock(moment, zones, state, brand_window) -> bool:
    start, end = window_for(state, brand_window)
    return all(start <= moment.astimezone(ZoneInfo(z)).time() < end for z in zones)


@settings(max_examples=300)
@given(
    now=st.one_of(instants, around_dst),
    zones=st.sampled_from(US_ZONE_SETS),
    state=st.sampled_from(STATES),
    brand_window=st.sampled_from(BRAND_WINDOWS),
)
def test_next_open_is_the_earliest_instant_open_in_every_zone(now, zones, state, brand_window):
    opens = next_open(now, zones, state, brand_window)

    assert opens >= now
    assert open_by_the_wall_clock(opens, zones, state, brand_window)
    assert is_open(opens, zones, state, brand_window)
    if opens > now:
        assert not open_by_the_wall_clock(opens - timedelta(seconds=1), zones, state, brand_window)
        assert not is_open(now, zones, state, brand_window)


@settings(max_examples=300)
@given(
    now=st.one_of(instants, around_dst),
    zones=st.sampled_from(US_ZONE_SETS),
    state=st.sampled_from(STATES),
    brand_window=st.sampled_from(BRAND_WINDOWS),
)
def test_is_open_agrees_with_the_wall_clock_in_every_zone(now, zones, state, brand_window):
    assert is_open(now, zones, state, brand_window) == open_by_the_wall_clock(
        now, zones, state, brand_window
    )


@settings(max_examples=200)
@given(
    now=st.one_of(instants, around_dst),
    zones=st.sampled_from(US_ZONE_SETS),
    state=st.sampled_from(STATES),
)
def test_the_window_stays_open_until_closes_at_and_not_after(now, zones, state):
    opened = next_open(now, zones, state)
    closes = closes_at(opened, zones, state)

    assert closes > opened
    assert open_by_the_wall_clock(closes - timedelta(seconds=1), zones, state, None)
    assert not open_by_the_wall_clock(closes, zones, state, None)


@settings(max_examples=300)
@given(
    first=st.one_of(instants, around_dst),
    later=st.integers(0, 40 * 3600),
    zones=st.sampled_from(US_ZONE_SETS),
    state=st.sampled_from(STATES),
    brand_window=st.sampled_from(BRAND_WINDOWS),
)
def test_a_remembered_next_open_is_the_one_computed_afresh(first, later, zones, state,
                                                            brand_window):
    next_open(first, zones, state, brand_window)  # remembered for the instants after it
    now = first + timedelta(seconds=later)
    remembered = next_open(now, zones, state, brand_window)
    quiet_hours._NEXT_OPEN.clear()
    assert remembered == next_open(now, zones, state, brand_window)
