"""Writes for bookings. Each service owns its transaction and locks flights before bookings."""

import logging
import secrets
import uuid

from django.conf import settings
from django.db import IntegrityError, OperationalError, connection, transaction
from django.db.models import F
from django.utils import timezone

from accounts.models import User
from flights.locking import is_lock_timeout, set_lock_timeout
from flights.models import Flight
from flights.search_cache import search_cache_invalidate
from flights.seating import assign_together, free_seats, seats_by_label
from notifications.services import outbox_enqueue

from .exceptions import BookingClosed, CancellationClosed, FlightBusy, SeatTaken, SeatUnknown, SoldOut
from .models import Booking, Ticket
from .notifications import booking_email_context
from .selectors import taken_seats

logger = logging.getLogger(__name__)

# No 0/O, 1/I/L: references are read out on the phone and typed from paper.
REFERENCE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
REFERENCE_LENGTH = 6


def new_reference() -> str:
    return "".join(secrets.choice(REFERENCE_ALPHABET) for _ in range(REFERENCE_LENGTH))


def _lock_flight(flight_id: int) -> Flight:
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


def booking_create(
    *,
    user: User,
    flight_id: int,
    passenger_names: list[str],
    token: uuid.UUID,
    seats: list[str | None] | None = None,
) -> Booking:
    """Book one seat per passenger name on the flight.

    `seats` gives each passenger's chosen seat label, or None to let the site choose; the
    site seats a party together (one row, else two adjacent rows) when it can.

    Locks the flight row, re-reads what is left, writes the booking, its tickets and the
    counter in one transaction, and queues the confirmation e-mail with it. Submitting the
    same `token` again returns the booking it made. Raises SoldOut, SeatTaken (with the
    seats), SeatUnknown, BookingClosed, FlightBusy.
    """
    # A replayed token is caught by the unique (user, token) constraint below, not by a query
    # up front: the common path stays one round trip shorter.
    seats_wanted = len(passenger_names)
    if not 1 <= seats_wanted <= settings.MAX_PASSENGERS_PER_BOOKING:
        raise SoldOut(f"A booking is for 1 to {settings.MAX_PASSENGERS_PER_BOOKING} passengers.")
    # Airports never change under a booking: read them before taking the lock.
    flight = Flight.objects.select_related("origin", "destination").get(pk=flight_id)
    for _attempt in range(3):
        try:
            return _booking_create_locked(
                user=user, flight=flight, passenger_names=passenger_names, token=token, chosen=seats
            )
        except IntegrityError as error:
            text = str(error)
            if "booking_user_token_unique" in text:
                return Booking.objects.get(user=user, token=token)
            if "reference" in text:
                continue  # two bookings drew the same reference: draw again
            if "ticket_one_active_per_seat" in text:
                raise SeatTaken() from error
            if "flight_seats_within_capacity" in text:
                raise SoldOut() from error
            raise
    raise RuntimeError("Could not draw a free booking reference in three attempts")


# The hot path's lock: one round trip sets the lock timeout and locks the row, reading only
# the columns the booking rules need. The airports are read before, outside the lock.
_LOCK_FOR_BOOKING_SQL = (
    "SET LOCAL lock_timeout = '{timeout}ms'; "
    "SELECT capacity, seats_booked, status, departs_at, price FROM {table} WHERE id = %s FOR UPDATE"
)


def _lock_flight_for_booking(flight: Flight) -> None:
    """Lock the flight row and refresh its seat, status, time and price fields from it."""
    sql = _LOCK_FOR_BOOKING_SQL.format(timeout=int(settings.BOOKING_LOCK_TIMEOUT_MS), table=Flight._meta.db_table)
    try:
        with connection.cursor() as cursor:
            cursor.execute(sql, [flight.pk])
            row = cursor.fetchone()
    except OperationalError as error:
        if is_lock_timeout(error):
            raise FlightBusy() from error
        raise
    if row is None:
        raise Flight.DoesNotExist(f"Flight {flight.pk} was removed")
    flight.capacity, flight.seats_booked, flight.status, flight.departs_at, flight.price = row


def _free_seats(flight: Flight, count: int) -> list[str]:
    """`count` free seats for a party, together when possible. Call with the flight locked
    and its counter fresh.

    Fast path: seats fill from the front, so unless cancellations or chosen seats left holes
    the seats right after the counter are free, and consecutive seats sit in one row or two
    adjacent ones; checking just those keeps the lock short on big cabins. Otherwise every
    taken seat is read and the party is seated by `assign_together`.
    """
    labels = flight.seat_labels()
    active = Ticket.objects.filter(flight_id=flight.pk, status=Ticket.Status.ACTIVE).order_by()
    candidates = labels[flight.seats_booked : flight.seats_booked + count]
    if len(candidates) == count and not active.filter(seat__in=candidates).exists():
        return list(candidates)
    free = free_seats(flight.capacity, flight.layout, taken_seats(flight_id=flight.pk))
    return [seat.label for seat in assign_together(free, count)]


def _seats_for(flight: Flight, chosen: list[str | None]) -> list[str]:
    """One seat per passenger: the chosen ones if free, the site's choice for the others."""
    wanted = [label for label in chosen if label]
    if not wanted:
        return _free_seats(flight, len(chosen))
    layout = seats_by_label(flight.capacity, flight.layout)
    unknown = [label for label in wanted if label not in layout]
    if unknown:
        raise SeatUnknown(f"Seat {unknown[0]} does not exist on this flight.")
    if len(set(wanted)) != len(wanted):
        raise SeatUnknown("Each passenger needs a different seat.")
    taken = taken_seats(flight_id=flight.pk)
    clashes = tuple(label for label in wanted if label in taken)
    if clashes:
        raise SeatTaken(seats=clashes)
    free = free_seats(flight.capacity, flight.layout, taken, also_taken=wanted)
    assigned = iter(seat.label for seat in assign_together(free, len(chosen) - len(wanted)))
    return [label or next(assigned) for label in chosen]


def _booking_create_locked(
    *, user: User, flight: Flight, passenger_names: list[str], token: uuid.UUID, chosen: list[str | None] | None
) -> Booking:
    seats_wanted = len(passenger_names)
    chosen = list(chosen or [None] * seats_wanted)
    if len(chosen) != seats_wanted:
        raise SeatUnknown("Choose one seat per passenger.")
    reference = new_reference()
    with transaction.atomic():
        _lock_flight_for_booking(flight)
        if flight.is_cancelled or flight.departs_at <= timezone.now():
            raise BookingClosed()
        if flight.seats_left < seats_wanted:
            raise SoldOut(
                "Sorry, this flight is sold out."
                if flight.seats_left == 0
                else f"Sorry, only {flight.seats_left} seat{'s' if flight.seats_left != 1 else ''} left on this flight."
            )
        seats = _seats_for(flight, chosen)
        booking = Booking.objects.create(
            reference=reference,
            user=user,
            flight=flight,
            seat_count=seats_wanted,
            total_price=flight.price * seats_wanted,
            token=token,
        )
        tickets = Ticket.objects.bulk_create(
            Ticket(booking=booking, flight=flight, passenger_name=name, seat=seat, price=flight.price)
            for name, seat in zip(passenger_names, seats, strict=True)
        )
        Flight.objects.filter(pk=flight.pk).update(seats_booked=F("seats_booked") + seats_wanted)
        outbox_enqueue(
            to=user.email,
            template="booking_confirmed",
            user_id=user.pk,
            context=booking_email_context(booking, flight, tickets, name=user.first_name),
        )
    return booking


def booking_cancel(*, user: User, booking_id: int) -> Booking:
    """Cancel the owner's booking before departure; its seats return to the flight at once.

    Locks the flight, then the booking. Cancelling a cancelled booking changes nothing.
    Raises Booking.DoesNotExist for another user's booking, CancellationClosed after departure.
    """
    flight_id = Booking.objects.values_list("flight_id", flat=True).get(pk=booking_id, user=user)
    with transaction.atomic():
        set_lock_timeout()
        flight = _lock_flight(flight_id)
        booking = Booking.objects.select_for_update().get(pk=booking_id, user=user)
        if booking.is_cancelled:
            return booking
        if flight.departs_at <= timezone.now():
            raise CancellationClosed()
        released = _cancel_booking_locked(booking)
        Flight.objects.filter(pk=flight.pk).update(seats_booked=F("seats_booked") - released)
        outbox_enqueue(
            to=user.email,
            template="booking_cancelled",
            user_id=user.pk,
            context=booking_email_context(booking, flight, booking.tickets.all(), name=user.first_name),
        )
    return booking


def _cancel_booking_locked(booking: Booking, *, by_staff: bool = False) -> int:
    """Mark a booking and its active tickets cancelled. Returns the seats released."""
    released = booking.tickets.filter(status=Ticket.Status.ACTIVE).update(status=Ticket.Status.CANCELLED)
    booking.status = Booking.Status.CANCELLED
    booking.cancelled_at = timezone.now()
    booking.cancelled_by_staff = by_staff
    booking.save(update_fields=["status", "cancelled_at", "cancelled_by_staff"])
    return released


def flight_remove(*, flight_id: int) -> str:
    """Remove a flight from the schedule. Returns "deleted" or "cancelled".

    A flight nobody ever booked is deleted. One with bookings is kept as history: it is
    cancelled, its confirmed bookings are cancelled, their seats released, and each booker
    gets an e-mail, all in one transaction. Locks the flight, then its bookings by pk.
    """
    with transaction.atomic():
        set_lock_timeout()
        flight = _lock_flight(flight_id)
        search_cache_invalidate(flight)
        if not Booking.objects.filter(flight=flight).exists():
            flight.delete()
            return "deleted"
        bookings = list(
            Booking.objects.select_for_update()
            .filter(flight=flight, status=Booking.Status.CONFIRMED)
            .select_related("user")
            .prefetch_related("tickets")
            .order_by("pk")
        )
        released = 0
        for booking in bookings:
            released += _cancel_booking_locked(booking, by_staff=True)
            outbox_enqueue(
                to=booking.user.email,
                template="flight_cancelled",
                user_id=booking.user_id,
                context=booking_email_context(booking, flight, booking.tickets.all(), name=booking.user.first_name),
            )
        Flight.objects.filter(pk=flight.pk).update(
            status=Flight.Status.CANCELLED, seats_booked=F("seats_booked") - released
        )
        logger.info("Flight %s cancelled by staff; %d bookings cancelled", flight, len(bookings))
    return "cancelled"
