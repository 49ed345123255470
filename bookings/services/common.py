"""What every booking service shares: references, the flight lock, and releasing lapsed holds."""

import secrets

from django.conf import settings
from django.db import OperationalError, connection
from django.db.models import F
from django.utils import timezone

from flights.locking import is_lock_timeout
from flights.models import Flight

from ..exceptions import FlightBusy
from ..models import Booking, Ticket

# No 0/O, 1/I/L: references are read out on the phone and typed from paper.
REFERENCE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
REFERENCE_LENGTH = 6


def new_reference() -> str:
    return "".join(secrets.choice(REFERENCE_ALPHABET) for _ in range(REFERENCE_LENGTH))


def lock_flight(flight_id: int) -> Flight:
    """Lock one flight row (not its airports) and read it afresh.

    Anything else about the flight (its taken seats) must be read in a later statement: a
    subquery in this one would see the snapshot from before the lock wait, not what the
    previous lock holder committed.
    """
    flights = Flight.objects.select_related("origin", "destination").select_for_update(of=("self",))
    try:
        return flights.get(pk=flight_id)
    except OperationalError as error:
        if is_lock_timeout(error):
            raise FlightBusy() from error
        raise


# The hot path's lock: one round trip sets the lock timeout and locks the row, reading only
# the columns the booking rules need. The airports are read before, outside the lock.
_LOCK_FOR_BOOKING_SQL = (
    "SET LOCAL lock_timeout = '{timeout}ms'; {before}"
    "SELECT capacity, seats_booked, status, departs_at, price, layout FROM {table} WHERE id = %s FOR UPDATE"
)


def lock_flight_for_booking(flight: Flight, *, before: tuple[str, list] = ("", [])) -> None:
    """Lock the flight row and refresh its seat, layout, status, time and price fields from it.
    `before` is a statement and its parameters run first, in the same round trip and under
    the same lock timeout (the hold limits' advisory locks). Flight.DoesNotExist if there is
    no such flight; FlightBusy when a lock is not had within BOOKING_LOCK_TIMEOUT_MS."""
    sql = _LOCK_FOR_BOOKING_SQL.format(
        timeout=int(settings.BOOKING_LOCK_TIMEOUT_MS), table=Flight._meta.db_table, before=before[0]
    )
    try:
        with connection.cursor() as cursor:
            cursor.execute(sql, [*before[1], flight.pk])
            row = cursor.fetchone()
    except OperationalError as error:
        if is_lock_timeout(error):
            raise FlightBusy() from error
        raise
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
