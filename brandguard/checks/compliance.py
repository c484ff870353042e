"""Who is texting, how to stop it, and the disclosures each kind of message must carry.

CTIA Messaging Principles and Best Practices (5.1, 5.2): every message names the brand;
opt-out instructions in the first message and periodically (we hold to every 30 days); an
opt-in confirmation carries the program, frequency, "Msg & data rates may apply", HELP and
STOP; a HELP reply carries the brand, a support contact and the opt-out. The FCC allows one
confirmation after an opt-out and it must not market (SoundBite, 2012; 47 CFR 64.1200).
"""

from __future__ import annotations

import re

from brandguard import lexicon
from brandguard.checks.base import Subject, finding, quote
from brandguard.report import Finding

OPTOUT_LINE = "Reply STOP to opt out"
RATES_LINE = "Msg & data rates may apply."
FREQUENCY_LINE = "Msg frequency varies."
HELP_LINE = "Reply HELP for help."
OPTOUT_PERIOD_DAYS = 30

MARKETING = lexicon.register(
    "compliance.marketing",
    [
        "sale(s)", "discount(s)", "deal(s)", "promo(s)", "promo code", "coupon(s)", "offer(s)",
        "shop", "buy", "save", "savings", "free shipping", "free gift", "new arrival(s)",
        "collection", "exclusive", "bogo", "clearance", "order now", "limited time",
        "last chance", "don't miss",
    ],
    benign=["feel free"],
    on_demand=True,  # only opt-out confirmations need it
)
_PRICE_OFF_RE = re.compile(r"\d+\s*%\s*off\b|\$\s*\d+(?:\.\d\d)?\s+off\b")


def check_brand_id(s: Subject) -> list[Finding]:
    brand = s.policy.brand_name.strip()
    if not brand or s.brand_mentions:
        return []  # no brand configured: nothing to hold the text to
    return [finding(
        "BRAND_ID",
        f'The text never names the brand "{brand}" (a link to its domain does not count); '
        "carriers filter unidentified senders.",
        fix=f'Start the text with "{brand}: ".',
    )]


def check_optout(s: Subject) -> list[Finding]:
    ctx = s.context
    if ctx.message_type == "opt_out_confirmation" or s.scan.optout_instructions:
        return []
    if ctx.first_message or ctx.message_type in ("opt_in_confirmation", "help_reply"):
        kind = "a first message" if ctx.message_type == "marketing" else _KIND[ctx.message_type]
        return [finding(
            "OPTOUT_FIRST",
            f"This is {kind} and it has no opt-out instruction with a standard keyword.",
            fix=f'Append "{OPTOUT_LINE}".',
        )]
    days = ctx.days_since_last_optout_notice
    if s.is_marketing and days is not None and days >= OPTOUT_PERIOD_DAYS:
        return [finding(
            "OPTOUT_PERIODIC",
            f"The last opt-out reminder went out {days} days ago; repeat it at least every "
            f"{OPTOUT_PERIOD_DAYS} days.",
            fix=f'Append "{OPTOUT_LINE}".',
        )]
    return []


_KIND = {"opt_in_confirmation": "an opt-in confirmation", "help_reply": "a HELP reply"}


def check_optout_keyword(s: Subject) -> list[Finding]:
    matches = s.scan.nonstandard_optouts
    if not matches:
        return []
    words = ", ".join(sorted({f'"{keyword}"' for _span, keyword in matches}))
    return [finding(
        "OPTOUT_KEYWORD",
        f"Opt-out keyword {words} is not a standard keyword (STOP, END, CANCEL, UNSUBSCRIBE, "
        "QUIT, STOPALL, REVOKE, OPTOUT); carriers filter such instructions.",
        [span for span, _keyword in matches],
        fix=f'Replace it with "{OPTOUT_LINE}".',
    )]


def check_confirmation(s: Subject) -> list[Finding]:
    if s.context.message_type != "opt_in_confirmation":
        return []
    scan = s.scan
    found = []
    if not scan.rates_disclosures:
        found.append(finding(
            "CONFIRM_RATES", "The opt-in confirmation does not say message and data rates "
            "may apply.", fix=f'Append "{RATES_LINE}"',
        ))
    if not scan.frequency_disclosures:
        found.append(finding(
            "CONFIRM_FREQUENCY", "The opt-in confirmation does not state the message "
            'frequency ("Msg frequency varies" or "Up to 4 msgs/mo").',
            fix=f'Append "{FREQUENCY_LINE}"',
        ))
    if not scan.help_instructions:
        found.append(finding(
            "CONFIRM_HELP", "The opt-in confirmation does not tell how to get help.",
            fix=f'Append "{HELP_LINE}"',
        ))
    return found


def check_help_contact(s: Subject) -> list[Finding]:
    if s.context.message_type != "help_reply" or _has_contact(s):
        return []
    contact = s.policy.support_contact.strip()
    return [finding(
        "HELP_CONTACT",
        "The HELP reply gives no support contact (phone, e-mail or web address).",
        fix=f'Append "Help: {contact}".' if contact else "Add a support phone, e-mail or URL.",
    )]


def _has_contact(s: Subject) -> bool:
    pattern = s.compiled.support_contact_re
    if pattern is not None and pattern.search(s.scan.low):
        return True
    return bool(s.scan.phones or s.scan.emails or s.scan.links)


def check_optout_confirmation(s: Subject) -> list[Finding]:
    if s.context.message_type != "opt_out_confirmation":
        return []
    spans = [(h.start, h.end) for h in s.scan.hits_for(MARKETING)]
    if "off" in s.scan.low:
        spans += [m.span() for m in _PRICE_OFF_RE.finditer(s.scan.low)]
    spans += [(link.start, link.end) for link in s.scan.links]
    if not spans:
        return []
    spans.sort()
    return [finding(
        "OPTOUT_CONFIRM_NO_MARKETING",
        f"The opt-out confirmation markets ({quote(s.text, spans)}); the one message allowed "
        "after STOP may only confirm it.",
        spans,
        fix="Keep only the confirmation, e.g. \"You're unsubscribed and will get no more "
        'messages. Reply START to resubscribe."',
    )]


CHECKS = (
    check_brand_id,
    check_optout,
    check_optout_keyword,
    check_confirmation,
    check_help_contact,
    check_optout_confirmation,
)
