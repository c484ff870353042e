"""manage.py create_api_key --brand <slug> [--name <name>]: print a new key, once."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from brandguard.models import Brand
from delivery.services import create_api_key


class Command(BaseCommand):
    help = "Create an API key for a brand and print it. Only its hash is stored."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--brand", required=True, help="brand slug")
        parser.add_argument("--name", default="default", help="a label to tell keys apart")

    def handle(self, *args, brand: str, name: str, **options) -> None:
        found = Brand.objects.filter(slug=brand).first()
        if found is None:
            raise CommandError(f"no brand with slug {brand!r}")
        key, plain = create_api_key(found, name=name)
        self.stderr.write(f"API key {key.name!r} ({key.prefix}) for {found.name}. "
                          "Store it now: it is not shown again.")
        self.stdout.write(plain)
