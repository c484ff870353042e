"""manage.py import_contacts and the file reader: counts, line-numbered refusals, idempotency,
and the ledger's rules (proof, a later STOP wins, erased numbers stay out)."""

from __future__ import annotations

import csv
import hashlib
import io
import json
from datetime import UTC, datetime, timedelta

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from delivery import contact_files
from delivery.models import ConsentEvent, Contact
from delivery.services.audience import erase_contact
from delivery.services.imports import import_contacts
from tests.delivery.conftest import phone_open_now
from tests.delivery.test_api import ask
from tests.delivery.test_webhooks import BASE, TOKEN, inbound
from tests.factories import CONSENT_TEXT, make_contact

V3 = "I agree to get marketing texts from Acme Outdoors. Msg & data rates may apply."
V3_SHA = hashlib.sha256(V3.encode()).hexdigest()
AT = "2026-03-01T10:00:00Z"

CSV = f"""phone,first_name,consent_status,consent_text,text_version,text_sha256,consented_at,source_detail,ip
+12125550101,Ada,granted,"{CONSENT_TEXT}",,,{AT},https://acme.co/sms,203.0.113.9
+12125550102,Bo,granted,,v3,{V3_SHA},{AT},https://acme.co/sms,
+12125550103,Cy,granted,,,,{AT},,
+12125550104,Di,,,,,,,
555-0105,Ed,granted,"{CONSENT_TEXT}",,,{AT},,
+12125550106,Flo,granted,"{CONSENT_TEXT}",,,yesterday,,
+12125550107,Gus,granted,"{CONSENT_TEXT}",,,2099-01-01T00:00:00Z,,
+18005550108,Hal,granted,"{CONSENT_TEXT}",,,{AT},,
+12125550109,Ivy,revoked,,,,{AT},unsubscribed in the e-mail centre,
+12125550101,Ada Lovelace,,,,,,,
+12125550110,Jo,granted,"two
lines",,,{AT},,
bad,Kay,,,,,,,
"""


@pytest.fixture
def csv_file(tmp_path):
    path = tmp_path / "audience.csv"
    path.write_text(CSV)
    return path


def run(brand, path, *extra) -> str:
    out = io.StringIO()
    call_command("import_contacts", "--brand", brand.slug, str(path), *extra, stdout=out)
    return out.getvalue()


def counts_in(output: str) -> dict[str, int]:
    found = {}
    for line in output.splitlines()[1:]:
        parts = line.strip().rsplit(" ", 1)
        if len(parts) == 2 and parts[1].isdigit() and not line.strip().startswith("line"):
            found[parts[0].strip().replace(" ", "_")] = int(parts[1])
    return found


def test_an_import_reports_counts_and_each_refused_row_with_its_line(pool_brand, csv_file):
    output = run(pool_brand, csv_file)
    assert counts_in(output) == {"created": 7, "updated": 0, "unchanged": 0,
                                 "consent_recorded": 5, "no_consent": 2,
                                 "held_for_review": 1, "refused": 4}
    assert "line 6: 555-0105: " in output and "must start with +" in output
    assert "line 7: " in output and "not an ISO 8601" in output
    assert "line 8: " in output and "in the future" in output
    assert "line 14: bad: " in output  # after the two-line quoted text on lines 12-13
    ada = Contact.objects.get(phone="+12125550101")
    assert ada.attributes == {"first_name": "Ada Lovelace"}
    grant = ConsentEvent.objects.get(phone="+12125550101")
    assert (grant.source, grant.consent_text, grant.ip) == ("import", CONSENT_TEXT,
                                                            "203.0.113.9")
    assert grant.occurred_at == datetime(2026, 3, 1, 10, tzinfo=UTC)
    assert ConsentEvent.objects.get(phone="+12125550102").text_sha256 == V3_SHA
    assert not ConsentEvent.objects.filter(phone__in=["+12125550103", "+12125550104"]).exists()
    assert Contact.objects.get(phone="+12125550109").opted_out
    assert Contact.objects.get(phone="+18005550108").hold_for_review  # toll-free


def test_running_the_same_file_again_changes_nothing(pool_brand, csv_file):
    run(pool_brand, csv_file)
    before = (list(Contact.objects.values_list("phone", "attributes", "opted_out")),
              ConsentEvent.objects.count())
    again = counts_in(run(pool_brand, csv_file))
    assert (again["created"], again["updated"], again["consent_recorded"]) == (0, 0, 0)
    assert again["unchanged"] == 7 and again["refused"] == 4
    assert (list(Contact.objects.values_list("phone", "attributes", "opted_out")),
            ConsentEvent.objects.count()) == before


def test_people_without_proof_are_kept_but_never_texted(client, api_key, pool_brand, tmp_path):
    phone = phone_open_now()
    path = tmp_path / "no-proof.csv"
    path.write_text(f"phone,first_name,consent_status,consented_at\n{phone},Sam,granted,{AT}\n")
    assert counts_in(run(pool_brand, path))["no_consent"] == 1
    assert ask(client, api_key, phone).json()["eligibility"]["reason"] == "NO_CONSENT"


def test_an_import_never_overrides_a_later_stop(client, api_key, pool_brand, tmp_path,
                                               settings):
    settings.TWILIO_AUTH_TOKEN, settings.PUBLIC_BASE_URL = TOKEN, BASE
    phone = phone_open_now()
    make_contact(pool_brand, phone, consent_at=timezone.now() - timedelta(days=10))
    inbound(client, "STOP", phone=phone)
    path = tmp_path / "old-list.csv"
    path.write_text(f'phone,consent_status,consent_text,consented_at\n'
                    f'{phone},granted,"{CONSENT_TEXT}",{AT}\n')
    assert counts_in(run(pool_brand, path))["consent_recorded"] == 1
    assert ask(client, api_key, phone).json()["eligibility"]["reason"] == "OPTED_OUT"


def test_an_erased_number_is_refused_by_name(pool_brand, tmp_path):
    erase_contact(make_contact(pool_brand, "+12125550120"))
    path = tmp_path / "back.csv"
    path.write_text(f'phone,consent_status,consent_text,consented_at\n'
                    f'+12125550120,granted,"{CONSENT_TEXT}",{AT}\n')
    output = run(pool_brand, path)
    assert "line 2: +12125550120: this number was erased on request" in output
    assert ConsentEvent.objects.filter(phone="+12125550120", kind="granted").count() == 1


def test_jsonl_with_a_broken_line_and_a_refused_rows_report(pool_brand, tmp_path):
    path = tmp_path / "audience.jsonl"
    path.write_text("\n".join([
        json.dumps({"phone": "+12125550131", "first_name": "Lu", "consent_status": "granted",
                    "consent_text": CONSENT_TEXT, "consented_at": AT}),
        "{not json",
        json.dumps({"phone": "=HYPERLINK(1)", "first_name": "Mo"}),
        json.dumps({"phone": "+12125550132", "city": "Oslo", "loyalty tier": "gold", "e-mail (work)": "x@y.z"}),
    ]) + "\n")
    report = tmp_path / "refused.csv"
    counts = counts_in(run(pool_brand, path, "--report", str(report)))
    assert (counts["created"], counts["refused"], counts["consent_recorded"]) == (2, 2, 1)
    rows = list(csv.reader(report.read_text().splitlines()))
    assert rows[0] == ["line", "phone", "reason"]
    assert [r[0] for r in rows[1:]] == ["2", "3"]
    assert rows[2][1].startswith("'=")  # never a live formula in a spreadsheet
    assert Contact.objects.get(phone="+12125550132").attributes == {"city": "Oslo", "loyalty_tier": "gold"}


def test_a_file_without_a_phone_column_or_an_unknown_brand_stops_with_a_message(
        pool_brand, tmp_path):
    path = tmp_path / "x.csv"
    path.write_text("name,email\nA,a@example.com\n")
    with pytest.raises(CommandError, match="no phone column"):
        run(pool_brand, path)
    with pytest.raises(CommandError, match="no brand"):
        call_command("import_contacts", "--brand", "nope", str(path), stdout=io.StringIO())


# --- the pure reader ---------------------------------------------------------------------------

def test_the_reader_maps_common_column_names_and_ignores_what_cannot_be_a_merge_field():
    mapping = contact_files.map_columns(["Phone Number", "First Name", "Opted In At",
                                         "IP Address", "e-mail (work)"])
    assert mapping.columns == {"Phone Number": "phone", "First Name": "attribute:first_name",
                               "Opted In At": "consented_at", "IP Address": "ip"}
    assert mapping.ignored == ["e-mail (work)"]


def test_a_time_without_an_offset_is_read_as_utc_and_yes_means_granted():
    mapping = contact_files.map_columns(["phone", "consent_status", "consent_text",
                                         "consented_at"])
    row = contact_files.check_row(2, {"phone": "+12125550101", "consent_status": "Yes",
                                      "consent_text": "I agree", "consented_at":
                                      "2026-03-01 10:00"}, mapping,
                                  now=datetime(2026, 6, 1, tzinfo=UTC))
    assert isinstance(row, contact_files.ContactRow)
    assert row.status == "granted" and row.occurred_at == datetime(2026, 3, 1, 10, tzinfo=UTC)


def test_the_service_reports_progress_per_chunk(pool_brand):
    text = "phone\n" + "\n".join(f"+1212555{n:04d}" for n in range(1000, 1050)) + "\n"
    seen: list[int] = []
    report = import_contacts(pool_brand, text, "csv", progress=seen.append)
    assert report.created == 50 and seen[-1] == 50
