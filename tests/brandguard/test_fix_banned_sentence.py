"""The banned-phrase fix drops the sentence that carries the phrase, only when that is
safe; otherwise it proposes nothing and a person rewrites the text."""

from __future__ import annotations

import pytest

from brandguard import Policy, check

POLICY = Policy(brand_name="Acme Outdoors", banned_phrases=["cheap", "act now"],
                allowed_link_domains=["acme.co"])


@pytest.mark.parametrize(("text", "fixed"), [
    ("Acme Outdoors: your tent waits. Cheap tents go fast. Reply STOP to opt out",
     "Acme Outdoors: your tent waits. Reply STOP to opt out"),
    ("Acme Outdoors: your cart is saved at acme.co/cart. It's cheap",
     "Acme Outdoors: your cart is saved at acme.co/cart."),
    ("Act now! Acme Outdoors: your tent is waiting for you.",
     "Acme Outdoors: your tent is waiting for you."),
])
def test_it_drops_a_sentence_that_only_carries_the_banned_phrase(text, fixed):
    report = check(text, POLICY)
    assert report.fixed_text == fixed
    assert not [f for f in report.fixed_findings if f.severity == "block"]


@pytest.mark.parametrize("text", [
    "Acme Outdoors: your tent is waiting. Reply STOP to opt out cheap",  # the opt-out line
    "Acme Outdoors: cheap tents today.",  # nothing else would be left to say
    "Acme Outdoors: your tent is waiting. Cheap ones at acme.co/t. Reply STOP to opt out",
    "Acme Outdoors: hi. {first_name}, cheap tents await. Reply STOP to opt out",
    "Acme Outdoors: your tent is waiting. Acme Outdoors is never cheap.",  # brand named
])
def test_it_leaves_a_sentence_a_person_must_rewrite(text):
    report = check(text, POLICY)
    assert "BANNED_PHRASE" not in {e.rule for e in report.fix_diff}
    assert "BANNED_PHRASE" in {f.rule for f in report.fixed_findings} or report.fixed_text is None


def test_a_banned_phrase_lowered_to_a_warning_is_not_cut():
    policy = Policy(brand_name="Acme Outdoors", banned_phrases=["cheap"],
                    severity_overrides={"BANNED_PHRASE": "warn"})
    report = check("Acme Outdoors: your tent waits. Cheap tents go fast.", policy)
    assert report.fixed_text is None or "Cheap" in report.fixed_text
