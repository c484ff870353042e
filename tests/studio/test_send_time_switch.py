"""The brand's personal-send-time switch, turned from the Journeys page: on, a step moves to
the hour the person clicks most (inside the window); off, it goes at the first minute quiet
hours allow at or after it is due, and fires there."""

from __future__ import annotations

import json
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from brandguard.services import save_policy_version
from delivery import quiet_hours
from delivery.models import Journey, JourneyStep, LifecycleSettings, Send
from delivery.selectors import delivery_settings
from delivery.services.journeys import fire_due_steps
from tests.factories import make_api_key, make_brand, make_contact, make_pool_variant

NY = ZoneInfo("America/New_York")
CROSS_SELL = "post_purchase_cross_sell"


@pytest.fixture
def brand(db):
    """A brand with a policy and cross-sell copy (the manager fixture belongs to it)."""
    shop = make_brand()
    save_policy_version(shop, rules={"max_segments": 2, "allowed_link_domains": ["acme.co"]})
    make_pool_variant(shop, intent=CROSS_SELL, stage="new_customer",
                      text="Acme Outdoors: {first_name}, have a look: {link} Reply STOP to opt out")
    return shop


def switch_url(brand):
    return f"/studio/b/{brand.slug}/journeys/settings/send-time/"


def post_event(client, key, body):
    response = client.post("/api/v1/events", json.dumps(body), content_type="application/json",
                           headers={"Authorization": f"Bearer {key}"})
    assert response.status_code == 202, response.content


def evening_clicker_buys(client, brand):
    """Two dozen clicks at 19:05 New York time, then a purchase now: a cross-sell step."""
    key = make_api_key(brand)
    contact = make_contact(brand, "+12125550188", first_name="Sam")
    now = timezone.now()
    evening = now.astimezone(NY).replace(hour=19, minute=5, second=0, microsecond=0)
    for day in range(1, 25):
        post_event(client, key, {"event_id": f"click-{day}", "type": "clicked",
                                 "phone": contact.phone,
                                 "occurred_at": (evening - timedelta(days=day)).isoformat()})
    post_event(client, key, {"event_id": "o1", "type": "purchased", "phone": contact.phone,
                             "occurred_at": now.isoformat(),
                             "order": {"id": "o1", "value": 5, "items": []}})
    return JourneyStep.objects.get(contact=contact, intent=CROSS_SELL)


def first_open_minute(brand, step):
    wait = timedelta(minutes=Journey.objects.get(brand=brand, intent=CROSS_SELL).wait_minutes)
    window = delivery_settings(brand).policy.send_window
    return quiet_hours.next_open(step.trigger_at + wait, step.contact.time_zones, None, window)


def fire_and_get_send(step):
    assert fire_due_steps(now=step.due_at) == 1
    step.refresh_from_db()
    assert step.status == JourneyStep.Status.FIRED and step.decision is not None
    return Send.objects.get(decision=step.decision)


def test_the_page_shows_the_switch_on_by_default_to_brand_managers(client, manager, brand):
    client.force_login(manager)
    page = client.get(f"/studio/b/{brand.slug}/journeys/").content.decode()
    assert f'action="{switch_url(brand)}"' in page
    assert "checked" in page.split('name="personal_send_time"')[1].split(">")[0]
    assert "first minute quiet hours allow" in page  # its help text


def test_on_a_step_moves_to_the_persons_hour_and_fires_there(client, manager, brand):
    client.force_login(manager)
    response = client.post(switch_url(brand), {"personal_send_time": "on"})
    assert response.status_code == 302
    assert LifecycleSettings.objects.get(brand=brand).personal_send_time
    step = evening_clicker_buys(client, brand)
    assert step.due_at.astimezone(NY).hour == 19
    assert step.trigger_at + timedelta(days=3) <= step.due_at < step.expires_at
    page = client.get(f"/studio/b/{brand.slug}/contacts/{step.contact_id}/").content.decode()
    assert "moves to a later hour only if it is at least 25% likelier" in page
    send = fire_and_get_send(step)
    assert send.scheduled_for == step.due_at


def test_off_a_step_goes_at_the_first_open_minute_and_fires_there(client, manager, brand):
    client.force_login(manager)
    response = client.post(switch_url(brand), {})  # an unticked box posts nothing
    assert response.status_code == 302
    assert not LifecycleSettings.objects.get(brand=brand).personal_send_time
    page = client.get(f"/studio/b/{brand.slug}/journeys/").content.decode()
    assert "checked" not in page.split('name="personal_send_time"')[1].split(">")[0]
    step = evening_clicker_buys(client, brand)
    expected = first_open_minute(brand, step)
    assert step.due_at == expected
    if expected.astimezone(NY).hour != 19:  # the habit is ignored, unless it is the same hour
        assert step.due_at.astimezone(NY).hour != 19
    send = fire_and_get_send(step)
    assert send.scheduled_for == expected
    # The person's page says what happens to their texts now, not what would if it were on.
    page = client.get(f"/studio/b/{brand.slug}/contacts/{step.contact_id}/").content.decode()
    caption = page[page.index('id="send-time-h"'):page.index('id="ledger-h"')]
    assert "Personal send time is off for this brand" in caption
    assert "moves to a later hour" not in caption


def test_turning_it_back_on_keeps_the_other_lifecycle_settings(client, manager, brand):
    LifecycleSettings.objects.create(brand=brand, lapsing_days=50, churned_days=200,
                                     personal_send_time=False)
    client.force_login(manager)
    client.post(switch_url(brand), {"personal_send_time": "on"})
    found = LifecycleSettings.objects.get(brand=brand)
    assert found.personal_send_time and (found.lapsing_days, found.churned_days) == (50, 200)


def test_only_brand_managers_may_turn_it(client, copywriter, brand):
    client.force_login(copywriter)
    assert client.post(switch_url(brand), {}).status_code == 403
    assert not LifecycleSettings.objects.filter(brand=brand).exists()
    page = client.get(f"/studio/b/{brand.slug}/journeys/").content.decode()
    assert "Personal send time: on" in page
