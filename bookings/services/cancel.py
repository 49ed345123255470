"""Cancelling: a passenger cancels some or all of a booking; staff remove a flight; lapsed
holds are released. Each locks the flight, then bookings by pk."""

import logging

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from accounts.models import User
from flights.models import Flight
from flights.search_cache import search_cache_invalidate
from notifications.services import outbox_enqueue

from ..exceptions import BookingError, CancellationClosed, FlightBusy
from ..fares import cancellation_deadline, refund_due
from ..models import Booking, Payment, Ticket
from ..notifications import booking_email_context, refund_context
from ..payments import payment_provider
from .common import flight_locked, release_lapsed_holds_locked

logger = logging.getLogger(__name__)


def booking_cancel(*, user: User, booking_id: int, ticket_ids: list[int] | None = None) -> list[Ticket]:
    """Cancel the owner's passengers `ticket_ids` (all of them when None) before the
    cancellation deadline. Their seats return to the flight in the same transaction; each
    gets the refund the fare rule gives now, recorded on the ticket and the payment and sent
    back through the payment provider after commit. Cancelling the last active passenger
    cancels the booking.

    Returns the tickets this call cancelled: none when they were cancelled already, so a
    double submit does the work once. Locks the flight, then the booking.
    Raises Booking.DoesNotExist for another user's booking, CancellationClosed after the
    deadline, BookingError for a passenger not on the booking, FlightBusy.
    """
    flight_id = Booking.objects.values_list("flight_id", flat=True).get(pk=booking_id, user=user)
    with flight_locked(flight_id) as flight:
        booking = Booking.objects.select_for_update().get(pk=booking_id, user=user)
        if booking.status != Booking.Status.CONFIRMED:
            return []
        tickets = list(booking.tickets.order_by("pk"))
        if ticket_ids is not None:
            unknown = set(ticket_ids) - {ticket.pk for ticket in tickets}
            if unknown or not ticket_ids:
                raise BookingError("Choose the passengers to cancel from this booking.")
        chosen = [t for t in tickets if t.is_active and (ticket_ids is None or t.pk in ticket_ids)]
        if not chosen:
            return []
        now = timezone.now()
        if now >= cancellation_deadline(flight.departs_at):
            raise CancellationClosed()
        for ticket in chosen:
            ticket.status = Ticket.Status.CANCELLED
            ticket.cancelled_at = now
            ticket.refund_amount = refund_due(ticket.price, departs_at=flight.departs_at, at=now)
        Ticket.objects.bulk_update(chosen, ["status", "cancelled_at", "refund_amount"])
        if not any(ticket.is_active for ticket in tickets):
            booking.status = Booking.Status.CANCELLED
            booking.cancelled_at = now
            booking.save(update_fields=["status", "cancelled_at"])
        Flight.objects.filter(pk=flight.pk).update(seats_booked=F("seats_booked") - len(chosen))
        refund = sum(ticket.refund_amount for ticket in chosen)
        payment = Payment.objects.filter(booking=booking).first()
        refunded_before = payment.refunded_amount if payment is not None else 0
        _refund_locked(payment, refund, key=f"cancel-{booking.reference}-" + "-".join(str(t.pk) for t in chosen))
        still_flying = [ticket for ticket in tickets if ticket.is_active]
        context = booking_email_context(booking, flight, still_flying or chosen, name=user.first_name)
        context.update(refund_context(booking, payment, refund=refund, refunded_before=refunded_before))
        context["cancelled"] = [ticket.passenger_name for ticket in chosen]
        context["still_flying"] = booking.is_confirmed
        outbox_enqueue(to=user.email, template="booking_cancelled", user_id=user.pk, context=context)
    return chosen


def _refund_locked(payment: Payment | None, amount, *, key: str) -> None:
    """Record `amount` refunded on the booking's payment; the provider is asked after commit
    (never inside the lock), with a key that makes a retry refund once."""
    if payment is None or not amount:
        return
    Payment.objects.filter(pk=payment.pk).update(refunded_amount=F("refunded_amount") + amount)

    def send_refund():
        try:
            payment_provider().refund(reference=payment.reference, amount=amount, idempotency_key=key)
        except Exception:  # the money is owed either way: log for the finance team to retry
            logger.exception("Refund of %s on payment %s failed", amount, payment.reference)

    transaction.on_commit(send_refund)


def flight_remove(*, flight_id: int) -> str:
    """Remove a flight from the schedule. Returns "deleted" or "cancelled".

    A flight nobody ever booked is deleted. One with bookings is kept as history: it is
    cancelled, its confirmed bookings are cancelled with a full refund, held seats are
    released, and each booker gets an e-mail, all in one transaction. Locks the flight, then
    its bookings by pk. Raises FlightBusy when a lock is not had in time.
    """
    with flight_locked(flight_id) as flight:
        search_cache_invalidate(flight)
        if not Booking.objects.filter(flight=flight).exists():
            flight.delete()
            return "deleted"
        bookings = list(
            Booking.objects.select_for_update()
            .filter(flight=flight, status__in=[Booking.Status.CONFIRMED, Booking.Status.HELD])
            .select_related("user")
            .prefetch_related("tickets")
            .order_by("pk")
        )
        now = timezone.now()
        released = 0
        for booking in bookings:
            tickets = list(booking.tickets.all())
            in_use = [ticket for ticket in tickets if ticket.status in Ticket.IN_USE]
            was_confirmed = booking.is_confirmed
            for ticket in in_use:
                if ticket.is_active:
                    ticket.refund_amount = ticket.price
                ticket.status = Ticket.Status.CANCELLED
                ticket.cancelled_at = now
            Ticket.objects.bulk_update(in_use, ["status", "cancelled_at", "refund_amount"])
            released += len(in_use)
            booking.status = Booking.Status.CANCELLED
            booking.cancelled_at = now
            booking.cancelled_by_staff = True
            booking.save(update_fields=["status", "cancelled_at", "cancelled_by_staff"])
            if not was_confirmed:
                continue  # a hold: nothing was paid, nothing to tell
            refund = sum(t.refund_amount for t in in_use)
            payment = Payment.objects.filter(booking=booking).first()
            refunded_before = payment.refunded_amount if payment is not None else 0
            _refund_locked(payment, refund, key=f"flight-cancelled-{booking.reference}")
            context = booking_email_context(booking, flight, tickets, name=booking.user.first_name)
            context.update(refund_context(booking, payment, refund=refund, refunded_before=refunded_before))
            outbox_enqueue(to=booking.user.email, template="flight_cancelled", user_id=booking.user_id, context=context)
        flight.status = Flight.Status.CANCELLED
        flight.save(update_fields=["status"])  # through save(): the audit trail records it
        Flight.objects.filter(pk=flight.pk).update(seats_booked=F("seats_booked") - released)
        logger.info("Flight %s cancelled by staff; %d bookings cancelled", flight, len(bookings))
    return "cancelled"


def holds_expire(*, limit: int = 500) -> int:
    """Release every lapsed hold, one flight at a time under that flight's lock. Returns the
    seats released. A flight busy right now is left for the next run (its next booking
    releases them anyway); a second run at the same time finds nothing left to do."""
    flight_ids = list(
        Booking.objects.filter(status=Booking.Status.HELD, hold_expires_at__lte=timezone.now())
        .order_by("flight_id")
        .values_list("flight_id", flat=True)
        .distinct()[:limit]
    )
    released = 0
    for flight_id in flight_ids:
        try:
            with flight_locked(flight_id) as flight:
                count = release_lapsed_holds_locked(flight)
                if count:
                    search_cache_invalidate(flight)
                released += count
        except FlightBusy:
            logger.info("Flight %s busy; its lapsed holds wait for the next run", flight_id)
    return released
