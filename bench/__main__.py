"""`python -m bench` (via `make bench`): booking contention, the pgbench floor, web worker memory,
flight search over a million flights, the JSON API's search and holds, the staff dashboard and
My travel over a million bookings.

Prints every figure and writes them to bench/results/latest.json. Figures, not tests: targets
are printed next to the figures, never asserted. Sized for a 2-core machine (~1-2 minutes, plus
about a minute the first time, when the search benchmark generates its flights).

`python -m bench search` (or booking, pgbench, web, api, dashboards, imports, mail; several may be named) runs
only those parts; the figures of the parts not run are kept in latest.json as they were.
"""

from __future__ import annotations

import json
import os
import signal
import sys
import time
from datetime import UTC, datetime

from . import BENCH_DATABASE
from .api import OWNED_KEYS as API_KEYS
from .dashboards import OWNED_KEYS as DASHBOARD_KEYS
from .database import (
    DEFAULT_DATABASE_URL,
    configure_environment,
    database_url_for,
    ensure_database,
    server_address,
)
from .imports import OWNED_KEYS as IMPORT_KEYS
from .mail import OWNED_KEYS as MAIL_KEYS
from .search import OWNED_KEYS as SEARCH_KEYS

SECONDS = float(os.environ.get("BENCH_SECONDS", "5"))
HOT_CLIENTS = (1, 4, 16)
USERS_PER_CLIENT = 200  # passengers each bench client takes turns among (bench/database.py)
SPREAD_CLIENTS = 4
SEATMAP_CLIENTS = 4
CHECKOUT_CLIENTS = 4
PGBENCH_CLIENTS = 4
WEB_REQUESTS = 1000
RATIO_TARGET = 0.3
RSS_TARGET_MB = 150
BENCH_MAIL_QUEUE = "bench-mail"

PARTS = ("booking", "pgbench", "web", "search", "api", "dashboards", "imports", "mail")
# The keys each part writes: a key of a part that ran but did not measure it is dropped.
OWNED_KEYS = {
    "booking": {
        *(f"booking_hot_c{clients}_per_s" for clients in HOT_CLIENTS),
        f"booking_spread_c{SPREAD_CLIENTS}_per_s",
        f"booking_seatmap_hot_c{SEATMAP_CLIENTS}_per_s",
        f"checkout_hot_c{CHECKOUT_CLIENTS}_per_s",
        "booking_lock_hold_ms",
        "booking_lock_statements",
    },
    "pgbench": {f"pgbench_sfu_hot_c{PGBENCH_CLIENTS}_tps", f"booking_ratio_c{PGBENCH_CLIENTS}"},
    "web": {"web_worker_rss_mb", "web_requests_per_s"},
    "search": SEARCH_KEYS,
    "api": API_KEYS,
    "dashboards": DASHBOARD_KEYS,
    "imports": IMPORT_KEYS,
    "mail": MAIL_KEYS,
}
ALWAYS_OWNED = {"cpu_count", "timestamp"}


def say(text: str) -> None:
    print(text, flush=True)


def _isolate_outbox_queue() -> None:
    """Booking confirmations are published to Redis after commit, as in production, but to a
    queue no dev worker listens on: their ids belong to the bench database."""
    from booking_site.celery import app

    app.conf.task_routes = {"notifications.tasks.*": {"queue": BENCH_MAIL_QUEUE}}


def _drop_outbox_queue() -> None:
    import redis
    from django.conf import settings

    try:
        client = redis.Redis.from_url(settings.CELERY_BROKER_URL, socket_connect_timeout=1, socket_timeout=2)
        bindings = list(client.scan_iter(match=f"_kombu.binding*.{BENCH_MAIL_QUEUE}"))
        client.delete(BENCH_MAIL_QUEUE, *bindings)
    except redis.RedisError as error:
        say(f"  note: could not remove the {BENCH_MAIL_QUEUE} queue from Redis: {error}")


def booking_figures(figures: dict, user_ids: list[int], airports: dict) -> None:
    from .booking import SEATMAP_CHOICES, checkout, describe, hold_from_seat_map, profile_lock, run_bookings
    from .database import create_flight, create_spread_flights

    spread = create_spread_flights(airports)  # also ANALYZEs, so every run starts with fresh statistics
    say(
        f"Bookings through booking_hold (seats held under the flight lock), 1 passenger each, "
        f"client processes, {SECONDS:.0f} s per run:"
    )
    hot_flights = {}
    for clients in HOT_CLIENTS:
        hot_flights[clients] = create_flight(number=f"HT{clients}", airports=airports)
        result = run_bookings(clients=clients, user_ids=user_ids, flight_ids=[hot_flights[clients]], seconds=SECONDS)
        figures[f"booking_hot_c{clients}_per_s"] = round(result.per_second, 1)
        say(f"  hot flight, {clients:2d} clients, the site chooses the seat: {_line(result)}")

    seatmap_flight = create_flight(number=f"SM{SEATMAP_CLIENTS}", airports=airports)
    result = run_bookings(
        clients=SEATMAP_CLIENTS,
        user_ids=user_ids,
        flight_ids=[seatmap_flight],
        seconds=SECONDS,
        book=hold_from_seat_map,
    )
    figures[f"booking_seatmap_hot_c{SEATMAP_CLIENTS}_per_s"] = round(result.per_second, 1)
    say(
        f"  hot flight, {SEATMAP_CLIENTS:2d} clients, each reading the seat map and choosing one of the first "
        f"{SEATMAP_CHOICES} free seats: {_line(result)}"
    )

    result = run_bookings(clients=SPREAD_CLIENTS, user_ids=user_ids, flight_ids=spread, seconds=SECONDS)
    figures[f"booking_spread_c{SPREAD_CLIENTS}_per_s"] = round(result.per_second, 1)
    say(f"  {len(spread)} flights, {SPREAD_CLIENTS} clients: {_line(result)}")

    checkout_flight = create_flight(number=f"CO{CHECKOUT_CLIENTS}", airports=airports)
    result = run_bookings(
        clients=CHECKOUT_CLIENTS, user_ids=user_ids, flight_ids=[checkout_flight], seconds=SECONDS, book=checkout
    )
    figures[f"checkout_hot_c{CHECKOUT_CLIENTS}_per_s"] = round(result.per_second, 1)
    say(
        f"\nWhole checkouts through booking_create (hold, names, pay with the test provider):\n"
        f"  hot flight, {CHECKOUT_CLIENTS:2d} clients: {_line(result, unit='checkouts')}"
    )

    say("\nInside the flight's row lock (one client, no contention):")
    fresh = profile_lock(user_id=user_ids[0], flight_id=create_flight(number="HT0", airports=airports))
    say(describe(fresh))
    busiest = max(HOT_CLIENTS)
    filled = profile_lock(user_id=user_ids[0], flight_id=hot_flights[busiest], samples=10)
    say(describe(filled))
    figures["booking_lock_hold_ms"] = round(fresh.hold_ms, 2)
    figures["booking_lock_statements"] = fresh.captured_between


def _line(result, unit: str = "bookings") -> str:
    """Rate, count, and the clients' CPU: what Python costs per booking, and in all."""
    text = (
        f"{result.per_second:8.1f} {unit}/s ({result.bookings} in {result.seconds:.1f} s; "
        f"Python {result.cpu_ms_per_booking:.2f} ms CPU each, "
        f"{result.cpu_seconds / result.seconds:.0%} of one core in all"
    )
    if result.failures:
        text += "; not booked: " + ", ".join(f"{count} {name}" for name, count in sorted(result.failure_kinds.items()))
    return text + ")"


def pgbench_figures(figures: dict, bench_url: str) -> None:
    from .pgbench import SCRIPT, find_pgbench, prepare_tables, run_pgbench

    binary = find_pgbench()
    if not binary:
        say("\npgbench: not found (install postgresql-client); skipping its figure and the ratio.")
        return
    prepare_tables()
    address = server_address(bench_url)
    seconds = max(round(SECONDS), 1)
    tps = run_pgbench(binary=binary, address=address, database=BENCH_DATABASE, clients=PGBENCH_CLIENTS, seconds=seconds)
    key = f"pgbench_sfu_hot_c{PGBENCH_CLIENTS}_tps"
    figures[key] = round(tps, 1)
    say(f"\npgbench ({binary}), {PGBENCH_CLIENTS} clients, {seconds} s, one hot row:")
    say("    " + SCRIPT.strip().replace("\n", "\n    "))
    say(f"  {tps:8.1f} transactions/s")
    hot = figures.get(f"booking_hot_c{PGBENCH_CLIENTS}_per_s")
    if hot is not None and tps:
        ratio = hot / tps
        figures[f"booking_ratio_c{PGBENCH_CLIENTS}"] = round(ratio, 3)
        verdict = "meets" if ratio >= RATIO_TARGET else "MISSES"
        say(
            f"  booking_hold at {PGBENCH_CLIENTS} clients / pgbench: {ratio:.3f} ({verdict} the target >= {RATIO_TARGET})"
        )


def web_figures(figures: dict, bench_url: str) -> None:
    from .web import collect_static, measure_worker_rss

    say(f"\nOne gunicorn worker, {WEB_REQUESTS} GETs (home page and search results):")
    collect_static()
    result = measure_worker_rss(database_url=bench_url, requests=WEB_REQUESTS)
    figures["web_worker_rss_mb"] = round(result.rss_mb, 1)
    figures["web_requests_per_s"] = round(result.per_second, 1)
    verdict = "meets" if result.rss_mb <= RSS_TARGET_MB else "MISSES"
    say(
        f"  worker RSS {result.rss_mb:.1f} MB ({verdict} the target <= {RSS_TARGET_MB} MB); "
        f"{result.per_second:.1f} requests/s; {result.non_200} answers were not 200"
    )


def search_figures(figures: dict, seed, bench_url: str) -> None:
    from .database import psycopg2_kwargs
    from .search import search_figures as measure
    from .web import collect_static

    say("")
    collect_static()  # pages need the static files manifest with DEBUG off
    measure(figures, seed, connect_kwargs=psycopg2_kwargs(server_address(bench_url), BENCH_DATABASE), say=say)


def api_figures(figures: dict, seed, user_ids: list[int], airports: dict, bench_url: str) -> None:
    from .api import api_figures as measure
    from .web import collect_static

    say("")
    collect_static()  # as for search: WhiteNoise serves with the manifest in place, DEBUG off
    measure(figures, seed, user_ids=user_ids, airports=airports, bench_url=bench_url, seconds=SECONDS, say=say)


def dashboards_figures(figures: dict, user_ids: list[int]) -> None:
    from .dashboards import dashboard_figures
    from .web import collect_static

    say("")
    collect_static()  # pages need the static files manifest with DEBUG off
    dashboard_figures(figures, user_ids=user_ids, say=say)


def mail_figures(figures: dict) -> None:
    from .mail import mail_figures as measure

    measure(figures, queue=BENCH_MAIL_QUEUE, say=say)


def imports_figures(figures: dict) -> None:
    from .imports import import_figures

    import_figures(figures, say=say)


def _parts(argv: list[str]) -> list[str]:
    unknown = [name for name in argv if name not in PARTS]
    if unknown:
        raise SystemExit(f"Unknown benchmark part(s): {', '.join(unknown)}. Choose from: {', '.join(PARTS)}.")
    return [name for name in PARTS if name in argv] or list(PARTS)


def _measure(parts: list[str], figures: dict, *, seed, user_ids: list[int], airports: dict, bench_url: str) -> None:
    if "booking" in parts:
        booking_figures(figures, user_ids, airports)
    if "pgbench" in parts:
        pgbench_figures(figures, bench_url)
    if "web" in parts:
        web_figures(figures, bench_url)
    if "search" in parts:
        search_figures(figures, seed, bench_url)
    if "api" in parts:  # after booking: its hold figure is compared with booking_hot_c4_per_s
        api_figures(figures, seed, user_ids, airports, bench_url)
    if "dashboards" in parts:  # last of the in-process parts: it fills the tables with a million bookings
        dashboards_figures(figures, user_ids)
    for part, measure in (("imports", imports_figures), ("mail", mail_figures)):  # each starts its own worker
        if part in parts:
            measure(figures)


def main(argv: list[str]) -> int:
    from .results import write_results

    parts = _parts(argv)
    # SIGTERM (a `timeout`, the launcher stopping) unwinds like an error, so the private Redis
    # and Celery workers the imports and mail parts start (in sessions of their own) are stopped.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    began = time.monotonic()
    source_url = os.environ.get("DATABASE_URL") or DEFAULT_DATABASE_URL
    source_name = server_address(source_url).database
    if source_name == BENCH_DATABASE:
        say(f"DATABASE_URL already names the {BENCH_DATABASE!r} database; using it.")
    bench_url = database_url_for(source_url, BENCH_DATABASE)
    if ensure_database(bench_url):
        say(f"Created database {BENCH_DATABASE!r}.")
    configure_environment(bench_url)

    import django

    django.setup()
    from .database import ensure_airports, ensure_users, migrate, reset_bench_data

    migrate(BENCH_DATABASE)
    _isolate_outbox_queue()
    reset_bench_data()
    airports = ensure_airports()
    user_ids = ensure_users(max(HOT_CLIENTS) * USERS_PER_CLIENT)
    say(f"Database {BENCH_DATABASE!r} migrated and reset ({time.monotonic() - began:.1f} s).")
    seed = None
    if {"search", "api", "dashboards"} & set(parts):  # the API search and the dashboards use the same flights
        from .search_data import ensure_search_flights

        seed = ensure_search_flights(say=say)  # right after the reset: seeding afresh empties flights
        how = "re-used" if seed.reused else f"generated in {seed.seconds:.1f} s"
        say(f"Search benchmark flights: {seed.rows:,} {how}.")
    say("")

    figures: dict = {}
    try:
        _measure(parts, figures, seed=seed, user_ids=user_ids, airports=airports, bench_url=bench_url)
    finally:
        _drop_outbox_queue()
        from django.db import connection

        connection.close()
    figures.update(cpu_count=os.cpu_count(), timestamp=datetime.now(UTC).isoformat(timespec="seconds"))
    owned = ALWAYS_OWNED.union(*(OWNED_KEYS[part] for part in parts))
    merged = write_results(figures, owned=owned)

    say(f"\nbench/results/latest.json ({time.monotonic() - began:.0f} s in all):")
    say(json.dumps(merged, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
