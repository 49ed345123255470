"""The versions behind cached searches, their invalidation, and the airport look-up caches.

Each (origin, destination, local departure day) has a version number. A cached search's keys
(flights.search.search_keys) include the versions of every route-day it covers, so a flight
change bumps one number and every cached result that could show that flight is bypassed at
once: no scan, no delete.

Redis is an optimisation here (booking_site/lib/cache.py): when it is down or slow (short
socket timeouts), searches are answered from PostgreSQL and flight changes go through; the
failure is logged, never raised. The versions are plain counters (`counters_get`,
`counters_incr`), so reading them tells an outage from a miss: a search that cannot read
them caches nothing, and pays for one failed round trip, not one per cache tier.
"""

import hashlib
from datetime import date
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.cache import cache
from django.db import transaction

from booking_site.lib.cache import ProcessMemo, counters_get, counters_incr, get_or_compute

from .models import Airport, Flight, fold
from .places import airport_suggestions, airports_matching

# A version outlives every result cached under it, so an expired version can never bring a
# stale page back.
VERSION_TIMEOUT = 24 * 3600


def _version_key(origin_id: int, destination_id: int, day: date) -> str:
    return f"search-version:{origin_id}:{destination_id}:{day.isoformat()}"


def route_day_versions(route_days: list[tuple[int, int, date]]) -> list[int] | None:
    """The version of each (origin id, destination id, local day), in one round trip; None
    when Redis cannot be reached (then nothing may be cached: flights.search)."""
    keys = [_version_key(*route_day) for route_day in route_days]
    found = counters_get(keys)
    return None if found is None else [found[key] for key in keys]


def _network_key(origin_id: int | None) -> str:
    return f"network-version:{'all' if origin_id is None else origin_id}"


def network_versions(origin_ids: list[int]) -> tuple[int, list[int]] | None:
    """The version of the whole network and of each origin's routes (flights.discovery's route
    lists), in one round trip; None when Redis cannot be reached. Every route-day bump
    (search_cache_invalidate_route_days) bumps these too."""
    keys = [_network_key(None), *(_network_key(origin_id) for origin_id in origin_ids)]
    found = counters_get(keys)
    return None if found is None else (found[keys[0]], [found[key] for key in keys[1:]])


def _airports_key(text: str) -> str:
    return "airports:" + hashlib.sha256(text.strip().lower().encode()).hexdigest()


# Which airports a place means changes only when airports are loaded again: each process keeps
# an answer for a minute, and a search then skips this round trip to Redis.
_airports_memo = ProcessMemo(seconds=60)


def cached_airports_matching(texts: list[str]) -> dict[str, list[Airport]]:
    """airports_matching() for each text, through this process's memo, then the cache in one
    round trip. Only matches are cached (an airport loaded later is found at once); like the
    suggestions, a match may be up to SUGGEST_CACHE_SECONDS old after `load_airports` changes
    an airport."""
    keys = {text: _airports_key(text) for text in texts}
    remembered = {text: _airports_memo.get(key) for text, key in keys.items()}
    if all(airports is not None for airports in remembered.values()):
        return remembered
    found = cache.get_many(list(set(keys.values())))
    answers, missing = {}, {}
    for text, key in keys.items():
        airports = found.get(key)
        if airports is None:
            airports = airports_matching(text)
            if airports:
                missing[key] = airports
        answers[text] = airports
        if airports:
            _airports_memo.set(key, airports)
    if missing:
        cache.set_many(missing, settings.SUGGEST_CACHE_SECONDS)
    return answers


def cached_airport_suggestions(text: str, *, origin: str = "") -> list[dict]:
    """Autosuggest answers, cached by what was typed and, for To, by the airports From means
    (`origin` as typed; ignored when it names no airport): their destinations come first.
    Airports change only when reloaded, routes rarely: an answer may be SUGGEST_CACHE_SECONDS old."""
    origins = cached_airports_matching([origin])[origin] if fold(origin) else []
    ids = ",".join(str(airport.pk) for airport in origins)
    key = "suggest:" + hashlib.sha256(f"{fold(text)}|{ids}".encode()).hexdigest()
    return get_or_compute(key, lambda: airport_suggestions(text, origins=origins), settings.SUGGEST_CACHE_SECONDS)


def search_cache_invalidate(flight: Flight) -> None:
    """After the current transaction commits, drop cached searches that could show `flight`
    (its route on its local departure day). After commit, so no reader re-caches old rows."""
    day = flight.departs_at.astimezone(ZoneInfo(flight.origin.tz)).date()
    route_day = (flight.origin_id, flight.destination_id, day)
    transaction.on_commit(lambda: search_cache_invalidate_route_days({route_day}))


def search_cache_invalidate_route_days(route_days: set[tuple[int, int, date]]) -> None:
    """What `search_cache_invalidate` does for one flight, for many (origin id, destination id,
    local day) route-days at once (a schedule import): each version incremented, in pipelined
    round trips of 1,000 route-days, with the network's and each origin's version (the route
    lists). Call it after commit. Redis down: logged, not raised."""
    keys = [_version_key(*route_day) for route_day in route_days]
    origins = sorted({origin_id for origin_id, _, _ in route_days})
    if keys:
        keys += [_network_key(None), *(_network_key(origin_id) for origin_id in origins)]
    counters_incr(keys, timeout=VERSION_TIMEOUT)
