"""Flight search: the one function behind the results page and the API.

`search_flights(query)` takes plain values (airports already resolved from what was typed,
the departure airport's local day, a time window, passengers, a sort, a price limit, a page
cursor and size) and returns a plain `SearchResult`: the page of flights, how many match,
how many the filters hide, the next page's cursor and the fare strip. No request, template
or HTML: the view renders it, the API serialises it.

It owns the data caches, both in Redis under versioned keys (flights/search_cache.py):

- the day's bookable flights, one list per route, local day and party size, from which every
  time window, price filter, sort and page of that day is served in Python;
- the fare strip: the lowest fare in each departure window of each day from FLEXIBLE_DAYS
  before to after, so the strip shows each day's lowest in the searched window (and a day
  whose lowest there is over the query's price limit shows none, as its results would).

Both are read in one round trip and, when missed, come from the compiled queries
(flights.selectors.bookable_flights, lowest_prices_by_day_and_window). A caller that caches what it
makes from a result (the view's rendered page) asks `search_keys(query)` first and keys its
cache with `SearchKeys.page(...)`, which changes whenever the data could; passing the same
keys to `search_flights` saves reading the versions twice.
"""

import hashlib
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

from django.conf import settings
from django.core.cache import cache
from django.utils import timezone

from .models import Airport, Flight
from .search_cache import route_day_versions
from .selectors import (
    SORTS,
    TIME_WINDOWS,
    SearchQuery,
    bookable_flights,
    departs_in_window,
    lowest_in_window,
    lowest_prices_by_day_and_window,
    page_after,
)

SEARCH_RESULTS_LIMIT = 500  # flights on one route and day; far above any real timetable
SEARCH_PAGE_SIZE = 20
FLEXIBLE_DAYS = 3  # the fare strip shows this many days either side of the searched day


@dataclass(frozen=True)
class FlightSearchQuery:
    """One search, validated by the caller (a form or a serializer): `day` is the departure
    airport's local calendar day; `window` a key of TIME_WINDOWS, `sort` one of SORTS. A
    malformed or stale `cursor` gives the first page. Raises ValueError for values no
    validated input could give."""

    origins: tuple[Airport, ...]
    destinations: tuple[Airport, ...]
    day: date
    window: str = "any"
    passengers: int = 1
    sort: str = "departure"
    max_price: Decimal | None = None
    cursor: str | None = None
    page_size: int = SEARCH_PAGE_SIZE
    with_fares: bool = True  # the fare strip; without it, one route-day's data is read, not seven

    def __post_init__(self):
        if not self.origins or not self.destinations:
            raise ValueError("A search needs at least one origin and one destination airport.")
        if self.window not in TIME_WINDOWS:
            raise ValueError(f"Unknown time window {self.window!r}.")
        if self.sort not in SORTS:
            raise ValueError(f"Unknown sort {self.sort!r}.")
        if self.passengers < 1 or not 1 <= self.page_size <= SEARCH_RESULTS_LIMIT:
            raise ValueError("Passengers and page size must be positive (page size at most the results limit).")

    @property
    def route_day(self) -> SearchQuery:
        """The selectors' query for the whole day: what the cached data depends on."""
        return SearchQuery(
            origins=tuple(airport.pk for airport in self.origins),
            destinations=tuple(airport.pk for airport in self.destinations),
            day=self.day,
            passengers=self.passengers,
        )


@dataclass(frozen=True)
class DayFare:
    day: date
    lowest: Decimal | None  # None: no bookable flight that day (under the price limit)


@dataclass(frozen=True)
class SearchResult:
    flights: list[Flight]  # this page, in the query's sort order, airports attached
    total: int  # flights in the window and under the price limit, on every page
    hidden_count: int  # the day's bookable flights the window and price limit leave out
    next_cursor: str | None  # None on the last page
    fares: tuple[DayFare, ...]  # the fare strip (under the price limit), from the origin's local today on


@dataclass(frozen=True)
class SearchKeys:
    """The cache keys of one search's data. Each embeds the versions of the route-days it
    depends on, so a flight change makes them unreachable at once. Both are None while Redis
    cannot be reached: nothing is then read from or written to the cache for this search."""

    whole_day: str | None  # the day's bookable flights
    fares: str | None  # the lowest fare on each day of the strip

    @property
    def usable(self) -> bool:
        return self.whole_day is not None

    def page(self, params: str) -> str | None:
        """A key for something made from this search's results and `params` (the view's
        rendered page and its canonical query string), or None while nothing may be cached."""
        return "search:page:" + _hash(self.whole_day, self.fares, params) if self.usable else None


def _hash(*parts: object) -> str:
    return hashlib.sha256("|".join(map(str, parts)).encode()).hexdigest()


def _strip_days(day: date) -> list[date]:
    return [day + timedelta(days=offset) for offset in range(-FLEXIBLE_DAYS, FLEXIBLE_DAYS + 1)]


def search_keys(query: FlightSearchQuery) -> SearchKeys:
    """The cache keys of `query`'s data: one Redis round trip for the versions of every
    route-day of the fare strip (all origin-destination pairs, seven days)."""
    route = query.route_day
    pairs = [(o, d) for o in sorted(route.origins) for d in sorted(route.destinations)]
    days = _strip_days(route.day) if query.with_fares else [route.day]
    versions = route_day_versions([(o, d, day) for day in days for o, d in pairs])
    if versions is None:
        return SearchKeys(whole_day=None, fares=None)
    airports = (tuple(sorted(route.origins)), tuple(sorted(route.destinations)))
    searched = days.index(route.day)
    day_versions = versions[searched * len(pairs) : (searched + 1) * len(pairs)]
    whole_day = "search:day:" + _hash(*airports, route.day, route.passengers, SEARCH_RESULTS_LIMIT, *day_versions)
    if not query.with_fares:
        return SearchKeys(whole_day=whole_day, fares=None)
    fares = "search:fares-by-window:" + _hash(*airports, route.day, route.passengers, *versions)
    return SearchKeys(whole_day=whole_day, fares=fares)


def _within(lowest: Decimal | None, max_price: Decimal | None) -> Decimal | None:
    """A day's lowest fare as the price limit sees it: a day whose cheapest flight costs more
    has no flight to offer (the strip agrees with the results it links to)."""
    return lowest if lowest is None or max_price is None or lowest <= max_price else None


def search_flights(
    query: FlightSearchQuery, *, keys: SearchKeys | None = None, now: datetime | None = None
) -> SearchResult:
    """Scheduled flights on the query's route and local day with seats for every passenger,
    filtered by window and price, sorted, one page after the cursor; and the fare strip (when
    the query asks for it).

    Reads the day's flights and the fare strip from the cache (`keys`, looked up when not
    given), and caches what it had to query for SEARCH_CACHE_SECONDS. Seats left may be that
    old; booking re-checks them under the flight lock."""
    keys = keys or search_keys(query)
    route = query.route_day
    zone = query.origins[0].zone
    wanted = [key for key in (keys.whole_day, keys.fares) if key]
    found = cache.get_many(wanted) if keys.usable else {}
    whole_day = found.get(keys.whole_day)
    if whole_day is None:
        whole_day = bookable_flights(
            query=route, origins=query.origins, destinations=query.destinations, limit=SEARCH_RESULTS_LIMIT, now=now
        )
    lowest = found.get(keys.fares) if keys.fares else None
    if lowest is None and query.with_fares:
        strip = _strip_days(route.day)
        lowest = lowest_prices_by_day_and_window(query=route, origin_zone=zone, first=strip[0], last=strip[-1], now=now)
    missed = {
        key: value
        for key, value in ((keys.whole_day, whole_day), (keys.fares, lowest))
        if key and key not in found and value is not None
    }
    if keys.usable and missed:
        cache.set_many(missed, settings.SEARCH_CACHE_SECONDS)

    matching = [
        flight
        for flight in whole_day
        if departs_in_window(flight, query.window) and (query.max_price is None or flight.price <= query.max_price)
    ]
    matching.sort(key=SORTS[query.sort][1])
    page, next_cursor = page_after(matching, sort=query.sort, cursor=query.cursor, size=query.page_size)
    local_today = (now or timezone.now()).astimezone(zone).date()
    return SearchResult(
        flights=page,
        total=len(matching),
        hidden_count=len(whole_day) - len(matching),
        next_cursor=next_cursor,
        fares=tuple(
            DayFare(day, _within(lowest_in_window(lowest.get(day, {}), query.window), query.max_price))
            for day in _strip_days(query.day)
            if day >= local_today
        )
        if query.with_fares
        else (),
    )
