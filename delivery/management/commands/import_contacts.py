"""manage.py import_contacts --brand <slug> FILE: contacts and consent from CSV or JSONL."""

from __future__ import annotations

import time
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from brandguard.models import Brand
from delivery.contact_files import FileError, detect_format
from delivery.services.imports import import_contacts, report_csv


class Command(BaseCommand):
    help = ("Import contacts from a CSV or JSONL file (columns: phone, first_name…, "
            "consent_status, consent_text or text_version+text_sha256, consented_at, "
            "source_detail, ip). Rows without proof become contacts without consent. "
            "Running the same file again changes nothing.")

    def add_arguments(self, parser) -> None:
        parser.add_argument("--brand", required=True, help="brand slug")
        parser.add_argument("file", help="a .csv or .jsonl file")
        parser.add_argument("--format", choices=["csv", "jsonl"], help="default: from the name")
        parser.add_argument("--report", help="write refused rows (line, phone, reason) to this "
                                             "CSV file")

    def handle(self, *args, brand: str, file: str, format: str | None = None,
               report: str | None = None, **options) -> None:
        found = Brand.objects.filter(slug=brand).first()
        if found is None:
            raise CommandError(f"no brand with slug {brand!r}")
        try:
            text = Path(file).read_text(encoding="utf-8-sig")
        except (OSError, UnicodeDecodeError) as exc:
            raise CommandError(f"cannot read {file}: {exc}") from None
        started = time.perf_counter()
        try:
            result = import_contacts(found, text, format or detect_format(file, text))
        except FileError as exc:
            raise CommandError(f"{file}: {exc}") from None
        elapsed = time.perf_counter() - started
        counts = result.counts()
        self.stdout.write(f"{file}: {counts['rows']} rows in {elapsed:.1f} s "
                          f"({counts['rows'] / max(elapsed, 1e-9):,.0f} rows/s)")
        for name in ("created", "updated", "unchanged", "consent_recorded", "no_consent",
                     "held_for_review", "refused"):
            self.stdout.write(f"  {name.replace('_', ' '):<17} {counts[name]}")
        for error in result.refused[:20]:
            self.stdout.write(f"  line {error.line}: {error.phone or '-'}: {error.reason}")
        if len(result.refused) > 20:
            self.stdout.write(f"  … {len(result.refused) - 20} more (use --report FILE)")
        if report:
            Path(report).write_text(report_csv([{"line": e.line, "phone": e.phone,
                                                 "reason": e.reason} for e in result.refused]))
            self.stdout.write(f"  refused rows written to {report}")
