"""The studio's Delivery settings page: who may see and change it, what a save changes,
and that bad values come back inline with nothing saved."""

from __future__ import annotations

from datetime import time

import pytest
from django.urls import reverse

from delivery.models import DeliverySettings
from studio.models import Role
from tests.factories import make_brand, make_user

HX = {"HTTP_HX_REQUEST": "true"}
GOOD = {"daily_cap": "2", "weekly_cap": "5", "quiet_end": "09:30", "quiet_start": "20:00",
        "reward_metric": "conversion", "attribution_window_days": "3",
        "optout_penalty_weight": "8", "penalty_window_days": "5"}


def _url(brand) -> str:
    return reverse("studio:delivery-settings", args=[brand.slug])


@pytest.fixture
def users(copywriter, approver, manager):
    return {Role.COPYWRITER: copywriter, Role.APPROVER: approver,
            Role.BRAND_MANAGER: manager}


@pytest.mark.parametrize("role", [Role.COPYWRITER, Role.APPROVER, Role.BRAND_MANAGER])
def test_only_brand_managers_may_open_or_change_the_settings(client, brand, users, role):
    client.force_login(users[role])
    allowed = role == Role.BRAND_MANAGER
    assert client.get(_url(brand)).status_code == (200 if allowed else 403)
    response = client.post(_url(brand), GOOD)
    assert response.status_code == (302 if allowed else 403)
    assert DeliverySettings.objects.filter(brand=brand).exists() is allowed
    home = client.get(reverse("studio:brand-home", args=[brand.slug])).content.decode()
    assert (f'href="{_url(brand)}"' in home) is allowed


def test_outsiders_get_404_and_anonymous_visitors_go_to_login(client, brand):
    response = client.get(_url(brand))
    assert response.status_code == 302 and reverse("login") in response["Location"]
    client.force_login(make_user(brand=make_brand(), roles=(Role.BRAND_MANAGER,)))
    assert client.get(_url(brand)).status_code == 404


def test_a_new_brand_shows_the_default_cap_of_one_text_a_day(client, brand, manager):
    client.force_login(manager)
    html = client.get(_url(brand)).content.decode()
    assert "nothing has been saved for this brand yet" in html
    assert 'name="daily_cap" value="1"' in html
    assert 'name="quiet_end" value="08:00"' in html


def test_a_save_changes_what_the_next_decision_reads(client, brand, manager):
    client.force_login(manager)
    response = client.post(_url(brand), GOOD, follow=True)
    assert "The next decision uses these settings" in response.content.decode()
    saved = DeliverySettings.objects.get(brand=brand)
    assert (saved.daily_cap, saved.weekly_cap) == (2, 5)
    assert (saved.quiet_end, saved.quiet_start) == (time(9, 30), time(20, 0))
    assert saved.rewarded_event_types == frozenset({"converted", "purchased"})
    assert (saved.attribution_window_days, saved.optout_penalty_weight,
            saved.penalty_window_days) == (3, 8.0, 5)
    assert saved.policy.send_window == (time(9, 30), time(20, 0))


def test_a_blank_cap_turns_the_brand_cap_off(client, brand, manager):
    client.force_login(manager)
    client.post(_url(brand), {**GOOD, "daily_cap": "", "weekly_cap": ""})
    saved = DeliverySettings.objects.get(brand=brand)
    assert (saved.daily_cap, saved.weekly_cap) == (None, None)


@pytest.mark.parametrize(("change", "field", "message"), [
    ({"quiet_end": "07:00"}, "quiet_end", "a brand can only start later"),
    ({"quiet_start": "22:00"}, "quiet_start", "a brand can only stop earlier"),
    ({"quiet_end": "19:00", "quiet_start": "10:00"}, "quiet_start", "close after it opens"),
    ({"daily_cap": "0"}, "daily_cap", "from 1 to 50"),
    ({"daily_cap": "4", "weekly_cap": "2"}, "weekly_cap", "fewer texts than a day"),
    ({"optout_penalty_weight": "-1"}, "optout_penalty_weight", "from 0 to 100"),
    ({"attribution_window_days": "0"}, "attribution_window_days", "from 1 to 90"),
    ({"reward_metric": "opens"}, "reward_metric", "Select a valid choice"),
    ({"quiet_end": "soon"}, "quiet_end", "Enter a valid time"),
])
def test_bad_values_come_back_inline_and_nothing_is_saved(client, brand, manager, change,
                                                          field, message):
    client.force_login(manager)
    response = client.post(_url(brand), {**GOOD, **change}, **HX)
    html = response.content.decode()
    assert response.status_code == 200
    assert html.lstrip().startswith('<section class="card" id="settings-form"')
    assert "nothing was saved" in html and message in html
    assert response.context["form"].errors[field]
    assert not DeliverySettings.objects.filter(brand=brand).exists()


def test_an_htmx_save_reloads_the_page_so_the_message_shows(client, brand, manager):
    client.force_login(manager)
    response = client.post(_url(brand), GOOD, **HX)
    assert response.status_code == 200 and response["HX-Redirect"] == _url(brand)
    assert DeliverySettings.objects.get(brand=brand).daily_cap == 2
