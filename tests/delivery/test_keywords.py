from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from delivery.keywords import (
    HELP_KEYWORDS,
    OPT_IN_KEYWORDS,
    OPT_OUT_KEYWORDS,
    Classification,
    classify,
)


@pytest.mark.parametrize("word", sorted(OPT_OUT_KEYWORDS))
@pytest.mark.parametrize("dress", ["{}", "{} ", "  {}", "{}.", "{}!!!", "{}?", '"{}"'])
def test_twilio_opt_out_keywords_match_in_any_case_with_trailing_punctuation(word, dress):
    for variant in (word, word.upper(), word.title()):
        result = classify(dress.format(variant))

        assert result == Classification("opt_out", word, "Twilio opt-out keyword")


@pytest.mark.parametrize("word", sorted(OPT_IN_KEYWORDS))
def test_twilio_opt_in_keywords_opt_in(word):
    assert classify(f" {word.upper()}! ").kind == "opt_in"
    assert classify(word).matched == word


@pytest.mark.parametrize("word", sorted(HELP_KEYWORDS))
def test_twilio_help_keywords_ask_for_help(word):
    assert classify(word.upper() + "?").kind == "help"


@pytest.mark.parametrize(
    "body",
    [
        "STOP PLEASE",
        "Stop please!",
        "please stop texting me",
        "Please stop sending me these messages",
        "opt out",
        "Opt-out",
        "opt out now",
        "unsubscribe me",
        "Please unsubscribe",
        "I want to unsubscribe",
        "take me off your list",
        "Remove me from this list",
        "remove my number",
        "Do not text me again",
        "dont text me",
        "no more texts please",
        "leave me alone",
        "wrong number",
        "stop all",
        "STOP STOP STOP",
        "ok stop",
        "Stop! Who is this?",
        "I love your cookies. Stop.",
        "Why won't you stop texting me?!",
        "I want to opt out of these texts, I never signed up",
        "cancel my subscription",
        "\uff33\uff34\uff2f\uff30",  # fullwidth STOP
    ],
)
def test_reasonable_revocations_opt_out(body):
    assert classify(body).kind == "opt_out"


@pytest.mark.parametrize(
    "body",
    [
        "I can't stop eating your cookies",
        "I can\u2019t stop eating your cookies",
        "when does the sale end?",
        "don't stop texting me, love these deals",
        "Can you stop by the store at 5?",
        "cancel my order",
        "I stopped by yesterday",
        "Is the weekend promo ending soon?",
        "\U0001f6d1",
    ],
)
def test_ambiguous_replies_with_a_revocation_word_go_to_review(body):
    assert classify(body).kind == "review"


@pytest.mark.parametrize(
    "body",
    ["", "   ", "Thanks!", "Yes please", "what time do you open?", "weekend sale?", "\U0001f44d"],
)
def test_replies_without_a_keyword_are_other(body):
    assert classify(body).kind == "other"


def test_a_chatty_yes_never_opts_anyone_back_in():
    assert classify("yes I got it").kind == "other"


def test_help_with_courtesy_words_is_still_help():
    assert classify("Help me please").kind == "help"


def test_a_spaced_keyword_says_twilio_may_not_have_blocked_it():
    result = classify("opt out")

    assert result.matched == "optout"
    assert "may not block" in result.reason


def test_a_phrase_match_names_the_phrase():
    assert classify("please stop texting me").matched == "stop texting me"


def test_review_names_the_word_it_found():
    assert classify("when does the sale end?").matched == "end"


words = st.sampled_from(
    "stop please me the sale end when cookies i can't eating texting now quit yes help info "
    "opt out unsubscribe cancel order don't never start".split()
)


@given(st.lists(words, min_size=1, max_size=8), st.sampled_from(["", ".", "!", "?"]))
def test_a_reply_with_a_revocation_word_is_never_silently_ignored(chosen, end):
    body = " ".join(chosen) + end
    result = classify(body)

    assert result.kind in {"opt_out", "opt_in", "help", "review", "other"}
    if {"stop", "end", "quit", "unsubscribe", "cancel"} & set(chosen):
        assert result.kind in {"opt_out", "review"}


@given(st.text(max_size=200))
def test_any_text_classifies_without_error(body):
    result = classify(body)

    assert result.kind in {"opt_out", "opt_in", "help", "review", "other"}
    assert isinstance(result.reason, str) and result.reason
