from datetime import timedelta

from django.contrib.auth import authenticate
from django.core.management import call_command
from django.test import RequestFactory
from django.utils import timezone

from brandguard.models import Brand, BrandPolicy
from delivery.models import Event, JourneyStep, Send
from studio.demo import DEMO_USERS
from studio.models import Membership


def test_seed_demo_is_idempotent_and_every_demo_login_works(db, capsys):
    call_command("seed_demo")
    call_command("seed_demo")
    out = capsys.readouterr().out
    assert Brand.objects.filter(slug="summit-outfitters").count() == 1
    assert BrandPolicy.objects.filter(brand__slug="summit-outfitters").count() == 1
    for demo in DEMO_USERS:
        assert demo.password in out
        request = RequestFactory().post("/login/")  # django-axes judges every login by request
        user = authenticate(request, username=demo.username, password=demo.password)
        assert user is not None
        roles = set(Membership.objects.filter(user=user).values_list("role", flat=True))
        assert roles == set(demo.roles)


def test_seed_demo_simulates_shoppers_once_and_leaves_nothing_waiting(db, capsys):
    """The demo shows journeys and timelines: a short simulation is kept, once, and none of
    its made-up numbers has a step or a text still waiting for a real worker."""
    call_command("seed_demo", "--no-guidelines")
    first = capsys.readouterr().out
    call_command("seed_demo", "--no-guidelines")
    again = capsys.readouterr().out
    assert "journey steps fired" in first and "ran before" in again
    brand = Brand.objects.get(slug="summit-outfitters")
    simulated = Event.objects.filter(brand=brand, event_id__startswith="sim-")
    assert simulated.count() > 50
    assert JourneyStep.objects.filter(brand=brand, status="fired").exists()
    assert Send.objects.filter(brand=brand, sent_at__isnull=False).exists()
    assert not JourneyStep.objects.filter(brand=brand, status="pending").exists()
    assert not Send.objects.filter(brand=brand, status="pending").exists()
    assert max(simulated.values_list("occurred_at", flat=True)) > timezone.now() - timedelta(
        days=1)  # recent: the timelines read as the last few days
