"""Deterministic fixes: attributed edits on the original text, applied once, re-checked."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from brandguard import check
from brandguard.fixes import apply_edits
from tests.brandguard.support import PREFIX, STOP, clean, make_policy, run


def test_a_text_without_findings_has_no_fix():
    report = run(clean("New tents are in."))
    assert report.findings == []
    assert report.fixed_text is None and report.fix_diff == [] and report.fixed_findings == []


def test_every_fix_at_once_and_each_edit_names_its_rule():
    text = "HUGE sale!! It’s here — 20% off tents"
    report = run(text, first_message=True)
    assert report.fixed_text == PREFIX + "Huge sale! It's here - 20% off tents" + ". " + STOP[1:]
    by_rule = {(e.rule, e.before, e.after) for e in report.fix_diff}
    assert by_rule == {
        ("BRAND_ID", "", PREFIX),
        ("ALL_CAPS", "HUGE", "Huge"),
        ("EXCESS_PUNCT", "!!", "!"),
        ("ENCODING_UCS2", "’", "'"),
        ("ENCODING_UCS2", "—", "-"),
        ("OPTOUT_FIRST", "", ". Reply STOP to opt out"),
    }
    assert report.fixed_findings == []


def test_edit_spans_index_the_original_text_and_rebuild_the_fixed_text():
    text = "FREE gear!! Don’t wait"
    report = run(text, first_message=True)
    for edit in report.fix_diff:
        assert text[edit.span[0]:edit.span[1]] == edit.before
    assert apply_edits(text, report.fix_diff) == report.fixed_text


def test_overlapping_fixes_do_not_fight_the_keyword_fix_wins_over_de_shouting():
    report = run(PREFIX + "New tents. TEXT 2 TO OPT OUT", first_message=True)
    assert report.fixed_text == PREFIX + "New tents. Reply STOP to opt out"
    assert [e.rule for e in report.fix_diff] == ["OPTOUT_KEYWORD"]


def test_a_shouted_first_word_is_capitalised_after_the_brand_prefix():
    report = run("FREE shipping today." + STOP)
    assert report.fixed_text == PREFIX + "Free shipping today." + STOP


def test_no_fix_is_offered_when_no_rule_has_a_mechanical_fix():
    report = run(clean("Cold beer at bit.ly/x"))
    assert report.findings and report.fixed_text is None


def test_fixes_can_be_skipped():
    report = check("HUGE sale!!", make_policy(), fix=False)
    assert report.findings and report.fixed_text is None and report.fix_diff == []


def test_fixed_findings_are_a_plain_recheck_of_the_fixed_text():
    report = run("Cold BEER!! at bit.ly/x")
    recheck = check(report.fixed_text, make_policy(), fix=False)
    assert [f.to_dict() for f in report.fixed_findings] == [f.to_dict() for f in recheck.findings]
    assert {"SHAFT_ALCOHOL", "PUBLIC_SHORTENER"} <= {f.rule for f in report.fixed_findings}


def test_a_fix_that_makes_the_text_too_long_is_reported_not_hidden():
    body = "x" * 280  # 299 with the prefix: two segments; the opt-out line makes three
    report = run(PREFIX + body, first_message=True)
    assert "LENGTH" not in report.rules
    assert report.fixed_text.endswith(STOP.strip())
    assert "LENGTH" in {f.rule for f in report.fixed_findings}


FRAGMENTS = [
    "HUGE sale", "FREE gear!!", "It’s here", "ends tonight", "— really", "Really??",
    "Hi {First_Name}", "Text 2 to opt out", "new tents", "Summit Outfitters:", "🎉",
    "summitoutfitters.com/x", "DON'T MISS", "…", "Wow!?!", "at the US store", "OK",
]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(FRAGMENTS), min_size=1, max_size=8),
       st.booleans())
def test_fixing_a_fixed_text_changes_nothing_more(parts, first):
    """Fixes are idempotent: a second pass over the fixed text finds nothing to fix."""
    policy = make_policy()
    from brandguard import MessageContext

    context = MessageContext(first_message=first)
    report = check(" ".join(parts), policy, context)
    if report.fixed_text is None:
        return
    again = check(report.fixed_text, policy, context)
    assert again.fixed_text is None, (report.fixed_text, again.fix_diff)


def test_the_brand_prefix_never_turns_a_gsm_text_into_ucs2():
    report = run("New tents." + STOP, make_policy(brand_name="Dick’s"))
    assert report.fixed_text == "Dick's: New tents." + STOP
    assert report.fixed_findings == []
