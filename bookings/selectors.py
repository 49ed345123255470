"""Reads for bookings: a passenger's trips and a flight's manifest."""

from django.db.models import Prefetch, QuerySet
from django.utils import timezone

from accounts.models import User
from flights.models import Flight

from .models import Booking, Ticket


def _with_details(bookings: QuerySet[Booking]) -> QuerySet[Booking]:
    return bookings.select_related("flight__origin", "flight__destination").prefetch_related(
        Prefetch("tickets", queryset=Ticket.objects.order_by("pk"))
    )


def bookings_upcoming(*, user: User) -> QuerySet[Booking]:
    """The user's bookings on flights that have not departed, soonest first (cancelled too)."""
    return _with_details(
        Booking.objects.filter(user=user, flight__departs_at__gt=timezone.now()).order_by("flight__departs_at", "pk")
    )


def bookings_past(*, user: User) -> QuerySet[Booking]:
    """The user's bookings on flights that have departed, most recent first."""
    return _with_details(
        Booking.objects.filter(user=user, flight__departs_at__lte=timezone.now()).order_by("-flight__departs_at", "-pk")
    )


def booking_for_owner(*, user: User, reference: str) -> Booking:
    """The user's booking by reference; Booking.DoesNotExist for anyone else's."""
    return _with_details(Booking.objects.filter(user=user)).get(reference=reference.upper())


def flight_manifest(*, flight: Flight) -> list[Ticket]:
    """Every ticket on the flight, active ones first, in seat order (row, then letter)."""
    tickets = Ticket.objects.filter(flight=flight).select_related("booking__user")
    return sorted(tickets, key=lambda t: (t.status != Ticket.Status.ACTIVE, int(t.seat[:-1]), t.seat[-1]))


def ticket_active_for_owner(*, user: User, reference: str, ticket_id: int) -> Ticket:
    """An active ticket of the user's confirmed booking, with its flight and airports;
    Ticket.DoesNotExist for anyone else's, a cancelled ticket or a cancelled booking."""
    return Ticket.objects.select_related("booking", "flight__origin", "flight__destination").get(
        pk=ticket_id,
        booking__user=user,
        booking__reference=reference.upper(),
        booking__status=Booking.Status.CONFIRMED,
        status=Ticket.Status.ACTIVE,
    )


def taken_seats(*, flight_id: int) -> set[str]:
    """Seat labels with an active ticket on the flight (the live figure, not cached)."""
    return set(
        Ticket.objects.filter(flight_id=flight_id, status=Ticket.Status.ACTIVE)
        .order_by()
        .values_list("seat", flat=True)
    )
