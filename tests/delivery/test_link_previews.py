"""Preview fetchers are not clicks; people are."""

from __future__ import annotations

import pytest

from delivery.link_previews import is_preview_fetch

IPHONE_SAFARI = ("Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 "
                 "(KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1")
ANDROID_CHROME = ("Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like "
                  "Gecko) Chrome/126.0.0.0 Mobile Safari/537.36")
SNAPCHAT_IN_APP = ("Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 "
                   "(KHTML, like Gecko) Mobile/15E148 Snapchat/13.0.0.0 (like Safari/604.1)")
CUBOT_PHONE = ("Mozilla/5.0 (Linux; Android 12; CUBOT KINGKONG 7) AppleWebKit/537.36 (KHTML, "
               "like Gecko) Chrome/120.0.0.0 Mobile Safari/537.36")


@pytest.mark.parametrize("agent", [
    "facebookexternalhit/1.1 Facebot Twitterbot/1.0",  # iMessage's link preview
    "WhatsApp/2.24.6.77 A",
    "TelegramBot (like TwitterBot)",
    "Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)",
    "Mozilla/5.0 (compatible; Discordbot/2.0; +https://discordapp.com)",
    "Mozilla/5.0 (Windows NT 6.1; WOW64) SkypeUriPreview Preview/0.5",
    "Mozilla/5.0 (compatible; Google-PageRenderer; +https://developers.google.com/)",
    "python-requests/2.32.3",
    "curl/8.5.0",
    "",
    None,
])
def test_machines_fetching_a_preview_are_recognised(agent):
    assert is_preview_fetch("GET", agent)


@pytest.mark.parametrize("agent", [IPHONE_SAFARI, ANDROID_CHROME, SNAPCHAT_IN_APP, CUBOT_PHONE])
def test_people_in_a_browser_are_not(agent):
    assert not is_preview_fetch("GET", agent)


def test_a_head_probe_is_never_a_person():
    assert is_preview_fetch("HEAD", IPHONE_SAFARI)
