"""The demo brand's guideline files: the offline composer reuses their example messages
verbatim, so every example must already be compliant with the demo brand's policy."""

from __future__ import annotations

import re

import pytest

from brandguard import MessageContext, Policy, Severity, check
from copygen.chunking import chunk_document
from copygen.services.guidelines import DEMO_GUIDELINES_DIR
from studio.demo import DEMO_BRAND, demo_policy_rules

PREFIX = "Summit Outfitters: "
INTENT_HEADINGS = (
    "Cart abandonment", "Browse abandonment", "Welcome", "Replenishment",
    "Post-purchase cross-sell", "Win-back", "Back in stock", "Price drop",
)


def _examples() -> list[tuple[str, str]]:
    """(heading path, message) for every example line in examples.md."""
    chunks = chunk_document((DEMO_GUIDELINES_DIR / "examples.md").read_text())
    return [
        (chunk.heading, line[2:].strip())
        for chunk in chunks
        for line in chunk.text.splitlines()
        if line.startswith("- " + PREFIX)
    ]


def _policy() -> Policy:
    return Policy.from_dict({
        **demo_policy_rules(),
        "brand_name": DEMO_BRAND["sender_name"],
        "support_contact": DEMO_BRAND["support_contact"],
        "website_domain": DEMO_BRAND["website_domain"],
    })


def test_the_demo_folder_has_the_five_guideline_files():
    names = sorted(p.name for p in DEMO_GUIDELINES_DIR.glob("*.md"))
    assert names == ["examples.md", "legal.md", "offers.md", "voice-and-tone.md", "words.md"]


def test_there_are_15_to_25_examples_covering_every_intent():
    examples = _examples()
    assert 15 <= len(examples) <= 25
    headings = {heading.split(" › ")[-1] for heading, _ in examples}
    assert headings == set(INTENT_HEADINGS)


@pytest.mark.parametrize(("heading", "text"), _examples())
def test_each_example_is_a_short_gsm7_text_with_only_the_allowed_merge_fields(heading, text):
    assert text.startswith(PREFIX)
    assert len(text) <= 160
    assert text.isascii() and "`" not in text  # plain ASCII: GSM-7 even for the apostrophes
    assert set(re.findall(r"\{(\w+)\}", text)) <= {"first_name", "product_name", "link"}
    assert "{link}" in text
    assert text.endswith("Reply STOP to opt out")


@pytest.mark.parametrize(("heading", "text"), _examples())
def test_each_example_passes_brandguard_even_as_a_first_message(heading, text):
    report = check(text, _policy(), MessageContext(first_message=True), fix=False)
    blocking = [f.message for f in report.findings if f.severity is Severity.BLOCK]
    assert blocking == [], text


def test_only_win_back_examples_carry_a_percent_off_offer_and_never_above_15():
    for heading, text in _examples():
        percents = [int(p) for p in re.findall(r"(\d+)% off", text)]
        if percents:
            assert heading.endswith("Win-back"), text
            assert max(percents) <= 15
