from django.contrib.auth import authenticate
from django.core.management import call_command
from django.test import RequestFactory

from brandguard.models import Brand, BrandPolicy
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
