"""Writes for the schedule. Removing a flight touches bookings, so it lives in bookings.services."""

from datetime import datetime
from decimal import Decimal

from django.db import OperationalError, transaction

from .exceptions import CapacityBelowBooked, FlightNotEditable
from .locking import is_lock_timeout, set_lock_timeout
from .models import Airport, Flight
from .search_cache import search_cache_invalidate


def flight_create(
    *,
    number: str,
    origin: Airport,
    destination: Airport,
    departs_at: datetime,
    arrives_at: datetime,
    price: Decimal,
    capacity: int | None = None,
) -> Flight:
    """Add a scheduled flight (capacity defaults to 60). Database constraints back the form's checks."""
    flight = Flight(
        number=number.upper(),
        origin=origin,
        destination=destination,
        departs_at=departs_at,
        arrives_at=arrives_at,
        price=price,
    )
    if capacity:
        flight.capacity = capacity
    with transaction.atomic():
        flight.save()
        search_cache_invalidate(flight)
    return flight


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
) -> Flight:
    """Edit a flight under its row lock. Raises CapacityBelowBooked if fewer seats than are sold,
    FlightNotEditable for a cancelled flight."""
    with transaction.atomic():
        set_lock_timeout()
        try:
            flight = Flight.objects.select_for_update().get(pk=flight_id)
        except OperationalError as error:
            if is_lock_timeout(error):
                raise FlightNotEditable(
                    "This flight is being booked right now. Please try again in a moment."
                ) from error
            raise
        if flight.is_cancelled:
            raise FlightNotEditable("This flight is cancelled and can no longer be edited.")
        search_cache_invalidate(flight)  # the route-day it leaves, if the edit moves it
        if capacity < flight.seats_booked:
            raise CapacityBelowBooked(f"{flight.seats_booked} seats are already booked; capacity cannot go below that.")
        flight.number = number.upper()
        flight.origin = origin
        flight.destination = destination
        flight.departs_at = departs_at
        flight.arrives_at = arrives_at
        flight.price = price
        flight.capacity = capacity
        flight.save()
        search_cache_invalidate(flight)
    return flight
