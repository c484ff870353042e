from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from studio import embedded_db


class Command(BaseCommand):
    help = "Start, stop or inspect the embedded PostgreSQL (only when DATABASE_URL is unset)."

    def add_arguments(self, parser):
        parser.add_argument("action", choices=["start", "stop", "status"])

    def handle(self, *args, action: str, **options):
        if not settings.EMBEDDED_DB:
            raise CommandError("DATABASE_URL is set: the embedded PostgreSQL is not in use.")
        pgdata = settings.PGDATA
        if action == "start":
            db = embedded_db.ensure_running(pgdata)
            self.stdout.write(f"embedded PostgreSQL running in {pgdata} (socket {db['HOST']})")
        elif action == "stop":
            was = embedded_db.stop(pgdata)
            self.stdout.write("stopped" if was else "not running")
        else:
            running = embedded_db.is_running(pgdata)
            self.stdout.write(f"{'running' if running else 'stopped'}: {pgdata}")
