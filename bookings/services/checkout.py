"""Checkout: hold seats, name the passengers, pay. Each step owns its transaction.

Lock order everywhere: the flight row, then booking rows by pk. Paying locks only its own
booking (never the flight), so a slow card payment never blocks other passengers' bookings.
"""

import uuid
from dataclasses import dataclass
from datetime import date, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from accounts.models import User
from flights.models import Flight
from flights.seating import assign_together, free_seats, seats_by_label
from notifications.services import outbox_enqueue

from ..exceptions import (
    BookingClosed,
    BookingError,
    CheckoutIncomplete,
    HoldExpired,
    SeatTaken,
    SeatUnknown,
    SoldOut,
)
from ..models import Booking, Payment, Ticket
from ..notifications import booking_email_context
from ..payments import Card, PaymentProvider, payment_provider
from ..selectors import seats_in_use
from .common import (
    flight_locked,
    lock_flight_for_booking,
    new_reference,
    own_booking_locked,
    release_lapsed_holds_locked,
)
from .hold_fast import hold_free_seats_locked
from .hold_limits import advisory_lock_sql, check_hold_limits_locked, client_key, hold_limits_for


@dataclass(frozen=True)
class Passenger:
    first_names: str
    last_name: str
    date_of_birth: date | None = None

    @property
    def full_name(self) -> str:
        return f"{self.first_names} {self.last_name}".strip()

    @classmethod
    def from_full_name(cls, name: str) -> "Passenger":
        first, _, last = name.strip().rpartition(" ")
        return cls(first_names=first, last_name=last)


def booking_hold(*, user: User, flight_id: int, seats: list[str | None], token: uuid.UUID, client: str = "") -> Booking:
    """Hold one seat per entry of `seats` for BOOKING_HOLD_MINUTES: a chosen label, or None
    to let the site choose (a party sits together, one row else two adjacent rows, when it can).

    Locks the flight row, releases its lapsed holds, re-reads what is left, and writes the
    held booking, its tickets and the counter in one transaction: held seats count as taken
    for everyone else. Submitting the same `token` again returns the booking it made.
    `client` is the client's network (lib.http.client_network; "" when not from a request):
    with the account it is counted against the hold limits (hold_limits.py), under locks.
    Raises SoldOut, SeatTaken (with the seats), SeatUnknown, BookingClosed, FlightBusy,
    HoldLimitReached, Flight.DoesNotExist.
    """
    # A replayed token is caught by the unique (user, token) constraint below, not by a query
    # up front: the common path stays one round trip shorter.
    if not 1 <= len(seats) <= settings.MAX_PASSENGERS_PER_BOOKING:
        raise SoldOut(f"A booking is for 1 to {settings.MAX_PASSENGERS_PER_BOOKING} passengers.")
    for _attempt in range(3):
        try:
            return _hold_locked(
                user=user, flight=Flight(pk=flight_id), chosen=list(seats), token=token, client=client_key(client)
            )
        except IntegrityError as error:
            text = str(error)
            if "booking_user_token_unique" in text:
                return Booking.objects.get(user=user, token=token)
            if "reference" in text:
                continue  # two bookings drew the same reference: draw again
            if "ticket_one_per_seat_in_use" in text:
                raise SeatTaken() from error
            if "flight_seats_within_capacity" in text:
                raise SoldOut() from error
            raise
    raise RuntimeError("Could not draw a free booking reference in three attempts")


def _hold_locked(*, user: User, flight: Flight, chosen: list[str | None], token: uuid.UUID, client: str) -> Booking:
    """`flight` carries only its pk: the lock fills in the fields the rules read. The booking
    returned has `flight_id`, and loads its flight (with the airports) only when asked."""
    count = len(chosen)
    reference = new_reference()
    limits = hold_limits_for(user)
    with transaction.atomic():
        lock_flight_for_booking(flight, before=advisory_lock_sql(user_id=user.pk, client=client, limits=limits))
        now = timezone.now()
        if flight.is_cancelled or flight.departs_at <= now:
            raise BookingClosed()
        expires = now + timedelta(minutes=settings.BOOKING_HOLD_MINUTES)
        quick = _quick_seats(flight, chosen)
        if quick:
            booking = hold_free_seats_locked(
                user_id=user.pk,
                flight=flight,
                seats=quick,
                reference=reference,
                token=token,
                now=now,
                expires=expires,
                client=client,
                limits=limits,
            )
            if booking is not None:
                return booking
        replayed = Booking.objects.filter(user=user, token=token).first()
        if replayed is not None:  # the same form again (a double submit): that checkout
            return replayed
        release_lapsed_holds_locked(flight)
        check_hold_limits_locked(user=user, flight_id=flight.pk, client=client, limits=limits, now=now)
        if flight.seats_left < count:
            left = flight.seats_left
            raise SoldOut(
                "Sorry, this flight is sold out."
                if left == 0
                else f"Sorry, only {left} seat{'s' if left != 1 else ''} left on this flight."
            )
        seats = _seats_for(flight, chosen)
        booking = Booking.objects.create(
            reference=reference,
            user=user,
            flight_id=flight.pk,
            status=Booking.Status.HELD,
            hold_expires_at=expires,
            seat_count=count,
            total_price=flight.price * count,
            token=token,
            hold_client=client,
        )
        Ticket.objects.bulk_create(
            Ticket(booking=booking, flight_id=flight.pk, seat=seat, price=flight.price, status=Ticket.Status.HELD)
            for seat in seats
        )
        Flight.objects.filter(pk=flight.pk).update(seats_booked=F("seats_booked") + count)
    return booking


def _quick_seats(flight: Flight, chosen: list[str | None]) -> list[str] | None:
    """The seats to try in one statement (`hold_free_seats_locked`), or None when the general
    path must decide: too few seats left, a mix of chosen and site-chosen seats, or chosen
    seats that do not exist or repeat (the general path says which).

    The site's choice is the seats right after the counter: seats fill from the front, so
    unless cancellations, lapsed holds or chosen seats left holes, they are free and sit in one
    row or two adjacent ones.
    """
    count = len(chosen)
    if flight.seats_left < count:
        return None
    wanted = [label for label in chosen if label]
    if not wanted:
        return list(flight.seat_labels()[flight.seats_booked : flight.seats_booked + count])
    if len(wanted) != count or len(set(wanted)) != count:
        return None
    labels = seats_by_label(flight.capacity, flight.layout)
    return wanted if all(label in labels for label in wanted) else None


def _free_seats(flight: Flight, count: int) -> list[str]:
    """`count` free seats for a party, together when possible. Call with the flight locked
    and its counter fresh (lapsed holds released).

    Fast path: seats fill from the front, so unless cancellations, expired holds or chosen
    seats left holes the seats right after the counter are free, and consecutive seats sit in
    one row or two adjacent ones; checking just those keeps the lock short on big cabins.
    Otherwise every seat in use is read and the party is seated by `assign_together`.
    """
    labels = flight.seat_labels()
    candidates = labels[flight.seats_booked : flight.seats_booked + count]
    in_use = Ticket.objects.filter(flight_id=flight.pk, status__in=Ticket.IN_USE, seat__in=candidates).order_by()
    if len(candidates) == count and not in_use.exists():
        return list(candidates)
    free = free_seats(flight.capacity, flight.layout, seats_in_use(flight_id=flight.pk))
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
    # Only the chosen seats are looked up (the partial unique index on flight + seat), not
    # every seat in use: the lock stays short however full the cabin is.
    in_use = set(
        Ticket.objects.filter(flight_id=flight.pk, status__in=Ticket.IN_USE, seat__in=wanted)
        .order_by()
        .values_list("seat", flat=True)
    )
    clashes = tuple(label for label in wanted if label in in_use)
    if clashes:
        raise SeatTaken(seats=clashes)
    if len(wanted) == len(chosen):
        return list(chosen)
    taken = seats_in_use(flight_id=flight.pk)
    free = free_seats(flight.capacity, flight.layout, taken, also_taken=wanted)
    assigned = iter(seat.label for seat in assign_together(free, len(chosen) - len(wanted)))
    return [label or next(assigned) for label in chosen]


def _check_hold_live(booking: Booking) -> None:
    if booking.status == Booking.Status.CANCELLED:
        raise BookingClosed("This flight has been cancelled, so your seats were released.")
    if booking.status != Booking.Status.HELD or booking.hold_expires_at <= timezone.now():
        raise HoldExpired()


def booking_set_passengers(*, user: User, booking_id: int, passengers: list[Passenger]) -> Booking:
    """Name the passengers of the user's held booking, in seat order (one per held ticket).

    Raises HoldExpired once the hold has run out, BookingError if the number does not match,
    FlightBusy while a payment of the same booking is going through.
    Naming them again before paying replaces the names.
    """
    with own_booking_locked(user=user, booking_id=booking_id) as booking:
        _check_hold_live(booking)
        tickets = list(booking.tickets.filter(status=Ticket.Status.HELD).order_by("pk"))
        if len(tickets) != len(passengers):
            raise BookingError(f"Please enter the details of all {len(tickets)} passengers.")
        for ticket, passenger in zip(tickets, passengers, strict=True):
            ticket.passenger_name = passenger.full_name
            ticket.last_name = passenger.last_name
            ticket.date_of_birth = passenger.date_of_birth
        Ticket.objects.bulk_update(tickets, ["passenger_name", "last_name", "date_of_birth"])
    return booking


def booking_pay(*, user: User, booking_id: int, card: Card, provider: PaymentProvider | None = None) -> Booking:
    """Charge the card for the user's held booking and confirm it: the held tickets become
    active, the payment is recorded (never the card number) and the confirmation e-mail is
    queued, in one transaction.

    Holds the booking's row lock (not the flight's) through the charge, so a double submit
    waits, then finds the booking confirmed and returns it: one charge, one confirmation.
    The charge's idempotency key is the booking's, so a retried request after a lost reply
    is not charged twice. A declined card raises PaymentDeclined and keeps the hold.
    Raises HoldExpired, BookingClosed, CheckoutIncomplete, PaymentDeclined, FlightBusy.
    """
    provider = provider or payment_provider()
    with own_booking_locked(user=user, booking_id=booking_id) as booking:
        if booking.status == Booking.Status.CONFIRMED:
            return booking
        _check_hold_live(booking)
        tickets = list(booking.tickets.filter(status=Ticket.Status.HELD).order_by("pk"))
        if not tickets or not all(ticket.last_name for ticket in tickets):
            raise CheckoutIncomplete()
        charge = provider.charge(
            amount=booking.total_price,
            currency=settings.CURRENCY,
            card=card,
            idempotency_key=f"booking-{booking.reference}-{booking.token}",
        )
        Payment.objects.create(
            booking=booking,
            provider=provider.name,
            reference=charge.reference,
            amount=booking.total_price,
            currency=settings.CURRENCY,
            card_brand=charge.brand,
            card_last4=charge.last4,
        )
        Ticket.objects.filter(booking=booking, status=Ticket.Status.HELD).update(status=Ticket.Status.ACTIVE)
        for ticket in tickets:
            ticket.status = Ticket.Status.ACTIVE
        booking.status = Booking.Status.CONFIRMED
        booking.confirmed_at = timezone.now()
        booking.save(update_fields=["status", "confirmed_at"])
        outbox_enqueue(
            to=user.email,
            template="booking_confirmed",
            user_id=user.pk,
            context=booking_email_context(booking, booking.flight, tickets, name=user.first_name),
        )
    return booking


def booking_release(*, user: User, booking_id: int) -> Booking:
    """Give up the user's held seats now (the passenger left checkout). A booking that is not
    held any more is returned unchanged. Locks the flight, then the booking. FlightBusy."""
    flight_id = Booking.objects.values_list("flight_id", flat=True).get(pk=booking_id, user=user)
    with flight_locked(flight_id):
        booking = Booking.objects.select_for_update().get(pk=booking_id, user=user)
        if booking.status != Booking.Status.HELD:
            return booking
        released = booking.tickets.filter(status=Ticket.Status.HELD).update(status=Ticket.Status.EXPIRED)
        booking.status = Booking.Status.EXPIRED
        booking.save(update_fields=["status"])
        Flight.objects.filter(pk=flight_id).update(seats_booked=F("seats_booked") - released)
    return booking


def booking_create(
    *,
    user: User,
    flight_id: int,
    passenger_names: list[str],
    token: uuid.UUID,
    card: Card,
    seats: list[str | None] | None = None,
    provider: PaymentProvider | None = None,
) -> Booking:
    """The whole checkout in one call (demo data, benchmarks, tests): hold the seats, name the
    passengers ("Given names Last-name"), pay. The same guarantees and errors as the steps;
    a declined card leaves the seats held until the hold runs out."""
    booking = booking_hold(user=user, flight_id=flight_id, seats=seats or [None] * len(passenger_names), token=token)
    if booking.status != Booking.Status.HELD:
        return booking  # the same token again: that checkout's outcome
    passengers = [Passenger.from_full_name(name) for name in passenger_names]
    try:
        booking_set_passengers(user=user, booking_id=booking.pk, passengers=passengers)
        return booking_pay(user=user, booking_id=booking.pk, card=card, provider=provider)
    except HoldExpired:
        booking.refresh_from_db()
        if booking.is_confirmed:  # a concurrent submit of the same token paid it meanwhile
            return booking
        raise
