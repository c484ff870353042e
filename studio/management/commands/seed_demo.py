from axes.utils import reset as axes_reset
from django.core.management.base import BaseCommand

from copygen.services import seed_demo_guidelines
from studio.demo import seed_demo
from studio.demo_audience import seed_audience
from studio.demo_journeys import seed_journeys


class Command(BaseCommand):
    help = ("Create (or refresh) the demo brand Summit Outfitters with one user per role, "
            "its guardrails, guideline documents, consented demo contacts, approved copy and "
            "a short shopper simulation for its journeys.")

    def add_arguments(self, parser):
        parser.add_argument("--no-guidelines", action="store_true",
                            help="skip ingesting the demo guidelines (no embedding model load)")
        parser.add_argument("--no-simulation", action="store_true",
                            help="skip the short shopper simulation (journeys, timelines)")

    def handle(self, *args, no_guidelines: bool = False, no_simulation: bool = False,
               **options):
        brand, users = seed_demo()
        # A demo login mistyped too often stays usable: seeding again unlocks it.
        unlocked = sum(axes_reset(username=demo.username) for demo in users)
        self.stdout.write(f"Demo brand: {brand.name} ({brand.slug})")
        if unlocked:
            self.stdout.write(f"  cleared {unlocked} failed demo login attempt(s)")
        for demo in users:
            roles = ", ".join(str(r.label) if hasattr(r, "label") else r for r in demo.roles)
            self.stdout.write(f"  {demo.username:<8} password {demo.password:<22} {roles}")
        contacts, variants = seed_audience(brand)
        self.stdout.write(f"  audience: {contacts} consented demo contacts added, "
                          f"{variants} demo variants approved (casey wrote, avery approved)")
        if not no_simulation:
            self._simulate(brand)
        if no_guidelines:
            return
        for result in seed_demo_guidelines(brand):
            state = "stored" if result.changed else "unchanged"
            self.stdout.write(f"  guideline {result.document.source_name}: "
                              f"{result.chunk_count} chunks ({state})")

    def _simulate(self, brand) -> None:
        report = seed_journeys(brand)
        if report is None:
            self.stdout.write("  journeys: the demo simulation ran before (kept)")
            return
        self.stdout.write(
            f"  journeys: {report.events} shopper events simulated over the last few days, "
            f"{report.journeys_fired} journey steps fired, {report.sends} texts (console), "
            f"{report.clicks} clicks, {report.purchases} purchases")
