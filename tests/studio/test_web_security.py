"""The defences docs/security.md lists that had no test of their own: CSRF on every studio
write, output escaping of user text, and brand isolation for a member of another brand."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from copygen.models import Variant
from studio.models import Role
from tests.factories import make_brand, make_policy, make_user, make_variant

XSS = '<script>alert("x")</script><img src=x onerror=alert(1)>'


@pytest.fixture
def writer(brand):
    make_policy(brand)
    return make_user(brand=brand, roles=(Role.COPYWRITER,))


def test_a_studio_write_without_the_csrf_token_is_refused(brand, writer):
    variant = make_variant(brand, author=writer)
    client = Client(enforce_csrf_checks=True)
    client.force_login(writer)
    url = reverse("studio:submit-variant", args=[brand.slug, variant.pk])
    assert client.post(url).status_code == 403
    variant.refresh_from_db()
    assert variant.status == Variant.Status.DRAFT


def test_user_text_is_escaped_wherever_it_is_shown(client, brand, writer):
    variant = make_variant(brand, author=writer)
    client.force_login(writer)
    client.post(reverse("studio:comment-variant", args=[brand.slug, variant.pk]),
                {"body": XSS})
    page = client.get(reverse("studio:variant", args=[brand.slug, variant.pk]))
    html = page.content.decode()
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in html
    assert XSS not in html


def test_a_member_of_another_brand_learns_nothing_and_changes_nothing(brand, writer):
    other_brand = make_brand()
    outsider = make_user(brand=other_brand, roles=(Role.APPROVER, Role.BRAND_MANAGER))
    variant = make_variant(brand, author=writer)
    client = Client()
    client.force_login(outsider)
    assert client.get(reverse("studio:queue", args=[brand.slug])).status_code == 404
    approve = reverse("studio:approve-variant", args=[brand.slug, variant.pk])
    assert client.post(approve).status_code == 404
    variant.refresh_from_db()
    assert variant.status == Variant.Status.DRAFT
