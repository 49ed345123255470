"""Search result caching on real Redis: versioned keys, immediate invalidation, Redis down."""

from datetime import datetime, time, timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.tests.factories import UserFactory
from bookings.services import flight_remove
from bookings.tests.factories import make_booking
from flights.models import Flight
from flights.services import flight_create, flight_update
from flights.tests.factories import AirportFactory, FlightFactory, reprice
from flights.tests.pages import listed_numbers

pytestmark = pytest.mark.django_db(transaction=True)  # invalidation runs on commit


@pytest.fixture
def route():
    london = AirportFactory(iata="LHR", city="London", tz="Europe/London")
    paris = AirportFactory(iata="CDG", city="Paris", tz="Europe/Paris")
    day = (timezone.now() + timedelta(days=10)).astimezone(london.zone).date()
    return london, paris, day


def _search(client, london, paris, day):
    response = client.get(
        reverse("flights:search"), {"origin": "LHR", "destination": "CDG", "date": day.isoformat(), "passengers": 1}
    )
    assert response.status_code == 200
    return response


def _flight_queries(captured) -> int:
    # The day's flights and the nearby-days fare aggregate both read flights_flight.
    return sum('FROM "flights_flight"' in q["sql"] for q in captured.captured_queries)


def _at(day, hour, zone):
    return datetime.combine(day, time(hour), tzinfo=zone)


def test_a_repeated_search_is_served_from_the_cache(client, route):
    london, paris, day = route
    FlightFactory(origin=london, destination=paris, departs_at=_at(day, 9, london.zone))
    _search(client, london, paris, day)
    with CaptureQueriesContext(connection) as captured:
        response = _search(client, london, paris, day)
    assert len(listed_numbers(response)) == 1
    assert _flight_queries(captured) == 0


def test_the_first_search_reads_the_flights_and_a_repeat_reads_nothing_at_all(client, route):
    london, paris, day = route
    FlightFactory(origin=london, destination=paris, departs_at=_at(day, 9, london.zone))
    with CaptureQueriesContext(connection) as captured:
        first = _search(client, london, paris, day)
    assert _flight_queries(captured) == 2  # the day's flights and the fare strip
    with CaptureQueriesContext(connection) as captured:
        again = _search(client, london, paris, day)
    assert captured.captured_queries == []  # an anonymous repeat is the whole page from Redis
    assert again.content == first.content


def test_a_signed_in_passenger_never_gets_the_anonymous_page(client, route):
    london, paris, day = route
    FlightFactory(origin=london, destination=paris, departs_at=_at(day, 9, london.zone))
    anonymous = _search(client, london, paris, day).content.decode()
    assert "Log in" in anonymous
    client.force_login(UserFactory(first_name="Ada", last_name="Lovelace"))
    with CaptureQueriesContext(connection) as captured:
        page = _search(client, london, paris, day).content.decode()
    assert _flight_queries(captured) == 0  # the results still come from the cache
    assert "Ada" in page and "Log out" in page and "Log in" not in page
    assert listed_numbers(_search(client, london, paris, day)) == listed_numbers(_search(Client(), london, paris, day))


def test_a_waiting_message_is_shown_not_hidden_by_the_cached_page(client, route):
    london, paris, day = route
    FlightFactory(origin=london, destination=paris, departs_at=_at(day, 9, london.zone))
    _search(client, london, paris, day)
    client.force_login(UserFactory())
    client.post(reverse("accounts:logout"))  # leaves "You have been logged out" for the next page
    page = _search(client, london, paris, day).content.decode()
    assert "logged out" in page


def test_cached_search_shows_a_price_edit_immediately(client, route):
    london, paris, day = route
    flight = FlightFactory(
        origin=london, destination=paris, departs_at=_at(day, 9, london.zone), price=Decimal("100.00")
    )
    assert "€100.00" in _search(client, london, paris, day).content.decode()
    reprice(flight, Decimal("175.00"))
    page = _search(client, london, paris, day).content.decode()
    assert "€175.00" in page and "€100.00" not in page


def test_cached_search_shows_an_added_flight_and_drops_a_moved_one(client, route):
    london, paris, day = route
    moved = FlightFactory(number="SK11", origin=london, destination=paris, departs_at=_at(day, 9, london.zone))
    assert len(listed_numbers(_search(client, london, paris, day))) == 1
    flight_create(
        number="SK12",
        origin=london,
        destination=paris,
        departs_at=_at(day, 15, london.zone),
        arrives_at=_at(day, 17, paris.zone),
        price=Decimal("99.00"),
    )
    flight_update(
        flight_id=moved.pk,
        number="SK11",
        origin=london,
        destination=paris,
        departs_at=moved.departs_at + timedelta(days=1),
        arrives_at=moved.arrives_at + timedelta(days=1),
        price=moved.price,
        capacity=moved.capacity,
    )
    assert listed_numbers(_search(client, london, paris, day)) == ["SK12"]


def test_cached_search_drops_a_cancelled_flight_immediately(client, route):
    london, paris, day = route
    flight = FlightFactory(origin=london, destination=paris, departs_at=_at(day, 9, london.zone))
    make_booking(flight=flight)
    assert len(listed_numbers(_search(client, london, paris, day))) == 1
    flight_remove(flight_id=flight.pk)
    assert listed_numbers(_search(client, london, paris, day)) == []


def test_search_and_schedule_changes_work_with_redis_down(client, route, settings):
    london, paris, day = route
    settings.CACHES = {"default": {**settings.CACHES["default"], "LOCATION": "redis://127.0.0.1:9/0"}}
    flight = FlightFactory(origin=london, destination=paris, departs_at=_at(day, 9, london.zone))
    assert len(listed_numbers(_search(client, london, paris, day))) == 1
    reprice(flight, Decimal("80.00"))
    assert "€80.00" in _search(client, london, paris, day).content.decode()
    assert Flight.objects.get(pk=flight.pk).price == Decimal("80.00")
