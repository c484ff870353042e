"""A brand manager wires a webhook in real Chromium: adds a loopback endpoint, copies the
secret shown once, watches a real Celery worker's first attempt fail in the delivery log,
presses Retry now and sees it delivered, signed, once. Screenshots at 1280 and 390 px."""

from __future__ import annotations

import time

import pytest
from playwright.sync_api import expect

from delivery import services
from delivery.models import WebhookDelivery
from studio.demo import seed_demo
from tests.browser.session import log_in
from tests.delivery.conftest import NY
from tests.factories import make_contact
from tests.servers.webhook_receiver import WebhookReceiver

pytestmark = pytest.mark.browser


def _wait_for(predicate, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "timed out waiting for the worker"
        time.sleep(0.1)


@pytest.mark.parametrize("width", [1280, 390])
def test_a_manager_adds_an_endpoint_and_retries_a_failed_delivery(
        transactional_db, live_server, celery_worker, open_page, shoot, width):
    from django.utils import timezone

    brand, _ = seed_demo()
    page = log_in(open_page, live_server, "morgan", width=width)
    if width < 600:
        page.locator("summary.menu-toggle").click()
    page.get_by_role("link", name="Webhooks", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Webhooks")

    with WebhookReceiver() as receiver:
        page.get_by_label("Endpoint URL").fill(receiver.url)
        page.get_by_label("contact.opted_out", exact=False).check()
        page.get_by_role("button", name="Add endpoint").click()
        secret = page.locator("[data-secret]")
        expect(secret).to_be_visible()
        receiver.secret = secret.inner_text().strip()
        shoot(page, f"webhooks-secret-{width}")
        page.reload()
        expect(page.locator("[data-secret]")).to_have_count(0)
        expect(page.get_by_text(receiver.secret)).to_have_count(0)

        receiver.fail_next(1)
        services.opt_out_contact(make_contact(brand, NY), at=timezone.now(), source="api")
        _wait_for(lambda: WebhookDelivery.objects.filter(attempts=1).exists())
        page.reload()
        row = page.locator("table.webhook-log tbody tr").first
        expect(row).to_contain_text("HTTP 500")
        expect(row).to_contain_text("Pending")
        shoot(page, f"webhooks-log-failed-{width}")

        row.get_by_role("button", name="Retry now").click()
        _wait_for(lambda: WebhookDelivery.objects.filter(status="delivered").exists())
        page.reload()
        expect(page.locator("table.webhook-log tbody tr").first).to_contain_text("Delivered")
        shoot(page, f"webhooks-log-delivered-{width}")

    assert [r.status for r in receiver.requests] == [500, 200]
    assert all(r.signature_ok for r in receiver.requests)
    assert [e["type"] for e in receiver.processed] == ["contact.opted_out"]
