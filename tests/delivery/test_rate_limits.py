"""API rate limits per key: a token bucket, a typed 429 with Retry-After, limits per key,
in PostgreSQL by default and in Redis when configured."""

from __future__ import annotations

import json
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection

from delivery.models import ApiKey, ApiRateBucket
from delivery.services.ratelimits import authenticate, take_token
from tests.factories import make_api_key

EVENTS = "/api/v1/events"


def post_event(client, key):
    body = {"event_id": f"e-{uuid.uuid4()}", "phone": "+12125550123", "type": "clicked"}
    return client.post(EVENTS, json.dumps(body), content_type="application/json",
                       headers={"Authorization": f"Bearer {key}"})


@pytest.fixture
def limited_key(pool_brand):
    plain = make_api_key(pool_brand)
    ApiKey.objects.filter(brand=pool_brand).update(rate_limit_per_minute=3)
    return plain


def test_a_key_over_its_limit_gets_a_typed_429_with_retry_after(client, limited_key):
    answers = [post_event(client, limited_key) for _ in range(4)]
    assert [a.status_code for a in answers[:3]] == [202, 202, 202]
    refused = answers[3]
    assert refused.status_code == 429
    assert refused.json() == {"error": {
        "code": "rate_limited", "field": None,
        "message": "this API key may make 3 requests a minute; retry in 20 s"}}
    assert refused["Retry-After"] == "20" and refused["RateLimit-Limit"] == "3"


def test_limits_are_per_key(client, pool_brand, limited_key):
    other = make_api_key(pool_brand)  # no limit of its own: the generous default
    for _ in range(4):
        post_event(client, limited_key)
    assert post_event(client, other).status_code == 202
    assert post_event(client, limited_key).status_code == 429


def test_the_bucket_refills_with_time(client, limited_key):
    for _ in range(3):
        post_event(client, limited_key)
    assert post_event(client, limited_key).status_code == 429
    with connection.cursor() as cursor:  # 21 s pass: one token (3 a minute) is back
        cursor.execute("UPDATE delivery_apiratebucket "
                       "SET refilled_at = refilled_at - interval '21 seconds'")
    assert post_event(client, limited_key).status_code == 202
    assert post_event(client, limited_key).status_code == 429


def test_an_unknown_key_is_401_and_touches_no_bucket(client, pool_brand):
    assert post_event(client, "not-a-key").status_code == 401
    assert not ApiRateBucket.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_concurrent_requests_never_overspend_a_bucket(pool_brand):
    make_api_key(pool_brand)
    key = ApiKey.objects.get(brand=pool_brand)
    ApiKey.objects.filter(pk=key.pk).update(rate_limit_per_minute=20)
    key.refresh_from_db()

    def spend(_):
        try:
            return take_token(key).allowed
        finally:
            connection.close()

    with ThreadPoolExecutor(8) as pool:
        verdicts = list(pool.map(spend, range(60)))
    assert sum(verdicts) in (20, 21)  # 20 at once, perhaps one refilled meanwhile


def test_the_bucket_table_writes_no_wal(db):
    with connection.cursor() as cursor:
        cursor.execute("SELECT relpersistence FROM pg_class WHERE relname = "
                       "'delivery_apiratebucket'")
        assert cursor.fetchone() == ("u",)


@pytest.fixture
def redis_bucket(settings):
    import redis

    url = "redis://127.0.0.1:6379/14"
    settings.API_RATE_LIMIT_REDIS_URL = url
    client = redis.Redis.from_url(url)
    for name in client.scan_iter("studio:ratelimit:*"):
        client.delete(name)
    yield client
    for name in client.scan_iter("studio:ratelimit:*"):
        client.delete(name)


def test_with_redis_configured_the_bucket_lives_in_redis(client, limited_key, redis_bucket):
    answers = [post_event(client, limited_key).status_code for _ in range(4)]
    assert answers == [202, 202, 202, 429]
    key = ApiKey.objects.get(rate_limit_per_minute=3)
    assert redis_bucket.exists(f"studio:ratelimit:apikey:{key.pk}")
    assert not ApiRateBucket.objects.exists()


def test_an_unreachable_redis_lets_requests_through(client, limited_key, settings):
    settings.API_RATE_LIMIT_REDIS_URL = "redis://127.0.0.1:1/0"
    assert all(post_event(client, limited_key).status_code == 202 for _ in range(5))


def test_authenticating_takes_the_same_tokens_as_take_token(pool_brand, limited_key):
    """The API's one-statement read and take keeps take_token's bucket: the key's own
    limit, the burst, the refusal with its wait, and the shared row."""
    key = ApiKey.objects.get(rate_limit_per_minute=3)
    verdicts = [authenticate(limited_key).verdict for _ in range(2)]
    verdicts.append(take_token(key))
    verdicts.append(authenticate(limited_key).verdict)
    assert [(v.allowed, v.limit, v.remaining, v.retry_after) for v in verdicts] == [
        (True, 3, 2, 0), (True, 3, 1, 0), (True, 3, 0, 0), (False, 3, 0, 20)]
    assert ApiRateBucket.objects.get().allowed is False


def test_a_key_without_a_limit_of_its_own_gets_the_setting(pool_brand, settings):
    settings.API_RATE_LIMIT_PER_MINUTE = 2
    plain = make_api_key(pool_brand)
    assert [authenticate(plain).verdict.allowed for _ in range(3)] == [True, True, False]


def test_a_revoked_key_authenticates_as_nobody_and_spends_nothing(pool_brand):
    plain = make_api_key(pool_brand)
    ApiKey.objects.filter(brand=pool_brand).update(revoked_at="2026-01-01T00:00:00Z")
    assert authenticate(plain) is None
    assert not ApiRateBucket.objects.exists()


def test_the_contacts_api_documents_its_429(client):
    spec = client.get("/api/openapi.json").json()
    contact_ops = [op for path, ops in spec["paths"].items() if path.startswith("/api/v1/contacts")
                   for op in ops.values()]
    assert contact_ops and all("429" in op["responses"] for op in contact_ops)
