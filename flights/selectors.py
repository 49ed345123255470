"""Reads for flights: airport look-up and search. Never writes."""

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from functools import lru_cache
from zoneinfo import ZoneInfo

from django.db import connection
from django.db.models import Case, DateField, Exists, F, Func, IntegerField, Min, OuterRef, Q, QuerySet, Value, When
from django.utils import timezone

from booking_site.lib.compiled import CompiledQuery, compile_queryset

from .models import Airport, Flight, fold

# Departure time windows, in the departure airport's local time: (start, end) half-open.
TIME_WINDOWS: dict[str, tuple[str, time, time | None]] = {
    "any": ("Any time", time(0, 0), None),
    "morning": ("Morning (05:00–12:00)", time(5, 0), time(12, 0)),
    "afternoon": ("Afternoon (12:00–18:00)", time(12, 0), time(18, 0)),
    "evening": ("Evening (18:00–24:00)", time(18, 0), None),
    "night": ("Night (00:00–05:00)", time(0, 0), time(5, 0)),
}


def airports_matching(text: str) -> list[Airport]:
    """Airports a typed origin/destination means: an IATA code, else every airport of a city.

    "LHR" is Heathrow; "London" is every airport whose city is London. Empty if none.
    """
    text = (text or "").strip()
    if not text:
        return []
    if len(text) == 3 and text.isalpha():
        airport = Airport.objects.filter(iata=text.upper()).first()
        if airport:
            return [airport]
    # One index-backed query (folded city), each airport marked if any flight serves it.
    by_city = list(
        Airport.objects.filter(city_folded=fold(text))
        .annotate(
            served=Exists(Flight.objects.filter(origin=OuterRef("pk")))
            | Exists(Flight.objects.filter(destination=OuterRef("pk")))
        )
        .order_by("iata")
    )
    if by_city:
        # A city name shared by several countries: prefer the airports with flights.
        if len({airport.country for airport in by_city}) > 1:
            return [a for a in by_city if a.served] or by_city
        return by_city
    return list(Airport.objects.filter(name__iexact=text))


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
    return Flight.objects.filter(
        status=Flight.Status.SCHEDULED,
        origin_id__in=origins,
        destination_id__in=destinations,
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


def flights_for_staff(
    *, number: str = "", day: date | None = None, origin: str = "", destination: str = ""
) -> QuerySet[Flight]:
    """The staff schedule: every flight (cancelled too), filtered; `day` is the departure's local day."""
    flights = Flight.objects.select_related("origin", "destination").order_by("departs_at", "number")
    if number:
        flights = flights.filter(number__iexact=number.strip())
    if day:
        flights = _on_local_day(flights, day)
    if origin:
        flights = flights.filter(origin__iata=origin.strip().upper())
    if destination:
        flights = flights.filter(destination__iata=destination.strip().upper())
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


@lru_cache(maxsize=64)
def _compiled_lowest_prices(origins: int, destinations: int) -> CompiledQuery:
    stand_ins = _route_stand_ins(origins, destinations)
    queryset = (
        _route_queryset(stand_ins, origins, destinations)
        .annotate(local_day=LocalDate(F("origin__tz"), F("departs_at")))
        .values("local_day")
        .annotate(lowest=Min("price"))
        .order_by()
    )
    return compile_queryset(queryset, stand_ins)


def lowest_prices_by_day(
    *, query: SearchQuery, origin_zone: ZoneInfo, days_around: int = 3, now: datetime | None = None
) -> dict[date, object]:
    """The cheapest bookable fare on each local day from `days_around` before to after the
    query's day (days with none are absent). One index-backed query over the whole range,
    compiled once (booking_site.lib.compiled)."""
    first, last = query.day - timedelta(days=days_around), query.day + timedelta(days=days_around)
    range_from, _ = local_day_range(first, origin_zone)
    _, range_to = local_day_range(last, origin_zone)
    range_from = max(range_from, now or timezone.now())
    compiled = _compiled_lowest_prices(len(query.origins), len(query.destinations))
    return dict(compiled.rows(_route_values(query, range_from, range_to)))


SUGGESTION_LIMIT = 8


def airport_suggestions(text: str, *, limit: int = SUGGESTION_LIMIT) -> list[dict]:
    """What to offer as someone types into From/To, ignoring case and accents.

    Exact IATA code first, then airports whose city starts with the text, then those whose
    name does; within each, airports with more scheduled flights first. A city with several
    airports among the matches is offered as a whole too ("London — all airports").
    """
    query = fold(text)
    if len(query) < 2:
        return []
    code = query.upper() if len(query) == 3 else ""
    airports = list(
        Airport.objects.filter(
            Q(iata=code)
            | Q(city_folded__startswith=query)
            | Q(name_folded__startswith=query)
            | Q(name_folded__contains=f" {query}")
        )
        .annotate(
            rank=Case(
                When(iata=code, then=Value(0)),
                When(city_folded__startswith=query, then=Value(1)),
                default=Value(2),
                output_field=IntegerField(),
            ),
        )
        .order_by("rank", "-scheduled_departures", "city", "iata")[:limit]
    )
    suggestions: list[dict] = []
    cities_offered: set[tuple[str, str]] = set()
    for airport in airports:
        city = (airport.city, airport.country)
        same_city = [a for a in airports if (a.city, a.country) == city]
        if airport.city and len(same_city) > 1 and city not in cities_offered:
            cities_offered.add(city)
            suggestions.append(
                {
                    "value": airport.city,
                    "label": f"{airport.city} — all airports",
                    "detail": ", ".join(a.iata for a in same_city) + f" · {airport.country}",
                    "kind": "city",
                }
            )
        suggestions.append(
            {
                "value": airport.iata,
                "label": f"{airport.city or airport.name} ({airport.iata})",
                "detail": f"{airport.name} · {airport.country}",
                "kind": "airport",
            }
        )
    return suggestions[: limit + 2]
