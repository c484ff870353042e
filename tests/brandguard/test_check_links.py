"""Links: public shorteners (carrier filtering) and the brand's own domain allow-list."""

from __future__ import annotations

import pytest

from tests.brandguard.support import clean, make_policy, rules, run, spanned


@pytest.mark.parametrize(
    "link",
    ["bit.ly/3xYz9Q", "https://bit.ly/3xYz9Q", "tinyurl.com/abc", "goo.gl/x", "t.co/abc",
     "ow.ly/a", "is.gd/b", "buff.ly/c", "tiny.cc/d", "rebrand.ly/e", "cutt.ly/f",
     "shorturl.at/g", "rb.gy/h", "t.ly/i", "HTTPS://BIT.LY/ABC", "www.bit.ly/x"],
)
def test_public_shorteners_are_blocked(link):
    report = run(clean(f"Tents: {link} today."))
    assert "PUBLIC_SHORTENER" in report.rules
    assert spanned(report, "PUBLIC_SHORTENER") == [link]
    assert report.findings_for("PUBLIC_SHORTENER")[0].source == "Twilio 30963"


@pytest.mark.parametrize(
    "link",
    ["acme.co/deal", "summitoutfitters.com/t.co", "smart.com/x", "abit.ly.example.com",
     "bitly.example.com"],
)
def test_domains_that_merely_look_like_shorteners_are_not(link):
    policy = make_policy(allowed_link_domains=[])
    assert "PUBLIC_SHORTENER" not in rules(clean(f"See {link} now."), policy)


def test_shortener_domains_match_exactly_acme_co_is_not_t_co():
    assert "PUBLIC_SHORTENER" in rules(clean("Go to t.co/x now."))
    assert "PUBLIC_SHORTENER" not in rules(clean("Go to acme.co/x now."),
                                           make_policy(allowed_link_domains=["acme.co"]))


def test_a_shortener_stays_blocked_even_if_the_brand_allows_it():
    policy = make_policy(allowed_link_domains=["bit.ly"],
                         severity_overrides={"PUBLIC_SHORTENER": "off"})
    assert "PUBLIC_SHORTENER" in rules(clean("See bit.ly/x"), policy)


def test_links_to_the_brand_domain_and_its_subdomains_pass():
    for link in ("summitoutfitters.com/fall", "https://www.summitoutfitters.com/x?utm=sms",
                 "shop.summitoutfitters.com", "SummitOutfitters.com/Tents."):
        assert not {"LINK_DOMAIN", "PUBLIC_SHORTENER"} & rules(clean(f"See {link}")), link


def test_other_domains_are_flagged_with_the_allowed_list():
    report = run(clean("See summitoutfitters.com.evil.io/x and rei.com/tents."))
    [finding] = report.findings_for("LINK_DOMAIN")
    assert spanned(report, "LINK_DOMAIN") == ["summitoutfitters.com.evil.io/x", "rei.com/tents"]
    assert "summitoutfitters.com" in finding.message
    assert finding.severity == "block"


def test_without_an_allow_list_any_domain_passes():
    policy = make_policy(allowed_link_domains=[], website_domain="")
    assert "LINK_DOMAIN" not in rules(clean("See rei.com/tents."), policy)


def test_the_link_domain_rule_is_the_brand_s_to_tune():
    policy = make_policy(severity_overrides={"LINK_DOMAIN": "warn"})
    report = run(clean("See rei.com/tents."), policy)
    assert report.findings_for("LINK_DOMAIN")[0].severity == "warn"
    assert report.passed


def test_things_that_are_not_links_are_not_links():
    text = clean("Save 2.5x points, e.g. on U.S. tents. Ends today.Shop now. Email "
                 "help@summitoutfitters.com")
    assert not {"LINK_DOMAIN", "PUBLIC_SHORTENER"} & rules(text, make_policy(
        allowed_link_domains=["example.org"], website_domain=""))


def test_links_have_no_mechanical_fix():
    assert run(clean("See bit.ly/x")).fixed_text is None
