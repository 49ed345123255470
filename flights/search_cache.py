"""Search results in Redis under versioned keys.

Each (origin, destination, local departure day) has a version number. A result page's key
includes the versions of every route-day it covers, so a flight change bumps one number and
every cached page that could show that flight is bypassed at once: no scan, no delete.

Redis is an optimisation here (booking_site/lib/cache.py): when it is down or slow (short
socket timeouts), searches are answered from PostgreSQL and flight changes go through; the
failure is logged, never raised. The versions are plain counters (`counters_get`,
`counters_incr`), so reading them tells an outage from a miss: a search that cannot read
them caches nothing, and pays for one failed round trip, not one per cache tier.
"""

import hashlib
from dataclasses import dataclass
from datetime import timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.cache import cache
from django.db import transaction

from booking_site.lib.cache import counters_get, counters_incr, get_or_compute

from .models import Airport, Flight, fold
from .selectors import SearchQuery, airport_suggestions, airports_matching

# A version outlives every result cached under it, so an expired version can never bring a
# stale page back.
VERSION_TIMEOUT = 24 * 3600


def _version_key(origin_id: int, destination_id: int, day) -> str:
    return f"search-version:{origin_id}:{destination_id}:{day.isoformat()}"


FLEXIBLE_DAYS = 3  # the fare strip shows this many days either side of the searched day


@dataclass(frozen=True)
class SearchKeys:
    """Cache keys for one search. Each embeds the versions of the route-days it depends on,
    so a flight change makes them unreachable at once."""

    whole_day: str  # the day's bookable flights (every window, sort and filter served from it)
    fares: str  # the lowest fare on each day of the strip
    page: str  # the rendered results, for exactly these parameters


def _hash(*parts: object) -> str:
    return hashlib.sha256("|".join(map(str, parts)).encode()).hexdigest()


def search_keys(query: SearchQuery, *, limit: int, params: str) -> SearchKeys | None:
    """The keys of a search and its results page (`params`: the page's canonical query string).
    One Redis round trip fetches the versions of every route-day of the fare strip. None when
    Redis is unavailable: the caller answers from PostgreSQL."""
    routes = [(o, d) for o in sorted(query.origins) for d in sorted(query.destinations)]
    days = [query.day + timedelta(days=offset) for offset in range(-FLEXIBLE_DAYS, FLEXIBLE_DAYS + 1)]
    keys = [_version_key(o, d, day) for day in days for o, d in routes]
    found = counters_get(keys)
    if found is None:
        return None
    versions = [str(found[key]) for key in keys]
    route = (tuple(sorted(query.origins)), tuple(sorted(query.destinations)))
    per_day = len(routes)
    day_versions = versions[FLEXIBLE_DAYS * per_day : (FLEXIBLE_DAYS + 1) * per_day]
    whole_day = "search:day:" + _hash(*route, query.day, query.passengers, limit, *day_versions)
    fares = "search:fares:" + _hash(*route, query.day, query.passengers, *versions)
    return SearchKeys(whole_day=whole_day, fares=fares, page="search:page:" + _hash(whole_day, fares, params))


def _airports_key(text: str) -> str:
    return "airports:" + _hash(text.strip().lower())


def cached_airports_matching(texts: list[str]) -> dict[str, list[Airport]]:
    """airports_matching() for each text, through the cache in one round trip. Only matches
    are cached (an airport loaded later is found at once); like the suggestions, a match may
    be up to SUGGEST_CACHE_SECONDS old after `load_airports` changes an airport."""
    keys = {text: _airports_key(text) for text in texts}
    found = cache.get_many(list(set(keys.values())))
    answers, missing = {}, {}
    for text, key in keys.items():
        airports = found.get(key)
        if airports is None:
            airports = airports_matching(text)
            if airports:
                missing[key] = airports
        answers[text] = airports
    if missing:
        cache.set_many(missing, settings.SUGGEST_CACHE_SECONDS)
    return answers


def cached_airport_suggestions(text: str) -> list[dict]:
    """Autosuggest answers, cached by what was typed (airports change only when reloaded)."""
    key = "suggest:" + hashlib.sha256(fold(text).encode()).hexdigest()
    return get_or_compute(key, lambda: airport_suggestions(text), settings.SUGGEST_CACHE_SECONDS)


def search_cache_invalidate(flight: Flight) -> None:
    """After the current transaction commits, drop cached searches that could show `flight`
    (its route on its local departure day). After commit, so no reader re-caches old rows."""
    day = flight.departs_at.astimezone(ZoneInfo(flight.origin.tz)).date()
    route_day = (flight.origin_id, flight.destination_id, day)
    transaction.on_commit(lambda: search_cache_invalidate_route_days({route_day}))


def search_cache_invalidate_route_days(route_days: set[tuple[int, int, object]]) -> None:
    """What `search_cache_invalidate` does for one flight, for many (origin id, destination id,
    local day) route-days at once (a schedule import): each version incremented, in pipelined
    round trips of 1,000 route-days. Call it after commit. Redis down: logged, not raised."""
    counters_incr([_version_key(*route_day) for route_day in route_days], timeout=VERSION_TIMEOUT)
