"""Plain helpers that make rows with sensible defaults; tests override what they care about."""

from __future__ import annotations

import itertools

from django.contrib.auth import get_user_model

from brandguard.models import Brand
from studio.models import Membership

_seq = itertools.count(1)


def make_brand(**overrides) -> Brand:
    n = next(_seq)
    fields = {
        "name": f"Acme Outdoors {n}",
        "slug": f"acme-{n}",
        "sender_name": "Acme Outdoors",
        "support_contact": "help@acme.example",
        "website_domain": "acme.co",
    }
    fields.update(overrides)
    return Brand.objects.create(**fields)


def make_user(*, brand: Brand | None = None, roles: tuple[str, ...] = (), **overrides):
    n = next(_seq)
    fields = {"username": f"user{n}", "first_name": "Test", "last_name": f"User{n}"}
    password = overrides.pop("password", "correct horse battery staple")
    fields.update(overrides)
    user = get_user_model().objects.create(**fields)
    user.set_password(password)
    user.save()
    for role in roles:
        Membership.objects.create(user=user, brand=brand, role=role)
    return user
