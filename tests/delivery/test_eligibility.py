from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import event, given, settings
from hypothesis import strategies as st

from delivery import eligibility as el
from delivery.eligibility import (
    ConsentState,
    DeliveryPolicy,
    SendRecord,
    Verdict,
    evaluate,
)
from delivery.phones import PhoneFacts, parse_phone
from delivery.quiet_hours import window_for

NYC = parse_phone("+12125550123")
MIAMI = parse_phone("+13055550123")
IDAHO = parse_phone("+12085550123")
GRANTED = ConsentState(
    granted=True, granted_at=datetime(2024, 1, 1, tzinfo=UTC), revoked=False, opted_out=False
)
NOON_NY = datetime(2024, 6, 3, 12, 0, tzinfo=ZoneInfo("America/New_York"))


def check(**overrides) -> Verdict:
    arguments = {
        "now": NOON_NY,
        "contact": NYC,
        "consent": GRANTED,
        "history": (),
        "policy": DeliveryPolicy(),
        "subject": "cart",
        "suppressed": False,
    }
    arguments.update(overrides)
    return evaluate(**arguments)


def sends(*moments: datetime, subject: str = "cart") -> tuple[SendRecord, ...]:
    return tuple(SendRecord(moment, subject) for moment in moments)


def ny(*args: int) -> datetime:
    return datetime(*args, tzinfo=ZoneInfo("America/New_York"))


def test_it_allows_a_consented_number_inside_the_window():
    decision = check()

    assert decision == Verdict("allow", None, NOON_NY.astimezone(UTC), decision.detail)


def test_an_opt_out_wins_over_every_other_problem():
    everything_wrong = replace(GRANTED, opted_out=True, revoked=True, granted=False)

    decision = check(consent=everything_wrong, contact=parse_phone("+18005550123"), suppressed=True)

    assert (decision.status, decision.reason) == ("deny", el.OPTED_OUT)


@pytest.mark.parametrize(
    "consent",
    [
        replace(GRANTED, granted=False),
        replace(GRANTED, revoked=True),
        replace(GRANTED, granted_at=None),
    ],
)
def test_missing_revoked_or_unprovable_consent_is_denied(consent):
    decision = check(consent=consent, contact=parse_phone("+18005550123"))

    assert (decision.status, decision.reason) == ("deny", el.NO_CONSENT)


def test_consent_older_than_the_brand_limit_is_expired():
    policy = DeliveryPolicy(reconfirm_after_days=90)

    fresh = check(policy=policy, now=datetime(2024, 3, 30, 16, tzinfo=UTC))
    stale = check(policy=policy, now=datetime(2024, 3, 31, 16, tzinfo=UTC))

    assert fresh.status == "allow"
    assert (stale.status, stale.reason) == ("deny", el.CONSENT_EXPIRED)


def test_consent_that_lapses_before_the_deferred_send_is_denied_now():
    policy = DeliveryPolicy(reconfirm_after_days=30)
    consent = replace(GRANTED, granted_at=ny(2024, 5, 4, 6, 0))  # lapses 06:00 on June 3

    decision = check(policy=policy, consent=consent, now=ny(2024, 6, 2, 22, 0))

    assert (decision.status, decision.reason) == ("deny", el.CONSENT_EXPIRED)


@pytest.mark.parametrize(
    ("contact", "reason"),
    [
        (parse_phone("+12425551234", allow_invalid=True), el.INVALID_NUMBER),
        (parse_phone("+18885550123"), el.NON_GEOGRAPHIC),
        (parse_phone("+15005550006"), el.NON_GEOGRAPHIC),
        (replace(NYC, time_zones=()), el.UNKNOWN_TIMEZONE),
        (replace(NYC, time_zones=("Mars/Olympus_Mons",)), el.UNKNOWN_TIMEZONE),
    ],
)
def test_unusable_numbers_are_denied_and_held_for_review(contact, reason):
    decision = check(contact=contact, suppressed=True)

    assert decision.status == "deny"
    assert decision.reason == reason
    assert decision.hold_for_review


def test_suppression_denies_without_holding():
    decision = check(suppressed=True, now=ny(2024, 6, 3, 23, 0))

    assert (decision.status, decision.reason) == ("deny", el.SUPPRESSED)
    assert not decision.hold_for_review


def test_outside_quiet_hours_it_defers_to_the_next_open_instant():
    decision = check(now=ny(2024, 6, 3, 21, 30))

    assert (decision.status, decision.reason) == ("defer", el.QUIET_HOURS)
    assert decision.send_at == ny(2024, 6, 4, 8, 0)


def test_a_brand_quiet_period_narrows_the_window():
    policy = DeliveryPolicy(quiet_start=time(19, 0), quiet_end=time(10, 0))

    decision = check(policy=policy, now=ny(2024, 6, 3, 9, 0))

    assert decision.send_at == ny(2024, 6, 3, 10, 0)
    assert check(policy=policy, now=ny(2024, 6, 3, 19, 0)).send_at == ny(2024, 6, 4, 10, 0)


def test_a_number_with_two_zones_waits_for_the_later_one():
    decision = check(contact=IDAHO, now=ny(2024, 6, 3, 10, 30))  # 08:30 Boise, 07:30 LA

    assert (decision.status, decision.reason) == ("defer", el.QUIET_HOURS)
    assert decision.send_at == datetime(2024, 6, 3, 8, tzinfo=ZoneInfo("America/Los_Angeles"))


def test_florida_closes_at_eight_pm():
    decision = check(contact=MIAMI, now=ny(2024, 6, 3, 20, 0))

    assert (decision.status, decision.reason) == ("defer", el.QUIET_HOURS)


def test_florida_allows_three_sends_on_a_subject_per_rolling_day():
    history = sends(ny(2024, 6, 3, 9), ny(2024, 6, 3, 10))

    assert check(contact=MIAMI, history=history).status == "allow"


def test_a_fourth_florida_send_on_the_subject_waits_for_the_oldest_to_age_out():
    history = sends(ny(2024, 6, 3, 9), ny(2024, 6, 3, 10), ny(2024, 6, 3, 11))

    decision = check(contact=MIAMI, history=history)

    assert (decision.status, decision.reason) == ("defer", el.FREQ_CAP)
    assert decision.send_at == ny(2024, 6, 4, 9)


def test_a_florida_cap_release_at_night_waits_for_the_morning_too():
    history = sends(ny(2024, 6, 2, 20, 30), ny(2024, 6, 3, 9), ny(2024, 6, 3, 10))

    decision = check(contact=MIAMI, history=history, now=ny(2024, 6, 3, 19, 0))

    assert decision.reason == el.FREQ_CAP
    assert decision.send_at == ny(2024, 6, 4, 8, 0)


def test_the_florida_cap_counts_only_the_same_subject():
    history = sends(ny(2024, 6, 3, 9), ny(2024, 6, 3, 10), ny(2024, 6, 3, 11), subject="Sale")

    assert check(contact=MIAMI, history=history, subject="cart").status == "allow"
    assert check(contact=MIAMI, history=history, subject=" sale ").reason == el.FREQ_CAP


def test_a_record_without_a_subject_counts_against_every_subject():
    history = sends(ny(2024, 6, 3, 9), ny(2024, 6, 3, 10), ny(2024, 6, 3, 11), subject="")

    assert check(contact=MIAMI, history=history).reason == el.FREQ_CAP


def test_new_york_has_no_same_subject_cap():
    history = sends(*(ny(2024, 6, 3, hour) for hour in (8, 9, 10, 11)))

    assert check(history=history).status == "allow"


def test_sends_already_scheduled_in_the_future_count_against_the_cap():
    history = sends(ny(2024, 6, 4, 8, 0), ny(2024, 6, 4, 8, 1), ny(2024, 6, 4, 8, 2))

    decision = check(contact=MIAMI, history=history, now=ny(2024, 6, 3, 21, 0))

    assert decision.status == "defer"
    assert decision.send_at == ny(2024, 6, 5, 8, 0)  # the 08:00 send has left the window


def test_the_brand_daily_cap_defers_until_a_send_leaves_the_rolling_day():
    policy = DeliveryPolicy(daily_cap=1)

    decision = check(policy=policy, history=sends(ny(2024, 6, 3, 9, 15), subject="other"))

    assert (decision.status, decision.reason) == ("defer", el.FREQ_CAP)
    assert decision.send_at == ny(2024, 6, 4, 9, 15)
    assert "brand 1/24h" in decision.detail


def test_the_brand_weekly_cap_defers_a_week():
    policy = DeliveryPolicy(weekly_cap=2)
    history = sends(ny(2024, 5, 29, 12), ny(2024, 6, 1, 12))

    decision = check(policy=policy, history=history)

    assert decision.reason == el.FREQ_CAP
    assert decision.send_at == ny(2024, 6, 5, 12)


def test_zones_that_never_share_a_window_are_denied():
    guam_and_ny = replace(NYC, time_zones=("Pacific/Guam", "America/New_York"))
    policy = DeliveryPolicy(quiet_start=time(12), quiet_end=time(9))

    decision = check(contact=guam_and_ny, policy=policy)

    assert (decision.status, decision.reason) == ("deny", el.NO_SEND_WINDOW)


@pytest.mark.parametrize(
    "fields",
    [
        {"daily_cap": 0},
        {"weekly_cap": -1},
        {"reconfirm_after_days": 0},
        {"quiet_start": time(8), "quiet_end": time(21)},
    ],
)
def test_a_nonsensical_policy_is_refused(fields):
    with pytest.raises(ValueError):
        DeliveryPolicy(**fields)


def test_a_naive_clock_is_refused():
    with pytest.raises(ValueError, match="aware"):
        check(now=datetime(2024, 6, 3, 12))


def test_reason_codes_are_stable_strings():
    assert el.REASON_CODES == {
        "OPTED_OUT", "NO_CONSENT", "CONSENT_EXPIRED", "INVALID_NUMBER", "NON_GEOGRAPHIC",
        "UNKNOWN_TIMEZONE", "SUPPRESSED", "FREQ_CAP", "QUIET_HOURS", "NO_SEND_WINDOW",
    }  # fmt: skip


# --- properties -------------------------------------------------------------------------

US_NUMBERS = [
    "+12125550123", "+12085550123", "+13055550123", "+14055550123", "+14105550123",
    "+12065550123", "+16025550123", "+18085550123", "+19075550123", "+13125550123",
    "+17205550123", "+13175550123", "+15095550123", "+19185550123", "+16155550123",
]  # fmt: skip
CONTACTS = [parse_phone(number) for number in US_NUMBERS]
SUBJECTS = ["cart", "sale"]


def dst_days() -> list[datetime]:
    days = []
    for year in range(2022, 2031):
        for month, first in ((3, 8), (11, 1)):
            day = datetime(year, month, first, tzinfo=UTC)
            days.append(day + timedelta(days=(6 - day.weekday()) % 7))
    return days


instants = st.one_of(
    st.datetimes(
        min_value=datetime(2022, 1, 1), max_value=datetime(2030, 12, 31), timezones=st.just(UTC)
    ),
    st.builds(
        lambda day, minutes: day + timedelta(minutes=minutes),
        st.sampled_from(dst_days()),
        st.integers(-48 * 60, 48 * 60),
    ),
)
policies = st.builds(
    DeliveryPolicy,
    daily_cap=st.one_of(st.none(), st.integers(1, 4)),
    weekly_cap=st.one_of(st.none(), st.integers(1, 10)),
    quiet_start=st.sampled_from([time(21), time(20), time(18, 30)]),
    quiet_end=st.sampled_from([time(8), time(9), time(10, 15)]),
)


@st.composite
def histories(draw, now: datetime) -> tuple[SendRecord, ...]:
    offsets = draw(st.lists(st.integers(-8 * 24 * 60, 2 * 24 * 60), max_size=8))
    return tuple(
        SendRecord(now + timedelta(minutes=m), draw(st.sampled_from(SUBJECTS))) for m in offsets
    )


def open_everywhere(moment: datetime, contact: PhoneFacts, policy: DeliveryPolicy) -> bool:
    start, end = window_for(contact.us_state, policy.send_window)
    for zone in contact.time_zones:
        wall = moment.astimezone(ZoneInfo(zone)).time()
        if not start <= wall < end:
            return False
    return True


def busiest_window(sent: list[datetime], moment: datetime, span: timedelta) -> int:
    """Most sends (the new one at `moment` included) in any rolling window holding it."""
    every = [*sent, moment]
    starts = [m for m in every if moment - span < m <= moment]
    return max(sum(1 for m in every if start <= m < start + span) for start in starts)


def caps_hold(moment, contact, policy, history, subject) -> bool:
    sent = [r.sent_at for r in history]
    if policy.daily_cap and busiest_window(sent, moment, el.DAY) > policy.daily_cap:
        return False
    if policy.weekly_cap and busiest_window(sent, moment, el.WEEK) > policy.weekly_cap:
        return False
    if contact.us_state in {"FL", "OK", "MD"}:
        same = [r.sent_at for r in history if r.subject == subject]
        return busiest_window(same, moment, el.DAY) <= 3
    return True


@settings(max_examples=400, deadline=None)
@given(st.data())
def test_allow_and_defer_always_land_inside_every_window_and_every_cap(data):
    now = data.draw(instants)
    contact = data.draw(st.sampled_from(CONTACTS))
    policy = data.draw(policies)
    subject = data.draw(st.sampled_from(SUBJECTS))
    history = data.draw(histories(now))

    decision = check(now=now, contact=contact, policy=policy, history=history, subject=subject)
    event(f"{decision.status} {decision.reason}")

    assert decision.status in {"allow", "defer"}
    assert decision.send_at is not None and decision.send_at >= now
    assert open_everywhere(decision.send_at, contact, policy)
    assert caps_hold(decision.send_at, contact, policy, history, subject)
    if decision.status == "allow":
        assert decision.send_at == now
    else:
        assert decision.reason in {el.QUIET_HOURS, el.FREQ_CAP}


@settings(max_examples=400, deadline=None)
@given(now=instants, contact=st.sampled_from(CONTACTS), policy=policies)
def test_allow_is_never_returned_outside_the_window_in_any_zone(now, contact, policy):
    decision = check(now=now, contact=contact, policy=policy)

    if not open_everywhere(now, contact, policy):
        assert decision.status != "allow"
    else:
        assert decision.status == "allow"
