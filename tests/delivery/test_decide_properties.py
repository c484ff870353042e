"""Property: whatever the number, the instant (DST transitions included) and the brand's
quiet period, a stored decision is never `allow` outside the window in any of the number's
zones, and a `defer` always lands inside every window."""

from __future__ import annotations

import random
from datetime import UTC, datetime, time, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from delivery import quiet_hours, services
from delivery.models import Decision
from tests.delivery.conftest import MERGE
from tests.factories import make_contact, make_delivery_settings

# Zones with and without DST, a two-zone area code (208), strict-window states (FL, WA),
# Arizona (no DST), Alaska's two zones, Hawaii, Guam.
PHONES = ("+12085550123", "+13055550123", "+12065550123", "+16025550123", "+19075550123",
          "+18085550123", "+16715550123", "+12125550123", "+14055550123", "+13125550123")
# Around the 2026 US transitions (8 March, 1 November) and anywhere else in the year.
DST_DAYS = [datetime(2026, 3, 8, tzinfo=UTC), datetime(2026, 11, 1, tzinfo=UTC)]
instants = st.one_of(
    st.sampled_from(DST_DAYS).flatmap(lambda day: st.integers(-36 * 60, 36 * 60).map(
        lambda minutes: day + timedelta(minutes=minutes))),
    st.datetimes(min_value=datetime(2026, 1, 1), max_value=datetime(2027, 12, 31),
                 timezones=st.just(UTC)),
)
windows = st.tuples(st.integers(8, 12), st.integers(17, 21)).map(
    lambda hours: (time(hours[0], 0), time(hours[1], 0)))


@pytest.fixture
def contacts(pool_brand):
    for phone in PHONES:
        make_contact(pool_brand, phone, consent_at=datetime(2025, 12, 1, tzinfo=UTC))
    return pool_brand


@settings(max_examples=150, deadline=None, suppress_health_check=[
    HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(now=instants, phone=st.sampled_from(PHONES), window=windows, seed=st.integers(0, 99))
def test_a_stored_decision_is_never_allow_outside_the_window(contacts, now, phone, window,
                                                             seed):
    make_delivery_settings(contacts, quiet_end=window[0], quiet_start=window[1])
    made = services.decide(contacts, services.DecisionRequest(
        phone=phone, intent="cart_abandonment", stage="active", merge=MERGE, now=now,
        rng=random.Random(seed)))
    stored = Decision.objects.get(pk=made.pk)
    contact = stored.contact
    zones, state = contact.time_zones, contact.us_state or None
    if stored.status == "allow":
        assert stored.send_at == now
        assert quiet_hours.is_open(now, zones, state, window)
        for zone in zones:  # and, spelled out, the wall clock in every zone
            local = now.astimezone(quiet_hours.load_zones([zone])[0]).time()
            assert quiet_hours.window_for(state, window)[0] <= local
            assert local < quiet_hours.window_for(state, window)[1]
    elif stored.status == "defer":
        assert stored.send_at > now
        assert quiet_hours.is_open(stored.send_at, zones, state, window)
    else:
        assert stored.send_at is None
