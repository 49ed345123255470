"""Issue 15: the staff dashboard and My travel over a million bookings.

The search benchmark's flights (bench/search_data.py) get BENCH_BOOKINGS confirmed bookings,
written by SQL in one statement per table (bookings, their payments, and a cancelled ticket
with a refund for one booking in twenty), confirmed over the last 90 days; one passenger has
TRAVEL_TRIPS of them. Then, in process through django.test.Client, each page is requested
with a hello request after it (bench/urls.py), so both share the machine's ups and downs:

- the dashboard (default period, 30 days), uncached: its cache entry is deleted before each
  request; then cached;
- My travel for the passenger with TRAVEL_TRIPS trips, uncached.

The bookings carry no active tickets (a ticket's seat is unique per flight; the dashboard and
My travel do not read active tickets except for the passengers of trips ahead), and the
search flights all lie ahead, so My travel's trips are trips ahead here.
"""

from __future__ import annotations

import time

from .search import p50, p95, purge_cache, verdict

BENCH_BOOKINGS = 1_000_000
TRAVEL_TRIPS = 200
UNCACHED_REQUESTS = 20
CACHED_REQUESTS = 100
DASHBOARD_TARGET_MS = 150
DASHBOARD_CACHED_TARGET_MS = 20
TRAVEL_TARGET_MS = 50
REFERENCE_PREFIX = "Y"  # the bench's bookings: "Y" and five hex digits

OWNED_KEYS = {
    "dashboard_bookings",
    "sales_summarise_s",
    "staff_dashboard_p95_ms",
    "staff_dashboard_p50_ms",
    "staff_dashboard_cached_p95_ms",
    "staff_dashboard_vs_hello_p50",
    "my_travel_p95_ms",
    "my_travel_vs_hello_p50",
    "dashboard_hello_p50_ms",
}


def seed_bookings(*, count: int, traveller_id: int, user_ids: list[int]) -> float:
    """`count` confirmed, paid bookings on the search flights; `traveller_id` gets TRAVEL_TRIPS
    of them. Returns the seconds it took."""
    from django.db import connection

    began = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute("SELECT array_agg(id ORDER BY id) FROM flights_flight WHERE number LIKE 'Z%%'")
        (flight_ids,) = cursor.fetchone()
        if not flight_ids:
            raise SystemExit("The search benchmark's flights are missing: run the search part first.")
        cursor.execute(
            """
            INSERT INTO bookings_booking
                (reference, user_id, flight_id, status, seat_count, total_price, token, hold_expires_at,
                 created_at, confirmed_at, cancelled_at, cancelled_by_staff, hold_client)
            SELECT %(prefix)s || upper(lpad(to_hex(g), 5, '0')),
                   CASE WHEN g <= %(trips)s THEN %(traveller)s ELSE (%(users)s)[1 + g %% cardinality(%(users)s)] END,
                   (%(flights)s)[1 + ((g::bigint * 7919) %% cardinality(%(flights)s))::int],
                   'confirmed', 1 + g %% 3, 100 + (g %% 400), gen_random_uuid(), NULL,
                   now() - ((g::bigint * 7919) %% 7776000) * interval '1 second',
                   now() - ((g::bigint * 7919) %% 7776000) * interval '1 second' + interval '5 minutes',
                   NULL, false, ''
            FROM generate_series(1, %(count)s) AS g
            """,
            {
                "prefix": REFERENCE_PREFIX,
                "trips": TRAVEL_TRIPS,
                "traveller": traveller_id,
                "users": user_ids,
                "flights": flight_ids,
                "count": count,
            },
        )
        cursor.execute(
            """
            INSERT INTO bookings_payment
                (booking_id, provider, reference, amount, currency, card_brand, card_last4, refunded_amount, created_at)
            SELECT id, 'bench', reference, total_price, 'EUR', 'visa', '4242', 0, confirmed_at
            FROM bookings_booking WHERE reference LIKE %s
            """,
            [f"{REFERENCE_PREFIX}%"],
        )
        cursor.execute(
            """
            INSERT INTO bookings_ticket
                (booking_id, flight_id, passenger_name, last_name, seat, price, status, cancelled_at, refund_amount)
            SELECT id, flight_id, 'Bench Passenger', 'Passenger', '1A', total_price, 'cancelled',
                   confirmed_at + interval '1 day', total_price / 2
            FROM bookings_booking WHERE reference LIKE %s AND id %% 20 = 0
            """,
            [f"{REFERENCE_PREFIX}%"],
        )
        cursor.execute("ANALYZE bookings_booking, bookings_payment, bookings_ticket")
    return time.perf_counter() - began


def _timed(client, url: str, hello: str, *, requests: int, before=None) -> tuple[list[float], list[float]]:
    pages, hellos = [], []
    for _ in range(requests):
        if before:
            before()
        began = time.perf_counter()
        response = client.get(url)
        pages.append((time.perf_counter() - began) * 1000)
        if response.status_code != 200:
            raise SystemExit(f"{url} answered {response.status_code}")
        began = time.perf_counter()
        client.get(hello)
        hellos.append((time.perf_counter() - began) * 1000)
    return pages, hellos


def dashboard_figures(figures: dict, *, user_ids: list[int], say=print) -> None:
    from django.test import Client, override_settings
    from django.urls import reverse
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from accounts.models import User

    staff, _ = User.objects.get_or_create(email="bench-staff@example.com", defaults={"is_staff": True})
    device = TOTPDevice.objects.filter(user=staff, confirmed=True).first() or TOTPDevice.objects.create(
        user=staff, name="bench", confirmed=True
    )
    traveller, _ = User.objects.get_or_create(email="bench-traveller@example.com", defaults={"first_name": "Ada"})
    from bookings.models import DailySales, SalesSummaryMark
    from bookings.services.sales import sales_summarise

    seconds = seed_bookings(count=BENCH_BOOKINGS, traveller_id=traveller.pk, user_ids=user_ids)
    figures["dashboard_bookings"] = BENCH_BOOKINGS
    SalesSummaryMark.objects.all().delete()
    DailySales.objects.all().delete()
    began = time.perf_counter()
    days = sales_summarise()  # as the nightly beat job keeps it: every finished day
    summarised = time.perf_counter() - began
    figures["sales_summarise_s"] = round(summarised, 1)
    say(
        f"Dashboards over {BENCH_BOOKINGS:,} bookings (written in {seconds:.1f} s; {days} finished days summarised "
        f"into {DailySales.objects.count():,} DailySales rows in {summarised:.1f} s, as the nightly job does), "
        "in process, each request then a hello:"
    )

    with override_settings(ROOT_URLCONF="bench.urls", ALLOWED_HOSTS=["testserver"]):
        staff_client = Client()
        staff_client.force_login(staff)
        session = staff_client.session
        session[DEVICE_ID_SESSION_KEY] = device.persistent_id
        session.save()
        from .urls import HELLO_PATH as hello  # imports the URLconf: only once Django is set up

        dashboard = reverse("staff:home")
        for _ in range(2):  # warm-up: imports, template compilation
            staff_client.get(dashboard)
        uncached, hellos = _timed(
            staff_client,
            dashboard,
            hello,
            requests=UNCACHED_REQUESTS,
            before=lambda: purge_cache("*staff-dashboard*"),
        )
        cached, cached_hellos = _timed(staff_client, dashboard, hello, requests=CACHED_REQUESTS)

        traveller_client = Client()
        traveller_client.force_login(traveller)
        travel = reverse("bookings:travel")
        traveller_client.get(travel)
        trips, trip_hellos = _timed(
            traveller_client, travel, hello, requests=UNCACHED_REQUESTS, before=lambda: purge_cache("*travel:*")
        )

    hello_p50 = p50(hellos + cached_hellos + trip_hellos)
    figures.update(
        staff_dashboard_p50_ms=round(p50(uncached), 1),
        staff_dashboard_p95_ms=round(p95(uncached), 1),
        staff_dashboard_cached_p95_ms=round(p95(cached), 1),
        staff_dashboard_vs_hello_p50=round(p50(uncached) / hello_p50, 1),
        my_travel_p95_ms=round(p95(trips), 1),
        my_travel_vs_hello_p50=round(p50(trips) / hello_p50, 1),
        dashboard_hello_p50_ms=round(hello_p50, 2),
    )
    say(
        f"  staff dashboard, uncached: p50 {p50(uncached):.1f} ms, p95 {p95(uncached):.1f} ms "
        f"({verdict(p95(uncached) <= DASHBOARD_TARGET_MS)} the target p95 <= {DASHBOARD_TARGET_MS} ms); "
        f"{p50(uncached) / hello_p50:.1f}x a hello request (p50 {hello_p50:.2f} ms)"
    )
    say(
        f"  staff dashboard, cached: p95 {p95(cached):.1f} ms "
        f"({verdict(p95(cached) <= DASHBOARD_CACHED_TARGET_MS)} the target <= {DASHBOARD_CACHED_TARGET_MS} ms)"
    )
    say(
        f"  My travel, {TRAVEL_TRIPS} trips, uncached: p95 {p95(trips):.1f} ms "
        f"({verdict(p95(trips) <= TRAVEL_TARGET_MS)} the target <= {TRAVEL_TARGET_MS} ms); "
        f"{p50(trips) / hello_p50:.1f}x hello"
    )
