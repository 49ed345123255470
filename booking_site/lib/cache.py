"""The cache: Redis through django-redis, an optimisation that may fail.

How it is set up (`CACHES` in settings.py):

- "default" ignores Redis errors (django-redis `IGNORE_EXCEPTIONS`): with Redis down or slow
  (short socket timeouts) a read is a miss and a write is dropped, and django-redis logs it.
  Pages are then answered from PostgreSQL; no caller needs a try/except.
- "ratelimit" is the same Redis without that: django-ratelimit's counters raise
  `redis.exceptions.RedisError`, so a rate-limited view decides what an outage means (manage
  booking refuses, a password reset goes through) instead of reading a failed count as
  "limited".
- django-redis keeps one client per cache and one connection pool per Redis URL and process:
  no client or connection is built per call, and both aliases share the pool.

For what a cache call cannot say (many counters in one round trip, told apart from an
outage), `counters_get` and `counters_incr` use django-redis's own client
(`get_redis_connection`) under the very keys the cache uses.
"""

import logging
import time
from collections.abc import Callable, Iterable
from typing import Any

from django.core.cache import caches
from django_redis import get_redis_connection
from redis.exceptions import RedisError

logger = logging.getLogger(__name__)

PIPELINE_KEYS = 1000  # counters per round trip in counters_incr


def cache_key(key: str, *, alias: str = "default") -> str:
    """The Redis key under which the cache `alias` stores `key` (prefix and version added)."""
    return caches[alias].make_and_validate_key(key)


def get_or_compute(key: str, compute: Callable[[], Any], timeout: int, *, alias: str = "default") -> Any:
    """The cached value of `key`, else `compute()`, stored for `timeout` seconds. Two round
    trips on a miss (Django's `get_or_set` takes three); with Redis down, `compute()`."""
    cache = caches[alias]
    value = cache.get(key)
    if value is None:
        value = compute()
        cache.set(key, value, timeout)
    return value


def counters_get(keys: list[str], *, alias: str = "default") -> dict[str, int] | None:
    """The integer counters `keys` (0 for one never counted) in one round trip, or None when
    Redis cannot be reached: unlike a cache read, an outage is told apart from a miss, so a
    caller can leave the cache alone for the rest of its work."""
    try:
        values = get_redis_connection(alias).mget([cache_key(key, alias=alias) for key in keys])
    except RedisError:
        logger.warning("Cache unavailable: %s counters not read", len(keys), exc_info=True)
        return None
    return {key: int(value or 0) for key, value in zip(keys, values, strict=True)}


def counters_incr(keys: Iterable[str], *, timeout: int, alias: str = "default") -> bool:
    """Add one to each counter (one never counted starts at 0) and keep it `timeout` seconds
    from now. Pipelined, PIPELINE_KEYS counters per round trip. False (and logged) when
    Redis cannot be reached. The cache reads a counter as an int (`cache.get`)."""
    redis_keys = [cache_key(key, alias=alias) for key in keys]
    try:
        client = get_redis_connection(alias)
        for start in range(0, len(redis_keys), PIPELINE_KEYS):
            pipeline = client.pipeline(transaction=False)
            for key in redis_keys[start : start + PIPELINE_KEYS]:
                pipeline.incr(key)
                pipeline.expire(key, timeout)
            pipeline.execute()
    except RedisError:
        logger.warning("Cache unavailable: %s counters not incremented", len(redis_keys), exc_info=True)
        return False
    return True


class ProcessMemo:
    """A few seconds of memory in this process, in front of Redis, for answers that change
    only when an operator reloads data (which airports a typed place means): a hit saves the
    Redis round trip, on every search. Keyed by the cache's full key, so a change of
    KEY_PREFIX (another site, a test) never sees another's entries. Bounded: when full, it
    starts afresh. Each process may serve an answer up to `seconds` older than Redis's."""

    def __init__(self, *, seconds: float, size: int = 4096):
        self.seconds, self.size = seconds, size
        self._entries: dict[str, tuple[float, Any]] = {}

    def get(self, key: str, *, alias: str = "default") -> Any:
        entry = self._entries.get(cache_key(key, alias=alias))
        if entry is None or entry[0] < time.monotonic():
            return None
        return entry[1]

    def set(self, key: str, value: Any, *, alias: str = "default") -> None:
        if len(self._entries) >= self.size:
            self._entries = {}
        self._entries[cache_key(key, alias=alias)] = (time.monotonic() + self.seconds, value)
