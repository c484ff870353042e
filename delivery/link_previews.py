"""Is a visit to a short link a person, or a machine fetching a preview?

Pure: no Django. Messaging apps fetch a link as soon as a text with a link arrives, to
draw its preview card: iMessage announces itself as facebookexternalhit/Twitterbot,
WhatsApp, Telegram, Slack, Discord, Skype/Teams and Google's renderers name themselves
too. Counted as clicks, those fetches would reward every variant with a link on delivery
and the bandit would learn nothing (clicks are a reward). A preview still gets
its redirect; it just is not a click.

Unknown user agents count as people: guessing "bot" from an ordinary browser string would
throw real clicks away, and the list below is what the big preview fetchers send.
"""

from __future__ import annotations

import re

# Substrings, matched case-insensitively. Apps whose in-app browsers carry their own name
# (Snapchat, Viber, Teams) are left out: there a person is reading. Generic words last:
# "bot" alone would match "Cubot" phones' browsers, so only whole-word forms are used.
_PREVIEW_AGENTS = re.compile(
    r"facebookexternalhit|facebot|twitterbot|whatsapp|telegrambot|slackbot|discordbot"
    r"|skypeuripreview|microsoftpreview|linkedinbot|pinterestbot|redditbot"
    r"|applebot|google-pagerenderer|googleimageproxy|googlebot|bingbot|bingpreview"
    r"|yandexbot|duckduckbot|embedly|iframely|outbrain|vkshare|w3c_validator|curl/|wget/"
    r"|python-requests|python-urllib|go-http-client|okhttp|java/|headlesschrome"
    r"|\bbot\b|\bcrawler\b|\bspider\b|\bpreview\b",
    re.IGNORECASE,
)


def is_preview_fetch(method: str, user_agent: str | None) -> bool:
    """True for a machine's fetch: HEAD probes, no user agent at all, or a known fetcher."""
    if method.upper() == "HEAD":
        return True
    if not user_agent or not user_agent.strip():
        return True  # every browser sends one; an empty one is a script
    return _PREVIEW_AGENTS.search(user_agent) is not None
