"""A NUL byte anywhere in a request is a 4xx on every route, never a 500.

PostgreSQL refuses NUL in text, so before the middleware `GET /l/abc%00def` answered 500.
The fuzz walks every route the project serves (the resolver's own list, so a route added
later is covered the day it is added) and sends NUL in the path, the query, a form field, a
JSON body and a cookie, each through GET, HEAD and POST, as a logged-in admin.
"""

from __future__ import annotations

import json
import re

import pytest
from django.test.client import BOUNDARY, MULTIPART_CONTENT, encode_multipart
from django.urls import URLPattern, URLResolver, get_resolver
from django.urls.resolvers import RoutePattern

from tests.factories import make_user

_PARAM = re.compile(r"<(?:(?P<conv>\w+):)?(?P<name>\w+)>")


def _routes(patterns=None, prefix: str = "") -> list[str]:
    found: list[str] = []
    for entry in patterns if patterns is not None else get_resolver().url_patterns:
        if not isinstance(entry.pattern, RoutePattern):
            continue  # the admin's regex routes: covered by the explicit list below
        route = prefix + str(entry.pattern)
        if isinstance(entry, URLResolver):
            found += _routes(entry.url_patterns, route)
        elif isinstance(entry, URLPattern):
            found.append("/" + route)
    return sorted(set(found))


def _fill(route: str, value: str) -> str:
    return _PARAM.sub(lambda m: "1" if m.group("conv") == "int" else value, route)


ROUTES = _routes() + ["/admin/auth/user/1/change/", "/admin/delivery/shortlink/"]


def test_the_fuzz_sees_every_kind_of_route():
    assert {"/l/<str:code>", "/login/", "/api/v1/decisions", "/healthz"} <= set(ROUTES)
    assert any(r.startswith("/studio/") for r in ROUTES)


@pytest.fixture
def admin_client(client, db):
    client.force_login(make_user(username="root", is_superuser=True, is_staff=True))
    return client


@pytest.mark.parametrize("route", ROUTES)
def test_nul_anywhere_in_a_request_is_a_400_on_every_route(admin_client, route):
    clean, dirty = _fill(route, "abc"), _fill(route, "abc%00def")
    if dirty == clean:  # no parameter: put the NUL in the route's own last segment
        dirty = clean.rstrip("/") + "%00" + ("/" if clean.endswith("/") else "")
    requests = [
        ("GET", dirty, {}), ("HEAD", dirty, {}), ("POST", dirty, {}),
        ("GET", clean + "?q=a%00b", {}), ("HEAD", clean + "?a%00=1", {}),
        ("POST", clean, {"data": "name=a%00b&text=fine",
                         "content_type": "application/x-www-form-urlencoded"}),
        ("POST", clean, {"data": encode_multipart(BOUNDARY, {"name": "a\x00b"}),
                         "content_type": MULTIPART_CONTENT}),
        ("POST", clean, {"data": json.dumps({"phone": "+1212\u00005550123"}),
                         "content_type": "application/json"}),
        ("POST", clean, {"data": b'{"phone": "+1212\\u0000555"}',
                         "content_type": "application/json"}),
        ("PUT", clean, {"data": b"raw\x00body", "content_type": "text/plain"}),
    ]
    for method, path, extra in requests:
        response = admin_client.generic(method, path, **extra)
        json_body = extra.get("content_type") == "application/json"
        if path.startswith("/api/") and json_body:
            # The API's own answer to bad input: a typed 422 naming the field.
            assert response.status_code == 422, (method, path, response.status_code)
            assert response.json()["error"] == {"code": "validation_error", "field": "phone",
                                                "message": "must not contain NUL characters"}
        else:
            assert response.status_code == 400, (method, path, extra, response.status_code)
        if path.startswith("/api/") and method != "HEAD" and not json_body:
            assert response.json()["error"]["code"] == "malformed_request"


def test_nul_in_a_cookie_is_a_400(client, db):
    client.cookies["sessionid"] = "abc\x00def"
    assert client.get("/login/").status_code == 400


@pytest.mark.parametrize("method", ["get", "head"])
def test_a_short_link_code_with_nul_is_400_not_500(client, db, method):
    assert getattr(client, method)("/l/abc%00def").status_code == 400


def test_an_escaped_backslash_before_u0000_is_text_not_nul(client, db):
    body = b'{"phone": "\\\\u0000", "intent": "x", "stage": "y"}'
    response = client.post("/api/v1/decisions", body, content_type="application/json")
    assert response.status_code == 401  # reached the API (no key), not refused as NUL
