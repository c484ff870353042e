"""The demo brand: an outdoor-gear retailer with one user per role.

Passwords are fixed and printed on purpose: this is demo data for a local quickstart.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.db import transaction

from brandguard.models import Brand, BrandPolicy
from brandguard.services import save_policy_version
from studio.models import Membership, Role

DEMO_BRAND = {
    "slug": "summit-outfitters",
    "name": "Summit Outfitters",
    "sender_name": "Summit Outfitters",
    "support_contact": "help@summitoutfitters.com or 1-800-555-0142",
    "website_domain": "summitoutfitters.com",
}


@dataclass(frozen=True)
class DemoUser:
    username: str
    password: str
    first_name: str
    last_name: str
    roles: tuple[str, ...]


DEMO_USERS = (
    DemoUser("casey", "summit-copy-2026", "Casey", "Writer", (Role.COPYWRITER,)),
    DemoUser("avery", "summit-approve-2026", "Avery", "Approver", (Role.APPROVER,)),
    DemoUser("morgan", "summit-manage-2026", "Morgan", "Manager", (Role.BRAND_MANAGER,)),
)


def demo_policy_rules() -> dict:
    """The demo brand's guardrails: calm, premium outdoors voice; own domain only."""
    return {
        "max_segments": 2,
        "allow_unicode": False,
        "smart_encoding": True,
        "age_gated": False,
        "banned_phrases": ["cheap", "act now", "guaranteed"],
        "required_phrases": [],
        "allowed_link_domains": ["summitoutfitters.com"],
        "emoji_limit": 1,
        "tone": {
            "enthusiasm": [0.0, 0.6],
            "urgency": [0.0, 0.5],
            "formality": [0.2, 0.8],
            "sentiment": [0.0, 1.0],
        },
        "merge_fields": {
            # A customer named "Zoë" turns a text into UCS-2: judged at the worst case.
            "first_name": {"max_length": 15, "non_gsm": True},
            "product_name": {"max_length": 30, "non_gsm": False},
            # First-party short links (/l/<code>) on the brand's domain stay under 30.
            "link": {"max_length": 30, "non_gsm": False},
        },
        "severity_overrides": {},
        "sample_values": {"first_name": "Jordan", "product_name": "Ridge 40L pack",
                          "link": "https://summitoutfitters.com/cart"},
    }


DEMO_OFFERS = {
    "free_shipping": True,
    "max_percent_off": 15,
    "percent_off_stages": ["lapsing", "churned"],
}


@transaction.atomic
def seed_demo() -> tuple[Brand, tuple[DemoUser, ...]]:
    slug = DEMO_BRAND["slug"]
    brand, _ = Brand.objects.update_or_create(
        slug=slug, defaults={k: v for k, v in DEMO_BRAND.items() if k != "slug"}
    )
    User = get_user_model()
    for demo in DEMO_USERS:
        user, _ = User.objects.get_or_create(username=demo.username)
        user.first_name, user.last_name = demo.first_name, demo.last_name
        user.email = f"{demo.username}@summitoutfitters.example"
        user.set_password(demo.password)
        user.save()
        for role in demo.roles:
            Membership.objects.get_or_create(user=user, brand=brand, role=role)
    if not BrandPolicy.objects.filter(brand=brand).exists():
        save_policy_version(brand, rules=demo_policy_rules(), offers=DEMO_OFFERS,
                            note="Demo policy")
    return brand, DEMO_USERS
