"""A fresh demo answers the README's own decision request with approved copy."""

from __future__ import annotations

import io
import json
import re
from pathlib import Path

from django.core.management import call_command

from copygen.models import Variant, VariantEvent
from delivery.models import ConsentEvent, Contact, DeliverySettings
from studio.demo_audience import DEMO_CONSENT_TEXT, DEMO_COPY

README = Path(__file__).resolve().parents[2] / "README.md"


def readme_decision_request() -> dict:
    """The JSON body of the README's `curl … /api/v1/decisions`, exactly as pasted."""
    block = README.read_text().split("/api/v1/decisions \\", 1)[1]
    body = re.search(r"-d '(.*?)'", block, re.S)
    assert body is not None, "the README's decision curl has no -d '…' body"
    return json.loads(body.group(1))


def new_key() -> str:
    out = io.StringIO()
    call_command("create_api_key", "--brand", "summit-outfitters", stdout=out,
                 stderr=io.StringIO())
    return out.getvalue().strip().splitlines()[-1]


def test_the_readme_curl_returns_an_approved_variant_after_seeding(client, db):
    call_command("seed_demo", "--no-guidelines", stdout=io.StringIO())
    request = readme_decision_request()
    assert request["phone"] == "+14155550123"
    response = client.post("/api/v1/decisions", json.dumps(request),
                           content_type="application/json",
                           headers={"Authorization": f"Bearer {new_key()}"})
    assert response.status_code == 200, response.content
    body = response.json()
    # Allowed now, or deferred to the morning in California: either way the text is chosen.
    assert body["eligibility"]["status"] in {"allow", "defer"}, body
    assert body["eligibility"]["reason"] in {None, "QUIET_HOURS"}
    variant = Variant.objects.get(pk=body["variant_id"])
    assert (variant.intent, variant.stage) == ("cart_abandonment", "first_time_browser")
    assert "Ridge 40L pack" in body["text"] or "{product_name}" not in variant.text
    assert "/l/" in body["text"] and "Reply STOP" in body["text"]


def test_demo_copy_is_written_by_casey_and_approved_by_avery_after_the_checks(db):
    call_command("seed_demo", "--no-guidelines", stdout=io.StringIO())
    approved = Variant.objects.filter(status="approved", is_current=True,
                                      brand__slug="summit-outfitters")
    pools = {(v.intent, v.stage) for v in approved}
    assert set(DEMO_COPY) <= pools
    for variant in approved:
        assert variant.author.username == "casey" and variant.approved_by.username == "avery"
        assert variant.guard_report["passed"] is True
        actions = list(VariantEvent.objects.filter(variant=variant).order_by("created_at", "id")
                       .values_list("action", "actor__username"))
        assert actions == [("written", "casey"), ("submitted", "casey"), ("approved", "avery")]


def test_demo_contacts_carry_the_wording_they_agreed_to_and_seeding_twice_adds_nothing(db):
    call_command("seed_demo", "--no-guidelines", stdout=io.StringIO())
    counts = (Contact.objects.count(), ConsentEvent.objects.count(), Variant.objects.count())
    call_command("seed_demo", "--no-guidelines", stdout=io.StringIO())
    assert (Contact.objects.count(), ConsentEvent.objects.count(),
            Variant.objects.count()) == counts
    grant = ConsentEvent.objects.get(phone="+14155550123")
    assert grant.kind == "granted" and grant.consent_text == DEMO_CONSENT_TEXT
    assert DeliverySettings.objects.get(brand__slug="summit-outfitters").double_opt_in
