"""Plain helpers for the brandguard engine tests: a realistic policy and short-hands."""

from __future__ import annotations

from brandguard import MergeField, MessageContext, Policy, Report, check

BRAND = "Summit Outfitters"
PREFIX = f"{BRAND}: "
STOP = " Reply STOP to opt out"


def make_policy(**overrides) -> Policy:
    defaults = dict(
        brand_name=BRAND,
        allowed_link_domains=["summitoutfitters.com"],
        website_domain="summitoutfitters.com",
        support_contact="help@summitoutfitters.com",
        merge_fields={
            "first_name": MergeField(max_length=20, non_gsm=True),
            "product_name": MergeField(max_length=40),
        },
    )
    defaults.update(overrides)
    return Policy(**defaults)


def run(text: str, policy: Policy | None = None, **context) -> Report:
    return check(text, policy or make_policy(), MessageContext(**context))


def rules(text: str, policy: Policy | None = None, **context) -> set[str]:
    return run(text, policy, **context).rules


def spanned(report: Report, rule: str) -> list[str]:
    """The text under each span of the rule's findings."""
    return [report.text[a:b] for f in report.findings_for(rule) for a, b in f.spans]


def clean(body: str) -> str:
    """A marketing text that identifies the brand and carries the opt-out line."""
    return PREFIX + body + STOP
