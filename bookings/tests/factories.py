"""Bookings are made through the services (they hold the lock), never by a bare factory."""

import uuid
from datetime import datetime, timedelta
from decimal import Decimal

import time_machine

from accounts.tests.factories import UserFactory
from bookings import services
from bookings.payments import Card
from flights.tests.factories import FlightFactory

# The test provider's cards (docs/payments.md).
TEST_CARD = Card(number="4242424242424242", expiry_month=12, expiry_year=2099, cvc="123", holder="Test Holder")
DECLINED_CARD = Card(number="4000000000000002", expiry_month=12, expiry_year=2099, cvc="123", holder="Test Holder")


def booking_create(**kwargs):
    """The whole checkout (hold, names, pay) with a card that succeeds unless one is given."""
    kwargs.setdefault("card", TEST_CARD)
    return services.booking_create(**kwargs)


def make_booking(*, user=None, flight=None, passengers: int = 1, names: list[str] | None = None, seats=None):
    user = user or UserFactory()
    flight = flight or FlightFactory()
    names = names or [f"Passenger {index + 1}" for index in range(passengers)]
    return booking_create(user=user, flight_id=flight.pk, passenger_names=names, token=uuid.uuid4(), seats=seats)


def make_hold(*, user=None, flight=None, seats: list[str | None] | None = None, passengers: int = 1):
    """Seats held at checkout step 1 (no names yet)."""
    user = user or UserFactory()
    flight = flight or FlightFactory()
    return services.booking_hold(user=user, flight_id=flight.pk, seats=seats or [None] * passengers, token=uuid.uuid4())


def flight_on_route(airports: dict, route: str, departs: datetime, price: str = "100.00"):
    """A flight on "LHR-JFK" (codes of `airports`), seven hours long."""
    origin, destination = route.split("-")
    return FlightFactory(
        origin=airports[origin],
        destination=airports[destination],
        departs_at=departs,
        arrives_at=departs + timedelta(hours=7),
        price=Decimal(price),
    )


def book_at(user, flight, at: datetime, passengers: int = 1):
    """A confirmed, paid booking made at the moment `at` (the clock moved there)."""
    with time_machine.travel(at, tick=False):
        return booking_create(
            user=user,
            flight_id=flight.pk,
            passenger_names=[f"Passenger {n + 1}" for n in range(passengers)],
            token=uuid.uuid4(),
        )
