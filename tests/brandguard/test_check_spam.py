"""Spam hygiene (POLICY): ALL-CAPS, punctuation runs, emoji walls; fixes and overrides."""

from __future__ import annotations

from tests.brandguard.support import PREFIX, STOP, clean, make_policy, rules, run, spanned

# --- ALL_CAPS ------------------------------------------------------------------------------


def test_shouted_words_are_flagged_as_a_warning():
    report = run(clean("HUGE sale on tents, FREE shipping."))
    [finding] = report.findings_for("ALL_CAPS")
    assert spanned(report, "ALL_CAPS") == ["HUGE", "FREE"]
    assert finding.severity == "warn"
    assert report.passed  # a warning does not block


def test_acronyms_keywords_codes_brand_and_short_words_are_not_shouting():
    text = ("SUMMIT OUTFITTERS: Ship to the US or UK, OK? SMS VIP perks, BOGO on XXL fleece, "
            "code SAVE20, RSVP by 5 PM EST. Reply HELP for help, STOP to opt out")
    assert "ALL_CAPS" not in rules(text)


def test_merge_fields_and_links_are_never_de_shouted():
    assert "ALL_CAPS" not in rules(clean("Hi {first_name}, see SUMMITOUTFITTERS.COM/NEW today."))


def test_the_caps_fix_writes_words_in_sentence_case():
    report = run(PREFIX + "HUGE SALE today on FREE gear. Reply STOP to opt out")
    assert report.fixed_text == PREFIX + "Huge sale today on free gear. Reply STOP to opt out"
    assert {(e.before, e.after) for e in report.fix_diff} == {
        ("HUGE", "Huge"), ("SALE", "sale"), ("FREE", "free")
    }
    assert "ALL_CAPS" not in {f.rule for f in report.fixed_findings}


def test_caps_with_apostrophes_are_de_shouted_whole():
    report = run(clean("DON'T MISS this."))
    assert report.fixed_text == clean("Don't miss this.")


def test_a_brand_can_switch_all_caps_off_or_make_it_blocking():
    text = clean("HUGE sale.")
    assert "ALL_CAPS" not in rules(text, make_policy(severity_overrides={"ALL_CAPS": "off"}))
    report = run(text, make_policy(severity_overrides={"ALL_CAPS": "block"}))
    assert report.findings_for("ALL_CAPS")[0].severity == "block"
    assert not report.passed


# --- EXCESS_PUNCT --------------------------------------------------------------------------


def test_punctuation_runs_are_flagged():
    report = run(clean("Sale now!! Really?? Yes!!! Save $$$."))
    assert spanned(report, "EXCESS_PUNCT") == ["!!", "??", "!!!", "$$$"]


def test_a_single_mark_and_an_interrobang_are_fine():
    assert "EXCESS_PUNCT" not in rules(clean("Sale now! Really?! Ready? Go. Tents from $99."))


def test_the_punctuation_fix_collapses_runs_but_leaves_dollar_runs_to_the_writer():
    report = run(clean("Sale now!! Really??? Wait?!?! Save $$$."))
    assert report.fixed_text == clean("Sale now! Really? Wait?! Save $$$.")
    assert "EXCESS_PUNCT" in {f.rule for f in report.fixed_findings}  # the $$$ remains


def test_exclamation_marks_inside_a_link_are_not_copy():
    assert "EXCESS_PUNCT" not in rules(clean("See https://summitoutfitters.com/go!!now"))


# --- EXCESS_EMOJI --------------------------------------------------------------------------


def test_more_emoji_than_the_brand_allows_is_flagged():
    report = run(clean("Tent sale 🎉🔥⛺🥾"))
    assert "EXCESS_EMOJI" in report.rules
    assert spanned(report, "EXCESS_EMOJI") == ["🎉", "🔥", "⛺", "🥾"]


def test_joined_emoji_count_once_and_trademark_signs_are_not_emoji():
    assert "EXCESS_EMOJI" not in rules(clean("Family hike 👨‍👩‍👧 🏃‍♀️ 🇺🇸 Summit Pro™ ©"))


def test_the_emoji_limit_is_the_brand_s_choice():
    text = clean("Trail day 🎉")
    assert "EXCESS_EMOJI" in rules(text, make_policy(emoji_limit=0))
    assert "EXCESS_EMOJI" not in rules(text + "🎉🎉🎉🎉", make_policy(emoji_limit=10))


def test_emoji_have_no_mechanical_fix():
    report = run(PREFIX + "Tent sale 🎉🔥⛺🥾" + STOP,
                 make_policy(allow_unicode=True))
    assert report.fixed_text is None
