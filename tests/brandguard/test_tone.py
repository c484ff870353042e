"""Tone: deterministic scores with their drivers, compared with the brand's ranges."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

from brandguard import sentiment
from tests.brandguard.support import PREFIX, clean, make_policy, rules, run

CALM = make_policy(tone={"urgency": (0.0, 0.4), "enthusiasm": (0.0, 0.4)})


def drivers(report, dimension):
    return [d.text for d in report.tone[dimension].drivers]


def test_plain_copy_is_neutral_on_every_dimension():
    tone = run(clean("New fall jackets are in.")).tone
    assert tone["enthusiasm"].score == tone["urgency"].score == 0.0
    assert tone["formality"].score == tone["sentiment"].score == 0.5
    assert all(t.in_range and t.drivers == () for t in tone.values())


def test_urgency_names_the_words_that_drove_it():
    report = run(clean("Last chance! The sale ends tonight. Shop now."))
    assert drivers(report, "urgency") == ["Last chance", "ends tonight", "now"]
    assert 0.5 < report.tone["urgency"].score < 0.6  # 3.5 points: 3.5 / (3.5 + 3)


def test_a_calm_brand_gets_a_tone_warning_for_pushy_copy():
    report = run(clean("Hurry, last chance: only 3 left, ends at midnight!"), CALM)
    [finding] = report.findings_for("TONE_URGENCY")
    assert finding.severity == "warn" and report.passed
    assert "above the brand's range 0.00-0.40" in finding.message
    assert [report.text[a:b] for a, b in finding.spans] == [
        "Hurry", "last chance", "only 3 left", "ends at midnight"]


def test_calm_copy_passes_a_calm_brand():
    assert not {"TONE_URGENCY", "TONE_ENTHUSIASM"} & rules(
        clean("Our winter collection is in store. Sale ends Sunday."), CALM)


def test_enthusiasm_counts_words_marks_emoji_and_shouting():
    report = run(clean("AMAZING new gear!! We love it 🎉"), make_policy(allow_unicode=True))
    kinds = {(d.text, d.kind) for d in report.tone["enthusiasm"].drivers}
    assert {("AMAZING", "word"), ("AMAZING", "caps"), ("!", "mark"), ("love", "word"),
            ("🎉", "emoji")} <= kinds
    # 1 + 0.5 (caps) + 2 x 0.5 + 1 + 0.75 = 4.25 points, squashed as p / (p + 3)
    assert report.tone["enthusiasm"].score == pytest.approx(4.25 / 7.25)


def test_formality_balances_formal_and_informal_markers():
    formal = run(clean("Dear member, we are pleased to invite you. Thank you.")).tone
    casual = run(clean("Hey fam, we're gonna have cool stuff lol")).tone
    assert formal["formality"].score > 0.8
    assert casual["formality"].score < 0.2
    assert "we're" in [d.text for d in casual["formality"].drivers if d.kind == "contraction"]
    curly = run(clean("We’re open; Summit's lodge too.")).tone["formality"].drivers
    assert [d.text for d in curly if d.kind == "contraction"] == ["We’re"]  # not a possessive


def test_a_formal_brand_is_told_which_words_are_too_casual():
    policy = make_policy(tone={"formality": (0.6, 1.0)})
    report = run(clean("Hey fam, grab your gear!"), policy)
    [finding] = report.findings_for("TONE_FORMALITY")
    assert "below the brand's range" in finding.message
    assert [report.text[a:b] for a, b in finding.spans] == ["Hey", "fam", "grab", "!"]


def test_sentiment_names_the_words_with_their_valence():
    report = run(clean("Sorry, your order was delayed. We apologize."))
    found = {d.text: d.weight for d in report.tone["sentiment"].drivers}
    assert found["delayed"] < 0 and found["Sorry"] < 0
    assert report.tone["sentiment"].score < 0.5
    policy = make_policy(tone={"sentiment": (0.4, 1.0)})
    assert "TONE_SENTIMENT" in rules(clean("This is a terrible, awful delay."), policy)


def test_compliance_wording_and_the_brand_do_not_colour_the_tone():
    # VADER scores "stop" -1.2 and "help" +1.7; neither is the brand's voice.
    report = run(PREFIX + "Reply HELP for help, STOP to opt out")
    assert report.tone["sentiment"].score == 0.5
    assert report.tone["sentiment"].drivers == ()
    brand = make_policy(brand_name="Happy Trails")
    assert run("Happy Trails: new tents. Reply STOP to opt out", brand).tone[
        "sentiment"].score == 0.5


def test_emoji_count_as_enthusiasm_not_as_vader_words():
    # VADER would read the fire emoji as the word "fire" (negative).
    report = run(clean("New tents 🔥"), make_policy(allow_unicode=True))
    assert report.tone["sentiment"].score == 0.5
    assert drivers(report, "enthusiasm") == ["🔥"]


def test_tone_rules_are_the_brand_s_to_switch_off():
    policy = make_policy(tone={"urgency": (0.0, 0.1)},
                         severity_overrides={"TONE_URGENCY": "off"})
    assert "TONE_URGENCY" not in rules(clean("Last chance, ends tonight!"), policy)


def test_tone_is_deterministic():
    text = clean("Last chance!! We LOVE these amazing tents, don't miss out 🎉")
    first, second = run(text).to_dict(), run(text).to_dict()
    assert first["tone"] == second["tone"]


# --- the sentiment engine is VADER, word for word ------------------------------------------

_VADER = SentimentIntensityAnalyzer()
_WORDS = [
    "good", "bad", "great", "terrible", "love", "hate", "not", "never", "no", "very",
    "extremely", "kind", "of", "sort", "but", "least", "at", "without", "doubt", "so", "this",
    "the", "shit", "bomb", "GREAT", "BAD", "isn't", "nothing", "happy", "sad", "free", "stop",
    "help", "tents", "sale", "and", "or", "nor", "kinda", "barely", "to", "die", "for", "yeah",
    "right", ":)", ":(", "lol", "143", "cut", "mustard", "amazing!!", "ok?", "wow!", "sorta",
]


@settings(max_examples=400, deadline=None)
@given(st.lists(st.sampled_from(_WORDS), max_size=25),
       st.sampled_from(["", "!", "!!", "?", "??", "!!!!!"]))
def test_sentiment_matches_vader_polarity_scores_on_emoji_free_text(words, tail):
    text = " ".join(words) + tail
    assert sentiment.compound(text)[0] == _VADER.polarity_scores(text)["compound"]


def test_sentiment_matches_vader_on_real_copy():
    for text in [
        "Summit Outfitters: Sorry for the delay, but your boots are truly AMAZING!",
        "Not bad at all, and never boring. Kind of great, sort of wonderful.",
        "Without doubt the best tents. At least try them; this is so good!!",
    ]:
        assert sentiment.compound(text)[0] == _VADER.polarity_scores(text)["compound"]
