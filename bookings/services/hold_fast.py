"""The common case of holding seats, in one statement while the flight row is locked.

Most holds are on a flight with no lapsed holds to release, for seats that are free: the next
seats from the front when the site chooses, or the chosen ones. For those, one statement
checks both conditions and writes the held booking, its tickets and the counter, so the lock is
held for the lock statement, this one and COMMIT: the shape of pgbench's lock-protected write.
When either check fails it writes nothing, and `booking_hold` takes the general path (release
lapsed holds, seat the party with `assign_together`, name the clashing seats) under the same
lock.

The statement runs after the lock statement has returned, so its snapshot includes everything
the previous lock holder committed. The database constraints (unique (flight, seat) over held
and active tickets, CHECK on the counter, unique (user, token)) stand behind it as behind every
other write.
"""

import uuid
from datetime import datetime
from decimal import Decimal

from django.db import connection

from flights.models import Flight

from ..models import Booking, Ticket

_TABLES = {
    "booking": Booking._meta.db_table,
    "ticket": Ticket._meta.db_table,
    "flight": Flight._meta.db_table,
    "held": Booking.Status.HELD.value,
    "in_use": ", ".join(f"'{status.value}'" for status in Ticket.IN_USE),
}

_HOLD_SQL = """
WITH ok AS (
    SELECT NOT EXISTS (
               SELECT 1 FROM {booking}
               WHERE flight_id = %(flight)s AND status = '{held}' AND hold_expires_at <= %(now)s
           )
       AND NOT EXISTS (
               SELECT 1 FROM {ticket}
               WHERE flight_id = %(flight)s AND status IN ({in_use}) AND seat IN %(seat_set)s
           ) AS free
), booking AS (
    INSERT INTO {booking} (reference, user_id, flight_id, status, hold_expires_at, seat_count,
                           total_price, token, created_at, cancelled_by_staff)
    SELECT %(reference)s, %(user)s, %(flight)s, '{held}', %(expires)s, %(count)s,
           %(total)s, %(token)s, %(now)s, false
    FROM ok WHERE free
    RETURNING id
), tickets AS (
    INSERT INTO {ticket} (booking_id, flight_id, passenger_name, last_name, seat, price, status)
    SELECT booking.id, %(flight)s, '', '', chosen.seat, %(price)s, '{held}'
    FROM booking, unnest(%(seats)s::varchar[]) WITH ORDINALITY AS chosen(seat, position)
    ORDER BY chosen.position
), counter AS (
    UPDATE {flight} SET seats_booked = seats_booked + %(count)s
    WHERE id = %(flight)s AND EXISTS (SELECT 1 FROM booking)
)
SELECT id FROM booking
""".format(**_TABLES)  # noqa: S608 (table names and status values from the models, never input)


def hold_free_seats_locked(
    *,
    user_id: int,
    flight: Flight,
    seats: list[str],
    reference: str,
    token: uuid.UUID,
    now: datetime,
    expires: datetime,
) -> Booking | None:
    """Hold `seats` (labels, in passenger order) if the flight has no lapsed hold and none of
    them is in use; return the held booking, or None having written nothing. Call with the
    flight locked by `lock_flight_for_booking` and its seats left checked."""
    assert connection.in_atomic_block, "hold_free_seats_locked() needs the flight lock"
    count = len(seats)
    total: Decimal = flight.price * count
    with connection.cursor() as cursor:
        cursor.execute(
            _HOLD_SQL,
            {
                "flight": flight.pk,
                "user": user_id,
                "seats": seats,
                # IN (a, b), not = ANY(array): only the list lets the planner use the partial
                # unique index on (flight, seat) for both columns.
                "seat_set": tuple(seats),
                "reference": reference,
                "token": token,
                "now": now,
                "expires": expires,
                "count": count,
                "total": total,
                "price": flight.price,
            },
        )
        row = cursor.fetchone()
    if row is None:
        return None
    flight.seats_booked += count
    booking = Booking(
        pk=row[0],
        reference=reference,
        user_id=user_id,
        flight_id=flight.pk,
        status=Booking.Status.HELD,
        hold_expires_at=expires,
        seat_count=count,
        total_price=total,
        token=token,
        created_at=now,
    )
    booking._state.adding = False
    booking._state.db = connection.alias
    return booking
