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


def test_the_demo_simulation_sends_only_reviewed_copy(db, capsys):
    """Every approved text in the demo brand, the journeys' pools included, was written by
    one person, passed the checks and was approved by another: the kept simulation never
    leaves the simulator's unreviewed filler copy behind."""
    from copygen.models import Variant
    from delivery import journeys
    from studio.demo_journeys import JOURNEY_COPY

    assert set(JOURNEY_COPY) == set(journeys.DEFAULT_RULES)
    call_command("seed_demo", "--no-guidelines")
    brand = Brand.objects.get(slug="summit-outfitters")
    approved = Variant.objects.filter(brand=brand, status="approved", is_current=True)
    assert {v.intent for v in approved} >= set(journeys.DEFAULT_RULES)
    for variant in approved.select_related("author", "approved_by"):
        assert variant.author is not None and variant.approved_by is not None
        assert variant.author != variant.approved_by and variant.guard_report["passed"]
    sent = Send.objects.filter(brand=brand, sent_at__isnull=False)
    assert sent.exists() and not sent.filter(decision__variant__author__isnull=True).exists()
