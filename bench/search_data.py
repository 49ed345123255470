"""A million generated flights for the search benchmark, seeded once and kept between runs.

Real airports (the ~7,900 of `airportsdata`), 300 of them in service: well-known hubs plus
international airports drawn at random. Hubs link to their four nearest hubs and one far
one, every other airport to its two nearest hubs and, for half of them, to its nearest
neighbour: about 1,600 routes. Hub-to-hub routes fly one to three times every day, the others
once a day on four to seven days a week: about 1.2 million flights over two years, from a
year back to a year ahead. Departures are at local times at the origin; durations follow the
great-circle distance; about one flight in fifteen is sold out and one in fifty cancelled.

The rows are made by PostgreSQL itself (one INSERT ... SELECT over generate_series and a
temporary table of scheduled departures), inside every constraint of flights_flight. Their
numbers start with SEARCH_FLIGHT_PREFIX, which `reset_bench_data` keeps. A later run re-uses
them when the schedule it would generate is the same and still reaches far enough ahead.
"""

from __future__ import annotations

import hashlib
import math
import random
import time
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from string import ascii_uppercase

from .database import SEARCH_FLIGHT_PREFIX

# Among the busiest airports by passengers; the booking benchmark's eight are all here.
HUB_CODES = (
    "ATL DFW DEN ORD DXB LAX IST LHR DEL HND CDG JFK LAS AMS MIA MAD CAN PVG SFO CLT SEA PHX EWR MCO ICN FRA SIN "
    "DOH IAH BCN BOS MSP MUC PEK CTU SZX BKK KUL HKG SYD NRT MEX CGK MNL YYZ FCO GRU BOG JED RUH LGW DTW PHL SVO "
    "ZRH CPH VIE DUB LIS OSL ARN HEL BRU MAN ATH WAW PRG"
).split()
AIRPORTS_IN_SERVICE = 300
PAST_DAYS = 365
FUTURE_DAYS = 365
MIN_FUTURE_DAYS = 300  # re-use the rows only while they reach this far ahead
SCHEDULE_VERSION = 1  # bump when the generator changes: the next run seeds afresh
NUMBERS_PER_DESIGNATOR = 9999  # flight numbers have 1-4 digits
CANCELLED_SHARE = 0.02
EVERY_DAY = (1, 2, 3, 4, 5, 6, 7)


@dataclass(frozen=True)
class Route:
    origin_id: int
    destination_id: int
    origin_iata: str
    destination_iata: str
    origin_tz: str
    minutes: int
    base_price: float
    capacity: int
    departures: tuple[str, ...]  # local times "HH:MM" at the origin
    weekdays: tuple[int, ...]  # ISO weekdays flown

    @property
    def flights_per_week(self) -> int:
        return len(self.departures) * len(self.weekdays)


@dataclass
class SeedResult:
    rows: int
    seconds: float
    reused: bool
    first_day: date
    last_day: date
    routes: list[Route]


def _km(a, b) -> float:
    lat1, lon1, lat2, lon2 = map(math.radians, (a.latitude, a.longitude, b.latitude, b.longitude))
    h = math.sin((lat2 - lat1) / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    return 2 * 6371 * math.asin(math.sqrt(h))


def _airports_in_service(rng: random.Random) -> tuple[list, list]:
    from flights.models import Airport

    located = Airport.objects.filter(latitude__isnull=False, longitude__isnull=False)
    hubs = list(located.filter(iata__in=HUB_CODES).order_by("iata"))
    others = list(
        located.filter(name__contains="International").exclude(icao="").exclude(iata__in=HUB_CODES).order_by("iata")
    )
    return hubs, rng.sample(others, min(len(others), AIRPORTS_IN_SERVICE - len(hubs)))


def _departures(rng: random.Random, per_day: int) -> tuple[str, ...]:
    """`per_day` local departure times between 06:00 and 22:00, spread out, on 5-minute marks."""
    span = 16 * 60 // per_day
    minutes = [6 * 60 + index * span + rng.randrange(0, span, 5) for index in range(per_day)]
    return tuple(f"{m // 60:02d}:{m % 60:02d}" for m in minutes)


def plan_routes() -> list[Route]:
    """The generated schedule, the same for the same airports table (a seeded random generator)."""
    rng = random.Random(SCHEDULE_VERSION)
    hubs, spokes = _airports_in_service(rng)
    pairs: dict[tuple, str] = {}  # undirected pair -> tier

    def link(a, b, tier: str) -> None:
        key = (a, b) if a.iata < b.iata else (b, a)
        if a.iata != b.iata and key not in pairs:
            pairs[key] = tier

    for hub in hubs:
        nearest = sorted((h for h in hubs if h is not hub), key=lambda h: _km(hub, h))
        for other in nearest[:4] + rng.sample(nearest[4:], 1):
            link(hub, other, "trunk")
    for spoke in spokes:
        nearest = sorted(hubs, key=lambda h: _km(spoke, h))
        for hub in nearest[:2]:
            link(spoke, hub, "feeder")
        neighbour = min((s for s in spokes if s is not spoke), key=lambda s: _km(spoke, s))
        if rng.random() < 0.5:
            link(spoke, neighbour, "thin")

    routes = []
    for (a, b), tier in sorted(pairs.items(), key=lambda item: (item[0][0].iata, item[0][1].iata)):
        per_day = {"trunk": rng.choice((1, 1, 2, 3)), "feeder": 1, "thin": 1}[tier]
        weekdays = EVERY_DAY if tier == "trunk" else tuple(sorted(rng.sample(EVERY_DAY, rng.choice((4, 5, 6, 7)))))
        km = _km(a, b)
        minutes = max(40, round((35 + km / 820 * 60) / 5) * 5)
        capacity = 180 if km < 1500 else 220 if km < 5000 else 300
        base_price = round(39 + 0.09 * km, 2)
        for origin, destination in ((a, b), (b, a)):
            routes.append(
                Route(
                    origin_id=origin.pk,
                    destination_id=destination.pk,
                    origin_iata=origin.iata,
                    destination_iata=destination.iata,
                    origin_tz=origin.tz,
                    minutes=minutes,
                    base_price=base_price,
                    capacity=capacity,
                    departures=_departures(rng, per_day),
                    weekdays=weekdays,
                )
            )
    return routes


def _fingerprint(routes: list[Route]) -> str:
    text = repr((SCHEDULE_VERSION, PAST_DAYS, FUTURE_DAYS, routes))
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def _slot_rows(routes: list[Route]):
    """One row per scheduled departure: a flight number of its own, so (number, departs_at) is unique."""
    serial = 0
    for route in routes:
        for departure in route.departures:
            designator, number = divmod(serial, NUMBERS_PER_DESIGNATOR)
            serial += 1
            yield (
                f"{SEARCH_FLIGHT_PREFIX}{ascii_uppercase[designator]}{number + 1}",
                route.origin_id,
                route.destination_id,
                route.origin_tz,
                departure,
                list(route.weekdays),
                route.minutes,
                route.base_price,
                route.capacity,
            )


def _stored_seed(cursor) -> tuple | None:
    cursor.execute(
        """CREATE TABLE IF NOT EXISTS bench_search_seed (
               fingerprint text NOT NULL, first_day date NOT NULL, last_day date NOT NULL,
               rows bigint NOT NULL, seconds double precision NOT NULL, seeded_at timestamptz NOT NULL)"""
    )
    cursor.execute("SELECT fingerprint, first_day, last_day, rows, seconds FROM bench_search_seed")
    return cursor.fetchone()


def _count_seeded(cursor) -> int:
    cursor.execute("SELECT count(*) FROM flights_flight WHERE number LIKE %s", [f"{SEARCH_FLIGHT_PREFIX}%"])
    return cursor.fetchone()[0]


INSERT_FLIGHTS = """
INSERT INTO flights_flight (number, departs_at, arrives_at, capacity, seats_booked, price, status,
                            created_at, updated_at, origin_id, destination_id)
SELECT f.number, f.departs_at, f.departs_at + f.minutes * interval '1 minute', f.capacity,
       least(f.capacity, floor(f.capacity * (0.25 + 0.8 * random())))::smallint,
       round((f.base_price * (0.7 + 0.8 * random()))::numeric, 2),
       CASE WHEN random() < %(cancelled)s THEN 'cancelled' ELSE 'scheduled' END,
       now(), now(), f.origin_id, f.destination_id
FROM generate_series(%(first)s::date, %(last)s::date, interval '1 day') AS day(d)
CROSS JOIN LATERAL (
    SELECT s.*, (day.d::date + s.local_time) AT TIME ZONE s.tz AS departs_at
    FROM bench_seed_slot s
    WHERE extract(isodow FROM day.d)::int = ANY (s.weekdays)
) AS f
"""
# Load factors run from 25 to 105 per cent, capped at capacity: about one flight in fifteen is
# sold out. Day by day, as schedules are loaded, so a route's flights are not stored side by side.


def _bench_tables() -> str:
    from django.db import connection

    from flights.models import Flight

    from .database import booking_tables

    return f"{booking_tables()}, {connection.ops.quote_name(Flight._meta.db_table)}"


def _checkpoint(cursor) -> None:
    """Write the new rows out now, so the server's checkpoint does not land on the timed
    requests. Needs a superuser or pg_checkpoint; without, the checkpoint comes when it comes."""
    from django.db import DatabaseError

    try:
        cursor.execute("CHECKPOINT")
    except DatabaseError:
        pass


def ensure_search_flights(*, say=print) -> SeedResult:
    """The generated flights, seeded now unless a previous run left the same schedule behind.

    Must run right after `reset_bench_data` (nothing else in the bench database refers to
    flights then): seeding afresh empties flights_flight first. VACUUM ANALYZE afterwards, so
    the first searches neither set hint bits nor plan with stale statistics, and a CHECKPOINT.
    """
    from django.db import connection
    from psycopg2.extras import execute_values

    from flights.airport_data import airports_load

    today = datetime.now(UTC).date()
    routes = plan_routes()
    with connection.cursor() as cursor:
        stored = _stored_seed(cursor)
        if stored and stored[0] == _fingerprint(routes) and stored[2] >= today + timedelta(days=MIN_FUTURE_DAYS):
            rows = _count_seeded(cursor)
            if rows == stored[3]:
                return SeedResult(rows, stored[4], True, stored[1], stored[2], routes)

    began = time.monotonic()
    loaded = airports_load()
    routes = plan_routes()
    weekly = sum(route.flights_per_week for route in routes)
    say(f"  {loaded} airports loaded; {len(routes)} routes, {weekly} flights a week; generating flights...")
    first_day, last_day = today - timedelta(days=PAST_DAYS), today + timedelta(days=FUTURE_DAYS)
    with connection.cursor() as cursor:
        cursor.execute(f"TRUNCATE {_bench_tables()} RESTART IDENTITY")
        cursor.execute("DELETE FROM bench_search_seed")
        cursor.execute(
            """CREATE TEMPORARY TABLE bench_seed_slot (
                   number varchar(8), origin_id bigint, destination_id bigint, tz text, local_time time,
                   weekdays int[], minutes int, base_price double precision, capacity smallint)"""
        )
        execute_values(cursor.cursor, "INSERT INTO bench_seed_slot VALUES %s", list(_slot_rows(routes)))
        cursor.execute("SELECT setseed(0.5)")
        inserting = time.monotonic()
        cursor.execute(INSERT_FLIGHTS, {"cancelled": CANCELLED_SHARE, "first": first_day, "last": last_day})
        rows = cursor.rowcount
        cursor.execute("DROP TABLE bench_seed_slot")
        vacuuming = time.monotonic()
        cursor.execute("VACUUM (ANALYZE) flights_flight")
        # airports_load rewrote every row: compact the table the autosuggest scans (7,900 rows).
        cursor.execute("VACUUM (FULL, ANALYZE) flights_airport")
        _checkpoint(cursor)
        seconds = time.monotonic() - began
        say(
            f"  {rows} flights inserted in {vacuuming - inserting:.1f} s, "
            f"VACUUM ANALYZE and CHECKPOINT {time.monotonic() - vacuuming:.1f} s"
        )
        cursor.execute(
            "INSERT INTO bench_search_seed VALUES (%s, %s, %s, %s, %s, now())",
            [_fingerprint(routes), first_day, last_day, rows, seconds],
        )
    return SeedResult(rows, seconds, False, first_day, last_day, routes)
