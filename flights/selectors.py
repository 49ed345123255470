"""Reads for flights: search (airport look-up is flights.places). Never writes."""

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from functools import lru_cache
from zoneinfo import ZoneInfo

from django.db import connection
from django.db.models import (
    Case,
    CharField,
    DateField,
    DateTimeField,
    F,
    Func,
    Min,
    Q,
    QuerySet,
    TimeField,
    Value,
    When,
)
from django.utils import timezone

from booking_site.lib.compiled import CompiledQuery, compile_queryset

from .models import Airport, Flight

# Departure time windows, in the departure airport's local time: (start, end) half-open.
TIME_WINDOWS: dict[str, tuple[str, time, time | None]] = {
    "any": ("Any time", time(0, 0), None),
    "morning": ("Morning (05:00–12:00)", time(5, 0), time(12, 0)),
    "afternoon": ("Afternoon (12:00–18:00)", time(12, 0), time(18, 0)),
    "evening": ("Evening (18:00–24:00)", time(18, 0), None),
    "night": ("Night (00:00–05:00)", time(0, 0), time(5, 0)),
}


def local_day_range(
    day: date, zone: ZoneInfo, start: time = time(0), end: time | None = None
) -> tuple[datetime, datetime]:
    """The UTC half-open range [from, to) covering `day` between local `start` and `end`.

    `end=None` means the end of the local day (the next local midnight), so DST days are 23 or 25 h.
    """
    begin = datetime.combine(day, start, tzinfo=zone)
    finish = (
        datetime.combine(day, end, tzinfo=zone)
        if end
        else datetime.combine(day + timedelta(days=1), time(0), tzinfo=zone)
    )
    return begin.astimezone(ZoneInfo("UTC")), finish.astimezone(ZoneInfo("UTC"))


@dataclass(frozen=True)
class SearchQuery:
    origins: tuple[int, ...]
    destinations: tuple[int, ...]
    day: date
    window: str = "any"
    passengers: int = 1


def _search_range(query: SearchQuery, origin_zone: ZoneInfo, now: datetime | None) -> tuple[datetime, datetime]:
    _, start, end = TIME_WINDOWS.get(query.window, TIME_WINDOWS["any"])
    range_from, range_to = local_day_range(query.day, origin_zone, start, end)
    return max(range_from, now or timezone.now()), range_to


def _bookable(*, origins, destinations, range_from, range_to, passengers) -> QuerySet[Flight]:
    """What a passenger can book: scheduled flights departing in [range_from, range_to) with
    seats left for `passengers`, from `origins` to `destinations` (ids; None: any, as the
    route lists of flights.selectors_discovery need)."""
    flights = Flight.objects.filter(status=Flight.Status.SCHEDULED)
    if origins is not None:
        flights = flights.filter(origin_id__in=origins)
    if destinations is not None:
        flights = flights.filter(destination_id__in=destinations)
    return flights.filter(
        departs_at__gte=range_from,
        departs_at__lt=range_to,
        capacity__gte=F("seats_booked") + passengers,
    )


def flight_search(*, query: SearchQuery, origin_zone: ZoneInfo, now: datetime | None = None) -> QuerySet[Flight]:
    """Scheduled future flights on the route that depart on the query's local day and window
    and still have seats for every passenger, earliest first.

    The day is the departure airport's calendar day, queried as a UTC range on `departs_at`
    so the partial index (origin, destination, departs_at) serves it.
    """
    range_from, range_to = _search_range(query, origin_zone, now)
    return (
        _bookable(
            origins=query.origins,
            destinations=query.destinations,
            range_from=range_from,
            range_to=range_to,
            passengers=query.passengers,
        )
        .select_related("origin", "destination")
        .order_by("departs_at", "number")
    )


# Stand-ins for compiling the hot search queries once (booking_site.lib.compiled): unique values no
# real query uses.
_FROM, _TO = datetime(1901, 1, 1, tzinfo=UTC), datetime(1901, 1, 2, tzinfo=UTC)
_PASSENGERS = -999_999
FLIGHT_COLUMNS = tuple(field.attname for field in Flight._meta.concrete_fields)


def _route_stand_ins(origins: int, destinations: int) -> dict[str, object]:
    return {
        **{f"origin{i}": -1 - i for i in range(origins)},
        **{f"destination{i}": -100_001 - i for i in range(destinations)},
        "range_from": _FROM,
        "range_to": _TO,
        "passengers": _PASSENGERS,
    }


def _route_queryset(stand_ins: dict, origins: int, destinations: int) -> QuerySet[Flight]:
    return _bookable(
        origins=[stand_ins[f"origin{i}"] for i in range(origins)],
        destinations=[stand_ins[f"destination{i}"] for i in range(destinations)],
        range_from=_FROM,
        range_to=_TO,
        passengers=_PASSENGERS,
    )


def _route_values(query: SearchQuery, range_from: datetime, range_to: datetime) -> dict[str, object]:
    return {
        **{f"origin{i}": pk for i, pk in enumerate(query.origins)},
        **{f"destination{i}": pk for i, pk in enumerate(query.destinations)},
        "range_from": range_from,
        "range_to": range_to,
        "passengers": query.passengers,
    }


@lru_cache(maxsize=64)
def _compiled_search(origins: int, destinations: int, limit: int) -> CompiledQuery:
    stand_ins = _route_stand_ins(origins, destinations)
    queryset = _route_queryset(stand_ins, origins, destinations).order_by("departs_at", "number")
    return compile_queryset(queryset.values_list(*FLIGHT_COLUMNS)[:limit], stand_ins)


def bookable_flights_sql(
    *, query: SearchQuery, origin_zone: ZoneInfo, limit: int, now: datetime | None = None
) -> tuple[str, list]:
    """The SQL and parameters `bookable_flights` runs (for EXPLAIN and the benchmark)."""
    compiled = _compiled_search(len(query.origins), len(query.destinations), limit)
    return compiled.sql, compiled.bind(_route_values(query, *_search_range(query, origin_zone, now)))


def bookable_flights(
    *, query: SearchQuery, origins: list[Airport], destinations: list[Airport], limit: int, now: datetime | None = None
) -> list[Flight]:
    """`flight_search(...)[:limit]` as a list, for the results page: the same query, compiled
    once (booking_site.lib.compiled), without the airport joins: the caller has the airports already."""
    airports = {airport.pk: airport for airport in (*origins, *destinations)}
    compiled = _compiled_search(len(query.origins), len(query.destinations), limit)
    rows = compiled.rows(_route_values(query, *_search_range(query, origins[0].zone, now)))
    flights = []
    for row in rows:
        flight = Flight.from_db(connection.alias, FLIGHT_COLUMNS, row)
        flight.origin, flight.destination = airports[flight.origin_id], airports[flight.destination_id]
        flights.append(flight)
    return flights


class LocalDate(Func):
    """The local calendar date of a UTC timestamp in a per-row time zone (PostgreSQL `timezone()`)."""

    template = "(timezone(%(expressions)s))::date"
    output_field = DateField()


def _on_local_day(flights: QuerySet[Flight], day: date) -> QuerySet[Flight]:
    # Every zone lies within UTC-12..UTC+14: the UTC range narrows by index, the local date decides.
    start = datetime.combine(day, time(0), tzinfo=ZoneInfo("UTC"))
    return (
        flights.filter(departs_at__gte=start - timedelta(hours=14), departs_at__lt=start + timedelta(days=1, hours=12))
        .alias(local_day=LocalDate(F("origin__tz"), F("departs_at")))
        .filter(local_day=day)
    )


class LocalDateTime(Func):
    """A UTC timestamp on the wall clock of a per-row time zone (PostgreSQL `timezone()`): a
    timestamp without zone, which sorts as the local timetable reads."""

    template = "timezone(%(expressions)s)"
    output_field = DateTimeField()


def flights_for_staff(
    *,
    number: str = "",
    day: date | None = None,
    origin: str = "",
    destination: str = "",
    origins: Iterable[Airport] | None = None,
    destinations: Iterable[Airport] | None = None,
) -> QuerySet[Flight]:
    """The staff schedule: every flight (cancelled too), filtered, in the order of their local
    departure times (08:00 in London before 09:00 in Dubai, whichever leaves first in UTC), as
    the "Departs (local)" column reads. `day` is the departure's local day; `origin` and
    `destination` are IATA codes, `origins` and `destinations` airports (a city's, say)."""
    flights = (
        Flight.objects.select_related("origin", "destination")
        .alias(departs_local=LocalDateTime(F("origin__tz"), F("departs_at")))
        .order_by("departs_local", "number", "pk")
    )
    if number:
        flights = flights.filter(number__iexact=number.strip())
    if day:
        flights = _on_local_day(flights, day)
    if origin:
        flights = flights.filter(origin__iata=origin.strip().upper())
    if destination:
        flights = flights.filter(destination__iata=destination.strip().upper())
    if origins is not None:
        flights = flights.filter(origin__in=list(origins))
    if destinations is not None:
        flights = flights.filter(destination__in=list(destinations))
    return flights


def flights_by_number_on_local_day(*, number: str, day: date) -> list[Flight]:
    """Flights with `number` departing on `day` in their departure airport's local calendar."""
    return list(flights_for_staff(number=number, day=day))


def _epoch(moment) -> Decimal:
    return Decimal(int(moment.timestamp()))


# Each sort key ends with the flight's pk, so it is unique and can serve as a page cursor.
SORTS = {
    "departure": ("Earliest", lambda f: (_epoch(f.departs_at), f.price, Decimal(f.pk))),
    "price": ("Cheapest", lambda f: (f.price, _epoch(f.departs_at), Decimal(f.pk))),
    "duration": (
        "Fastest",
        lambda f: (_epoch(f.arrives_at) - _epoch(f.departs_at), _epoch(f.departs_at), Decimal(f.pk)),
    ),
}


def page_cursor(flight: Flight, sort: str) -> str:
    """An opaque "after this flight" marker for the next page: the flight's sort key."""
    return "~".join(str(part) for part in SORTS[sort][1](flight))


# What `page_cursor` writes: three plain decimal numbers (no exponent, NaN or Infinity, which
# Decimal would accept and then refuse to compare).
_CURSOR_PART = re.compile(r"-?[0-9]{1,20}(?:\.[0-9]{1,12})?")


def parse_cursor(cursor: str | None) -> tuple[Decimal, ...] | None:
    """The sort key in a page cursor, or None for a missing or malformed one (first page)."""
    if not cursor or len(cursor) > 100:
        return None
    parts = cursor.split("~")
    if len(parts) != 3 or not all(_CURSOR_PART.fullmatch(part) for part in parts):
        return None
    return tuple(Decimal(part) for part in parts)


def page_after(flights: list[Flight], *, sort: str, cursor: str | None, size: int) -> tuple[list[Flight], str | None]:
    """Keyset pagination over sorted results: the `size` flights after `cursor` and the cursor
    of the next page (None on the last). A malformed cursor starts from the beginning."""
    key = SORTS[sort][1]
    after = parse_cursor(cursor)
    remaining = [f for f in flights if after is None or key(f) > after]
    if after is not None and not remaining:
        remaining = flights  # a cursor past the end (stale or tampered): start again
    page = remaining[:size]
    more = len(remaining) > size
    return page, (page_cursor(page[-1], sort) if more else None)


def departs_in_window(flight: Flight, window: str) -> bool:
    """Whether the flight leaves within the time window, in its departure airport's local time."""
    _, start, end = TIME_WINDOWS.get(window, TIME_WINDOWS["any"])
    local = flight.departs_local().time()
    return start <= local and (end is None or local < end)


class LocalTime(Func):
    """The local wall-clock time of a UTC timestamp in a per-row time zone."""

    template = "(timezone(%(expressions)s))::time"
    output_field = TimeField()


def _departure_window() -> Case:
    """The TIME_WINDOWS window (other than "any") a flight leaves in, by its local time, as
    departs_in_window() judges it (the windows other than "any" cover the day once)."""
    windows = []
    for key, (_, start, end) in TIME_WINDOWS.items():
        if key != "any":
            during = Q(local_time__gte=start) if end is None else Q(local_time__gte=start, local_time__lt=end)
            windows.append(When(during, then=Value(key)))
    return Case(*windows, output_field=CharField())


@lru_cache(maxsize=64)
def _compiled_lowest_prices(origins: int, destinations: int) -> CompiledQuery:
    stand_ins = _route_stand_ins(origins, destinations)
    queryset = (
        _route_queryset(stand_ins, origins, destinations)
        .alias(local_time=LocalTime(F("origin__tz"), F("departs_at")))
        .annotate(local_day=LocalDate(F("origin__tz"), F("departs_at")), window=_departure_window())
        .values("local_day", "window")
        .annotate(lowest=Min("price"))
        .order_by()
    )
    return compile_queryset(queryset, stand_ins)


def lowest_prices_by_day_and_window(
    *, query: SearchQuery, origin_zone: ZoneInfo, first: date, last: date, now: datetime | None = None
) -> dict[date, dict[str, object]]:
    """The cheapest bookable fare in each departure window (TIME_WINDOWS but "any") of each
    local day from `first` to `last` inclusive, from now on (days and windows with none are
    absent): the fare strip, which shows the lowest in the searched window (lowest_in_window).
    One index-backed query over the whole range, compiled once (booking_site.lib.compiled)."""
    range_from, _ = local_day_range(first, origin_zone)
    _, range_to = local_day_range(last, origin_zone)
    range_from = max(range_from, now or timezone.now())
    compiled = _compiled_lowest_prices(len(query.origins), len(query.destinations))
    lowest: dict[date, dict[str, object]] = {}
    for day, window, price in compiled.rows(_route_values(query, range_from, range_to)):
        lowest.setdefault(day, {})[window] = price
    return lowest


def lowest_in_window(by_window: dict[str, object], window: str):
    """A day's lowest fare in `window` from its lowest per window; None when none."""
    if window == "any" or window not in TIME_WINDOWS:
        return min(by_window.values(), default=None)
    return by_window.get(window)


def lowest_prices_between(
    *, query: SearchQuery, origin_zone: ZoneInfo, first: date, last: date, now: datetime | None = None
) -> dict[date, object]:
    """The cheapest bookable fare on each local day from `first` to `last` inclusive, from now
    on (days with none are absent): the month fare calendar."""
    by_window = lowest_prices_by_day_and_window(query=query, origin_zone=origin_zone, first=first, last=last, now=now)
    return {day: lowest_in_window(windows, "any") for day, windows in by_window.items()}


def nearest_flight_days(
    *, query: SearchQuery, origin_zone: ZoneInfo, last_day: date, now: datetime | None = None
) -> tuple[date | None, date | None]:
    """The local days (at the first origin) of the last bookable flight before the query's day
    and of the first one after it, up to `last_day`, on the query's route for its party; None
    where there is none. Two index-backed queries of one row each."""
    day_start, day_end = local_day_range(query.day, origin_zone)
    _, horizon = local_day_range(last_day, origin_zone)
    now = now or timezone.now()

    def first(range_from: datetime, range_to: datetime, order: str) -> date | None:
        if range_from >= range_to:
            return None
        flights = _bookable(
            origins=query.origins,
            destinations=query.destinations,
            range_from=range_from,
            range_to=range_to,
            passengers=query.passengers,
        )
        moment = flights.order_by(order).values_list("departs_at", flat=True).first()
        return None if moment is None else moment.astimezone(origin_zone).date()

    return first(now, day_start, "-departs_at"), first(max(now, day_end), horizon, "departs_at")
