"""Content-Security-Policy: sent on every page, and no template relies on what it forbids
(inline script, inline style, style attributes, inline event handlers)."""

from __future__ import annotations

import re
from pathlib import Path

from django.conf import settings

TEMPLATES = Path(settings.BASE_DIR) / "templates"
_INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)(?![^>]*\bnonce=)(?![^>]*application/json)",
                            re.IGNORECASE)
_INLINE_STYLE = re.compile(r"<style(?![^>]*\bnonce=)", re.IGNORECASE)
_STYLE_ATTR = re.compile(r"\sstyle\s*=", re.IGNORECASE)
_HANDLER = re.compile(r"\son[a-z]+\s*=|\shx-on|javascript:", re.IGNORECASE)


def test_every_page_carries_the_policy(client, db):
    response = client.get("/login/")
    policy = response.headers["Content-Security-Policy"]
    directives = dict(d.strip().split(" ", 1) for d in policy.split(";") if d.strip())
    assert directives["default-src"] == "'self'"
    assert directives["script-src"].startswith("'self'")
    assert "unsafe-inline" not in policy and "unsafe-eval" not in policy
    assert directives["object-src"] == "'none'" and directives["frame-ancestors"] == "'none'"


def test_htmx_is_configured_not_to_inject_styles_or_eval(client, db):
    page = client.get("/login/").content.decode()
    assert '"includeIndicatorStyles": false' in page and '"allowEval": false' in page


def test_no_template_needs_unsafe_inline():
    offenders = []
    for path in TEMPLATES.rglob("*.html"):
        text = path.read_text()
        for name, pattern in (("inline script", _INLINE_SCRIPT), ("inline style", _INLINE_STYLE),
                              ("style attribute", _STYLE_ATTR), ("inline handler", _HANDLER)):
            if pattern.search(text):
                offenders.append(f"{path.relative_to(TEMPLATES)}: {name}")
    assert offenders == []


def test_the_api_docs_are_served_from_our_static_files(client, db):
    page = client.get("/api/docs").content.decode()
    assert "/static/ninja/swagger-ui-bundle.js" in page
    assert "cdn" not in page.lower()
    assert client.get("/static/ninja/swagger-ui-bundle.js").status_code == 200
