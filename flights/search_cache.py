"""Search results in Redis under versioned keys.

Each (origin, destination, local departure day) has a version number. A result page's key
includes the versions of every route-day it covers, so a flight change bumps one number and
every cached page that could show that flight is bypassed at once: no scan, no delete.

Redis is an optimisation here: when it is down or slow (short socket timeouts), searches are
answered from PostgreSQL and flight changes go through; the failure is logged, never raised.
"""

import hashlib
import logging
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.cache import cache
from django.db import transaction

from .models import Flight, fold
from .selectors import SearchQuery, airport_suggestions, flight_search

logger = logging.getLogger(__name__)

# A version outlives every result cached under it, so an expired version can never bring a
# stale page back.
VERSION_TIMEOUT = 24 * 3600


def _version_key(origin_id: int, destination_id: int, day) -> str:
    return f"search-version:{origin_id}:{destination_id}:{day.isoformat()}"


def _versions(query: SearchQuery) -> str | None:
    keys = [_version_key(o, d, query.day) for o in sorted(query.origins) for d in sorted(query.destinations)]
    try:
        found = cache.get_many(keys)
    except Exception:
        logger.warning("Search cache unavailable; answering from the database", exc_info=True)
        return None
    return ".".join(str(found.get(key, 0)) for key in keys)


def _result_key(query: SearchQuery, versions: str, limit: int) -> str:
    raw = "|".join(
        [
            ",".join(map(str, sorted(query.origins))),
            ",".join(map(str, sorted(query.destinations))),
            query.day.isoformat(),
            query.window,
            str(query.passengers),
            str(limit),
            versions,
        ]
    )
    return "search:" + hashlib.sha256(raw.encode()).hexdigest()


def cached_flight_search(*, query: SearchQuery, origin_zone: ZoneInfo, limit: int) -> list[Flight]:
    """flight_search() through the cache. Seats left may be up to SEARCH_CACHE_SECONDS old;
    the flight page shows the live figure and booking re-checks under the lock."""
    versions = _versions(query)
    if versions is None:
        return list(flight_search(query=query, origin_zone=origin_zone)[:limit])
    key = _result_key(query, versions, limit)
    return cache_get_or_compute(
        key, lambda: list(flight_search(query=query, origin_zone=origin_zone)[:limit]), settings.SEARCH_CACHE_SECONDS
    )


def cache_get_or_compute(key: str, compute, timeout: int):
    """cache.get_or_set that answers from `compute()` when Redis is down instead of failing."""
    try:
        value = cache.get(key)
    except Exception:
        logger.warning("Cache read failed for %s", key, exc_info=True)
        return compute()
    if value is None:
        value = compute()
        try:
            cache.set(key, value, timeout)
        except Exception:
            logger.warning("Cache write failed for %s", key, exc_info=True)
    return value


def cached_airport_suggestions(text: str) -> list[dict]:
    """Autosuggest answers, cached by what was typed (airports change only when reloaded)."""
    key = "suggest:" + hashlib.sha256(fold(text).encode()).hexdigest()
    return cache_get_or_compute(key, lambda: airport_suggestions(text), settings.SUGGEST_CACHE_SECONDS)


def _bump(origin_id: int, destination_id: int, day) -> None:
    key = _version_key(origin_id, destination_id, day)
    try:
        cache.add(key, 0, VERSION_TIMEOUT)
        cache.incr(key)
        cache.touch(key, VERSION_TIMEOUT)
    except Exception:
        logger.warning("Could not invalidate cached searches for %s", key, exc_info=True)


def search_cache_invalidate(flight: Flight) -> None:
    """After the current transaction commits, drop cached searches that could show `flight`
    (its route on its local departure day). After commit, so no reader re-caches old rows."""
    day = flight.departs_at.astimezone(ZoneInfo(flight.origin.tz)).date()
    route_day = (flight.origin_id, flight.destination_id, day)
    transaction.on_commit(lambda: _bump(*route_day))
