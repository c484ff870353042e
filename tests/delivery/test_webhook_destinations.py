"""Where outgoing webhooks may go: with private networks refused (production's default), a
URL pointing into our own network is refused on the form and never fetched by the worker,
and a public one is fetched at the address that was checked."""

from __future__ import annotations

import ipaddress

import pytest

from delivery import services, webhook_client
from delivery.models import WebhookDelivery
from delivery.services import webhooks
from tests.delivery.conftest import NOON_NY, NY
from tests.factories import make_contact
from tests.servers.webhook_receiver import WebhookReceiver

PAGE = "/studio/b/{}/webhooks/new/"


@pytest.mark.parametrize(("address", "public"), [
    ("93.184.215.14", True), ("2606:2800:21f:cb07:6820:80da:af6b:8b2c", True),
    ("127.0.0.1", False), ("::1", False), ("10.1.2.3", False), ("172.16.0.9", False),
    ("192.168.1.1", False), ("169.254.169.254", False), ("100.64.0.1", False),
    ("0.0.0.0", False), ("224.0.0.251", False), ("fe80::1%eth0", False), ("fd00::1", False),
    ("::ffff:127.0.0.1", False), ("::ffff:10.0.0.1", False), ("::ffff:93.184.215.14", True),
])
def test_only_globally_routable_unicast_addresses_are_public(address, public):
    assert webhook_client.is_public_address(address) is public


def test_a_name_is_refused_when_it_resolves_into_our_network():
    with pytest.raises(webhook_client.BlockedDestination, match="127.0.0.1"):
        webhook_client.check_destination("http://localhost:6379/")
    with pytest.raises(webhook_client.BlockedDestination, match="does not resolve"):
        webhook_client.check_destination("https://no-such-host.invalid/hooks")


def test_the_request_goes_to_the_checked_address_under_the_registered_name():
    loopback = lambda address: ipaddress.ip_address(address).is_loopback  # noqa: E731
    url, headers, tls = webhook_client.pin_destination(
        "https://localhost:8443/hooks?x=1", {"A": "b"}, loopback)
    host = url.split("//", 1)[1].rsplit(":", 1)[0].strip("[]")
    assert ipaddress.ip_address(host).is_loopback and url.endswith(":8443/hooks?x=1")
    assert headers == {"A": "b", "Host": "localhost:8443"} and tls == {"sni_hostname": "localhost"}


def test_a_pinned_request_reaches_the_receiver_with_its_path_and_host():
    with WebhookReceiver() as receiver:
        url, port = receiver.url + "?k=1", receiver.port
        answer = webhook_client.post(url, b"{}", {}, timeout=5,
                                     allowed=lambda address: address == "127.0.0.1")
        refused = webhook_client.post(url, b"{}", {}, timeout=5)
    assert answer.status_code == 403  # reached it (unsigned, so the receiver says no)
    [request] = receiver.requests
    assert request.headers["host"] == f"127.0.0.1:{port}"
    assert not refused.ok and refused.permanent and refused.error.startswith("refused:")


def test_a_webhook_into_our_network_is_given_up_at_once_and_never_sent(pool_brand, settings):
    settings.WEBHOOK_ALLOW_PRIVATE_NETWORKS = False
    with WebhookReceiver() as receiver:
        _, receiver.secret = webhooks.create_webhook_endpoint(
            pool_brand, url=receiver.url, event_types=["contact.opted_out"])
        services.opt_out_contact(make_contact(pool_brand, NY), at=NOON_NY, source="api")
        row = WebhookDelivery.objects.get()
        assert webhooks.deliver_webhook(row.pk).result == "failed"
    row.refresh_from_db()
    assert row.status == "failed" and row.attempts == 1
    assert "not a public address" in row.last_error
    assert receiver.requests == []


@pytest.mark.parametrize("url", ["http://127.0.0.1:6379/", "http://169.254.169.254/latest",
                                 "http://localhost:8000/hooks"])
def test_the_form_refuses_an_endpoint_inside_our_network(client, brand, manager, settings,
                                                         url):
    settings.WEBHOOK_ALLOW_PRIVATE_NETWORKS = False
    client.force_login(manager)
    response = client.post(PAGE.format(brand.slug),
                           {"url": url, "event_types": ["contact.opted_out"]})
    assert response.status_code == 200
    [error] = response.context["form"].errors["url"]
    assert "not a public address" in error
    assert not brand.webhook_endpoints.exists()
