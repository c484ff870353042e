"""API rate limits: a token bucket per API key, one statement per request.

A key may make `rate_limit_per_minute` requests a minute (its own field, else the
API_RATE_LIMIT_PER_MINUTE setting), refilled continuously, with bursts up to a minute's
worth. The bucket lives in PostgreSQL by default (an UNLOGGED table: no disk flush per
request) or in Redis when API_RATE_LIMIT_REDIS_URL is set; either way taking a token is one
round trip, atomic under any number of concurrent workers. In PostgreSQL it is the same
round trip that reads the API key (authenticate).
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass
from functools import cache

from django.conf import settings
from django.db import connection

from delivery.models import ApiKey
from delivery.selectors import (
    KEY_COLUMNS,
    KEY_FROM,
    KEY_WHERE,
    active_api_key,
    hash_api_key,
    key_from_row,
)

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class RateVerdict:
    allowed: bool
    limit: int  # requests per minute
    remaining: int
    retry_after: int  # seconds until one request is allowed again (0 when allowed)


# Refill since the last request, capped at capacity; take one token only if one is there.
# `allowed` records this request's verdict so RETURNING can tell a spent token from a
# refused request (both may leave between 0 and 1 token). The row offered for insertion is
# a full bucket less this request's token, so EXCLUDED.tokens + 1 is the capacity: the
# update needs no parameter for it, and the key's own limit may come from a join.
_UPSERT_SQL = """
INSERT INTO delivery_apiratebucket AS b (api_key_id, tokens, refilled_at, allowed)
{source}
ON CONFLICT (api_key_id) DO UPDATE SET
    tokens = LEAST(EXCLUDED.tokens + 1, b.tokens + (EXCLUDED.tokens + 1) / 60
                   * EXTRACT(EPOCH FROM clock_timestamp() - b.refilled_at))
             - CASE WHEN LEAST(EXCLUDED.tokens + 1, b.tokens + (EXCLUDED.tokens + 1) / 60
                        * EXTRACT(EPOCH FROM clock_timestamp() - b.refilled_at)) >= 1
                    THEN 1 ELSE 0 END,
    refilled_at = clock_timestamp(),
    allowed = LEAST(EXCLUDED.tokens + 1, b.tokens + (EXCLUDED.tokens + 1) / 60
                    * EXTRACT(EPOCH FROM clock_timestamp() - b.refilled_at)) >= 1
RETURNING tokens, allowed"""
_TAKE_SQL = _UPSERT_SQL.format(
    source="VALUES (%(key)s, %(capacity)s::float8 - 1, clock_timestamp(), true)")
_KEY_BUCKET_SOURCE = """
SELECT k.id, COALESCE(NULLIF(k.rate_limit_per_minute, 0), %(default_limit)s)::float8 - 1,
       clock_timestamp(), true
FROM delivery_apikey k""" + KEY_WHERE
# Every API request authenticates, then takes a token: one statement does both, so the
# limiter costs no round trip of its own. The key comes back as active_api_key reads it,
# beside the bucket's verdict; an unknown or revoked key returns no row and touches no
# bucket.
_KEY_AND_TOKEN_SQL = (f"WITH taken AS ({_UPSERT_SQL.format(source=_KEY_BUCKET_SOURCE)})\n"
                      f"SELECT {KEY_COLUMNS}, taken.tokens, taken.allowed"
                      f"{KEY_FROM} CROSS JOIN taken{KEY_WHERE}")


# The same bucket in Redis, as one atomic script. KEYS[1] the bucket; ARGV capacity,
# per-second rate. TIME is Redis's own clock, so every web worker agrees on it.
_TAKE_LUA = """
local now = redis.call('TIME')
local t = tonumber(now[1]) + tonumber(now[2]) / 1000000
local capacity, rate = tonumber(ARGV[1]), tonumber(ARGV[2])
local state = redis.call('HMGET', KEYS[1], 'tokens', 'at')
local tokens = tonumber(state[1]) or capacity
local at = tonumber(state[2]) or t
tokens = math.min(capacity, tokens + (t - at) * rate)
local allowed = 0
if tokens >= 1 then tokens = tokens - 1; allowed = 1 end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'at', tostring(t))
redis.call('EXPIRE', KEYS[1], math.ceil(capacity / rate) + 60)
return {allowed, tostring(tokens)}
"""


def limit_for(key: ApiKey) -> int:
    return key.rate_limit_per_minute or settings.API_RATE_LIMIT_PER_MINUTE


@dataclass(frozen=True, slots=True)
class Authenticated:
    """An API request's key (with its brand and the brand's settings) and its token."""

    key: ApiKey
    verdict: RateVerdict


def authenticate(plain: str) -> Authenticated | None:
    """The unrevoked key named by `plain`, having spent one of its tokens (or been refused
    one); None for an unknown or revoked key, which spends nothing."""
    if not plain or len(plain) > 200:
        return None
    if settings.API_RATE_LIMIT_REDIS_URL:
        key = active_api_key(plain)
        return None if key is None else Authenticated(key, take_token(key))
    with connection.cursor() as cursor:
        cursor.execute(_KEY_AND_TOKEN_SQL, {"key_hash": hash_api_key(plain),
                                            "default_limit": settings.API_RATE_LIMIT_PER_MINUTE})
        row = cursor.fetchone()
    if row is None:
        return None
    key = key_from_row(row)
    return Authenticated(key, _verdict(limit_for(key), row[-1], row[-2]))


def take_token(key: ApiKey) -> RateVerdict:
    """Spend one of the key's tokens, or say how long until one is there."""
    limit = limit_for(key)
    if settings.API_RATE_LIMIT_REDIS_URL:
        allowed, tokens = _take_redis(settings.API_RATE_LIMIT_REDIS_URL, key.pk,
                                      float(limit), limit / 60.0)
    else:
        with connection.cursor() as cursor:
            cursor.execute(_TAKE_SQL, {"key": key.pk, "capacity": float(limit)})
            tokens, allowed = cursor.fetchone()
    return _verdict(limit, allowed, tokens)


def _verdict(limit: int, allowed: bool, tokens: float) -> RateVerdict:
    per_second = limit / 60.0
    retry_after = 0 if allowed else max(1, math.ceil((1 - tokens) / per_second))
    return RateVerdict(bool(allowed), limit, max(0, int(tokens)), retry_after)


@cache
def _redis_script(url: str):
    import redis

    client = redis.Redis.from_url(url, socket_timeout=0.5, socket_connect_timeout=0.5)
    return client.register_script(_TAKE_LUA)


def _take_redis(url: str, key_id: int, capacity: float, per_second: float
                ) -> tuple[bool, float]:
    import redis

    try:
        allowed, tokens = _redis_script(url)(keys=[f"studio:ratelimit:apikey:{key_id}"],
                                             args=[capacity, per_second])
    except redis.RedisError as exc:
        # A throttle that is down must not take the API down with it: let the request
        # through and say so loudly.
        logger.warning("rate limit store unreachable, request allowed: %s", exc)
        return True, capacity
    return bool(int(allowed)), float(tokens)
