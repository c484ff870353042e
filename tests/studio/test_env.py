import pytest
from django.core.exceptions import ImproperlyConfigured

from studio.env import env_bool, env_choice, env_int, parse_database_url


def test_database_url_is_parsed_into_django_settings():
    db = parse_database_url("DATABASE_URL", "postgresql://app:s%40cret@db.internal:6543/studio?sslmode=require")
    assert db["NAME"] == "studio" and db["USER"] == "app" and db["PASSWORD"] == "s@cret"
    assert db["HOST"] == "db.internal" and db["PORT"] == "6543"
    assert db["OPTIONS"] == {"sslmode": "require"}


def test_a_socket_host_in_the_query_string_is_honoured():
    db = parse_database_url("DATABASE_URL", "postgresql://postgres@/studio?host=/tmp/pg")
    assert db["HOST"] == "/tmp/pg"


@pytest.mark.parametrize("url", ["sqlite:///db.sqlite3", "postgresql://host/", "postgresql://h:notaport/db"])
def test_bad_database_urls_are_refused(url):
    with pytest.raises(ImproperlyConfigured, match="DATABASE_URL"):
        parse_database_url("DATABASE_URL", url)


def test_typed_readers_reject_garbage(monkeypatch):
    monkeypatch.setenv("X_BOOL", "maybe")
    monkeypatch.setenv("X_INT", "ten")
    monkeypatch.setenv("X_CHOICE", "purple")
    with pytest.raises(ImproperlyConfigured, match="X_BOOL"):
        env_bool("X_BOOL")
    with pytest.raises(ImproperlyConfigured, match="X_INT"):
        env_int("X_INT", 1)
    with pytest.raises(ImproperlyConfigured, match="X_CHOICE"):
        env_choice("X_CHOICE", ("red", "blue"), "red")
