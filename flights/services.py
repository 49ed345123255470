"""Writes for the schedule. Removing a flight touches bookings, so it lives in bookings.services."""

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from decimal import Decimal

from django.db import transaction
from django.db.models import Count
from django.utils import timezone

from booking_site.lib.db import Busy, locked

from .exceptions import CapacityBelowBooked, FlightNotEditable, ScheduleBusy
from .models import Airport, Flight
from .search_cache import search_cache_invalidate
from .seating import DEFAULT_LAYOUT, seat_labels
from .signals import flight_times_changed


def flight_create(
    *,
    number: str,
    origin: Airport,
    destination: Airport,
    departs_at: datetime,
    arrives_at: datetime,
    price: Decimal,
    capacity: int | None = None,
    layout: str = DEFAULT_LAYOUT,
) -> Flight:
    """Add a scheduled flight (capacity defaults to 60). Database constraints back the form's checks."""
    flight = Flight(
        number=number.upper(),
        origin=origin,
        destination=destination,
        departs_at=departs_at,
        arrives_at=arrives_at,
        price=price,
        layout=layout,
    )
    if capacity:
        flight.capacity = capacity
    with transaction.atomic():
        flight.save()
        search_cache_invalidate(flight)
    return flight


@contextmanager
def _flight_locked(flight_id: int) -> Iterator[Flight]:
    """One transaction holding the flight's row lock (booking_site.lib.db.locked), the flight
    read afresh. A lock wait past BOOKING_LOCK_TIMEOUT_MS (a booking holds the flight) is
    ScheduleBusy (a FlightNotEditable); Flight.DoesNotExist if there is no such flight."""
    try:
        with locked(Flight.objects.filter(pk=flight_id)) as found:
            if not found:
                raise Flight.DoesNotExist(f"Flight {flight_id} does not exist")
            yield found[0]
    except Busy as error:
        raise ScheduleBusy("This flight is being booked right now. Please try again in a moment.") from error


def flight_update(
    *,
    flight_id: int,
    number: str,
    origin: Airport,
    destination: Airport,
    departs_at: datetime,
    arrives_at: datetime,
    price: Decimal,
    capacity: int,
    layout: str | None = None,
) -> Flight:
    """Edit a flight under its row lock. Raises CapacityBelowBooked if fewer seats than are sold
    or if a new capacity or layout would drop a seat a passenger holds, FlightNotEditable for a
    cancelled flight. When the departure or arrival time changes it sends
    `flights.signals.flight_times_changed` inside this transaction (bookings e-mails the
    passengers from it), so the change and its notices commit together."""
    with _flight_locked(flight_id) as flight:
        if flight.is_cancelled:
            raise FlightNotEditable("This flight is cancelled and can no longer be edited.")
        search_cache_invalidate(flight)  # the route-day it leaves, if the edit moves it
        if capacity < flight.seats_booked:
            raise CapacityBelowBooked(f"{flight.seats_booked} seats are already booked; capacity cannot go below that.")
        layout = layout or flight.layout
        if (capacity, layout) != (flight.capacity, flight.layout):
            kept = set(seat_labels(capacity, layout))
            lost = sorted(
                seat
                # Seats in use: held or sold (bookings.Ticket.IN_USE; flights does not import bookings).
                for seat in flight.tickets.filter(status__in=["held", "active"]).values_list("seat", flat=True)
                if seat not in kept
            )
            if lost:
                raise CapacityBelowBooked(
                    f"Passengers hold seats the new cabin would not have ({', '.join(lost[:10])}); "
                    "keep the capacity and layout, or move those passengers first."
                )
        old_departs_at, old_arrives_at = flight.departs_at, flight.arrives_at
        old_origin, old_destination = flight.origin, flight.destination
        flight.number = number.upper()
        flight.origin = origin
        flight.destination = destination
        flight.departs_at = departs_at
        flight.arrives_at = arrives_at
        flight.price = price
        flight.capacity = capacity
        flight.layout = layout
        flight.save()
        search_cache_invalidate(flight)
        if (departs_at, arrives_at) != (old_departs_at, old_arrives_at):
            # In this transaction: bookings writes its "your flight changed" e-mails here.
            flight_times_changed.send(
                sender=Flight,
                flight=flight,
                old_departs_at=old_departs_at,
                old_arrives_at=old_arrives_at,
                old_origin=old_origin,
                old_destination=old_destination,
            )
    return flight


def airport_traffic_refresh() -> int:
    """Store each airport's number of scheduled future departures (one grouped query), so
    suggestions rank busy airports first without counting flights on every keystroke.
    Returns the number of airports with departures."""
    counts = dict(
        Flight.objects.filter(status=Flight.Status.SCHEDULED, departs_at__gte=timezone.now())
        .values_list("origin_id")
        .annotate(n=Count("id"))
        .order_by()
    )
    with transaction.atomic():
        Airport.objects.exclude(pk__in=counts).exclude(scheduled_departures=0).update(scheduled_departures=0)
        airports = list(Airport.objects.filter(pk__in=counts))
        for airport in airports:
            airport.scheduled_departures = counts[airport.pk]
        Airport.objects.bulk_update(airports, ["scheduled_departures"], batch_size=2000)
    return len(counts)
