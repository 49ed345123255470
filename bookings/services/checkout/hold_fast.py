"""The common case of holding seats, in one statement while the flight row is locked.

Most holds are on a flight with no lapsed holds to release, for seats that are free: the next
seats from the front when the site chooses, or the chosen ones. For those, one statement
checks both conditions and writes the held booking, its tickets and the counter, so the lock is
held for the lock statement, this one and COMMIT: the shape of pgbench's lock-protected write.
The statement is prepared once per database session and party size, so PostgreSQL does not
parse and plan it while the lock is held. When either check fails it writes nothing, and
`booking_hold` takes the general path (release
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
from functools import lru_cache

from django.db import connection

from flights.models import Flight

from ...models import Booking, Ticket
from .hold_limits import HoldLimits

_TABLES = {
    "booking": Booking._meta.db_table,
    "ticket": Ticket._meta.db_table,
    "flight": Flight._meta.db_table,
    "held": Booking.Status.HELD.value,
    "in_use": ", ".join(f"'{status.value}'" for status in Ticket.IN_USE),
}

# Under a generic plan (after five executions PostgreSQL may stop planning the prepared
# statement for its values) `hold_expires_at <= $6` looks as selective as anything, and the
# planner may answer a check from the site-wide expiry index (every hold of every flight) or a
# scan of the table, while the flight row is locked. So each check reads an index led by what
# it is about: the flight's, the user's or the client's holds (booking_flight_hold_idx,
# booking_user_held_idx, booking_client_held_idx, all over held bookings only). The time is
# compared as `hold_expires_at + interval '0 s'`, which no index can serve, and
# `hold_client <> ''` states the client index's condition. bookings/tests/test_hold_plan.py
# reads the generic plan over a large table.
_HOLD_SQL = """
WITH ok AS (
    SELECT NOT EXISTS (
               SELECT 1 FROM {booking}
               WHERE flight_id = %(flight)s AND status = '{held}' AND hold_expires_at + interval '0 s' <= %(now)s
           )
       AND NOT EXISTS (
               SELECT 1 FROM {ticket}
               WHERE flight_id = %(flight)s AND status IN ({in_use}) AND seat IN %(seat_set)s
           )
       -- The hold limits (hold_limits.py); the general path names the one that was reached.
       AND (SELECT count(*) FROM {booking}
            WHERE user_id = %(user)s AND flight_id = %(flight)s AND status = '{held}'
              AND hold_expires_at + interval '0 s' > %(now)s) < %(limit_flight)s
       AND (SELECT count(*) FROM (SELECT 1 FROM {booking}
            WHERE user_id = %(user)s AND status = '{held}' AND hold_expires_at + interval '0 s' > %(now)s
            LIMIT %(limit_total)s) AS mine) < %(limit_total)s
       AND (%(client)s = ''
            OR ((SELECT count(*) FROM {booking}
                 WHERE hold_client = %(client)s AND hold_client <> '' AND flight_id = %(flight)s
                   AND status = '{held}' AND hold_expires_at + interval '0 s' > %(now)s) < %(limit_client_flight)s
                AND (SELECT count(*) FROM (SELECT 1 FROM {booking}
                     WHERE hold_client = %(client)s AND hold_client <> '' AND status = '{held}'
                       AND hold_expires_at + interval '0 s' > %(now)s
                     LIMIT %(limit_client)s) AS theirs) < %(limit_client)s))
       AS free
), booking AS (
    INSERT INTO {booking} (reference, user_id, flight_id, status, hold_expires_at, seat_count,
                           total_price, token, created_at, cancelled_by_staff, hold_client)
    SELECT %(reference)s, %(user)s, %(flight)s, '{held}', %(expires)s, %(count)s,
           %(total)s, %(token)s, %(now)s, false, %(client)s
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


# The statement is prepared once per connection and party size (PREPARE ... EXECUTE), so the
# lock is not held while PostgreSQL parses and plans it on every hold. Each chosen seat is its
# own parameter (seat IN ($11, $12, ...)): with an array the planner would not use the
# (flight, seat) index for the seats.
_PARAMS = (
    "flight",
    "user",
    "seats",
    "reference",
    "token",
    "now",
    "expires",
    "count",
    "total",
    "price",
    "client",
    "limit_flight",
    "limit_total",
    "limit_client_flight",
    "limit_client",
)
_TYPES = (
    "bigint",
    "bigint",
    "varchar[]",
    "varchar",
    "uuid",
    "timestamptz",
    "timestamptz",
    "integer",
    "numeric",
    "numeric",
    "varchar",
    "integer",
    "integer",
    "integer",
    "integer",
)


@lru_cache(maxsize=16)
def _prepare_sql(count: int) -> tuple[str, str, str]:
    """(statement name, PREPARE text, EXECUTE text with placeholders) for a party of `count`."""
    name = f"skyway_hold_{count}"
    body = _HOLD_SQL.replace("%(seat_set)s", "(" + ", ".join(f"${len(_PARAMS) + i}" for i in range(1, count + 1)) + ")")
    for number, param in enumerate(_PARAMS, start=1):
        body = body.replace(f"%({param})s", f"${number}")
    types = ", ".join([*_TYPES, *["varchar"] * count])
    execute = f"EXECUTE {name} ({', '.join(['%s'] * (len(_PARAMS) + count))})"
    return name, f"PREPARE {name} ({types}) AS {body}", execute


def _uses_prepared_statements() -> bool:
    # A transaction-pooling PgBouncer hands each transaction any server connection, where a
    # statement prepared on another does not exist. Django's setting for such a pooler is
    # DISABLE_SERVER_SIDE_CURSORS; it turns prepared statements off here too.
    return not connection.settings_dict.get("DISABLE_SERVER_SIDE_CURSORS", False)


def _execute(cursor, params: dict, seats: list[str]) -> None:
    if not _uses_prepared_statements():
        cursor.execute(_HOLD_SQL, {**params, "seat_set": tuple(seats)})
        return
    _name, prepare, execute = _prepare_sql(len(seats))
    # Prepared statements live as long as the database session: remember which ones this
    # session has by the driver connection they were made on.
    session = connection.connection
    prepared = getattr(connection, "_skyway_hold_prepared", None)
    if prepared is None or prepared[0] is not session:
        prepared = (session, set())
        connection._skyway_hold_prepared = prepared
    if len(seats) not in prepared[1]:
        cursor.execute(prepare)  # not undone by a rollback: it belongs to the session
        prepared[1].add(len(seats))
    cursor.execute(execute, [*(params[name] for name in _PARAMS), *seats])


def hold_free_seats_locked(
    *,
    user_id: int,
    flight: Flight,
    seats: list[str],
    reference: str,
    token: uuid.UUID,
    now: datetime,
    expires: datetime,
    client: str,
    limits: HoldLimits,
) -> Booking | None:
    """Hold `seats` (labels, in passenger order) if the flight has no lapsed hold, none of
    them is in use and no hold limit would be passed; return the held booking, or None having
    written nothing. Call with the flight locked by `lock_flight_for_booking` (after the
    limits' advisory locks) and its seats left checked."""
    assert connection.in_atomic_block, "hold_free_seats_locked() needs the flight lock"
    count = len(seats)
    total: Decimal = flight.price * count
    params = {
        "flight": flight.pk,
        "user": user_id,
        "seats": seats,
        "reference": reference,
        "token": token,
        "now": now,
        "expires": expires,
        "count": count,
        "total": total,
        "price": flight.price,
        "client": client,
        "limit_flight": limits.per_flight,
        "limit_total": limits.total,
        "limit_client_flight": limits.client_per_flight,
        "limit_client": limits.client_total,
    }
    with connection.cursor() as cursor:
        _execute(cursor, params, seats)
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
        hold_client=client,
    )
    booking._state.adding = False
    booking._state.db = connection.alias
    return booking
