"""Length and encoding: segments judged at the worst case, UCS-2 named to the character."""

from __future__ import annotations

from brandguard.segments import analyze
from tests.brandguard.support import PREFIX, STOP, clean, make_policy, rules, run

# --- LENGTH ----------------------------------------------------------------------------------


def test_a_text_over_the_brand_s_segment_limit_is_blocked():
    text = clean("x" * 300)  # 341 GSM characters: 3 segments of 153
    report = run(text)
    assert report.analysis.segments == 3
    [finding] = report.findings_for("LENGTH")
    assert finding.severity == "block"
    assert "the brand allows 2" in finding.message
    assert finding.spans == [(report.analysis.boundaries[2][0], len(text))]
    assert "Cut about 35 characters" in finding.fix  # 341 - 2 * 153


def test_a_two_segment_text_passes_the_default_limit():
    assert "LENGTH" not in rules(clean("x" * 250))


def test_the_segment_limit_is_the_brand_s_to_raise_or_switch_off():
    text = clean("x" * 300)
    assert "LENGTH" not in rules(text, make_policy(max_segments=3))
    assert "LENGTH" not in rules(text, make_policy(severity_overrides={"LENGTH": "off"}))


def test_length_uses_the_worst_case_of_the_merge_fields():
    text = PREFIX + "Hi {first_name}, new tents are in." + STOP  # 75 characters as typed
    report = run(text, make_policy(max_segments=1))
    assert report.typical_segments == 1  # ten GSM letters for a name: 73 septets
    assert report.worst_case_segments == 2  # 20 non-GSM letters: UCS-2, 83 units > 70
    [finding] = report.findings_for("LENGTH")
    assert "first_name may hold non-GSM characters" in finding.message
    assert [text[a:b] for a, b in finding.spans] == ["{first_name}"]


def test_a_gsm_only_field_is_judged_at_its_maximum_length_in_gsm():
    text = clean("{product_name} " + "x" * 220)
    report = run(text)
    assert report.worst_case_segments == analyze(
        text.replace("{product_name}", "a" * 40)).segments == 2
    assert report.typical_segments == 2


def test_texts_without_merge_fields_have_one_count():
    report = run(clean("Hello"))
    assert report.typical_segments == report.worst_case_segments == report.analysis.segments == 1


# --- MAX_BODY -------------------------------------------------------------------------------


def test_a_body_over_twilio_s_1600_characters_is_blocked_whatever_the_brand_says():
    policy = make_policy(max_segments=20, severity_overrides={"MAX_BODY": "off", "LENGTH": "off"})
    report = run(clean("x" * 1600), policy)
    [finding] = report.findings_for("MAX_BODY")
    assert finding.tier == "TWILIO" and finding.source == "Twilio 21617"
    assert not report.passed
    assert "MAX_BODY" not in rules(clean("x" * 1500), policy)


# --- ENCODING_UCS2 --------------------------------------------------------------------------


def test_non_gsm_characters_are_named_with_their_positions():
    text = clean("It’s here — finally")
    report = run(text)
    [finding] = report.findings_for("ENCODING_UCS2")
    assert finding.severity == "warn"
    assert [text[a:b] for a, b in finding.spans] == ["’", "—"]
    assert f'"’" at {text.index("’")}' in finding.message


def test_gsm_extension_and_accented_gsm_letters_stay_gsm():
    assert "ENCODING_UCS2" not in rules(clean("Café à Zürich: 20€ {promo} [new] É Ç"))


def test_the_encoding_fix_applies_smart_encoding_when_it_makes_the_text_gsm():
    report = run(clean("It’s “here” — finally…"))
    assert report.fixed_text == clean('It\'s "here" - finally...')
    assert {e.rule for e in report.fix_diff} == {"ENCODING_UCS2"}
    assert analyze(report.fixed_text).encoding == "GSM-7"
    assert report.fixed_findings == []


def test_smart_encoding_is_not_applied_when_an_emoji_keeps_the_text_ucs2():
    report = run(clean("It’s here 🎉"))
    assert "ENCODING_UCS2" in report.rules
    assert report.fixed_text is None
    assert "emoji" in report.findings_for("ENCODING_UCS2")[0].fix


def test_no_finding_when_the_brand_allows_unicode():
    assert "ENCODING_UCS2" not in rules(clean("Tents 🎉"), make_policy(allow_unicode=True))


def test_with_smart_encoding_on_only_unmappable_characters_count():
    policy = make_policy(smart_encoding=True)
    report = run(clean("It’s here"), policy)
    assert report.analysis.encoding == "GSM-7"
    assert "ENCODING_UCS2" not in report.rules
    text = clean("It’s here 🎉")
    report = run(text, policy)
    assert [text[a:b] for a, b in report.findings_for("ENCODING_UCS2")[0].spans] == ["🎉"]
