"""Signing in as a demo user, the way every browser test starts."""

from __future__ import annotations

from playwright.sync_api import expect

from studio.demo import DEMO_USERS

PASSWORDS = {u.username: u.password for u in DEMO_USERS}


def log_in(open_page, live_server, username, width=1280, height=900):
    """A page of a fresh context, signed in as `username`, on the brand's home page."""
    page = open_page(width, height)
    page.goto(f"{live_server.url}/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORDS[username])
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Summit Outfitters")
    return page
