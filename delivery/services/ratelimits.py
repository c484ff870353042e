"""API rate limits: a token bucket per API key, one statement per request.

A key may make `rate_limit_per_minute` requests a minute (its own field, else the
API_RATE_LIMIT_PER_MINUTE setting), refilled continuously, with bursts up to a minute's
worth. The bucket lives in PostgreSQL by default (an UNLOGGED table: no disk flush per
request) or in Redis when API_RATE_LIMIT_REDIS_URL is set; either way taking a token is one
round trip, atomic under any number of concurrent workers.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass
from functools import cache

from django.conf import settings
from django.db import connection

from delivery.models import ApiKey

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class RateVerdict:
    allowed: bool
    limit: int  # requests per minute
    remaining: int
    retry_after: int  # seconds until one request is allowed again (0 when allowed)


# Refill since the last request, capped at capacity; take one token only if one is there.
# `allowed` records this request's verdict so RETURNING can tell a spent token from a
# refused request (both may leave between 0 and 1 token).
_TAKE_SQL = """
INSERT INTO delivery_apiratebucket AS b (api_key_id, tokens, refilled_at, allowed)
VALUES (%(key)s, %(capacity)s - 1, clock_timestamp(), true)
ON CONFLICT (api_key_id) DO UPDATE SET
    tokens = LEAST(%(capacity)s, b.tokens + %(per_second)s
                   * EXTRACT(EPOCH FROM clock_timestamp() - b.refilled_at))
             - CASE WHEN LEAST(%(capacity)s, b.tokens + %(per_second)s
                        * EXTRACT(EPOCH FROM clock_timestamp() - b.refilled_at)) >= 1
                    THEN 1 ELSE 0 END,
    refilled_at = clock_timestamp(),
    allowed = LEAST(%(capacity)s, b.tokens + %(per_second)s
                    * EXTRACT(EPOCH FROM clock_timestamp() - b.refilled_at)) >= 1
RETURNING tokens, allowed"""

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


def take_token(key: ApiKey) -> RateVerdict:
    """Spend one of the key's tokens, or say how long until one is there."""
    limit = limit_for(key)
    per_second = limit / 60.0
    if settings.API_RATE_LIMIT_REDIS_URL:
        allowed, tokens = _take_redis(settings.API_RATE_LIMIT_REDIS_URL, key.pk,
                                      float(limit), per_second)
    else:
        with connection.cursor() as cursor:
            cursor.execute(_TAKE_SQL, {"key": key.pk, "capacity": float(limit),
                                       "per_second": per_second})
            tokens, allowed = cursor.fetchone()
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
