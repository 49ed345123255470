"""The bench database: derived from DATABASE_URL, created if missing, migrated, filled.

The URL helpers import no Django, so they can run before settings are read.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from urllib.parse import unquote, urlsplit, urlunsplit

DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/booking"
BENCH_CAPACITY = 30000  # Flight.capacity is a PositiveSmallIntegerField: at most 32767
SPREAD_FLIGHTS = 1000
# Numbers of the search benchmark's generated flights (bench/search_data.py); no other bench
# flight starts with it ("HT1", "BX1").
SEARCH_FLIGHT_PREFIX = "Z"

# (IATA, name, city, country, tz): enough for routes, search and the home page's airport list.
AIRPORTS = [
    ("LHR", "Heathrow", "London", "GB", "Europe/London"),
    ("JFK", "John F Kennedy International", "New York", "US", "America/New_York"),
    ("CDG", "Charles de Gaulle", "Paris", "FR", "Europe/Paris"),
    ("FRA", "Frankfurt am Main", "Frankfurt", "DE", "Europe/Berlin"),
    ("AMS", "Schiphol", "Amsterdam", "NL", "Europe/Amsterdam"),
    ("MAD", "Barajas", "Madrid", "ES", "Europe/Madrid"),
    ("SIN", "Changi", "Singapore", "SG", "Asia/Singapore"),
    ("SYD", "Kingsford Smith", "Sydney", "AU", "Australia/Sydney"),
]
ROUTES = [
    ("LHR", "JFK"),
    ("JFK", "LHR"),
    ("CDG", "FRA"),
    ("FRA", "CDG"),
    ("AMS", "MAD"),
    ("MAD", "AMS"),
    ("SIN", "SYD"),
    ("SYD", "SIN"),
]
SLOT_HOURS = [6, 9, 12, 15, 18]


@dataclass(frozen=True)
class ServerAddress:
    """Where the PostgreSQL server is, as psycopg2 and pgbench want it (socket dirs unquoted)."""

    host: str
    port: str
    user: str
    password: str
    database: str


def database_url_for(url: str, database: str) -> str:
    """`url` with its database name replaced; scheme, credentials, host and options kept."""
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=f"/{database}"))


def server_address(url: str) -> ServerAddress:
    """Split a postgres:// URL by hand: `urlsplit().hostname` would lower-case a socket path."""
    parts = urlsplit(url)
    userinfo, _, hostport = parts.netloc.rpartition("@")
    user, _, password = userinfo.partition(":")
    if hostport.startswith("["):  # [::1]:5432
        host, _, rest = hostport[1:].partition("]")
        port = rest.lstrip(":")
    else:
        host, _, port = hostport.partition(":")
    return ServerAddress(
        host=unquote(host),
        port=port,
        user=unquote(user),
        password=unquote(password),
        database=unquote(parts.path.lstrip("/")),
    )


def psycopg2_kwargs(address: ServerAddress, database: str) -> dict[str, str]:
    kwargs = {
        "dbname": database,
        "host": address.host,
        "port": address.port,
        "user": address.user,
        "password": address.password,
    }
    return {key: value for key, value in kwargs.items() if value}


def ensure_database(url: str) -> bool:
    """Create the database `url` names, via the server's `postgres` database. True if created."""
    import psycopg2
    from psycopg2 import sql

    address = server_address(url)
    connection = psycopg2.connect(**psycopg2_kwargs(address, "postgres"))
    try:
        connection.autocommit = True
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [address.database])
            if cursor.fetchone():
                return False
            cursor.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(address.database)))
            return True
    finally:
        connection.close()


def configure_environment(bench_url: str) -> None:
    """Point settings at the bench database, DEBUG off, before Django reads them."""
    os.environ["DATABASE_URL"] = bench_url
    os.environ["DEBUG"] = "0"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "booking_site.settings")
    os.environ.setdefault("SECRET_KEY", "bench-not-a-secret")
    # DEBUG off needs the API's own JWT key, never SECRET_KEY (settings refuse to start without).
    os.environ.setdefault("JWT_SIGNING_KEY", "bench-jwt-key-not-a-secret-0123456789abcdef")
    # Keep the bench's cache entries apart from a dev site sharing the same Redis.
    os.environ["CACHE_KEY_PREFIX"] = "skyway-bench"
    # The search benchmark's django.test.Client asks for http://testserver/.
    os.environ["ALLOWED_HOSTS"] = "testserver,127.0.0.1,localhost"
    os.environ["SECURE_SSL_REDIRECT"] = "0"
    # Production's cache lifetimes, unless the shell says otherwise (a .env is not read for these).
    os.environ.setdefault("SEARCH_CACHE_SECONDS", "120")
    os.environ.setdefault("SUGGEST_CACHE_SECONDS", "3600")
    # A bench client holds seat after seat without paying, as no real passenger can. It takes
    # turns among USERS_PER_CLIENT passengers, so each has a few open checkouts as a real one
    # has; the hold limits stay on (their checks are part of the measured hold) but are set
    # past what a run reaches.
    for name in ("HOLD_LIMIT_PER_FLIGHT", "HOLD_LIMIT_PER_ACCOUNT"):
        os.environ.setdefault(name, "100000")


def migrate(expected_name: str) -> None:
    from django.core.management import call_command
    from django.db import connection

    name = connection.settings_dict["NAME"]
    if name != expected_name:
        raise SystemExit(f"Refusing to run: Django points at database {name!r}, not {expected_name!r}.")
    call_command("migrate", interactive=False, verbosity=0)


def booking_tables() -> str:
    """The tables a booking writes, quoted for TRUNCATE (every table that references them too)."""
    from django.db import connection

    from api.models import CancellationQuote, IdempotencyKey
    from bookings.models import Booking, Payment, Ticket
    from notifications.models import OutboxMessage

    # The API's cancellation quotes refer to bookings; its stored Idempotency-Key responses
    # name holds the reset removes (and would pile up run after run).
    models = (Payment, Ticket, Booking, OutboxMessage, CancellationQuote, IdempotencyKey)
    return ", ".join(connection.ops.quote_name(model._meta.db_table) for model in models)


def reset_bench_data() -> None:
    """Empty the tables the bench writes to (this is the bench's own database). Users are kept,
    and so are the search benchmark's generated flights (numbers starting SEARCH_FLIGHT_PREFIX):
    generating a million rows again on every run would dominate `make bench`."""
    from django.db import connection

    from flights.models import Flight

    tables = booking_tables()
    flights = connection.ops.quote_name(Flight._meta.db_table)
    with connection.cursor() as cursor:
        if Flight.objects.filter(number__startswith=SEARCH_FLIGHT_PREFIX).exists():
            cursor.execute(f"TRUNCATE {tables} RESTART IDENTITY")
            cursor.execute(f"DELETE FROM {flights} WHERE number NOT LIKE %s", [f"{SEARCH_FLIGHT_PREFIX}%"])
        else:
            cursor.execute(f"TRUNCATE {tables}, {flights} RESTART IDENTITY")


def ensure_airports() -> dict:
    from flights.models import Airport

    airports = {}
    for iata, name, city, country, tz in AIRPORTS:
        airports[iata], _ = Airport.objects.update_or_create(
            iata=iata,
            defaults={"name": name, "city": city, "country": country, "tz": tz},
        )
    return airports


def ensure_users(count: int) -> list[int]:
    """`count` passengers (no usable password: hashing is not what is measured). Returns pks."""
    from django.contrib.auth.hashers import make_password

    from accounts.models import User

    emails = [f"bench-passenger-{index}@example.com" for index in range(count)]
    unusable = make_password(None)
    User.objects.bulk_create(
        [User(email=email, first_name=f"Bench{index}", password=unusable) for index, email in enumerate(emails)],
        ignore_conflicts=True,
    )
    by_email = dict(User.objects.filter(email__in=emails).values_list("email", "pk"))
    return [by_email[email] for email in emails]


def create_flight(*, number: str, airports: dict, capacity: int = BENCH_CAPACITY) -> int:
    from django.utils import timezone

    from flights.models import Flight

    departs = timezone.now().replace(minute=0, second=0, microsecond=0) + timedelta(days=30)
    flight = Flight.objects.create(
        number=number,
        origin=airports["LHR"],
        destination=airports["JFK"],
        departs_at=departs,
        arrives_at=departs + timedelta(hours=8),
        capacity=capacity,
        price=Decimal("199.00"),
    )
    return flight.pk


def create_spread_flights(airports: dict, count: int = SPREAD_FLIGHTS) -> list[int]:
    """`count` flights over ROUTES, five a day per route from tomorrow on (UTC slots)."""
    from django.db import connection
    from django.utils import timezone

    from flights.models import Flight

    midnight = timezone.now().replace(hour=0, minute=0, second=0, microsecond=0)
    flights = []
    for index in range(count):
        origin, destination = ROUTES[index % len(ROUTES)]
        per_route = index // len(ROUTES)
        day, slot = divmod(per_route, len(SLOT_HOURS))
        departs = midnight + timedelta(days=1 + day, hours=SLOT_HOURS[slot])
        flights.append(
            Flight(
                number=f"BX{index + 1}",
                origin=airports[origin],
                destination=airports[destination],
                departs_at=departs,
                arrives_at=departs + timedelta(hours=3),
                capacity=BENCH_CAPACITY,
                price=Decimal("129.00"),
            )
        )
    created = Flight.objects.bulk_create(flights)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return [flight.pk for flight in created]
