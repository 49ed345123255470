"""The one-statement hold (bookings/services/checkout/hold_fast.py) against the real schema,
and the constraint names the hold recognises (bookings/services/checkout/hold.py)."""

import re
import uuid

import pytest
from django.db import connection

from accounts.tests.factories import UserFactory
from bookings.models import Booking, Ticket
from bookings.services import booking_hold
from bookings.services.checkout import hold, hold_fast
from bookings.tests.factories import make_hold
from flights.tests.factories import FlightFactory

pytestmark = pytest.mark.django_db

TABLES = (Booking._meta.db_table, Ticket._meta.db_table)


def _required_columns(table: str) -> set[str]:
    """The table's columns an INSERT must name: NOT NULL, no database default, not an identity.
    Read from the migrated database, so a column added by any migration counts."""
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT column_name FROM information_schema.columns
            WHERE table_schema = current_schema() AND table_name = %s
              AND is_nullable = 'NO' AND column_default IS NULL AND is_identity = 'NO'
            """,
            [table],
        )
        return {name for (name,) in cursor.fetchall()}


def _inserted_columns() -> dict[str, set[str]]:
    """Per table, the column list of each INSERT in the one-statement hold."""
    found = re.findall(r"INSERT INTO (\w+) \(([^)]*)\)", hold_fast._HOLD_SQL)
    return {table: {column.strip() for column in columns.split(",")} for table, columns in found}


def _missing_from_hold_insert() -> dict[str, set[str]]:
    inserted = _inserted_columns()
    return {table: _required_columns(table) - inserted.get(table, set()) for table in TABLES}


def test_the_one_statement_hold_inserts_every_not_null_column_without_a_default():
    inserted = _inserted_columns()
    assert set(inserted) == set(TABLES), inserted  # the booking and its tickets, nothing else
    assert {"reference", "token", "seat_count"} <= _required_columns(Booking._meta.db_table)
    assert _missing_from_hold_insert() == {table: set() for table in TABLES}, (
        "A NOT NULL column without a database default is missing from the INSERT in hold_fast._HOLD_SQL: "
        "add it there (or give it a db_default), or every hold through the fast path fails."
    )


def test_a_new_not_null_column_missing_from_the_hold_statement_is_caught():
    # The negative control: the schema gains a column the statement does not know about
    # (rolled back with the test's transaction).
    with connection.cursor() as cursor:
        cursor.execute(f"ALTER TABLE {Ticket._meta.db_table} ADD COLUMN boarding_group varchar(2) NOT NULL")
    assert _missing_from_hold_insert()[Ticket._meta.db_table] == {"boarding_group"}
    with connection.cursor() as cursor:
        cursor.execute(f"ALTER TABLE {Ticket._meta.db_table} ALTER COLUMN boarding_group SET DEFAULT ''")
    assert _missing_from_hold_insert()[Ticket._meta.db_table] == set()


def test_every_constraint_the_hold_recognises_exists_by_that_name():
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT conname FROM pg_constraint UNION SELECT indexname FROM pg_indexes WHERE schemaname = current_schema()"
        )
        names = {name for (name,) in cursor.fetchall()}
    assert set(hold.HOLD_CONSTRAINTS) - names == set()


def test_a_reference_drawn_twice_is_drawn_again(monkeypatch):
    flight = FlightFactory()
    taken = make_hold(flight=flight).reference
    draws = iter([taken, "NEWREF"])
    monkeypatch.setattr(hold, "new_reference", lambda: next(draws))  # the dice, not our code
    booking = booking_hold(user=UserFactory(), flight_id=flight.pk, seats=[None], token=uuid.uuid4())
    assert booking.reference == "NEWREF"
    assert Booking.objects.filter(flight=flight, status=Booking.Status.HELD).count() == 2
