"""The lifecycle stage from purchases: every threshold, its edges and the brand's own."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from delivery import lifecycle
from delivery.lifecycle import Thresholds, next_change, stage_at

NOW = datetime(2026, 6, 15, 12, 0, tzinfo=UTC)


def days_ago(*days: float) -> list[datetime]:
    return [NOW - timedelta(days=d) for d in days]


@pytest.mark.parametrize(("purchases", "stage"), [
    ([], "first_time_browser"),
    (days_ago(1), "new_customer"),
    (days_ago(29.9), "new_customer"),
    (days_ago(30), "active"),           # one order, past new_customer_days
    (days_ago(40, 2), "active"),        # two orders
    (days_ago(50, 20, 2), "repeat_buyer"),
    (days_ago(59.9), "active"),
    (days_ago(60), "lapsing"),          # lapsing_days reached, whatever the order count
    (days_ago(300, 200, 61), "lapsing"),
    (days_ago(180), "churned"),
    (days_ago(400, 181), "churned"),
])
def test_the_default_thresholds_place_each_history(purchases, stage):
    assert stage_at(purchases, NOW) == stage


def test_a_purchase_after_now_does_not_count_yet():
    assert stage_at([NOW + timedelta(minutes=1)], NOW) == "first_time_browser"


def test_a_brand_moves_its_thresholds():
    strict = Thresholds(new_customer_days=7, repeat_orders=2, lapsing_days=20, churned_days=40)
    assert stage_at(days_ago(8), NOW, strict) == "active"
    assert stage_at(days_ago(10, 3), NOW, strict) == "repeat_buyer"
    assert stage_at(days_ago(21), NOW, strict) == "lapsing"
    assert stage_at(days_ago(41), NOW, strict) == "churned"


@pytest.mark.parametrize("bad", [
    {"repeat_orders": 1}, {"lapsing_days": 90, "churned_days": 90}, {"new_customer_days": 0},
])
def test_inconsistent_thresholds_are_refused(bad):
    with pytest.raises(ValueError):
        Thresholds(**bad)


def test_next_change_is_when_time_alone_moves_the_stage():
    one = days_ago(10)
    assert next_change(one, NOW) == one[0] + timedelta(days=30)
    assert stage_at(one, next_change(one, NOW)) == "active"
    two = days_ago(10, 5)
    assert next_change(two, NOW) == two[1] + timedelta(days=60)
    assert next_change([], NOW) is None
    assert next_change(days_ago(200), NOW) is None


@given(st.lists(st.floats(min_value=0, max_value=1000), max_size=8),
       st.floats(min_value=0, max_value=400))
def test_the_stage_only_moves_at_next_change(ages, later):
    purchases = days_ago(*ages)
    moment = next_change(purchases, NOW)
    end = NOW + timedelta(days=later)
    if moment is None or moment > end:
        assert stage_at(purchases, end) == stage_at(purchases, NOW)
    assert stage_at(purchases, NOW) in lifecycle.STAGES
