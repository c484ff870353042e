"""SHAFT, cannabis and deceptive content: true positives and the laugh tests."""

from __future__ import annotations

import pytest

from tests.brandguard.support import clean, make_policy, rules, run, spanned

SHAFT = {"SHAFT_SEX", "SHAFT_HATE", "SHAFT_ALCOHOL", "SHAFT_FIREARMS", "SHAFT_TOBACCO",
         "CANNABIS"}


@pytest.mark.parametrize(
    ("body", "rule", "words"),
    [
        ("Hot sex tips inside.", "SHAFT_SEX", ["sex"]),
        ("Free porn and nudes, no NSFW filter.", "SHAFT_SEX", ["porn", "nudes", "NSFW"]),
        ("This deal is the shit, no bullshit.", "SHAFT_HATE", ["shit", "bullshit"]),
        ("What the fuck, prices dropped.", "SHAFT_HATE", ["fuck"]),
        ("Cold beer and craft IPAs on tap.", "SHAFT_ALCOHOL", ["beer", "IPAs"]),
        ("Margaritas and an open bar Friday.", "SHAFT_ALCOHOL", ["Margaritas", "open bar"]),
        ("Handguns, rifles and AR-15 ammo in stock.", "SHAFT_FIREARMS",
         ["Handguns", "rifles", "AR-15", "ammo"]),
        ("New vape flavors and e-cigs.", "SHAFT_TOBACCO", ["vape", "e-cigs"]),
        ("Premium cigars and hookah nights.", "SHAFT_TOBACCO", ["cigars", "hookah"]),
        ("CBD gummies and Delta-8 edibles.", "CANNABIS", ["CBD", "Delta-8", "edibles"]),
        ("Marijuana dispensary open late.", "CANNABIS", ["Marijuana", "dispensary"]),
    ],
)
def test_shaft_content_is_blocked_and_the_words_are_named(body, rule, words):
    report = run(clean(body))
    assert rule in report.rules
    assert spanned(report, rule) == words
    assert not report.passed


@pytest.mark.parametrize(
    "body",
    [
        "Our Essex, Middlesex and Sussex stores are open.",
        "Sign up for a climbing class; assessment is free.",
        "Scunthorpe store reopens Monday.",
        "Ask our therapist-approved fitters.",
        "Jackets in gunmetal grey and charcoal.",
        "Start with a shot of espresso at our cafe.",
        "A cocktail dress for the lodge party, and cocktail attire tips.",
        "The bar is open: protein bar samples at checkout.",
        "Gear up for the trail. Raise the bar.",
        "Massage guns, glue guns and a water gun for the kids.",
        "Don't jump the gun: pre-orders open Friday.",
        "Pistol squats class Thursday.",
        "Root beer floats at the grand opening.",
        "Penne alla vodka at the cafe, and vodka sauce to go.",
        "Hemp tote bags and nude-tone lip balm.",
        "Weed-free garden kits and a pot for camp cooking.",
        "Photo shoot today: sexy new colors? No, just bold ones.",
        "Dick's is not us; we are the outdoor shop.",
        "Shiitake jerky and bass fishing lures.",
        "Ride shotgun to the trailhead with our shuttle.",
    ],
)
def test_copywriter_laugh_tests_pass(body):
    assert not SHAFT & rules(clean(body))


def test_an_age_gated_campaign_may_mention_alcohol_firearms_and_tobacco():
    body = "Whiskey tasting, a rifle raffle and cigars at the lodge."
    policy = make_policy(age_gated=True)
    assert not {"SHAFT_ALCOHOL", "SHAFT_FIREARMS", "SHAFT_TOBACCO"} & rules(clean(body), policy)
    assert {"SHAFT_ALCOHOL", "SHAFT_FIREARMS", "SHAFT_TOBACCO"} <= rules(clean(body))


def test_age_gating_never_allows_sex_hate_or_cannabis():
    policy = make_policy(age_gated=True)
    found = rules(clean("Sex, shit and CBD."), policy)
    assert {"SHAFT_SEX", "SHAFT_HATE", "CANNABIS"} <= found


def test_a_coffee_brand_sells_espresso_shots_without_a_finding():
    policy = make_policy(brand_name="Bean Street")
    text = "Bean Street: Double shot of espresso, $2 today. Reply STOP to opt out"
    assert run(text, policy).findings == []


def test_words_inside_links_and_merge_fields_are_not_copy():
    text = clean("See summitoutfitters.com/beer-garden-chairs for {product_name}.")
    assert not SHAFT & rules(text)


def test_shaft_has_no_deterministic_fix():
    report = run(clean("Cold beer at the lodge."))
    assert report.fixed_text is None
    assert "age-gated" in report.findings_for("SHAFT_ALCOHOL")[0].fix


# --- DECEPTIVE_URGENCY --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "phrase"),
    [
        ("Final notice: claim your reward.", "Final notice"),
        ("Your account will be suspended unless you confirm.", "Your account will be suspended"),
        ("Your code expires in 5 minutes.", "code expires in 5 minutes"),
        ("Congratulations, you have been selected!", "Congratulations, you have been selected"),
        ("You've won a $500 gift card.", "You've won"),
        ("Claim your prize at the register.", "Claim your prize"),
    ],
)
def test_deceptive_urgency_is_blocked(body, phrase):
    report = run(clean(body))
    assert "DECEPTIVE_URGENCY" in report.rules
    assert phrase in spanned(report, "DECEPTIVE_URGENCY")


@pytest.mark.parametrize(
    "body",
    [
        "Last chance: the sale ends tonight.",
        "You won't want to miss our tent sale.",
        "No action required: your order ships Friday.",
        "Our account managers can help with team orders.",
        "Offer expires Sunday.",
        "Congrats on your first summit!",
    ],
)
def test_honest_urgency_and_lookalikes_are_not_deceptive(body):
    assert "DECEPTIVE_URGENCY" not in rules(clean(body))


def test_deceptive_urgency_cannot_be_switched_off_by_a_brand():
    policy = make_policy(severity_overrides={"DECEPTIVE_URGENCY": "off"})
    report = run(clean("Final notice: act now."), policy)
    assert report.findings_for("DECEPTIVE_URGENCY")[0].severity == "block"


# --- sexual-content signals carriers filter on -------------------------------------------

@pytest.mark.parametrize(
    ("body", "words"),
    [
        ("Sexy swimwear night, adults only.", ["Sexy", "adults only"]),
        ("Sexy lingerie for adults only.", ["Sexy", "for adults"]),
        ("Sexy new looks, 18+ only.", ["Sexy", "18+"]),
        ("Steamy and sensual styles.", ["Steamy", "sensual"]),
        ("A steamy lingerie party, 21+.", ["steamy", "lingerie party", "21+"]),
    ],
)
def test_a_suggestive_word_with_an_age_gate_or_another_signal_blocks(body, words):
    report = run(clean(body))
    assert "SHAFT_SEX" in report.rules and not report.passed
    assert spanned(report, "SHAFT_SEX") == words


@pytest.mark.parametrize(
    ("body", "word"),
    [
        ("Sexy heels for the party season.", "Sexy"),
        ("Find a hookup for your trip.", "hookup"),
        ("Adults only: the lodge's quiet weekend.", "Adults only"),
        ("Member night, 18+.", "18+"),
    ],
)
def test_one_signal_alone_is_a_warning_with_its_source(body, word):
    report = run(clean(body))
    [signal] = report.findings_for("SHAFT_SEX_SIGNAL")
    assert signal.severity == "warn" and signal.tier == "CARRIER"
    assert "carrier content filters" in signal.source
    assert spanned(report, "SHAFT_SEX_SIGNAL") == [word]
    assert "SHAFT_SEX" not in report.rules
    assert report.passed  # a warning does not block


@pytest.mark.parametrize(
    "body",
    [
        "Nude heels and nude-tone lip balm for fall.",
        "Campsites with full hookups and RV hookup sites.",
        "Adult sizes and kids' sizes in stock.",
        "Sussex store, 18 aisles of gear.",
        "Version 2+ of the app is out.",
    ],
)
def test_fashion_and_camping_words_raise_no_sex_signal(body):
    assert not {"SHAFT_SEX", "SHAFT_SEX_SIGNAL"} & rules(clean(body))


def test_an_age_gated_campaign_may_say_adults_only_but_never_with_sexy():
    policy = make_policy(age_gated=True)
    assert "SHAFT_SEX_SIGNAL" not in rules(clean("Whiskey night, adults only."), policy)
    assert "SHAFT_SEX" in rules(clean("Sexy whiskey night, adults only."), policy)


def test_the_sex_signal_rule_cannot_be_switched_off_by_a_brand():
    policy = make_policy(severity_overrides={"SHAFT_SEX_SIGNAL": "off", "SHAFT_SEX": "off"})
    report = run(clean("Sexy swimwear night, adults only."), policy)
    assert "SHAFT_SEX" in report.rules and not report.passed
