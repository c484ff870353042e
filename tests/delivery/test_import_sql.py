"""The import's COPY writes store exactly what the ORM services store."""

from __future__ import annotations

from datetime import UTC, datetime

from delivery.models import ConsentEvent, Contact
from delivery.services import record_consent, register_contact
from delivery.services.imports import import_contacts
from tests.factories import CONSENT_TEXT, make_brand

FACTS = ("phone", "valid", "number_type", "region", "time_zones", "us_state", "geographic",
         "number_flags", "attributes", "opted_out", "opted_out_at", "hold_for_review",
         "review_reason", "consent_pending_until", "erased_at")
LEDGER = ("phone", "kind", "source", "source_detail", "consent_text", "text_version",
          "text_sha256", "occurred_at", "ip", "user_agent", "inbound_message_sid")
AT = datetime(2026, 3, 1, 10, tzinfo=UTC)


def test_copied_contacts_and_grants_equal_the_orm_ones(db):
    copied, orm = make_brand(slug="copied"), make_brand(slug="orm")
    phones = ["+14155550123", "+18005550199", "+18085550123"]  # one toll-free: held
    lines = ["phone,first_name,consent_status,consent_text,consented_at,source_detail,ip"]
    lines += [f'{p},Sam,granted,"{CONSENT_TEXT}",{AT.isoformat()},https://acme.co/f,'
              f'203.0.113.7' for p in phones]
    report = import_contacts(copied, "\n".join(lines) + "\n", "csv")
    assert (report.created, report.consent_recorded) == (3, 3)
    for phone in phones:
        contact = register_contact(orm, phone, attributes={"first_name": "Sam"})
        record_consent(contact, kind="granted", source="import", consent_text=CONSENT_TEXT,
                       occurred_at=AT, source_detail="https://acme.co/f", ip="203.0.113.7")
    for phone in phones:
        a = Contact.objects.filter(brand=copied, phone=phone).values(*FACTS).get()
        b = Contact.objects.filter(brand=orm, phone=phone).values(*FACTS).get()
        assert a == b
        a = ConsentEvent.objects.filter(brand=copied, phone=phone).values(*LEDGER).get()
        b = ConsentEvent.objects.filter(brand=orm, phone=phone).values(*LEDGER).get()
        assert a == b
