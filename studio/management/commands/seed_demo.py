from django.core.management.base import BaseCommand

from studio.demo import seed_demo


class Command(BaseCommand):
    help = "Create (or refresh) the demo brand Summit Outfitters with one user per role."

    def handle(self, *args, **options):
        brand, users = seed_demo()
        self.stdout.write(f"Demo brand: {brand.name} ({brand.slug})")
        for demo in users:
            roles = ", ".join(str(r.label) if hasattr(r, "label") else r for r in demo.roles)
            self.stdout.write(f"  {demo.username:<8} password {demo.password:<22} {roles}")
