"""Policy storage, the rule registry and who may tune which rule."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from brandguard import RULES, MergeField, MessageContext, Policy, Severity, check
from tests.brandguard.support import PREFIX, STOP, clean, make_policy

# A text (and context) that trips each rule.
TRIGGERS: dict[str, tuple[str, dict]] = {
    "BRAND_ID": ("New tents." + STOP, {}),
    "OPTOUT_FIRST": (PREFIX + "Welcome.", {"first_message": True}),
    "OPTOUT_PERIODIC": (PREFIX + "Hello.", {"days_since_last_optout_notice": 45}),
    "OPTOUT_KEYWORD": (PREFIX + "Hello. Text 2 to opt out", {}),
    "CONFIRM_RATES": (PREFIX + "You're in." + STOP, {"message_type": "opt_in_confirmation"}),
    "CONFIRM_FREQUENCY": (PREFIX + "You're in." + STOP,
                          {"message_type": "opt_in_confirmation"}),
    "CONFIRM_HELP": (PREFIX + "You're in." + STOP, {"message_type": "opt_in_confirmation"}),
    "HELP_CONTACT": (PREFIX + "We can help." + STOP, {"message_type": "help_reply"}),
    "OPTOUT_CONFIRM_NO_MARKETING": (PREFIX + "Unsubscribed. 20% off boots!",
                                    {"message_type": "opt_out_confirmation"}),
    "PUBLIC_SHORTENER": (clean("See bit.ly/x"), {}),
    "LINK_DOMAIN": (clean("See rei.com/x"), {}),
    "SHAFT_SEX": (clean("Sex."), {}),
    "SHAFT_SEX_SIGNAL": (clean("Sexy swimwear."), {}),
    "SHAFT_HATE": (clean("Shit."), {}),
    "SHAFT_ALCOHOL": (clean("Beer."), {}),
    "SHAFT_FIREARMS": (clean("Guns."), {}),
    "SHAFT_TOBACCO": (clean("Cigars."), {}),
    "CANNABIS": (clean("CBD."), {}),
    "DECEPTIVE_URGENCY": (clean("Final notice."), {}),
    "ALL_CAPS": (clean("HUGE sale."), {}),
    "EXCESS_PUNCT": (clean("Sale!!"), {}),
    "EXCESS_EMOJI": (clean("🎉🎉🎉🎉"), {}),
    "LENGTH": (clean("x" * 300), {}),
    "ENCODING_UCS2": (clean("It’s here."), {}),
    "MAX_BODY": (clean("x" * 1600), {}),
    "BANNED_PHRASE": (clean("Cheap tents."), {}),
    "REQUIRED_PHRASE": (clean("Tents."), {}),
    "MERGE_FIELD": (clean("Hi {nope}."), {}),
    "TONE_ENTHUSIASM": (clean("Amazing!!! Love it! Wow!"), {}),
    "TONE_URGENCY": (clean("Hurry, last chance, ends tonight!"), {}),
    "TONE_FORMALITY": (clean("Dear member, we are pleased to invite you. Kindly reply."), {}),
    "TONE_SENTIMENT": (clean("Great, wonderful, amazing, best ever."), {}),
}
TRIGGER_POLICY = dict(
    banned_phrases=["cheap"],
    required_phrases=["members"],
    tone={"enthusiasm": (0, 0.3), "urgency": (0, 0.3), "formality": (0, 0.6),
          "sentiment": (0, 0.8)},
)


def trigger(rule_id, **policy_overrides):
    text, context = TRIGGERS[rule_id]
    policy = make_policy(**{**TRIGGER_POLICY, **policy_overrides})
    return check(text, policy, MessageContext(**context))


def test_the_registry_holds_every_rule_of_the_contract():
    contract = set(TRIGGERS)
    assert set(RULES) == contract
    for spec in RULES.values():
        assert spec.tunable == (spec.tier.value == "POLICY")
        assert spec.source and spec.category


@pytest.mark.parametrize("rule_id", sorted(TRIGGERS))
def test_each_rule_fires_on_its_trigger_with_its_registry_data(rule_id):
    report = trigger(rule_id)
    [finding] = report.findings_for(rule_id)
    spec = RULES[rule_id]
    assert (finding.severity, finding.category, finding.source, finding.tier) == (
        spec.default_severity, spec.category, spec.source, spec.tier.value)
    assert finding.message and finding.fix
    for start, end in finding.spans:
        assert 0 <= start <= end <= len(report.text)


@pytest.mark.parametrize("rule_id", sorted(r for r in RULES if not RULES[r].tunable))
def test_law_carrier_and_twilio_rules_ignore_brand_overrides(rule_id):
    for value in ("off", "warn"):
        report = trigger(rule_id, severity_overrides={rule_id: value})
        assert report.findings_for(rule_id)[0].severity == RULES[rule_id].default_severity


@pytest.mark.parametrize("rule_id", sorted(r for r in RULES if RULES[r].tunable))
def test_policy_rules_can_be_set_to_block_warn_or_off(rule_id):
    assert trigger(rule_id, severity_overrides={rule_id: "off"}).findings_for(rule_id) == []
    for value in ("warn", "block"):
        report = trigger(rule_id, severity_overrides={rule_id: value})
        assert report.findings_for(rule_id)[0].severity == Severity(value)


def test_passed_means_no_blocking_finding():
    text = clean("HUGE sale.")
    assert check(text, make_policy()).passed  # a warning only
    assert not check(text, make_policy(severity_overrides={"ALL_CAPS": "block"})).passed


def test_a_policy_round_trips_through_json():
    policy = make_policy(
        banned_phrases=["cheap"], tone={"urgency": (0.0, 0.4)},
        severity_overrides={"ALL_CAPS": "off"}, age_gated=True, emoji_limit=1,
    )
    stored = json.loads(json.dumps(policy.to_dict()))
    assert Policy.from_dict(stored) == policy
    assert stored["merge_fields"]["first_name"] == {"max_length": 20, "non_gsm": True}


def test_stored_rules_without_a_brand_name_load_with_defaults():
    policy = Policy.from_dict({"max_segments": 3, "merge_fields": {"name": {"max_length": 9}}})
    assert policy.brand_name == "" and policy.max_segments == 3
    assert policy.merge_fields == {"name": MergeField(9, False)}
    assert policy.tone["sentiment"] == (0.0, 1.0)


@pytest.mark.parametrize(
    "bad",
    [{"max_segmnts": 3}, {"severity_overrides": {"ALL_CAPS": "maybe"}},
     {"severity_overrides": {"NOPE": "off"}}, {"tone": {"urgency": [0.5, 0.2]}},
     {"tone": {"vibes": [0, 1]}}, {"max_segments": 0}],
)
def test_invalid_policies_are_rejected(bad):
    with pytest.raises(ValueError):
        Policy.from_dict(bad)


def test_an_unknown_message_type_is_rejected():
    with pytest.raises(ValueError):
        MessageContext(message_type="newsletter")


def test_the_report_serialises_to_json():
    text = "HUGE sale!! It’s here {first_name} 🎉"
    report = check(text, make_policy(), MessageContext(first_message=True))
    data = json.loads(json.dumps(report.to_dict()))
    assert data["passed"] is False
    assert data["analysis"]["encoding"] == "UCS-2"
    assert data["analysis"]["non_gsm"][0] == {
        "index": text.index("’"), "char": "’", "replacement": "'"}
    assert {"rule", "severity", "category", "tier", "message", "spans", "source", "fix"} <= set(
        data["findings"][0])
    assert set(data["tone"]) == {"enthusiasm", "urgency", "formality", "sentiment"}
    assert data["fix_diff"] and data["fixed_text"]
    assert data["worst_case_segments"] >= data["typical_segments"]


def test_check_works_without_a_policy_or_context():
    report = check("Hello")
    assert report.passed and report.analysis.segments == 1


def test_the_engine_imports_without_django():
    code = ("import sys, brandguard; brandguard.check('Hi'); "
            "assert not [m for m in sys.modules if m.startswith('django')]")
    subprocess.run([sys.executable, "-c", code], check=True)
