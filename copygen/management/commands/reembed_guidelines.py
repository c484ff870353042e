"""manage.py reembed_guidelines [--brand slug]: re-embed documents another model embedded."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from brandguard.models import Brand
from copygen import embeddings
from copygen.embeddings import EmbeddingError
from copygen.services import GuidelineError, reembed_documents


class Command(BaseCommand):
    help = (
        "Re-embed guideline documents whose chunks were embedded by another model than the "
        "configured one (EMBEDDINGS_PROVIDER / EMBEDDINGS_MODEL). Retrieval ignores such "
        "chunks until then. Content and versions are unchanged."
    )

    def add_arguments(self, parser):
        parser.add_argument("--brand", help="only this brand (slug); default: every brand")

    def handle(self, *args, **options):
        brand = None
        if options["brand"]:
            brand = Brand.objects.filter(slug=options["brand"]).first()
            if brand is None:
                raise CommandError(f"no brand with slug {options['brand']!r}")
        try:
            results = reembed_documents(brand)
        except (GuidelineError, EmbeddingError) as exc:
            raise CommandError(str(exc)) from exc
        for result in results:
            doc = result.document
            self.stdout.write(f"{doc.brand.slug}/{doc.source_name}: {result.chunk_count} "
                              f"chunks re-embedded ({embeddings.space()})")
        if not results:
            self.stdout.write(f"every document is already embedded with {embeddings.space()}")
