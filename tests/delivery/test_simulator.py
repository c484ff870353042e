"""The shopper simulator: a small run through the real views keeps every promise, reports
every count the command promises, and leaves nothing behind."""

from __future__ import annotations

import json
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from brandguard.services import save_policy_version
from delivery.models import (
    ApiKey,
    ConsentEvent,
    Contact,
    Event,
    JourneyStep,
    LifecycleSettings,
    Send,
)
from delivery.simulator import Simulation
from tests.factories import make_brand

KEYS = {"journeys_fired", "exits", "sends", "clicks", "purchases", "opt_outs",
        "sends_in_quiet_hours", "sends_after_opt_out", "cart_sends_after_purchase"}


@pytest.fixture
def shop(db):
    brand = make_brand(website_domain="acme.co")
    save_policy_version(brand, rules={"max_segments": 2, "allowed_link_domains": ["acme.co"]})
    return brand


def test_a_small_simulation_keeps_every_invariant(shop):
    report = Simulation(shop, shoppers=40, days=4, seed=3, stop_rate=0.15).run(keep=True)
    assert report.journeys_fired > 0 and report.sends > 0 and report.purchases > 0
    assert report.opt_outs > 0 and report.clicks > 0
    assert report.exits.get("purchase", 0) > 0
    assert report.sends_in_quiet_hours == 0
    assert report.sends_after_opt_out == 0
    assert report.cart_sends_after_purchase == 0
    # The counts are what the database holds, not the simulator's own tally.
    assert report.sends == Send.objects.filter(brand=shop, sent_at__isnull=False).count()
    assert report.journeys_fired == JourneyStep.objects.filter(status="fired").count()
    assert report.purchases == Event.objects.filter(brand=shop, type="purchased").count()
    assert report.opt_outs == Contact.objects.filter(brand=shop, opted_out=True).count()


def test_a_kept_run_retires_the_copy_nobody_reviewed(shop):
    """The shop has no copy, so the run adds plain approved variants to send at all; kept,
    they must not stay approved for real people (no copywriter or approver saw them)."""
    from copygen.models import Variant

    report = Simulation(shop, shoppers=10, days=1, seed=2).run(keep=True)
    assert report.copy_filled > 0
    filled = Variant.objects.filter(brand=shop, approved_by__username="shopper-simulator")
    assert filled.count() == report.copy_filled
    assert set(filled.values_list("status", flat=True)) == {"retired"}
    assert not Variant.objects.filter(brand=shop, status="approved").exists()


def test_a_run_reports_only_its_own_texts_and_steps(shop):
    """The demo keeps a simulation of its own; a later run over the same shoppers, on an
    earlier simulated calendar, must not count the kept run's texts as its own (they would
    read as texts sent after this run's opt-outs)."""
    from datetime import UTC, datetime

    kept = Simulation(shop, shoppers=30, days=3, seed=3, stop_rate=0.15,
                      start=datetime(2026, 6, 20, 4, 0, tzinfo=UTC)).run(keep=True)
    assert kept.sends > 0
    kept_sends = Send.objects.filter(brand=shop, sent_at__isnull=False).count()
    kept_steps = JourneyStep.objects.filter(brand=shop).count()
    later = Simulation(shop, shoppers=30, days=3, seed=4, stop_rate=0.3)
    report = later.run(keep=True)
    assert report.opt_outs > 0 and report.sends > 0
    assert report.sends == Send.objects.filter(brand=shop, sent_at__isnull=False
                                               ).count() - kept_sends
    assert sum(report.steps_by_journey.values()) == JourneyStep.objects.filter(
        brand=shop).count() - kept_steps
    assert report.sends_after_opt_out == 0
    assert 0 <= later.sends_near_preferred_hour <= report.sends


def test_the_simulator_writes_only_through_the_public_api(shop):
    """Shoppers, their consent proof, their behaviour and their STOPs arrive the way a
    flow's would: the contacts API's ledger entries, the events API's opt-outs."""
    report = Simulation(shop, shoppers=30, days=3, seed=5, stop_rate=0.2).run(keep=True)
    grants = ConsentEvent.objects.filter(brand=shop, kind="granted")
    assert grants.count() >= 27  # the 9 in 10 subscribed from the start, at least
    assert set(grants.values_list("source", "source_detail")) == {
        ("web_form", "https://acme.co/sms-signup")}
    revoked = ConsentEvent.objects.filter(brand=shop, kind="revoked")
    assert report.opt_outs > 0 and revoked.count() == report.opt_outs
    assert set(revoked.values_list("source", flat=True)) == {"api"}
    assert Event.objects.filter(brand=shop, type="opted_out").count() == report.opt_outs
    # Late signers-up: the subscribed event, then their consent through POST /contacts.
    assert Event.objects.filter(brand=shop, type="subscribed").exists()
    assert ApiKey.objects.filter(brand=shop, name="shopper simulator").count() == 1


def test_the_command_prints_a_summary_and_one_json_line_then_rolls_back(shop):
    out = StringIO()
    call_command("simulate_shoppers", "--brand", shop.slug, "--shoppers", "15", "--days", "2",
                 "--json", "--speed", stdout=out)
    lines = out.getvalue().strip().splitlines()
    assert any(line.startswith("journeys fired:") for line in lines)
    assert any(line.startswith("speed:") for line in lines)
    body = json.loads(lines[-1])
    assert KEYS <= set(body) and isinstance(body["exits"], dict)
    assert body["sends_in_quiet_hours"] == body["sends_after_opt_out"] == 0
    assert not Contact.objects.filter(brand=shop).exists()  # rolled back
    assert not Send.objects.exists()


def test_the_send_time_comparison_runs_one_seed_both_ways_and_rolls_both_back(shop):
    out = StringIO()
    call_command("simulate_shoppers", "--brand", shop.slug, "--shoppers", "25", "--days", "3",
                 "--seed", "4", "--compare-send-time", "--json", stdout=out)
    lines = out.getvalue().strip().splitlines()
    body = json.loads(lines[-1])
    assert KEYS <= set(body)
    comparison = body["send_time_comparison"]
    personal, baseline = comparison["personal"], comparison["first_open_minute"]
    # The top-level counts are the personal arm's; each arm's rate is its clicks / sends.
    assert (personal["sends"], personal["clicks"]) == (body["sends"], body["clicks"])
    for arm in (personal, baseline):
        assert arm["sends"] > 0 and 0 <= arm["clicks"] <= arm["sends"]
        assert arm["click_rate"] == round(arm["clicks"] / arm["sends"], 4)
        assert arm["sends_in_quiet_hours"] == arm["sends_after_opt_out"] == 0
        assert arm["cart_sends_after_purchase"] == 0
        assert 0 <= arm["sends_near_preferred_hour"] <= arm["sends"]
    rates = personal["clicks"] / personal["sends"], baseline["clicks"] / baseline["sends"]
    assert comparison["difference"] == round(rates[0] - rates[1], 4)
    if baseline["clicks"]:
        assert comparison["lift"] == round(rates[0] / rates[1] - 1, 4)
    assert any(line.startswith("personal send time:") for line in lines)
    assert any(line.startswith("first open minute:") for line in lines)
    assert not Contact.objects.filter(brand=shop).exists()  # both rolled back
    assert not LifecycleSettings.objects.filter(brand=shop).exists()


def test_both_arms_get_the_same_shoppers_and_only_the_switch_differs(shop):
    first = Simulation(shop, shoppers=10, days=2, seed=9, personal_send_time=True)
    second = Simulation(shop, shoppers=10, days=2, seed=9, personal_send_time=False)
    assert [s.__dict__ for s in first.shoppers] == [s.__dict__ for s in second.shoppers]
    second.run(keep=True)  # kept here only to read what the arm wrote
    assert not LifecycleSettings.objects.get(brand=shop).personal_send_time


def test_a_comparison_cannot_be_kept(shop):
    with pytest.raises(CommandError, match="--compare-send-time"):
        call_command("simulate_shoppers", "--brand", shop.slug, "--compare-send-time", "--keep")


def test_an_unknown_brand_is_a_clear_error(db):
    with pytest.raises(CommandError, match="no brand"):
        call_command("simulate_shoppers", "--brand", "nope")
