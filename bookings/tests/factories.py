"""Bookings are made through the service (it holds the lock), never by a bare factory."""

import uuid

from accounts.tests.factories import UserFactory
from bookings.services import booking_create
from flights.tests.factories import FlightFactory


def make_booking(*, user=None, flight=None, passengers: int = 1, names: list[str] | None = None):
    user = user or UserFactory()
    flight = flight or FlightFactory()
    names = names or [f"Passenger {index + 1}" for index in range(passengers)]
    return booking_create(user=user, flight_id=flight.pk, passenger_names=names, token=uuid.uuid4())
