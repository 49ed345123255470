"""Telling passengers that staff moved their flight: the "your flight changed" e-mail.

flights cannot import bookings, so `flights.services.flight_update` sends the signal
`flights.signals.flight_times_changed` inside its transaction, and `bookings.receivers`
calls `flight_times_notify` from it.
"""

from datetime import datetime

from django.db import connection
from django.db.models import Exists, OuterRef, Prefetch
from django.utils import timezone

from flights.models import Airport, Flight
from notifications.services import outbox_enqueue

from ..models import Booking, Ticket
from ..notifications import _local, booking_email_context  # _local: the same format as the new times


def flight_times_notify(
    *,
    flight: Flight,
    old_departs_at: datetime,
    old_arrives_at: datetime,
    old_origin: Airport | None = None,
    old_destination: Airport | None = None,
) -> int:
    """Write one "your flight changed" e-mail per confirmed booking with active tickets on
    `flight`, with the old and new departure and arrival in each airport's local time (the old
    times in the old airports' zones when the edit also moved the flight to other airports).
    Returns how many were written.

    Must run inside the transaction that changed the flight (flight_update, which holds the
    flight's row lock), so the notices commit or roll back with the change; raises
    RuntimeError outside one. Nobody is told when both the old and the new departure are in
    the past (staff correcting the record of a flight that has flown).
    """
    if not connection.in_atomic_block:
        raise RuntimeError("flight_times_notify must run inside the transaction that changed the flight.")
    now = timezone.now()
    if old_departs_at <= now and flight.departs_at <= now:
        return 0
    active_tickets = Ticket.objects.filter(status=Ticket.Status.ACTIVE).order_by("pk")
    bookings = (
        Booking.objects.filter(flight=flight, status=Booking.Status.CONFIRMED)
        .filter(Exists(Ticket.objects.filter(booking=OuterRef("pk"), status=Ticket.Status.ACTIVE)))
        .select_related("user")
        .prefetch_related(Prefetch("tickets", queryset=active_tickets, to_attr="active_tickets"))
        .order_by("pk")
    )
    old_origin_zone = (old_origin or flight.origin).zone
    old_destination_zone = (old_destination or flight.destination).zone
    written = 0
    for booking in bookings:
        context = booking_email_context(booking, flight, booking.active_tickets, name=booking.user.first_name)
        context["old_departs"] = _local(old_departs_at, old_origin_zone)
        context["old_arrives"] = _local(old_arrives_at, old_destination_zone)
        context["departs_changed"] = old_departs_at != flight.departs_at
        context["arrives_changed"] = old_arrives_at != flight.arrives_at
        outbox_enqueue(to=booking.user.email, template="flight_changed", context=context, user_id=booking.user_id)
        written += 1
    return written
