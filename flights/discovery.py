"""Discovery: where the airline flies, where one can fly from a place, and a month of fares.

The pages' data, cached in Redis the way the search caches its own (flights/search.py):
under keys that embed version counters (flights/search_cache.py), so a flight change makes
every answer that could show it unreachable at once, and for SEARCH_CACHE_SECONDS at most
otherwise (seats sold, flights departing). With Redis down, each answer comes from PostgreSQL.

- `network_routes`: every route served in the next DISCOVERY_DAYS days. Its page caches what
  it renders from them (the largest part of its cost) under `network_key()`, the network's
  version (any flight change anywhere bumps it).
- `destinations_from`: the routes from some origin airports (a city), from a local day on,
  for a party; keyed by those origins' versions.
- `fare_month`: the lowest fare on each day of a month on one route (a city pair), for a
  party; keyed by the version of each route-day in the month, as the fare strip is.
"""

import calendar
from collections.abc import Sequence
from datetime import date, datetime, timedelta
from decimal import Decimal

from django.conf import settings
from django.utils import timezone

from booking_site.lib.cache import get_or_compute

from .models import Airport
from .search import _hash
from .search_cache import network_versions, route_day_versions
from .selectors import SearchQuery, local_day_range, lowest_prices_between
from .selectors_discovery import OriginRoutes, routes_served

DISCOVERY_DAYS = 60  # route lists cover departures this many days ahead


def network_key() -> str | None:
    """A cache key for what is made of `network_routes()`, which changes with any flight (None
    while Redis cannot be reached: cache nothing)."""
    versions = network_versions([])
    return None if versions is None else "discovery:network:" + _hash(versions[0], DISCOVERY_DAYS)


def network_routes(*, now: datetime | None = None) -> list[OriginRoutes]:
    """Every route with a bookable flight from now to DISCOVERY_DAYS days ahead, grouped by
    origin (flights.selectors_discovery.routes_served). Not cached here: see `network_key`."""
    now = now or timezone.now()
    return routes_served(range_from=now, range_to=now + timedelta(days=DISCOVERY_DAYS))


def cached(key: str | None, compute):
    """`compute()`, cached under `key` for SEARCH_CACHE_SECONDS (not at all when `key` is None)."""
    return compute() if key is None else get_or_compute(key, compute, settings.SEARCH_CACHE_SECONDS)


def destinations_from(
    *, origins: Sequence[Airport], first_day: date, passengers: int = 1, now: datetime | None = None
) -> list[OriginRoutes]:
    """The routes from `origins` with a flight bookable for `passengers` on the DISCOVERY_DAYS
    local days from `first_day` (at the first origin, as a search's day is), from now on."""
    zone = origins[0].zone
    range_from, _ = local_day_range(first_day, zone)
    range_to, _ = local_day_range(first_day + timedelta(days=DISCOVERY_DAYS), zone)
    range_from = max(range_from, now or timezone.now())
    ids = sorted(airport.pk for airport in origins)
    versions = network_versions(ids)
    key = (
        None if versions is None else "discovery:from:" + _hash(ids, versions[1], first_day, passengers, DISCOVERY_DAYS)
    )
    return cached(
        key,
        lambda: routes_served(range_from=range_from, range_to=range_to, origins=origins, passengers=passengers),
    )


def month_days(month: date) -> list[date]:
    """Every day of `month`'s calendar month."""
    return [month.replace(day=day) for day in range(1, calendar.monthrange(month.year, month.month)[1] + 1)]


def fare_month(
    *,
    origins: Sequence[Airport],
    destinations: Sequence[Airport],
    month: date,
    passengers: int = 1,
    now: datetime | None = None,
) -> dict[date, Decimal]:
    """The lowest fare bookable for `passengers` on each local day (at the first origin) of
    `month`'s calendar month, from today on; days with no such flight are absent."""
    now = now or timezone.now()
    local_today = now.astimezone(origins[0].zone).date()
    days = [day for day in month_days(month) if day >= local_today]
    if not days:
        return {}
    query = SearchQuery(
        origins=tuple(sorted(airport.pk for airport in origins)),
        destinations=tuple(sorted(airport.pk for airport in destinations)),
        day=days[0],
        passengers=passengers,
    )
    versions = route_day_versions(
        [(origin, destination, day) for day in days for origin in query.origins for destination in query.destinations]
    )
    key = (
        None
        if versions is None
        else "discovery:month:" + _hash(query.origins, query.destinations, days[0], days[-1], passengers, *versions)
    )
    return cached(
        key,
        lambda: lowest_prices_between(query=query, origin_zone=origins[0].zone, first=days[0], last=days[-1], now=now),
    )
