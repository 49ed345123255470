"""The cache (booking_site/lib/cache.py) on the real Redis, and with Redis down."""

import pytest
from django.core.cache import cache, caches
from django_redis import get_redis_connection
from redis.exceptions import RedisError

from booking_site.lib.cache import cache_key, counters_get, counters_incr, get_or_compute

DEAD_REDIS = "redis://127.0.0.1:9/0"


@pytest.fixture
def redis_down(settings):
    settings.CACHES = {alias: {**config, "LOCATION": DEAD_REDIS} for alias, config in settings.CACHES.items()}


def test_counters_start_at_zero_count_up_and_expire():
    assert counters_get(["a", "b"]) == {"a": 0, "b": 0}
    assert counters_incr(["a", "b"], timeout=60) and counters_incr(["a"], timeout=60)
    assert counters_get(["a", "b"]) == {"a": 2, "b": 1}
    assert cache.get("a") == 2  # the cache reads a counter as the int it is
    assert 0 < get_redis_connection().ttl(cache_key("a")) <= 60


def test_counters_are_incremented_across_pipeline_batches():
    keys = [f"counter-{n}" for n in range(2500)]
    assert counters_incr(keys, timeout=60)
    assert set(counters_get(keys).values()) == {1}


def test_get_or_compute_computes_once():
    calls = []

    def compute():
        calls.append(1)
        return ["computed"]

    assert get_or_compute("k", compute, 60) == ["computed"]
    assert get_or_compute("k", compute, 60) == ["computed"]
    assert len(calls) == 1


def test_with_redis_down_the_cache_misses_and_counters_say_so(redis_down):
    cache.set("k", "v")
    assert cache.get("k") is None and cache.get_many(["k"]) == {}
    assert get_or_compute("k", lambda: "computed", 60) == "computed"
    assert counters_get(["a"]) is None
    assert counters_incr(["a"], timeout=60) is False


def test_with_redis_down_the_rate_limit_cache_raises(redis_down):
    """django-ratelimit's counters must not read an outage as a count (see accounts, bookings)."""
    with pytest.raises(RedisError):
        caches["ratelimit"].add("attempts", 1, 60)
