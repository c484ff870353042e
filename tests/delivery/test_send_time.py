"""Personal send time: the Dirichlet shrinkage and the choice inside the allowed window."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from delivery import quiet_hours, send_time
from delivery.send_time import Recipient, brand_curve, choose, person_curve, preferred_hour

NY = Recipient(("America/New_York",), "NY")
# 2026-06-15 16:00 UTC is noon in New York (EDT).
NOON_NY = datetime(2026, 6, 15, 16, 0, tzinfo=UTC)


def test_a_brand_without_clicks_has_a_flat_curve():
    assert brand_curve([]) == tuple([1 / 24] * 24)


@given(st.lists(st.integers(0, 23), max_size=60))
def test_the_curve_from_counts_is_the_curve_from_hours(hours):
    counts = [hours.count(h) for h in range(24)]
    assert send_time.brand_curve_of_counts(counts) == brand_curve(hours)


def test_counts_need_one_per_hour():
    with pytest.raises(ValueError, match="one count per hour"):
        send_time.brand_curve_of_counts([1, 2, 3])


def test_without_history_the_person_follows_the_brand():
    prior = brand_curve([19] * 50 + [9] * 10)
    assert person_curve([], prior) == pytest.approx(prior)
    assert preferred_hour(person_curve([], prior)) == 19


def test_a_few_hours_are_shrunk_toward_the_brand_and_many_dominate():
    prior = brand_curve([19] * 200)
    assert preferred_hour(person_curve([9], prior)) == 19       # one hour: still the brand's
    assert preferred_hour(person_curve([9] * 30, prior)) == 9   # thirty: their own hour


def test_the_formula_is_the_dirichlet_posterior_mean():
    prior = brand_curve([10, 10, 14])
    q = person_curve([14, 14], prior, k=4.0, spread=0)
    assert abs(q[14] - (2 + 4 * prior[14]) / (2 + 4)) < 1e-12
    assert abs(sum(q) - 1) < 1e-9
    spread = send_time.spread_over_neighbours([2 if h == 14 else 0 for h in range(24)], 2.0)
    q = person_curve([14, 14], prior, k=4.0)
    assert all(abs(q[h] - (spread[h] + 4 * prior[h]) / (2 + 4)) < 1e-12 for h in range(24))


def test_spreading_shares_an_hour_with_its_neighbours_around_the_clock():
    spread = send_time.spread_over_neighbours([1 if h == 23 else 0 for h in range(24)], 2.0)
    assert abs(sum(spread) - 1) < 1e-12
    assert spread[23] > spread[0] == spread[22] > spread[1] == spread[21] > spread[12] == 0
    assert send_time.spread_over_neighbours([3] + [0] * 23, 0) == tuple([3.0] + [0.0] * 23)


def test_a_brand_piled_into_one_hour_does_not_outweigh_a_persons_evenings():
    """The brand's clicks all at 10:00 (its morning campaigns); five evenings of theirs and
    one morning purchase. Spread alike, the person's habit wins; were only the person's
    counts spread, the brand's single sharp hour would."""
    counts = [0] * 24
    counts[10] = 20
    mine = [19, 19, 19, 19, 19, 9]
    assert preferred_hour(person_curve(mine, send_time.brand_curve_of_counts(counts))) == 19
    sharp = send_time.brand_curve_of_counts(counts, spread=0)
    assert preferred_hour(person_curve(mine, sharp)) == 10


def test_two_evenings_an_hour_apart_make_one_habit():
    """18:00 once and 20:00 once beat a single 09:00 only together: spread, they agree on
    19:00; raw, three hours tie and the earliest (09:00) would win."""
    q = person_curve([18, 20, 9], brand_curve([]))
    assert preferred_hour(q) == 19
    assert preferred_hour(person_curve([18, 20, 9], brand_curve([]), spread=0)) == 9


@given(st.lists(st.integers(0, 23), max_size=60), st.lists(st.integers(0, 23), max_size=60),
       st.floats(min_value=0.1, max_value=100))
def test_curves_are_distributions_between_the_person_and_the_brand(mine, brand, k):
    prior = brand_curve(brand)
    q = person_curve(mine, prior, k=k)
    assert abs(sum(q) - 1) < 1e-9 and all(v > 0 for v in q)
    if mine:
        counts = [mine.count(h) for h in range(24)]
        own = [n / len(mine) for n in send_time.spread_over_neighbours(counts, 2.0)]
        for h in range(24):  # the posterior mean lies between the prior and the data
            assert min(prior[h], own[h]) - 1e-12 <= q[h] <= max(prior[h], own[h]) + 1e-12


def test_it_waits_for_the_persons_hour_inside_the_window():
    curve = person_curve([19] * 20, brand_curve([]))      # local 19:00 = 23:00 UTC
    chosen = choose(NOON_NY, NOON_NY + timedelta(days=2), curve, NY, own_hours=20)
    assert chosen == datetime(2026, 6, 15, 23, 0, tzinfo=UTC)


def test_a_short_freshness_window_cannot_wait_until_tomorrow():
    curve = person_curve([9] * 20, brand_curve([]))       # a morning person
    chosen = choose(NOON_NY, NOON_NY + timedelta(hours=4), curve, NY, own_hours=20)
    assert NOON_NY <= chosen < NOON_NY + timedelta(hours=4)


def test_it_never_picks_a_quiet_hour_even_if_the_person_clicks_then():
    curve = person_curve([23] * 50 + [20] * 5, brand_curve([]))  # local hours: 23:00, some 20:00
    chosen = choose(NOON_NY, NOON_NY + timedelta(days=3), curve, NY, own_hours=55)
    assert quiet_hours.is_open(chosen, NY.zones, NY.state)
    assert chosen.astimezone(send_time.ZoneInfo("America/New_York")).hour == 20


def test_a_small_advantage_is_not_worth_the_wait():
    """An hour 20 % likelier later in the window does not move the text; 30 % does."""
    curve = [1.0] * 24
    curve[19] = 1.2
    assert choose(NOON_NY, NOON_NY + timedelta(days=1), curve, NY, own_hours=10) == NOON_NY
    curve[19] = 1.3
    assert choose(NOON_NY, NOON_NY + timedelta(days=1), curve, NY, own_hours=10) == datetime(
        2026, 6, 15, 23, 0, tzinfo=UTC)


def test_a_flat_curve_sends_as_soon_as_allowed():
    night = datetime(2026, 6, 16, 3, 0, tzinfo=UTC)       # 23:00 in New York
    chosen = choose(night, night + timedelta(days=1), brand_curve([]), NY, own_hours=10)
    assert chosen == quiet_hours.next_open(night, NY.zones, NY.state)


def test_too_little_history_of_their_own_keeps_the_first_open_minute():
    """Two engaged hours at 19:00 against a brand that clicks at 19:00 too: the curve says
    19:00, but with fewer than MIN_OWN_HOURS of their own the text goes when allowed."""
    curve = person_curve([19, 19], brand_curve([19] * 100))
    window = (NOON_NY, NOON_NY + timedelta(days=2))
    assert send_time.MIN_OWN_HOURS == 3
    assert choose(*window, curve, NY, own_hours=2) == NOON_NY
    night = datetime(2026, 6, 16, 3, 0, tzinfo=UTC)       # 23:00 in New York
    assert choose(night, night + timedelta(days=1), curve, NY, own_hours=0) == \
        send_time.first_open(night, night + timedelta(days=1), NY)
    # A third engaged hour: now their habit moves the text to 19:00 (23:00 UTC).
    curve = person_curve([19, 19, 19], brand_curve([19] * 100))
    assert choose(*window, curve, NY, own_hours=3) == datetime(2026, 6, 15, 23, 0, tzinfo=UTC)


def test_an_hour_counts_once_however_busy():
    evening = datetime(2026, 6, 15, 23, 5, tzinfo=UTC)
    moments = [evening + timedelta(minutes=m) for m in (20, 0, 50, 10)]  # one session
    moments.append(evening + timedelta(hours=1))                          # the next hour
    assert send_time.distinct_hours(moments) == [evening, evening + timedelta(hours=1)]


@given(st.lists(st.datetimes(min_value=datetime(2026, 1, 1), max_value=datetime(2026, 1, 3),
                             timezones=st.just(UTC)), max_size=40))
def test_distinct_hours_keeps_the_first_moment_of_each_clock_hour(moments):
    kept = send_time.distinct_hours(moments)
    buckets = {m.replace(minute=0, second=0, microsecond=0) for m in moments}
    assert len(kept) == len(buckets)
    for moment in kept:
        same_hour = [m for m in moments if m.replace(minute=0, second=0, microsecond=0)
                     == moment.replace(minute=0, second=0, microsecond=0)]
        assert moment == min(same_hour)


def test_switched_off_it_goes_at_the_first_open_minute_whatever_the_habit():
    night = datetime(2026, 6, 16, 3, 0, tzinfo=UTC)       # 23:00 in New York
    assert send_time.first_open(night, night + timedelta(days=1), NY) == datetime(
        2026, 6, 16, 12, 0, tzinfo=UTC)                   # 08:00 in New York
    assert send_time.first_open(NOON_NY, NOON_NY + timedelta(days=1), NY) == NOON_NY


def test_switched_off_a_window_that_closes_before_the_morning_leaves_due():
    night = datetime(2026, 6, 16, 3, 0, tzinfo=UTC)
    assert send_time.first_open(night, night + timedelta(hours=2), NY) == night


@settings(max_examples=200)
@given(st.datetimes(min_value=datetime(2026, 1, 1), max_value=datetime(2027, 1, 1),
                    timezones=st.just(UTC)),
       st.integers(1, 24 * 10), st.lists(st.integers(0, 23), max_size=40),
       st.sampled_from([("America/New_York",), ("America/Los_Angeles",), ("Pacific/Honolulu",),
                        ("America/Boise", "America/Los_Angeles")]))
def test_the_choice_stays_in_the_window_and_out_of_quiet_hours(due, minutes, clicks, zones):
    expires = due + timedelta(minutes=minutes * 10)
    recipient = Recipient(zones, None)
    chosen = choose(due, expires, person_curve(clicks, brand_curve([])), recipient,
                    own_hours=len(clicks))
    assert chosen == due or due < chosen < expires
    if quiet_hours.next_open(due, zones, None) < expires:
        # Some instant of the freshness window is allowed: the choice is one of them.
        assert quiet_hours.is_open(chosen, zones, None)
