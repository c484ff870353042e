"""Suite-wide fixtures. The embedded PostgreSQL (or DATABASE_URL) is started by the settings
module itself, exactly as for manage.py and the web server; pytest-django creates the test
database on it."""

from __future__ import annotations

import pytest

from studio.models import Role
from tests.factories import make_brand, make_user


@pytest.fixture
def brand(db):
    return make_brand()


@pytest.fixture
def copywriter(brand):
    return make_user(brand=brand, roles=(Role.COPYWRITER,), username="casey")


@pytest.fixture
def approver(brand):
    return make_user(brand=brand, roles=(Role.APPROVER,), username="avery")


@pytest.fixture
def manager(brand):
    return make_user(brand=brand, roles=(Role.BRAND_MANAGER,), username="morgan")
