import pytest
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.urls import reverse

from studio.models import Role
from studio.permissions import get_brand_access
from tests.factories import make_brand, make_user


def test_root_redirects_an_anonymous_visitor_to_login(client, db):
    response = client.get("/", follow=True)
    assert response.redirect_chain[-1][0].startswith(reverse("login"))


def test_a_seeded_style_user_can_log_in_and_lands_on_their_brand(client, copywriter, brand):
    response = client.post(
        reverse("login"),
        {"username": "casey", "password": "correct horse battery staple"},
        follow=True,
    )
    assert response.status_code == 200
    assert response.redirect_chain[-1][0] == reverse("studio:brand-home", args=[brand.slug])
    assert "Copywriter" in response.content.decode()


def test_a_wrong_password_shows_an_error_and_no_session(client, copywriter):
    response = client.post(reverse("login"), {"username": "casey", "password": "nope"})
    assert response.status_code == 200
    assert "_auth_user_id" not in client.session
    assert "enter a correct username and password" in response.content.decode().lower()


def test_a_user_outside_the_brand_gets_404_not_a_hint(client, brand):
    outsider = make_user(brand=make_brand(), roles=(Role.APPROVER,))
    client.force_login(outsider)
    response = client.get(reverse("studio:brand-home", args=[brand.slug]))
    assert response.status_code == 404


@pytest.mark.parametrize(
    ("role", "action", "allowed"),
    [
        (Role.COPYWRITER, "generate", True),
        (Role.COPYWRITER, "submit", True),
        (Role.COPYWRITER, "approve", False),
        (Role.COPYWRITER, "manage_policy", False),
        (Role.APPROVER, "approve", True),
        (Role.APPROVER, "generate", False),
        (Role.APPROVER, "manage_policy", False),
        (Role.BRAND_MANAGER, "manage_policy", True),
        (Role.BRAND_MANAGER, "approve", False),
    ],
)
def test_each_role_may_do_only_what_the_table_allows(brand, role, action, allowed):
    user = make_user(brand=brand, roles=(role,))
    if allowed:
        assert get_brand_access(user, brand.slug, action).brand == brand
    else:
        with pytest.raises(PermissionDenied):
            get_brand_access(user, brand.slug, action)


def test_a_user_holding_two_roles_gets_the_union(brand):
    user = make_user(brand=brand, roles=(Role.COPYWRITER, Role.APPROVER))
    access = get_brand_access(user, brand.slug, "view")
    assert access.can("generate") and access.can("approve")
    assert not access.can("manage_policy")


def test_an_unknown_brand_is_404(brand, copywriter):
    with pytest.raises(Http404):
        get_brand_access(copywriter, "no-such-brand")


def test_the_admin_is_enabled_for_staff(client, db):
    staff = make_user(is_staff=True, is_superuser=True)
    client.force_login(staff)
    assert client.get("/admin/brandguard/brand/").status_code == 200
