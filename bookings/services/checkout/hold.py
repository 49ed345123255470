"""Step 1 of checkout: hold seats for a party under the flight's row lock, and give them up.

The common case (the seats right after the counter, or chosen seats that are free, no lapsed
hold on the flight) is one statement (hold_fast.py); anything else takes the general path
under the same lock: release lapsed holds, check the hold limits (hold_limits.py), seat the
party (flights.seating), write the booking, its tickets and the counter. A broken database
constraint is recognised by its name (booking_site.lib.db.violated_constraint).
"""

import uuid
from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from accounts.models import User
from booking_site.lib.db import violated_constraint
from flights.models import Flight
from flights.seating import assign_together, free_seats, seats_by_label

from ...exceptions import BookingClosed, SeatTaken, SeatUnknown, SoldOut
from ...models import Booking, Ticket
from ...selectors import seats_in_use
from ..common import flight_locked, lock_flight_for_booking, new_reference, release_lapsed_holds_locked
from .hold_fast import hold_free_seats_locked
from .hold_limits import advisory_lock_sql, check_hold_limits_locked, client_key, hold_limits_for

# The constraints a hold can break, by the name PostgreSQL reports (bookings/migrations; a test
# checks each exists). The reference is unique=True, so PostgreSQL named it.
SAME_FORM_UNIQUE = "booking_user_token_unique"  # (user, token): one booking per checkout form
REFERENCE_UNIQUE = "bookings_booking_reference_key"
SEAT_IN_USE_UNIQUE = "ticket_one_per_seat_in_use"
SEATS_WITHIN_CAPACITY = "flight_seats_within_capacity"
HOLD_CONSTRAINTS = (SAME_FORM_UNIQUE, REFERENCE_UNIQUE, SEAT_IN_USE_UNIQUE, SEATS_WITHIN_CAPACITY)


def booking_hold(*, user: User, flight_id: int, seats: list[str | None], token: uuid.UUID, client: str = "") -> Booking:
    """Hold one seat per entry of `seats` for BOOKING_HOLD_MINUTES: a chosen label, or None
    to let the site choose (a party sits together, one row else two adjacent rows, when it can).

    Locks the flight row, releases its lapsed holds, re-reads what is left, and writes the
    held booking, its tickets and the counter in one transaction: held seats count as taken
    for everyone else. Submitting the same `token` again returns the booking it made.
    A new hold comes back with `held_seats`, its seat labels in passenger order (a replayed
    token's booking is read back without them).
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
            constraint = violated_constraint(error)
            if constraint == SAME_FORM_UNIQUE:
                return Booking.objects.get(user=user, token=token)
            if constraint == REFERENCE_UNIQUE:
                continue  # two bookings drew the same reference: draw again
            if constraint == SEAT_IN_USE_UNIQUE:
                raise SeatTaken() from error
            if constraint == SEATS_WITHIN_CAPACITY:
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
                booking.held_seats = quick
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
    booking.held_seats = seats
    return booking


def _seats_after_counter(flight: Flight, count: int) -> list[str]:
    """The site's first guess for a party of `count`: the seats right after the counter. Seats
    fill from the front, so unless cancellations, lapsed holds or chosen seats left holes they
    are free, and consecutive seats sit in one row or two adjacent ones. Fewer than `count`
    near the end of the cabin. Whoever uses them still checks they are free (under the lock)."""
    return list(flight.seat_labels()[flight.seats_booked : flight.seats_booked + count])


def _quick_seats(flight: Flight, chosen: list[str | None]) -> list[str] | None:
    """The seats to try in one statement (`hold_free_seats_locked`), or None when the general
    path must decide: too few seats left, a mix of chosen and site-chosen seats, or chosen
    seats that do not exist or repeat (the general path says which). The site's choice is
    `_seats_after_counter`; the statement checks they are free.
    """
    count = len(chosen)
    if flight.seats_left < count:
        return None
    wanted = [label for label in chosen if label]
    if not wanted:
        return _seats_after_counter(flight, count)
    if len(wanted) != count or len(set(wanted)) != count:
        return None
    labels = seats_by_label(flight.capacity, flight.layout)
    return wanted if all(label in labels for label in wanted) else None


def _free_seats(flight: Flight, count: int) -> list[str]:
    """`count` free seats for a party, together when possible. Call with the flight locked
    and its counter fresh (lapsed holds released).

    First `_seats_after_counter`, checked in one query (only those seats, so the lock stays
    short on big cabins); if any is taken, every seat in use is read and the party is seated
    by `assign_together`.
    """
    candidates = _seats_after_counter(flight, count)
    in_use = Ticket.objects.filter(flight_id=flight.pk, status__in=Ticket.IN_USE, seat__in=candidates).order_by()
    if len(candidates) == count and not in_use.exists():
        return candidates
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
