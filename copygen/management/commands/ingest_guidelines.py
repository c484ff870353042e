"""manage.py ingest_guidelines --brand slug FILE... — chunk, embed and store guideline files."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from brandguard.models import Brand
from copygen.embeddings import EmbeddingError
from copygen.services import GuidelineError, ingest_files


class Command(BaseCommand):
    help = (
        "Ingest guideline documents (.md, .markdown, .txt, .pdf) for a brand. Re-ingesting a "
        "file with the same name replaces its chunks and bumps its version; unchanged files "
        "are left alone."
    )

    def add_arguments(self, parser):
        parser.add_argument("--brand", required=True, help="the brand's slug")
        parser.add_argument("files", nargs="+", metavar="FILE")

    def handle(self, *args, **options):
        try:
            brand = Brand.objects.get(slug=options["brand"])
        except Brand.DoesNotExist:
            raise CommandError(f"no brand with slug {options['brand']!r}") from None
        try:
            results = ingest_files(brand, options["files"])
        except (GuidelineError, EmbeddingError) as exc:
            raise CommandError(str(exc)) from exc
        for result in results:
            doc = result.document
            status = "stored" if result.changed else "unchanged"
            self.stdout.write(
                f"{doc.source_name}: {doc.title!r} kind={doc.kind} version={doc.version} "
                f"chunks={result.chunk_count} ({status})"
            )
