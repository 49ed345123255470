"""What every booking service shares: references, the locks every booking write starts
with (all through booking_site.lib.db), and releasing lapsed holds."""

import secrets
from collections.abc import Iterator
from contextlib import contextmanager

from django.db import connection
from django.db.models import F
from django.utils import timezone

from accounts.models import User
from booking_site.lib.db import Busy, busy_on_lock_timeout, lock_timeout_sql, locked
from flights.models import Flight

from ..exceptions import FlightBusy
from ..models import Booking, Ticket

# No 0/O, 1/I/L: references are read out on the phone and typed from paper.
REFERENCE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
REFERENCE_LENGTH = 6


def new_reference() -> str:
    return "".join(secrets.choice(REFERENCE_ALPHABET) for _ in range(REFERENCE_LENGTH))


@contextmanager
def flight_locked(flight_id: int) -> Iterator[Flight]:
    """One transaction holding the flight's row lock: yields the flight read afresh after the
    lock (its airports read with it, not locked). Every booking write that is not the hold's
    hot path starts here; rows it locks inside (bookings, by pk) come after the flight.

    Anything else about the flight (its taken seats) must be read in a later statement: a
    subquery in the lock statement would see the snapshot from before the lock wait, not what
    the previous lock holder committed. Raises Flight.DoesNotExist; FlightBusy when the flight,
    or any row locked inside, is not had within BOOKING_LOCK_TIMEOUT_MS.
    """
    flights = Flight.objects.select_related("origin", "destination").filter(pk=flight_id)
    try:
        with locked(flights) as found:
            if not found:
                raise Flight.DoesNotExist(f"Flight {flight_id} does not exist")
            yield found[0]
    except Busy as error:
        raise FlightBusy() from error


@contextmanager
def own_booking_locked(*, user: User, booking_id: int) -> Iterator[Booking]:
    """One transaction holding the user's booking row lock (not its flight's): the checkout
    steps after the hold (names, payment). Yields the booking (with its flight and airports,
    read afresh). Raises Booking.DoesNotExist for anyone else's booking; FlightBusy while
    another request on the same booking (a double submit) holds it past the lock timeout."""
    bookings = Booking.objects.select_related("flight__origin", "flight__destination").filter(pk=booking_id, user=user)
    try:
        with locked(bookings) as found:
            if not found:
                raise Booking.DoesNotExist(f"Booking {booking_id} of user {user.pk} does not exist")
            yield found[0]
    except Busy as error:
        raise FlightBusy("We are still working on your last request. Please try again in a moment.") from error


# The hot path's lock: one round trip sets the lock timeout and locks the row, reading only
# the columns the booking rules need. The airports are read before, outside the lock.
_LOCK_FOR_BOOKING_SQL = (
    "{set_lock_timeout}; {before}"
    "SELECT capacity, seats_booked, status, departs_at, price, layout FROM {table} WHERE id = %s FOR UPDATE"
)


def lock_flight_for_booking(flight: Flight, *, before: tuple[str, list] = ("", [])) -> None:
    """The hold's lock, in one round trip: `flight_locked`'s rules (lock timeout, FlightBusy)
    without its extra statements. Lock the flight row and refresh its seat, layout, status,
    time and price fields from it. `before` is a statement and its parameters run first, in
    the same round trip and under the same lock timeout (the hold limits' advisory locks).
    Call inside the caller's transaction. Flight.DoesNotExist if there is no such flight;
    FlightBusy when a lock is not had within BOOKING_LOCK_TIMEOUT_MS."""
    assert connection.in_atomic_block, "lock_flight_for_booking() needs a transaction"
    sql = _LOCK_FOR_BOOKING_SQL.format(
        set_lock_timeout=lock_timeout_sql(), table=Flight._meta.db_table, before=before[0]
    )
    try:
        with busy_on_lock_timeout(), connection.cursor() as cursor:
            cursor.execute(sql, [*before[1], flight.pk])
            row = cursor.fetchone()
    except Busy as error:
        raise FlightBusy() from error
    if row is None:
        raise Flight.DoesNotExist(f"Flight {flight.pk} was removed")
    flight.capacity, flight.seats_booked, flight.status, flight.departs_at, flight.price, flight.layout = row


def release_lapsed_holds_locked(flight: Flight) -> int:
    """Expire the flight's holds whose time ran out; their seats go back and the counter drops
    by exactly the tickets released. Returns that number. Call with the flight locked.

    A lapsed hold whose booking row is locked right now (its payment is going through) is
    skipped: whoever holds a booking's lock decides its fate, so a hold is never both paid
    and released.
    """
    assert connection.in_atomic_block, "release_lapsed_holds_locked() needs the flight lock"
    lapsed = list(
        Booking.objects.filter(flight_id=flight.pk, status=Booking.Status.HELD, hold_expires_at__lte=timezone.now())
        .select_for_update(skip_locked=True)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    if not lapsed:
        return 0
    Booking.objects.filter(pk__in=lapsed).update(status=Booking.Status.EXPIRED)
    released = Ticket.objects.filter(booking_id__in=lapsed, status=Ticket.Status.HELD).update(
        status=Ticket.Status.EXPIRED
    )
    Flight.objects.filter(pk=flight.pk).update(seats_booked=F("seats_booked") - released)
    flight.seats_booked -= released
    return released
