"""The demo brand's audience and approved copy, so the README's decision `curl` answers with
a text on a fresh `make run`.

The copy is written by hand by casey (copywriter), submitted, and approved by avery
(approver) through the same services the studio uses: brandguard runs against the demo
policy at every step, four eyes hold, and the audit trail shows who did what. The contacts
are recorded through the contacts service with the consent wording they agreed to.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from django.contrib.auth import get_user_model
from django.utils import timezone

from brandguard.models import Brand
from copygen.models import Variant, VariantEvent
from delivery.models import ConsentEvent, Contact, DeliverySettings
from delivery.services.audience import Proof, upsert_contact
from studio.selectors import check_text
from studio.services import approve_variant, submit_variant

DEMO_CONSENT_TEXT = (
    "By checking this box I agree to receive recurring automated marketing texts (e.g. cart "
    "reminders) from Summit Outfitters at the number provided. Consent is not a condition of "
    "purchase. Msg frequency varies. Msg & data rates may apply. Reply HELP for help, STOP "
    "to cancel.")
DEMO_SIGNUP_URL = "https://summitoutfitters.com/sms-signup"


@dataclass(frozen=True)
class DemoContact:
    phone: str
    first_name: str
    city: str


# +14155550123 is the number in the README's decision example.
DEMO_CONTACTS = (
    DemoContact("+14155550123", "Riley", "San Francisco"),
    DemoContact("+12125550123", "Jordan", "New York"),
    DemoContact("+13125550188", "Sam", "Chicago"),
    DemoContact("+13035550142", "Alex", "Denver"),
)

# (intent, stage) -> texts. Only {product_name} and {link}: the merge fields the README's
# request sends. Every pool also holds a text with no product name, so a flow that sends
# only a link still gets copy.
DEMO_COPY: dict[tuple[str, str], tuple[str, ...]] = {
    ("cart_abandonment", "first_time_browser"): (
        "Summit Outfitters: your {product_name} is still in your cart whenever you are ready: "
        "{link} Reply STOP to opt out",
        "Summit Outfitters: still thinking about the {product_name}? We saved your cart here: "
        "{link} Reply STOP to opt out",
        "Summit Outfitters: you left a few things in your cart. Pick up where you left off: "
        "{link} Reply STOP to opt out",
    ),
    ("win_back", "lapsing"): (
        "Summit Outfitters: it has been a while. New trail gear just came in, take a look: "
        "{link} Reply STOP to opt out",
        "Summit Outfitters: the new season's packs and shells are in. See what is new: {link} "
        "Reply STOP to opt out",
    ),
    ("welcome", "first_time_browser"): (
        "Summit Outfitters: welcome. Expect trail tips and first looks at new gear, a few "
        "times a month. Reply STOP to opt out",
        "Summit Outfitters: thanks for joining us. Browse this season's gear: {link} Reply "
        "STOP to opt out",
    ),
}


def seed_audience(brand: Brand) -> tuple[int, int]:
    """Idempotent. Returns (contacts created, variants approved) by this run."""
    DeliverySettings.objects.update_or_create(brand=brand, defaults={"double_opt_in": True})
    return _seed_contacts(brand), _seed_copy(brand)


def _seed_contacts(brand: Brand) -> int:
    created = 0
    for demo in DEMO_CONTACTS:
        contact = Contact.objects.filter(brand=brand, phone=demo.phone).first()
        if contact is not None and ConsentEvent.objects.filter(contact=contact).exists():
            continue  # already there, with its ledger: never add a second demo grant
        proof = Proof(status="granted", source="web_form",
                      occurred_at=timezone.now() - timedelta(days=2),
                      consent_text=DEMO_CONSENT_TEXT, source_detail=DEMO_SIGNUP_URL,
                      ip="198.51.100.23", user_agent="demo seed")
        # Seeded as confirmed sign-ups: the demo's double opt-in applies to new forms.
        upsert_contact(brand, demo.phone, consent=proof, double_opt_in=False,
                       attributes={"first_name": demo.first_name, "city": demo.city})
        created += 1
    return created


def _seed_copy(brand: Brand) -> int:
    return approve_demo_copy(brand, DEMO_COPY)


def approve_demo_copy(brand: Brand, pools: dict[tuple[str, str], tuple[str, ...]]) -> int:
    """Each text written by casey, checked, submitted and approved by avery through the
    review services (so four eyes and the guard apply), unless already there. Idempotent;
    returns how many were approved."""
    User = get_user_model()
    author, approver = User.objects.get(username="casey"), User.objects.get(username="avery")
    approved = 0
    for (intent, stage), texts in pools.items():
        for text in texts:
            if Variant.objects.filter(brand=brand, intent=intent, stage=stage, text=text,
                                      is_current=True).exists():
                continue
            variant = _write(brand, intent=intent, stage=stage, text=text, by=author)
            approve_variant(submit_variant(variant, by=author), by=approver)
            approved += 1
    return approved


def _write(brand: Brand, *, intent: str, stage: str, text: str, by) -> Variant:
    report = check_text(brand, text, intent=intent)
    variant = Variant.objects.create(
        brand=brand, intent=intent, stage=stage, text=text, author=by,
        provider=Variant.Provider.HUMAN, model_name="written by hand (demo seed)",
        status=Variant.Status.DRAFT if report.passed else Variant.Status.FAILED_CHECKS,
        guard_report=report.to_dict(), policy_version=report.policy_version)
    VariantEvent.objects.create(variant=variant, brand=brand, actor=by, action="written",
                                to_status=variant.status, version=1,
                                policy_version=report.policy_version,
                                reason="demo copy written by hand")
    return variant
