"""The brand's banned and required phrases (POLICY)."""

from __future__ import annotations

from tests.brandguard.support import clean, make_policy, rules, run, spanned


def test_banned_phrases_match_whole_words_in_any_case_and_spacing():
    policy = make_policy(banned_phrases=["cheap", "act now", "guaranteed!"])
    report = run(clean("CHEAP tents, act   now. Guaranteed! Cheapest? No."), policy)
    assert spanned(report, "BANNED_PHRASE") == ["CHEAP", "act   now", "Guaranteed!"]
    assert not report.passed


def test_banned_phrases_do_not_match_inside_words():
    policy = make_policy(banned_phrases=["ass", "cheap"])
    assert "BANNED_PHRASE" not in rules(clean("Class assessment; cheapskates welcome."), policy)


def test_curly_and_straight_apostrophes_are_the_same_phrase():
    policy = make_policy(banned_phrases=["don't miss"])
    assert "BANNED_PHRASE" in rules(clean("Don’t miss it."), policy)


def test_a_missing_required_phrase_is_named():
    policy = make_policy(required_phrases=["Terms: summitoutfitters.com/terms", "Members"])
    report = run(clean("Members save 10%."), policy)
    [finding] = report.findings_for("REQUIRED_PHRASE")
    assert '"Terms: summitoutfitters.com/terms"' in finding.message
    assert "Members\"" not in finding.message


def test_required_phrases_present_pass():
    policy = make_policy(required_phrases=["members"])
    assert "REQUIRED_PHRASE" not in rules(clean("Members save 10%."), policy)


def test_brand_phrases_can_be_downgraded_or_switched_off():
    policy = make_policy(banned_phrases=["cheap"], required_phrases=["x-factor"],
                         severity_overrides={"BANNED_PHRASE": "warn", "REQUIRED_PHRASE": "off"})
    report = run(clean("Cheap tents."), policy)
    assert report.findings_for("BANNED_PHRASE")[0].severity == "warn"
    assert "REQUIRED_PHRASE" not in report.rules
    assert report.passed


def test_phrases_have_no_mechanical_fix():
    report = run(clean("Cheap tents."), make_policy(banned_phrases=["cheap"]))
    assert report.fixed_text is None
