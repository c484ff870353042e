"""Short links can never be turned into a redirect to someone else's site.

A hostile flow (or a stolen API key) asks for a decision whose merge link leads off the
brand's domains: the decision is denied, no ShortLink row is stored, the answer carries no
text, and /l/<code> refuses any destination off the brand's current domains at click time.
"""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.utils import timezone

from brandguard.services import save_policy_version
from delivery import links
from delivery.models import Decision, Event, OutboxMessage, ShortLink
from tests.delivery.conftest import MERGE, NOON_NY, NY, phone_open_now
from tests.factories import make_contact

IPHONE = ("Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 "
          "(KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1")
HOSTILE = [
    "https://evil.example/phish",
    "https://acme.co.evil.example/x",
    "https://acme.co@evil.example/x",
    "https://evilacme.co/x",
    "https://evil.example\\@acme.co/x",
    "https://evil.example%2f@acme.co/",
    "http://acme.co:80@evil.example/",
]


@pytest.fixture
def open_phone(pool_brand):
    phone = phone_open_now()
    make_contact(pool_brand, phone, consent_at=timezone.now() - timedelta(days=1))
    return phone


@pytest.fixture
def contact(pool_brand):
    return make_contact(pool_brand, NY, consent_at=NOON_NY - timedelta(days=3))


def ask(client, key, phone, link, **extra):
    body = {"phone": phone, "intent": "cart_abandonment", "stage": "active",
            "merge": {**MERGE, "link": link}, **extra}
    return client.post("/api/v1/decisions", json.dumps(body), content_type="application/json",
                       headers={"Authorization": f"Bearer {key}"})


@pytest.mark.parametrize("link", HOSTILE)
def test_a_link_off_the_brand_domains_is_denied_and_leaves_no_live_link(
        client, api_key, open_phone, link):
    response = ask(client, api_key, open_phone, link, send=True)
    assert response.status_code in (200, 422)
    body = response.json()
    if response.status_code == 200:
        assert body["eligibility"]["reason"] == "CONTENT_BLOCKED"
        assert body["text"] is None
        assert Decision.objects.get().text == ""
        blocked = OutboxMessage.objects.get()
        assert "/l/" not in blocked.body and "withheld" in blocked.body
    else:  # the URL validator already refuses it as a merge value
        assert body["error"]["code"] == "invalid_merge_value"
    assert not ShortLink.objects.exists()


@pytest.mark.parametrize("link", [
    "javascript:alert(document.cookie)", "JavaScript:alert(1)", "  java\tscript:alert(1)",
    "data:text/html,<script>alert(1)</script>", "vbscript:msgbox(1)", "tel:+15555550123",
    "ftp://acme.co/file", "file:///etc/passwd", "intent://acme.co#Intent;end",
])
def test_a_merge_link_that_is_not_http_is_a_typed_422(client, api_key, open_phone, link):
    response = ask(client, api_key, open_phone, link)
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "invalid_merge_value"
    assert response.json()["error"]["field"] == "merge.link"
    assert not Decision.objects.exists() and not ShortLink.objects.exists()


def test_plain_text_with_a_colon_is_still_text(client, api_key, open_phone):
    body = {"phone": open_phone, "intent": "cart_abandonment", "stage": "active",
            "merge": {**MERGE, "first_name": "Re:Sam"}}
    response = client.post("/api/v1/decisions", json.dumps(body),
                           content_type="application/json",
                           headers={"Authorization": f"Bearer {api_key}"})
    assert response.json()["eligibility"]["status"] == "allow"
    assert "Re:Sam" in response.json()["text"]


def _stored_link(pool_brand, destination: str) -> ShortLink:
    """A row as the old code stored it (before the guard ran), straight into the table."""
    from delivery import services

    decision = services.decide(pool_brand, services.DecisionRequest(phone=NY, intent="cart_abandonment",
                               stage="active", merge=MERGE, now=NOON_NY))
    return ShortLink.objects.create(code="legacy" + str(ShortLink.objects.count()),
                                    brand=pool_brand, decision=decision,
                                    destination=destination)


@pytest.mark.parametrize("destination", HOSTILE[:4])
@pytest.mark.parametrize("user_agent", [IPHONE, "facebookexternalhit/1.1"])
def test_the_redirect_refuses_a_stored_destination_off_the_brand_domains(
        client, pool_brand, contact, destination, user_agent):
    link = _stored_link(pool_brand, destination)
    for method in (client.get, client.head):
        response = method(f"/l/{link.code}", headers={"User-Agent": user_agent})
        assert response.status_code == 403
        assert "Location" not in response
    link.refresh_from_db()
    assert (link.clicks, link.first_clicked_at) == (0, None)
    assert not Event.objects.exists()


def test_a_domain_the_brand_drops_stops_redirecting_at_click_time(client, pool_brand, contact):
    from delivery import services

    decision = services.decide(pool_brand, services.DecisionRequest(phone=NY, intent="cart_abandonment",
                               stage="active", merge=MERGE, now=NOON_NY))
    code = decision.short_links.get().code
    assert client.get(f"/l/{code}", headers={"User-Agent": IPHONE}).status_code == 302
    pool_brand.website_domain = "acme-new.co"
    pool_brand.save()
    save_policy_version(pool_brand, rules={"max_segments": 2,
                                           "allowed_link_domains": ["acme-new.co"]})
    assert client.get(f"/l/{code}", headers={"User-Agent": IPHONE}).status_code == 403


def test_a_subdomain_of_an_allowed_domain_still_redirects(client, pool_brand, contact):
    link = _stored_link(pool_brand, "https://shop.acme.co/cart")
    response = client.get(f"/l/{link.code}", headers={"User-Agent": IPHONE})
    assert response.status_code == 302 and response["Location"] == "https://shop.acme.co/cart"


@pytest.mark.parametrize(("url", "host"), [
    ("https://acme.co/x", "acme.co"),
    ("HTTPS://Shop.ACME.co./x", "shop.acme.co"),
    ("https://acme.co@evil.example/", None),
    ("https://evil.example\\@acme.co/", None),
    ("https://acme.co%2eevil.example/", None),
    ("https://acme.co\t/x", None),
    ("javascript://acme.co/%0aalert(1)", None),
    ("https://xn--80ak6aa92e.com/", "xn--80ak6aa92e.com"),
    ("https://аcme.co/", None),  # a Cyrillic "а": only the punycode form is readable
    ("https://acme.co:99999/", None),
])
def test_destination_host_reads_the_url_as_a_browser_would_or_refuses(url, host):
    assert links.destination_host(url) == host


@pytest.mark.parametrize(("value", "scheme"), [
    ("https://acme.co", "https"), (" \x01java\nscript:alert(1)", "javascript"),
    ("Time: 5pm", None), ("Sam", None), ("acme.co/l/x", None), ("custom://thing", "custom"),
])
def test_link_scheme_sees_what_a_browser_sees(value, scheme):
    assert links.link_scheme(value) == scheme
