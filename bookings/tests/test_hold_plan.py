"""The one-statement hold stays index-backed under PostgreSQL's generic plan, whatever the
size of the bookings table.

After five executions of a prepared statement PostgreSQL may switch to a generic plan, one
that does not know the parameters' values. A check that can then only be answered by reading
the whole bookings or tickets table would run while the flight row is locked, and the lock
would be held longer as the tables grow. So the plan is read the way production runs it: the
statement prepared, the generic plan forced, over a table with many bookings on one flight
and user (lapsed, live and confirmed), ANALYZEd."""

import uuid
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from accounts.tests.factories import UserFactory
from bookings.models import Booking, Ticket
from bookings.services.checkout import hold_fast
from flights.tests.factories import FlightFactory

pytestmark = pytest.mark.django_db

BOOKINGS = 20_000


def _fill(flights, users) -> None:
    """BOOKINGS bookings over `flights` and `users` (a seat each): mostly confirmed, some
    expired, a few held (some of those lapsed)."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            INSERT INTO {Booking._meta.db_table}
                (reference, user_id, flight_id, status, hold_expires_at, seat_count, total_price, token,
                 created_at, cancelled_by_staff, hold_client)
            SELECT 'P' || lpad(to_hex(i), 5, '0'), (%(users)s::bigint[])[1 + i %% %(user_count)s],
                   (%(flights)s::bigint[])[1 + i %% %(flight_count)s],
                   CASE WHEN i %% 50 = 0 THEN 'held' WHEN i %% 7 = 0 THEN 'expired' ELSE 'confirmed' END,
                   now() + CASE WHEN i %% 100 = 0 THEN interval '-1 minute' ELSE interval '10 minutes' END,
                   1, 100, gen_random_uuid(), now(), false, ''
            FROM generate_series(1, %(count)s) AS i
            """,  # noqa: S608 (table names from the models)
            {
                "users": [user.pk for user in users],
                "user_count": len(users),
                "flights": [flight.pk for flight in flights],
                "flight_count": len(flights),
                "count": BOOKINGS,
            },
        )
        cursor.execute(
            f"""
            INSERT INTO {Ticket._meta.db_table} (booking_id, flight_id, passenger_name, last_name, seat, price, status)
            SELECT id, flight_id, '', '', lpad(to_hex(row_number() OVER (PARTITION BY flight_id ORDER BY id)), 4, '0'),
                   100, CASE status WHEN 'held' THEN 'held' WHEN 'confirmed' THEN 'active' ELSE 'expired' END
            FROM {Booking._meta.db_table}
            """  # noqa: S608
        )
        cursor.execute(f"ANALYZE {Booking._meta.db_table}, {Ticket._meta.db_table}")


def _generic_plan(flight, user, seats: list[str]) -> str:
    name, prepare, _ = hold_fast._prepare_sql(len(seats))
    now = timezone.now()
    values = {
        "flight": flight.pk,
        "user": user.pk,
        "seats": seats,
        "reference": "ZZZZZZ",
        "token": uuid.uuid4(),
        "now": now,
        "expires": now + timedelta(minutes=10),
        "count": len(seats),
        "total": 100,
        "price": 100,
        "client": "abc",
        "limit_flight": 5,
        "limit_total": 20,
        "limit_client_flight": 10,
        "limit_client": 50,
    }
    params = [*(values[param] for param in hold_fast._PARAMS), *seats]
    with connection.cursor() as cursor:
        cursor.execute(f"DEALLOCATE ALL; {prepare}")
        cursor.execute("SET LOCAL plan_cache_mode = force_generic_plan")
        placeholders = ", ".join(["%s"] * len(params))
        cursor.execute(f"EXPLAIN EXECUTE {name} ({placeholders})", params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
        cursor.execute(f"DEALLOCATE {name}")
    if hasattr(connection, "_skyway_hold_prepared"):  # the session's prepared holds are gone
        del connection._skyway_hold_prepared
    return plan


@pytest.mark.parametrize("seats", [["1A"], ["1A", "1B", "1C"]])
def test_the_hold_reads_the_bookings_by_index_under_the_generic_plan(seats):
    flights, users = FlightFactory.create_batch(40), UserFactory.create_batch(40)
    _fill(flights, users)
    plan = _generic_plan(flights[0], users[0], seats)
    for table in (Booking._meta.db_table, Ticket._meta.db_table):
        assert f"Seq Scan on {table}" not in plan, plan
    assert "booking_hold_expiry_idx" not in plan, plan  # every hold of every flight
    for index in ("booking_flight_hold_idx", "booking_user_held_idx", "booking_client_held_idx"):
        assert index in plan, plan
