"""Performance, outbox and the sends on the evidence page: the pure statistics, the SVG
charts, and the views with delivery rows (made directly, and once through delivery's own
services with the console provider)."""

from __future__ import annotations

import random
import re
import xml.etree.ElementTree as ET
from datetime import date, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from hypothesis import given, settings
from hypothesis import strategies as st

from brandguard.services import save_policy_version
from delivery import bandit, services
from studio import charts, presenters
from studio.models import Role
from studio.performance import (
    ArmCounts,
    daily_series,
    improvement_over_equal_split,
    rate,
    seeded_rng,
    summarize_pool,
)
from tests.delivery.conftest import MERGE, NOON_NY, NY
from tests.factories import (
    make_blocked_message,
    make_brand,
    make_contact,
    make_delivered_send,
    make_delivery_settings,
    make_pool_variant,
    make_user,
)

SVG = "{http://www.w3.org/2000/svg}"
ROLES = (Role.COPYWRITER, Role.APPROVER, Role.BRAND_MANAGER)


def arm(variant_id, sends=0, clicks=0, *, active=True, opt_outs=0):
    return ArmCounts(variant_id=variant_id, version=1, text=f"text {variant_id}", active=active,
                     sends=sends, clicks=clicks, opt_outs=opt_outs, successes=clicks,
                     failures=sends - clicks, penalties=opt_outs)


# --- Pure statistics ---------------------------------------------------------------------

def test_a_rate_without_sends_is_unknown_not_zero():
    assert rate(0, 0) is None
    assert rate(3, 12) == 0.25


def test_the_posterior_is_the_one_the_bandit_uses_with_a_leave_one_out_prior():
    counts = [arm(1, 100, 10, opt_outs=2), arm(2, 50, 2)]
    stats = summarize_pool("welcome", "active", counts, penalty_weight=5.0, rng=random.Random(1))
    prior = bandit.pooled_prior([bandit.Arm(2, 2, 48, 0)], penalty_weight=5.0)
    expected = bandit.posterior_summary(bandit.Arm(1, 10, 90, 2), prior=prior, penalty_weight=5.0)
    first = stats.arms[0]
    assert (first.mean, first.low, first.high) == pytest.approx(
        (expected.mean, expected.low, expected.high))
    assert (first.ctr, first.unsubscribe_rate) == (0.1, 0.02)


def test_a_clearly_better_arm_is_almost_surely_best_and_beats_an_equal_split():
    counts = [arm(1, 400, 80), arm(2, 400, 20), arm(3, 400, 22)]
    stats = summarize_pool("welcome", "active", counts, penalty_weight=5.0, rng=random.Random(7))
    by_id = {a.counts.variant_id: a for a in stats.arms}
    assert by_id[1].prob_best > 0.99
    assert stats.best is by_id[1]
    assert stats.improvement.absolute > 0.03
    assert stats.improvement.bandit == pytest.approx(by_id[1].mean, abs=0.002)


def test_the_same_seed_gives_the_same_probabilities_on_every_reload():
    counts = [arm(1, 30, 3), arm(2, 30, 4)]
    runs = [summarize_pool("welcome", "active", counts, penalty_weight=5.0,
                           rng=seeded_rng("performance", 1, "welcome", "active"))
            for _ in range(2)]
    assert [a.prob_best for a in runs[0].arms] == [a.prob_best for a in runs[1].arms]


def test_an_arm_that_left_the_pool_keeps_its_history_but_has_no_chance_of_being_chosen():
    counts = [arm(1, 20, 2), arm(2, 20, 8, active=False)]
    stats = summarize_pool("welcome", "active", counts, penalty_weight=5.0, rng=random.Random(3))
    assert [a.prob_best for a in stats.arms] == [1.0, None]
    assert stats.improvement is None  # one active arm: no split to improve on
    assert stats.arms[1].ctr == 0.4


def test_improvement_over_an_equal_split_by_hand():
    result = improvement_over_equal_split({"a": 0.1, "b": 0.3}, {"a": 0.25, "b": 0.75})
    assert (result.bandit, result.equal) == pytest.approx((0.25, 0.2))
    assert (result.absolute, result.relative) == pytest.approx((0.05, 0.25))
    assert improvement_over_equal_split({"a": 0.1}, {"a": 1.0}) is None


def test_equal_shares_improve_nothing():
    result = improvement_over_equal_split({1: 0.1, 2: 0.2, 3: 0.3}, {1: 1 / 3, 2: 1 / 3, 3: 1 / 3})
    assert result.absolute == pytest.approx(0.0)


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 300), st.integers(0, 300), st.integers(0, 5)),
                min_size=1, max_size=5))
def test_intervals_hold_their_mean_and_probabilities_sum_to_one(rows):
    counts = [ArmCounts(n, 1, "t", True, sends=f + s, successes=s, failures=f, penalties=p)
              for n, (s, f, p) in enumerate(rows)]
    stats = summarize_pool("welcome", "active", counts, penalty_weight=5.0,
                           rng=random.Random(0), draws=2_000)
    assert all(0 <= a.low <= a.mean <= a.high <= 1 for a in stats.arms)
    assert sum(a.prob_best for a in stats.arms) == pytest.approx(1.0)


def test_the_daily_series_fills_missing_days_with_zero():
    end = date(2026, 6, 15)
    series = daily_series({end: 4, end - timedelta(days=2): 1, end - timedelta(days=30): 9},
                          end=end, days=3)
    assert series == [(date(2026, 6, 13), 1), (date(2026, 6, 14), 0), (end, 4)]


# --- SVG ------------------------------------------------------------------------------------

def test_the_interval_chart_is_valid_svg_with_one_dot_per_variant_in_order():
    rows = [charts.IntervalRow("#1 v1", 0.04, 0.02, 0.07),
            charts.IntervalRow("#2 <v2> & co", 0.09, 0.05, 0.14, highlight=True)]
    root = ET.fromstring(charts.interval_chart(rows, title="Cart & co"))
    assert root.tag == f"{SVG}svg" and root.get("aria-label") == "Cart & co"
    dots = root.findall(f".//{SVG}circle")
    assert len(dots) == 2 and float(dots[0].get("cx")) < float(dots[1].get("cx"))
    bars = [line for line in root.iter(f"{SVG}line") if line.get("stroke-width") == "6"]
    for bar, dot in zip(bars, dots, strict=True):
        assert float(bar.get("x1")) < float(dot.get("cx")) < float(bar.get("x2"))
    assert "#2 <v2> & co" in [t.text for t in root.iter(f"{SVG}text")]


def test_the_interval_axis_rounds_up_to_a_readable_top():
    assert charts.axis(0.07) == (0.1, 0.02)
    assert charts.axis(0.21) == (0.25, 0.05)
    assert charts.axis(0.0) == (0.01, 0.002)
    root = ET.fromstring(charts.interval_chart([charts.IntervalRow("a", 0.05, 0.03, 0.21)],
                                               title="t"))
    ticks = [t.text for t in root.iter(f"{SVG}text") if t.text.endswith("%")][:6]
    assert ticks == ["0%", "5%", "10%", "15%", "20%", "25%"]


def test_bars_scale_with_their_counts():
    svg = charts.bar_chart([("Jun 1", 0), ("Jun 2", 5), ("Jun 3", 10)], title="Sends per day")
    rects = ET.fromstring(svg).findall(f".//{SVG}rect")
    heights = [float(r.get("height")) for r in rects]
    assert heights[0] == 0 and heights[2] > 0
    assert heights[1] == pytest.approx(heights[2] / 2, abs=0.01)
    # Every bar stands on the same baseline.
    assert len({round(float(r.get("y")) + float(r.get("height")), 1) for r in rects}) == 1


def test_a_chart_of_nothing_is_still_valid_svg():
    assert ET.fromstring(charts.bar_chart([("Jun 1", 0), ("Jun 2", 0)], title="t")) is not None
    assert ET.fromstring(charts.bar_chart([], title="t")) is not None
    assert ET.fromstring(charts.interval_chart([], title="t")) is not None


def test_the_hour_chart_draws_the_person_as_bars_and_the_brand_as_a_line():
    brand = [1 / 24] * 24
    person = [0.02] * 24
    person[19] = 0.5
    root = ET.fromstring(charts.hour_chart(person, brand, preferred=19, title="Sam & co"))
    bars = root.findall(f".//{SVG}rect")
    assert len(bars) == 24 and root.get("aria-label") == "Sam & co"
    heights = [float(bar.get("height")) for bar in bars]
    assert max(heights) == heights[19] and heights[19] > 10 * heights[0]
    assert {bar.get("fill") for n, bar in enumerate(bars) if n != 19} == {charts.ACCENT}
    assert bars[19].get("fill") == charts.OK
    # Every bar stands on the same baseline, the brand's line is flat for a flat curve.
    assert len({round(float(b.get("y")) + float(b.get("height")), 1) for b in bars}) == 1
    (line,) = root.findall(f".//{SVG}polyline")
    assert len({point.split(",")[1] for point in line.get("points").split()}) == 1
    assert "style" not in charts.hour_chart(person, brand, preferred=19, title="t")


@pytest.mark.parametrize(("phone", "masked"), [
    ("+12125550123", "+1212•••••23"),
    ("+442079460958", "+4420••••••58"),
    ("+3531234", "+35•••34"),
    ("+1234", "•••••"),
])
def test_phone_numbers_keep_only_their_prefix_and_last_two_digits(phone, masked):
    assert presenters.mask_phone(phone) == masked


# --- Views ----------------------------------------------------------------------------------

@pytest.fixture
def pool(brand):
    make_delivery_settings(brand, reward_metric="click")
    strong = make_pool_variant(brand, intent="cart_abandonment", stage="active")
    weak = make_pool_variant(brand, intent="cart_abandonment", stage="active",
                             text="Acme Outdoors: {first_name}, your cart: {link} Reply STOP")
    contact = make_contact(brand)
    now = timezone.now()
    for n in range(20):
        make_delivered_send(strong, contact, at=now - timedelta(days=n % 3), clicked=n < 8)
        make_delivered_send(weak, contact, at=now - timedelta(days=n % 3), clicked=n < 1,
                            opted_out=n == 5)
    return {"strong": strong, "weak": weak, "contact": contact}


def _get(client, user, name, brand, *args, **params):
    client.force_login(user)
    return client.get(reverse(f"studio:{name}", args=[brand.slug, *args]), params)


def test_performance_shows_an_honest_empty_state_without_sends(client, brand, approver):
    make_pool_variant(brand)
    response = _get(client, approver, "performance", brand)
    body = response.content.decode()
    assert response.status_code == 200
    assert "No sends yet — results appear once your automated flows send" in body
    assert f"create_api_key --brand {brand.slug}" in body and "/api/v1/decisions" in body
    assert "<svg" not in body and "Cart abandonment · Active (1 approved)" in body


def test_performance_shows_counts_rates_estimates_and_charts(client, brand, copywriter, pool):
    body = _get(client, copywriter, "performance", brand).content.decode()
    strong = f"#{pool['strong'].pk} v1"
    assert strong in body and "leading" in body
    assert "40.0%" in body and "5.0%" in body  # CTR 8/20 and the weak arm's 1/20 opt-out
    assert body.count('<svg xmlns="http://www.w3.org/2000/svg"') == 2
    assert "vs equal split" in body and "Expected reward per send" in body
    assert "<title>Cart abandonment · Active: sends per day</title>" in body


def test_performance_probabilities_are_the_same_on_every_reload(client, brand, manager, pool):
    def prob_best_column():
        body = _get(client, manager, "performance", brand).content.decode()
        return re.findall(r'<td class="num">(\d+%)</td>\s*</tr>', body)

    first = prob_best_column()
    assert len(first) == 2 and first == prob_best_column()


def test_the_outbox_lists_sent_and_blocked_messages_with_masked_numbers(
        client, brand, approver, pool):
    make_blocked_message(brand, phone="+13125550777", why_not="QUIET_HOURS",
                         detail="closed in America/Chicago until 08:00")
    body = _get(client, approver, "outbox", brand).content.decode()
    assert "+1312•••••77" in body and "+13125550777" not in body
    assert pool["contact"].phone not in body
    assert "QUIET_HOURS" in body and "Quiet hours at the recipient" in body
    assert "closed in America/Chicago until 08:00" in body
    assert f"#{pool['strong'].pk} v1" in body and "41 messages" in body


def test_the_outbox_filters_by_status_and_htmx_gets_only_the_list(client, brand, approver, pool):
    make_blocked_message(brand)
    client.force_login(approver)
    url = reverse("studio:outbox", args=[brand.slug])
    response = client.get(url, {"status": "blocked"}, HTTP_HX_REQUEST="true")
    body = response.content.decode()
    assert "1 message<" in body and "<html" not in body and 'id="messages"' in body


def test_the_outbox_pages_by_fifty(client, brand, approver, pool):
    body = _get(client, approver, "outbox", brand).content.decode()
    assert "Page 1 of 1" not in body and body.count('class="kind-sent"') == 40
    for _ in range(11):
        make_blocked_message(brand)
    first = _get(client, approver, "outbox", brand).content.decode()
    second = _get(client, approver, "outbox", brand, page=2).content.decode()
    assert "Page 1 of 2" in first and first.count("<tr class=\"kind-") == 50
    assert "Page 2 of 2" in second and second.count("<tr class=\"kind-") == 1


def test_the_outbox_says_no_sends_yet_when_empty(client, brand, copywriter):
    assert "No sends yet" in _get(client, copywriter, "outbox", brand).content.decode()


@pytest.mark.parametrize("name", ["performance", "outbox"])
@pytest.mark.parametrize("role", ROLES)
def test_every_role_may_read_the_delivery_pages(client, brand, pool, name, role):
    user = make_user(brand=brand, roles=(role,))
    assert _get(client, user, name, brand).status_code == 200


@pytest.mark.parametrize("name", ["performance", "outbox"])
def test_outsiders_get_404_and_anonymous_visitors_the_login(client, brand, pool, name):
    url = reverse(f"studio:{name}", args=[brand.slug])
    assert reverse("login") in client.get(url)["Location"]
    client.force_login(make_user(brand=make_brand(), roles=(Role.BRAND_MANAGER,)))
    assert client.get(url).status_code == 404


def test_the_evidence_page_lists_the_variants_sends_and_bandit_stats(
        client, brand, approver, pool):
    strong = pool["strong"]
    body = _get(client, approver, "variant", brand, strong.pk).content.decode()
    sid = strong.decisions.first().send.provider_sid
    assert "Sends and what the bandit believes" in body and sid in body
    assert "8 / 12 / 0" in body  # successes / failures / penalties
    assert body.count("<time") >= 20 and "+1212•••••23" in body


def test_the_evidence_page_of_an_unsent_variant_says_so(client, brand, approver):
    variant = make_pool_variant(brand, status="draft", approved_by=None)
    body = _get(client, approver, "variant", brand, variant.pk).content.decode()
    assert "No sends yet: no flow has chosen this variant." in body


def test_real_decisions_through_the_console_provider_reach_every_page(client, brand, approver):
    """The same rows delivery's services write: a send and a denial with its reason."""
    save_policy_version(brand, rules={"max_segments": 2, "allowed_link_domains": ["acme.co"]})
    variant = make_pool_variant(brand)
    make_contact(brand, NY, consent_at=NOON_NY - timedelta(days=3))
    sent = services.decide(brand, services.DecisionRequest(
        phone=NY, intent="cart_abandonment", stage="active", merge=MERGE, send=True, now=NOON_NY))
    services.deliver(sent.send.pk, now=NOON_NY)
    services.decide(brand, services.DecisionRequest(
        phone="+13125550188", intent="cart_abandonment", stage="active", merge=MERGE, send=True,
        now=NOON_NY))
    outbox = _get(client, approver, "outbox", brand).content.decode()
    assert "NO_CONSENT" in outbox and "Sam, your cart is waiting" in outbox
    perf = _get(client, approver, "performance", brand).content.decode()
    assert f"#{variant.pk} v1" in perf and "No sends yet" not in perf
    evidence = _get(client, approver, "variant", brand, variant.pk).content.decode()
    sent.send.refresh_from_db()
    assert sent.send.provider_sid in evidence and "Sent" in evidence
