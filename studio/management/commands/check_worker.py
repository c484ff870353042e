from django.core.management.base import BaseCommand, CommandError

from studio.tasks import ping


class Command(BaseCommand):
    help = "Send a task through the broker and wait for a worker to answer."

    def add_arguments(self, parser):
        parser.add_argument("--timeout", type=float, default=20.0)

    def handle(self, *args, timeout: float, **options):
        try:
            answer = ping.delay("check").get(timeout=timeout)
        except Exception as exc:  # celery raises TimeoutError and broker errors alike
            raise CommandError(f"no worker answered within {timeout:.0f}s: {exc}") from exc
        self.stdout.write(f"worker answered: {answer}")
