"""Merge fields: declared placeholders only, malformed ones named, unambiguous ones fixed."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from brandguard import MergeField
from brandguard.checks.merge_fields import case_of, length_cases, render
from brandguard.scan import Scan
from brandguard.segments import analyze
from tests.brandguard.support import clean, make_policy, rules, run, spanned


def test_declared_placeholders_pass():
    assert "MERGE_FIELD" not in rules(clean("Hi {first_name}, your {product_name} shipped."))


def test_an_unknown_placeholder_is_blocked_with_a_suggestion():
    report = run(clean("Hi {frist_name}, your {store_name} order is ready."))
    [finding] = report.findings_for("MERGE_FIELD")
    assert spanned(report, "MERGE_FIELD") == ["{frist_name}", "{store_name}"]
    assert "did you mean {first_name}?" in finding.message
    assert "Declared fields: {first_name}, {product_name}" in finding.message
    assert not report.passed


def test_malformed_placeholders_are_blocked():
    for bad in ("{first name}", "{{first_name}}", "{ first_name }", "{first_name", "{}",
                "first_name}", "{First_Name}"):
        report = run(clean(f"Hi {bad}, hello."))
        assert "MERGE_FIELD" in report.rules, bad


def test_the_merge_field_fix_rewrites_placeholders_that_clearly_mean_a_declared_field():
    report = run(clean("Hi {{ First Name }}, your {Product_Name} and {first-name}."))
    assert report.fixed_text == clean("Hi {first_name}, your {product_name} and {first_name}.")
    assert [e.rule for e in report.fix_diff] == ["MERGE_FIELD"] * 3
    assert "MERGE_FIELD" not in {f.rule for f in report.fixed_findings}


def test_a_misspelt_field_is_suggested_but_not_rewritten():
    report = run(clean("Hi {frist_name}."))
    assert report.fixed_text is None


def test_every_placeholder_is_unknown_when_the_brand_declares_none():
    assert "MERGE_FIELD" in rules(clean("Hi {first_name}."), make_policy(merge_fields={}))


def test_a_brand_that_sends_literal_braces_can_switch_the_rule_off():
    policy = make_policy(severity_overrides={"MERGE_FIELD": "off"})
    assert "MERGE_FIELD" not in rules(clean("Use code {SUMMIT} today."), policy)


def test_a_field_that_may_hold_non_gsm_characters_makes_the_worst_case_ucs2():
    policy = make_policy(merge_fields={"first_name": MergeField(10, non_gsm=True)})
    report = run(clean("Hi {first_name}."), policy)
    assert report.analysis.encoding == "GSM-7"
    assert report.worst_case_segments == 1
    long = clean("Hi {first_name}. " + "x" * 60)
    assert run(long, policy).worst_case_segments == 2  # 108 UCS-2 units
    gsm_policy = make_policy(merge_fields={"first_name": MergeField(10)})
    assert run(long, gsm_policy).worst_case_segments == 1


def test_unknown_placeholders_count_as_typed():
    report = run(clean("{mystery}"), make_policy(merge_fields={}))
    assert report.worst_case_segments == report.analysis.segments == 1


# --- the arithmetic shortcut for plain GSM templates agrees with analyze() -------------------

_FIELDS = {"a": MergeField(0), "b": MergeField(7), "c": MergeField(40, non_gsm=True),
           "d": MergeField(153)}
_PIECES = st.sampled_from(["x", "hello ", "\n", "\r\n", "@£$", "{a}", "{b}", "{c}", "{d}",
                           "{zzz}", "€", "[", "é", "’", "🎉", "{", "ç", "e\u0301", "中",
                           "\u200d", "🇺🇸", "{b}\u0301"])


@settings(max_examples=1500, deadline=None)
@given(st.lists(_PIECES, max_size=40), st.integers(0, 200), st.booleans())
def test_length_cases_equal_analyze_of_the_rendered_text(pieces, padding, smart):
    text = "".join(pieces) + "y" * padding
    scan = Scan(text)
    analysis = analyze(text, smart_encoding=smart)
    typical, worst = length_cases(text, analysis, scan.placeholders, _FIELDS,
                                  smart_encoding=smart)
    for case, is_worst in ((typical, False), (worst, True)):
        rendered = analyze(render(text, scan.placeholders, _FIELDS, worst=is_worst),
                           smart_encoding=smart)
        assert case == case_of(rendered)
