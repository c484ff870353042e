"""Importing a file of contacts: thousands of rows a second, idempotent, one line-numbered
reason per refused row.

Rows are read by the pure `delivery.contact_files` and written in chunks: one read of the
chunk's contacts and their ledger, one bulk insert of new contacts, one bulk update of
changed attributes, one bulk insert of new grants. Revocations go one by one through
`opt_out_contact` (the only place an opt-out flag may flip). Running the same file again
finds every contact and every ledger row already there and changes nothing.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db import transaction
from django.utils import timezone

from brandguard.models import Brand
from delivery import contact_files, import_sql
from delivery.contact_files import ContactRow, FileError, RowError
from delivery.models import ConsentEvent, Contact, ContactImport
from delivery.services.contacts import _fact_fields, opt_out_contact

CHUNK = 2000
SOURCE = ConsentEvent.Source.IMPORT
ERASED_REASON = "this number was erased on request and stays suppressed"


@dataclass
class ImportReport:
    rows: int = 0
    # created / updated / unchanged count people; the other counts count rows.
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    consent_recorded: int = 0
    no_consent: int = 0  # rows whose person has no proven consent: kept, never texted
    held_for_review: int = 0
    refused: list[RowError] = field(default_factory=list)

    def counts(self) -> dict[str, int]:
        return {"rows": self.rows, "created": self.created, "updated": self.updated,
                "unchanged": self.unchanged, "consent_recorded": self.consent_recorded,
                "no_consent": self.no_consent, "held_for_review": self.held_for_review,
                "refused": len(self.refused)}


Progress = Callable[[int], None]


def import_contacts(brand: Brand, text: str, fmt: str, *, now: datetime | None = None,
                    progress: Progress | None = None) -> ImportReport:
    """Import `text` (CSV or JSONL) into the brand's contacts. Raises FileError when the file
    as a whole cannot be read; a bad row is refused with its line number and the rest go on."""
    now = now or timezone.now()
    _mapping, rows = contact_files.read(text, fmt, now=now)
    report, chunk = ImportReport(), []
    for item in rows:
        report.rows += 1
        if isinstance(item, RowError):
            report.refused.append(item)
            continue
        chunk.append(item)
        if len(chunk) >= CHUNK:
            _import_chunk(brand, chunk, report, now)
            chunk = []
            if progress:
                progress(report.rows)
    if chunk:
        _import_chunk(brand, chunk, report, now)
    if progress:
        progress(report.rows)
    report.refused.sort(key=lambda e: e.line)
    return report


def _import_chunk(brand: Brand, rows: list[ContactRow], report: ImportReport, now: datetime
                  ) -> None:
    with transaction.atomic():
        contacts = {c.phone: c for c in Contact.objects.filter(
            brand=brand, phone__in={r.phone for r in rows}).only(
            "id", "phone", "attributes", "opted_out", "erased_at", "hold_for_review")}
        rows = _refuse_erased(rows, contacts, report)
        created = _create_missing(brand, rows, contacts)
        _update_attributes(rows, contacts, created, report)
        granted = _record_consent(brand, rows, contacts, report)
    for row in rows:
        contact = contacts[row.phone]
        report.held_for_review += contact.hold_for_review
        if not (row.status and (row.proven or row.status == "revoked")) \
                and contact.pk not in granted:
            report.no_consent += 1


def _refuse_erased(rows: list[ContactRow], contacts: dict[str, Contact],
                   report: ImportReport) -> list[ContactRow]:
    kept = []
    for row in rows:
        found = contacts.get(row.phone)
        if found is not None and found.erased_at is not None:
            report.refused.append(RowError(row.line, row.phone, ERASED_REASON))
        else:
            kept.append(row)
    return kept


def _create_missing(brand: Brand, rows: list[ContactRow], contacts: dict[str, Contact]
                    ) -> set[str]:
    new: dict[str, dict] = {}
    for row in rows:
        if row.phone in contacts or row.phone in new:
            continue  # a later row for the same number is an update (_update_attributes)
        new[row.phone] = {"phone": row.phone, "attributes": row.attributes,
                          **_fact_fields(row.facts)}
    if not new:
        return set()
    created = import_sql.insert_contacts(brand.pk, new.values(), now=timezone.now())
    for phone, pk in created.items():
        values = new[phone]
        contacts[phone] = Contact(pk=pk, brand=brand, phone=phone, opted_out=False,
                                  attributes=values["attributes"],
                                  hold_for_review=values["hold_for_review"])
    if len(created) < len(new):  # an API call created some of them meanwhile: theirs stand
        contacts.update({c.phone: c for c in Contact.objects.filter(
            brand=brand, phone__in=[p for p in new if p not in created]).only(
            "id", "phone", "attributes", "opted_out", "erased_at", "hold_for_review")})
    return set(created)


def _update_attributes(rows: list[ContactRow], contacts: dict[str, Contact], created: set[str],
                       report: ImportReport) -> None:
    """Counts people, not rows: several rows for one number are applied in file order and
    the person is updated once, so a file that ends where the database is changes nothing."""
    final: dict[str, dict] = {}
    for row in rows:
        final[row.phone] = {**final.get(row.phone, contacts[row.phone].attributes),
                            **row.attributes}
    changed = []
    for phone, attributes in final.items():
        contact = contacts[phone]
        if phone in created:
            report.created += 1
        elif attributes != contact.attributes:
            report.updated += 1
        else:
            report.unchanged += 1
        if attributes != contact.attributes:
            contact.attributes, contact.updated_at = attributes, timezone.now()
            changed.append(contact)
    if changed:
        Contact.objects.bulk_update(changed, ["attributes", "updated_at"])


def _record_consent(brand: Brand, rows: list[ContactRow], contacts: dict[str, Contact],
                    report: ImportReport) -> set[int]:
    """Append the rows' consent events not already in the ledger. Returns the ids of contacts
    that hold a grant afterwards (so rows without proof for them are not counted as such)."""
    ids = [contacts[r.phone].pk for r in rows]
    on_file: set[tuple] = set()
    granted: set[int] = set()
    for contact_id, kind, source, at, sha in ConsentEvent.objects.filter(
            contact_id__in=ids).values_list("contact_id", "kind", "source", "occurred_at",
                                            "text_sha256"):
        on_file.add((contact_id, kind, source, at, sha if kind == "granted" else ""))
        if kind == ConsentEvent.Kind.GRANTED:
            granted.add(contact_id)
    grants: list[tuple] = []
    recorded_at = timezone.now()
    for row in rows:
        if not row.status or (row.status == "granted" and not row.proven):
            continue
        contact = contacts[row.phone]
        key = (contact.pk, row.status, SOURCE, row.occurred_at,
               row.text_sha256 if row.status == "granted" else "")
        if key in on_file:
            continue
        on_file.add(key)
        assert row.occurred_at is not None  # contact_files requires it with a status
        if row.status == "revoked":
            if opt_out_contact(contact, at=row.occurred_at, source=SOURCE,
                               detail=row.source_detail or "import"):
                report.consent_recorded += 1
            continue
        grants.append((brand.pk, contact.pk, row.phone, ConsentEvent.Kind.GRANTED.value,
                       SOURCE.value, row.source_detail, row.consent_text, row.text_version,
                       row.text_sha256, row.occurred_at, recorded_at, row.ip, row.user_agent,
                       ""))
        granted.add(contact.pk)
    if grants:
        import_sql.insert_consent_events(grants)
    report.consent_recorded += len(grants)
    return granted


# --- the studio's import jobs ---------------------------------------------------------------

PREVIEW_ROWS = 5


@dataclass(frozen=True)
class Preview:
    mapping: list[tuple[str, str]]
    rows: list[dict[str, Any]]
    error: str | None = None


def preview_file(text: str, fmt: str) -> Preview:
    """The column mapping and the first rows as the file has them, before anything runs."""
    try:
        headers, rows = contact_files.raw_rows(text, fmt)
        mapping = contact_files.map_columns(headers)
    except FileError as exc:
        return Preview([], [], str(exc))
    first = []
    for _line, raw in rows:
        if raw is not None:
            first.append({h: raw.get(h, "") for h in headers})
        if len(first) >= PREVIEW_ROWS:
            break
    return Preview(mapping.rows(), first)


def create_import(brand: Brand, *, name: str, text: str, by=None) -> ContactImport:
    fmt = contact_files.detect_format(name, text)
    return ContactImport.objects.create(brand=brand, uploaded_by=by, file_name=name[:200],
                                        file_format=fmt, content=text)


def start_import(job: ContactImport) -> ContactImport:
    """Queue the import task on commit (only once: an import already started stays put)."""
    from functools import partial

    started = ContactImport.objects.filter(pk=job.pk, status=ContactImport.Status.UPLOADED
                                           ).update(status=ContactImport.Status.RUNNING)
    if started:
        transaction.on_commit(partial(_enqueue, job.pk))
    job.refresh_from_db()
    return job


def _enqueue(job_id: int) -> None:
    from delivery.tasks import run_contact_import

    run_contact_import.delay(job_id)


def run_import(job_id: int) -> ContactImport:
    """The task's service: import the stored file, saving progress per chunk and the report.
    A redelivered task re-runs an idempotent import, so it changes nothing twice."""
    job = ContactImport.objects.select_related("brand").get(pk=job_id)
    if job.status == ContactImport.Status.DONE:
        return job
    total = sum(1 for line in job.content.splitlines() if line.strip())
    total -= 1 if job.file_format == "csv" else 0
    ContactImport.objects.filter(pk=job.pk).update(total_rows=max(total, 0), done_rows=0)

    def progress(done: int) -> None:
        ContactImport.objects.filter(pk=job.pk).update(done_rows=done)

    try:
        report = import_contacts(job.brand, job.content, job.file_format, progress=progress)
    except FileError as exc:
        ContactImport.objects.filter(pk=job.pk).update(
            status=ContactImport.Status.FAILED, message=str(exc)[:500], finished_at=timezone.now())
    else:
        ContactImport.objects.filter(pk=job.pk).update(
            status=ContactImport.Status.DONE, counts=report.counts(), total_rows=report.rows,
            done_rows=report.rows, finished_at=timezone.now(),
            refused=[{"line": e.line, "phone": e.phone, "reason": e.reason}
                     for e in report.refused])
    job.refresh_from_db()
    return job


def report_csv(refused: list[dict[str, Any]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["line", "phone", "reason"])
    for item in refused:
        writer.writerow([item["line"], _cell(str(item["phone"])), _cell(item["reason"])])
    return out.getvalue()


def _cell(value: str) -> str:
    # A spreadsheet runs a cell starting with = + - @ as a formula (CSV injection).
    return "'" + value if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value
