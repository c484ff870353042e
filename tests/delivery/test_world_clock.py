"""The delivery tests that go through the real clock pick a number open right now; whatever
the hour and season the suite runs at, one must exist (a gap made the suite fail at night)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from tests.delivery.conftest import _WORLD, _open_for


@pytest.mark.parametrize("day", [datetime(2026, 1, 15, tzinfo=UTC),
                                 datetime(2026, 3, 29, tzinfo=UTC),
                                 datetime(2026, 7, 15, tzinfo=UTC),
                                 datetime(2026, 10, 30, tzinfo=UTC)])
def test_some_number_is_open_for_ten_hours_at_every_quarter_hour(day):
    for quarter in range(24 * 4):
        now = day + timedelta(minutes=15 * quarter)
        assert any(_open_for(phone, now, 600) for phone in _WORLD), now
        assert not all(_open_for(phone, now, 0) for phone in _WORLD), now
