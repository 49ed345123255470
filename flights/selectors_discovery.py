"""Reads for discovery: which routes the airline flies, with their lowest fares. Never writes.

A route is *served* when it has at least one bookable flight in the window: scheduled (not
cancelled), departing from now on, with a seat left for every passenger of the party
(flights.selectors._bookable, the search's own definition). A route whose flights in the
window are all cancelled, sold out or gone is not listed: nobody could book it. Its lowest
fare and next day are over those bookable flights only, so the "next day" link always opens a
results page with a flight on it (when the cache is at most SEARCH_CACHE_SECONDS old).
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from django.db.models import Count, Min

from booking_site.lib.formats import local_moment

from .models import Airport
from .selectors import _bookable


@dataclass(frozen=True)
class RouteFare:
    origin: Airport
    destination: Airport
    lowest: Decimal  # the cheapest bookable fare on the route in the window
    next_day: date  # the first bookable departure's local calendar day at the origin
    flights: int  # bookable departures in the window


@dataclass(frozen=True)
class OriginRoutes:
    origin: Airport
    routes: tuple[RouteFare, ...]  # by destination city, then code

    @property
    def lowest(self) -> Decimal:
        return min(route.lowest for route in self.routes)


def _by_place(airport: Airport) -> tuple[str, str]:
    return (airport.city or airport.name).lower(), airport.iata


def routes_served(
    *,
    range_from: datetime,
    range_to: datetime,
    origins: Sequence[Airport] | None = None,
    passengers: int = 1,
) -> list[OriginRoutes]:
    """Every route with a bookable flight departing in [range_from, range_to), from `origins`
    (None: every airport), with its lowest fare, next local day and number of flights; grouped
    by origin, origins and destinations in order of city.

    Two queries whatever the number of routes: one aggregate over the flights (the departure
    range is served by an index: flight_departs_idx for the whole network, flight_search_idx
    for given origins), one for the airports not already at hand."""
    flights = _bookable(
        origins=None if origins is None else [airport.pk for airport in origins],
        destinations=None,
        range_from=range_from,
        range_to=range_to,
        passengers=passengers,
    )
    rows = list(
        flights.values_list("origin_id", "destination_id")
        .annotate(lowest=Min("price"), first=Min("departs_at"), count=Count("id"))
        .order_by()
    )
    known = {airport.pk: airport for airport in origins or ()}
    missing = {pk for row in rows for pk in row[:2]} - known.keys()
    airports = {**known, **(Airport.objects.in_bulk(missing) if missing else {})}
    by_origin: dict[int, list[RouteFare]] = {}
    for origin_id, destination_id, lowest, first, count in rows:
        origin = airports[origin_id]
        by_origin.setdefault(origin_id, []).append(
            RouteFare(
                origin=origin,
                destination=airports[destination_id],
                lowest=lowest,
                next_day=local_moment(first, origin.zone).date(),
                flights=count,
            )
        )
    groups = [
        OriginRoutes(origin=airports[origin_id], routes=tuple(sorted(routes, key=lambda r: _by_place(r.destination))))
        for origin_id, routes in by_origin.items()
    ]
    return sorted(groups, key=lambda group: _by_place(group.origin))
