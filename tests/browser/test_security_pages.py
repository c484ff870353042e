"""The studio under its Content-Security-Policy in real Chromium: htmx swaps work, the
report's bars draw without style attributes, the API docs load with no internet, and the
suite really notices a violation (open_page fails a test on any CSP console report)."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import expect

from studio.demo import seed_demo
from tests.browser.session import log_in

pytestmark = pytest.mark.browser

TEXT = ("Summit Outfitters: {first_name}, your tent is waiting: {link} "
        "Reply STOP to opt out")


@pytest.fixture
def demo(transactional_db):
    brand, _ = seed_demo()
    return brand


@pytest.mark.parametrize(("width", "height"), [(1280, 900), (390, 844)])
def test_the_live_guardrails_check_swaps_in_under_the_policy(open_page, live_server, demo,
                                                             shoot, width, height):
    page = log_in(open_page, live_server, "morgan", width, height)
    response = page.goto(f"{live_server.url}/studio/b/{demo.slug}/guardrails/")
    assert response is not None
    policy = response.headers["content-security-policy"]
    assert "script-src 'self'" in policy and "unsafe-inline" not in policy
    page.locator("#test-text").fill(TEXT)
    page.locator("#test-text").press("Space")  # the input event htmx listens for
    page.get_by_role("button", name="Check").click()
    report = page.locator("#test-report")
    expect(report.locator("svg.bar").first).to_be_visible()
    bar = report.locator("svg.bar .bar-fill").first
    fill = bar.get_attribute("width") or ""
    assert float(fill) > 0  # a share of the viewBox's 100
    box = bar.bounding_box()
    assert box is not None and box["width"] > 1  # drawn, not blocked
    shoot(page, f"security-guardrails-{width}")


def test_a_violation_is_noticed_by_the_suite(open_page, live_server, demo):
    page = log_in(open_page, live_server, "casey")
    page.evaluate("""() => { const s = document.createElement('style');
        s.textContent = 'body { color: red }'; document.head.appendChild(s); }""")
    page.wait_for_timeout(200)
    assert any("Content Security Policy" in v for v in open_page.violations)
    open_page.violations.clear()  # this test caused it on purpose


def test_the_api_docs_load_with_no_internet(open_page, live_server, shoot):
    page = open_page()
    outside: list[str] = []
    local = urlsplit(live_server.url).hostname

    def only_local(route) -> None:
        if urlsplit(route.request.url).hostname == local:
            route.continue_()
        else:
            outside.append(route.request.url)
            route.abort()

    page.route("**/*", only_local)
    page.goto(f"{live_server.url}/api/docs")
    expect(page.locator(".swagger-ui .info .title")).to_contain_text(
        "SMS Copy Studio delivery API")
    expect(page.get_by_text("/api/v1/decisions").first).to_be_visible()
    assert outside == []
    shoot(page, "security-api-docs")


def test_the_django_admin_works_under_the_policy(open_page, live_server, demo, shoot):
    """Engineers use the admin for what the studio does not show; it runs under the same
    policy, so its pages, filters and forms must draw and work without a violation."""
    from django.contrib.auth import get_user_model

    get_user_model().objects.create_superuser("root-admin", "root@example.com", "s3cret-pass!")
    page = open_page()
    page.goto(f"{live_server.url}/admin/")
    page.get_by_label("Username").fill("root-admin")
    page.get_by_label("Password").fill("s3cret-pass!")
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", name="Site administration")).to_be_visible()
    for path in ("delivery/send/", "delivery/decision/", "delivery/deliverysettings/",
                 "brandguard/brand/", f"brandguard/brand/{demo.pk}/change/",
                 "brandguard/brandpolicy/"):
        page.goto(f"{live_server.url}/admin/{path}")
        expect(page.locator("#content")).to_be_visible()
    page.goto(f"{live_server.url}/admin/delivery/contact/")
    page.locator("#searchbar").fill("+1415")
    page.locator("#changelist-search input[type=submit]").click()
    expect(page).to_have_url(re.compile(r"q=%2B1415"))
    page.goto(f"{live_server.url}/admin/brandguard/brand/")
    page.locator("#action-toggle").check()  # admin's own script: select every row
    expect(page.locator("input.action-select").first).to_be_checked()
    shoot(page, "admin-brands-1280")
