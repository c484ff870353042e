"""The studio's Contacts pages through Django's client: roles, search, one person's story,
opt out by hand, export, erase, and the import page's preview, run and report."""

from __future__ import annotations

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils.html import escape

from delivery.models import ConsentEvent, Contact, ContactImport
from delivery.services.imports import run_import
from studio.models import Role
from tests.factories import CONSENT_TEXT, make_brand, make_contact, make_user

PHONE = "+14155550123"


@pytest.fixture
def person(brand):
    return make_contact(brand, PHONE, first_name="Riley")


def url(brand, tail=""):
    return f"/studio/b/{brand.slug}/contacts/{tail}"


def test_a_copywriter_reads_but_cannot_act(client, brand, copywriter, person):
    client.force_login(copywriter)
    page = client.get(url(brand, f"{person.pk}/"))
    assert page.status_code == 200
    assert escape(CONSENT_TEXT) in page.content.decode() and "Opt out by hand" not in page.content.decode()
    assert "+1415•••••23" in page.content.decode() and PHONE not in page.content.decode()
    assert client.post(url(brand, f"{person.pk}/opt-out/"), {"reason": "x"}).status_code == 403
    assert client.get(url(brand, f"{person.pk}/export.json")).status_code == 403
    assert client.post(url(brand, f"{person.pk}/erase/"), {"last_four": "0123"}).status_code == 403
    assert client.get(url(brand, "import/")).status_code == 403
    assert not Contact.objects.get(pk=person.pk).opted_out


def test_the_person_card_names_merge_fields_and_reads_the_number_type_as_words(
        client, brand, copywriter, person):
    client.force_login(copywriter)
    page = client.get(url(brand, f"{person.pk}/")).content.decode()
    card = page[page.index('id="facts-h"'):page.index("</section>", page.index('id="facts-h"'))]
    assert "<dt><code>first_name</code></dt><dd>Riley</dd>" in card
    assert "fill the merge fields of the same name" in card
    assert "<dt>Type</dt><dd>fixed line or mobile" in card and "_" not in card.split(
        "<dt>Type</dt>")[1]


def test_search_finds_a_number_typed_in_any_format(client, brand, manager, person):
    client.force_login(manager)
    for typed in ("(415) 555-0123", "415.555.0123", "+1 415 555 0123", "14155550123"):
        response = client.get(url(brand), {"q": typed})
        assert response.status_code == 302 and response["Location"] == url(brand, f"{person.pk}/")
    missing = client.get(url(brand), {"q": "212 555 0199"})
    assert "No contact with the number" in missing.content.decode()


def test_opt_out_by_hand_needs_a_reason_and_lands_in_the_ledger(client, brand, manager, person):
    client.force_login(manager)
    empty = client.post(url(brand, f"{person.pk}/opt-out/"), {"reason": "  "})
    assert empty.status_code == 200 and "This field is required" in empty.content.decode()
    assert not Contact.objects.get(pk=person.pk).opted_out
    done = client.post(url(brand, f"{person.pk}/opt-out/"),
                       {"reason": "e-mail to support on 3 March"}, follow=True)
    assert "Opted out" in done.content.decode()
    revoked = ConsentEvent.objects.get(contact=person, kind="revoked")
    assert revoked.source == "support" and "e-mail to support on 3 March" in revoked.source_detail
    assert "morgan" in revoked.source_detail


def test_export_gives_the_persons_data_as_json(client, brand, manager, person):
    client.force_login(manager)
    response = client.get(url(brand, f"{person.pk}/export.json"))
    assert response["Content-Type"] == "application/json"
    data = json.loads(response.content)
    assert data["phone"] == PHONE and data["attributes"] == {"first_name": "Riley"}
    assert data["ledger"][0]["consent_text"] == CONSENT_TEXT


def test_erase_asks_for_confirmation_first(client, brand, manager, person):
    client.force_login(manager)
    assert "cannot be undone" in client.get(url(brand, f"{person.pk}/erase/")).content.decode()
    wrong = client.post(url(brand, f"{person.pk}/erase/"), {"last_four": "9999"})
    assert "not the last four digits" in wrong.content.decode()
    assert Contact.objects.get(pk=person.pk).erased_at is None
    client.post(url(brand, f"{person.pk}/erase/"), {"last_four": "0123"})
    erased = Contact.objects.get(pk=person.pk)
    assert erased.erased_at and erased.attributes == {} and erased.opted_out


def test_another_brands_people_are_invisible(client, brand, person):
    rival = make_brand(slug="rival", name="Rival")
    outsider = make_user(brand=rival, roles=(Role.BRAND_MANAGER,), username="eve")
    client.force_login(outsider)
    assert client.get(f"/studio/b/{rival.slug}/contacts/{person.pk}/").status_code == 404
    assert client.get(url(brand, f"{person.pk}/")).status_code == 404
    assert client.get(f"/studio/b/{rival.slug}/contacts/", {"q": PHONE}).status_code == 200


CSV = (f'phone,first_name,consent_status,consent_text,consented_at\n'
       f'+12125550101,Ada,granted,"{CONSENT_TEXT}",2026-03-01T10:00:00Z\n'
       f'oops,Bo,,,\n')


def test_an_upload_previews_runs_as_a_task_and_reports(client, brand, manager,
                                                       django_capture_on_commit_callbacks):
    client.force_login(manager)
    upload = SimpleUploadedFile("list.csv", CSV.encode(), content_type="text/csv")
    response = client.post(url(brand, "import/"), {"file": upload})
    job = ContactImport.objects.get()
    assert response.status_code == 302 and response["Location"] == url(brand, f"import/{job.pk}/")
    preview = client.get(url(brand, f"import/{job.pk}/")).content.decode()
    assert "attribute <code>first_name</code>" in preview and "Run the import" in preview
    assert not Contact.objects.exists()  # nothing written before the run
    with django_capture_on_commit_callbacks() as queued:
        client.post(url(brand, f"import/{job.pk}/"))
    assert len(queued) == 1 and ContactImport.objects.get().status == "running"
    run_import(job.pk)  # what the worker's task does
    report = client.get(url(brand, f"import/{job.pk}/")).content.decode()
    assert "Consent recorded" in report and "must start with +" in report
    csv_text = client.get(url(brand, f"import/{job.pk}/refused.csv")).content.decode()
    assert csv_text.splitlines()[0] == "line,phone,reason"
    assert csv_text.splitlines()[1].startswith("3,oops,") and "must start with +" in csv_text


def test_a_bad_upload_shows_the_error_on_the_field(client, brand, manager):
    client.force_login(manager)
    upload = SimpleUploadedFile("list.xlsx", b"PK\x03\x04", content_type="application/zip")
    response = client.post(url(brand, "import/"), {"file": upload})
    assert response.status_code == 200 and "Upload a .csv or .jsonl file" in response.content.decode()
    assert not ContactImport.objects.exists()
