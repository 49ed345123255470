"""What a search with no flight that day offers instead, so that it is never a dead end.

- The route has flights on other days: the nearest day with one before the searched day and
  the nearest after it (for the same party).
- It has none at all: the routes from the same origin, each with its lowest fare and first
  day (flights.discovery, the "Anywhere from" page's list).

Only asked for when nothing was hidden by filters either (then the page offers to clear them).
The results page that shows these is cached for SEARCH_CACHE_SECONDS under the searched days'
versions, so a change on a farther day may take that long to show here.
"""

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.utils import timezone

from .discovery import destinations_from
from .search import FlightSearchQuery
from .selectors import nearest_flight_days
from .selectors_discovery import RouteFare


@dataclass(frozen=True)
class SearchAlternatives:
    earlier: date | None  # the last day before the searched one with a bookable flight
    later: date | None  # the first day after it with one
    routes: tuple[RouteFare, ...]  # only when neither exists: one per destination, by city

    @property
    def route_has_flights(self) -> bool:
        return bool(self.earlier or self.later)


def search_alternatives(
    query: FlightSearchQuery, *, horizon_days: int, now: datetime | None = None
) -> SearchAlternatives:
    """The nearest days with a flight on the query's route (up to `horizon_days` from the
    origin's local today), or, when there is none, the routes from its origin."""
    now = now or timezone.now()
    zone = query.origins[0].zone
    last_day = now.astimezone(zone).date() + timedelta(days=horizon_days)
    earlier, later = nearest_flight_days(query=query.route_day, origin_zone=zone, last_day=last_day, now=now)
    if earlier or later:
        return SearchAlternatives(earlier=earlier, later=later, routes=())
    cheapest: dict[int, RouteFare] = {}  # a destination flown to from two airports of the origin city: once
    for group in destinations_from(origins=query.origins, first_day=query.day, passengers=query.passengers, now=now):
        for route in group.routes:
            known = cheapest.get(route.destination.pk)
            if known is None or (route.lowest, route.next_day) < (known.lowest, known.next_day):
                cheapest[route.destination.pk] = route
    routes = sorted(
        cheapest.values(), key=lambda r: ((r.destination.city or r.destination.name).lower(), r.destination.iata)
    )
    return SearchAlternatives(earlier=None, later=None, routes=tuple(routes))
