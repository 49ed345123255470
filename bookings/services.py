"""Writes for bookings. Each service owns its transaction and locks flights before bookings."""

import logging
import secrets
import uuid

from django.conf import settings
from django.db import IntegrityError, OperationalError, transaction
from django.db.models import F
from django.utils import timezone

from accounts.models import User
from flights.locking import is_lock_timeout, set_lock_timeout
from flights.models import Flight
from notifications.services import outbox_enqueue

from .exceptions import BookingClosed, CancellationClosed, FlightBusy, SeatTaken, SoldOut
from .models import Booking, Ticket
from .notifications import booking_email_context

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


def booking_create(*, user: User, flight_id: int, passenger_names: list[str], token: uuid.UUID) -> Booking:
    """Book one seat per passenger name on the flight, seats assigned from the front.

    Locks the flight row, re-reads what is left, writes the booking, its tickets and the
    counter in one transaction, and queues the confirmation e-mail with it. Submitting the
    same `token` again returns the booking it made. Raises SoldOut, BookingClosed, FlightBusy.
    """
    existing = Booking.objects.filter(user=user, token=token).first()
    if existing:
        return existing
    seats_wanted = len(passenger_names)
    if not 1 <= seats_wanted <= settings.MAX_PASSENGERS_PER_BOOKING:
        raise SoldOut(f"A booking is for 1 to {settings.MAX_PASSENGERS_PER_BOOKING} passengers.")
    for _attempt in range(3):
        try:
            return _booking_create_locked(user=user, flight_id=flight_id, passenger_names=passenger_names, token=token)
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


def _booking_create_locked(*, user: User, flight_id: int, passenger_names: list[str], token: uuid.UUID) -> Booking:
    seats_wanted = len(passenger_names)
    with transaction.atomic():
        set_lock_timeout()
        flight = _lock_flight(flight_id)
        if flight.is_cancelled or flight.departs_at <= timezone.now():
            raise BookingClosed()
        if flight.seats_left < seats_wanted:
            raise SoldOut(
                "Sorry, this flight is sold out."
                if flight.seats_left == 0
                else f"Sorry, only {flight.seats_left} seat{'s' if flight.seats_left != 1 else ''} left on this flight."
            )
        taken = set(Ticket.objects.filter(flight=flight, status=Ticket.Status.ACTIVE).values_list("seat", flat=True))
        seats = [seat for seat in flight.seat_labels() if seat not in taken][:seats_wanted]
        booking = Booking.objects.create(
            reference=new_reference(), user=user, flight=flight, seat_count=seats_wanted,
            total_price=flight.price * seats_wanted, token=token,
        )
        tickets = Ticket.objects.bulk_create(
            Ticket(booking=booking, flight=flight, passenger_name=name, seat=seat, price=flight.price)
            for name, seat in zip(passenger_names, seats, strict=True)
        )
        Flight.objects.filter(pk=flight.pk).update(seats_booked=F("seats_booked") + seats_wanted)
        outbox_enqueue(
            to=user.email, template="booking_confirmed", user_id=user.pk,
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
            to=user.email, template="booking_cancelled", user_id=user.pk,
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
                to=booking.user.email, template="flight_cancelled", user_id=booking.user_id,
                context=booking_email_context(booking, flight, booking.tickets.all(), name=booking.user.first_name),
            )
        Flight.objects.filter(pk=flight.pk).update(
            status=Flight.Status.CANCELLED, seats_booked=F("seats_booked") - released
        )
        logger.info("Flight %s cancelled by staff; %d bookings cancelled", flight, len(bookings))
    return "cancelled"
