import string
from datetime import datetime, time, timedelta
from decimal import Decimal

import factory
from django.utils import timezone

from flights.models import Airport, Flight
from flights.services import flight_update


def _code(n: int) -> str:
    letters = string.ascii_uppercase
    return "Q" + letters[(n // 26) % 26] + letters[n % 26]


class AirportFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Airport
        django_get_or_create = ("iata",)

    iata = factory.Sequence(_code)
    name = factory.LazyAttribute(lambda o: f"{o.city} International")
    city = factory.Sequence(lambda n: f"Testville {n}")
    country = "GB"
    tz = "Europe/London"
    latitude = 51.5
    longitude = -0.1


class FlightFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Flight

    number = factory.Sequence(lambda n: f"SK{1000 + n % 9000}")
    origin = factory.SubFactory(AirportFactory)
    destination = factory.SubFactory(AirportFactory)
    departs_at = factory.LazyFunction(lambda: (timezone.now() + timedelta(days=7)).replace(second=0, microsecond=0))
    arrives_at = factory.LazyAttribute(lambda o: o.departs_at + timedelta(hours=2, minutes=15))
    capacity = 60
    price = Decimal("129.99")


def local_flight(origin, destination, day, hour: int = 10, *, price="120.00", number=None, **fields):
    """A two-hour flight leaving `origin` at `hour` o'clock on its local `day`."""
    departs = datetime.combine(day, time(hour), tzinfo=origin.zone)
    if number:
        fields["number"] = number
    return FlightFactory(
        origin=origin,
        destination=destination,
        departs_at=departs,
        arrives_at=departs + timedelta(hours=2),
        price=Decimal(price),
        **fields,
    )


def reprice(flight, price) -> None:
    """Change only the flight's price, through the service staff pages use."""
    flight_update(
        flight_id=flight.pk,
        number=flight.number,
        origin=flight.origin,
        destination=flight.destination,
        departs_at=flight.departs_at,
        arrives_at=flight.arrives_at,
        price=price,
        capacity=flight.capacity,
    )
