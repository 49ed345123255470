"""Step 3 of checkout: pay for a held booking and confirm it (under the booking's lock only,
never the flight's: a slow card payment never blocks other passengers' bookings); and the
whole checkout in one call."""

import uuid

from django.conf import settings
from django.utils import timezone

from accounts.models import User
from notifications.services import outbox_enqueue

from ...exceptions import CheckoutIncomplete, HoldExpired
from ...models import Booking, Payment, Ticket
from ...notifications import booking_email_context
from ...payments import Card, PaymentProvider, payment_provider
from ..common import own_booking_locked
from .hold import booking_hold
from .passengers import Passenger, booking_set_passengers, check_hold_live


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
        check_hold_live(booking)
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
