"""Discovery pages from the cache on real Redis: a repeat reads nothing, a flight change shows at
once (the search's versions, bumped on commit), and Redis down still answers."""

from datetime import datetime, time, timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from bookings.services import flight_remove
from flights.services import flight_create
from flights.tests.factories import AirportFactory, FlightFactory, reprice

pytestmark = pytest.mark.django_db(transaction=True)  # invalidation runs on commit


@pytest.fixture
def route():
    london = AirportFactory(iata="LHR", city="London", name="London Heathrow Airport", tz="Europe/London")
    paris = AirportFactory(iata="CDG", city="Paris", name="Paris Charles de Gaulle Airport", tz="Europe/Paris")
    day = (timezone.now() + timedelta(days=10)).astimezone(london.zone).date()
    return london, paris, day


def _at(day, hour, zone):
    return datetime.combine(day, time(hour), tzinfo=zone)


def _where_we_fly(client, day=None) -> str:
    response = client.get(reverse("flights:where_we_fly"))
    assert response.status_code == 200
    return response.content.decode()


def _anywhere(client, day) -> str:
    response = client.get(reverse("flights:search"), {"origin": "LHR", "date": day.isoformat(), "passengers": 1})
    assert response.status_code == 200
    return response.content.decode()


def _calendar(client, day) -> str:
    params = {"origin": "LHR", "destination": "CDG", "date": day.isoformat(), "passengers": 1}
    response = client.get(reverse("flights:fare_calendar"), params)
    assert response.status_code == 200
    return response.content.decode()


def _flight_queries(captured) -> int:
    return sum('FROM "flights_flight"' in query["sql"] for query in captured.captured_queries)


@pytest.mark.parametrize("page", [_where_we_fly, _anywhere, _calendar])
def test_a_repeated_discovery_page_reads_no_flights(client, route, page):
    london, paris, day = route
    FlightFactory(origin=london, destination=paris, departs_at=_at(day, 9, london.zone))
    page(client, day)
    with CaptureQueriesContext(connection) as captured:
        page(client, day)
    assert _flight_queries(captured) == 0


@pytest.mark.parametrize("page", [_where_we_fly, _anywhere, _calendar])
def test_a_cached_discovery_page_shows_a_price_edit_immediately(client, route, page):
    london, paris, day = route
    flight = FlightFactory(
        origin=london, destination=paris, departs_at=_at(day, 9, london.zone), price=Decimal("100.00")
    )
    assert "€100.00" in page(client, day)
    reprice(flight, Decimal("175.00"))
    text = page(client, day)
    assert "€175.00" in text and "€100.00" not in text


def test_where_we_fly_shows_a_new_route_and_drops_a_cancelled_one_immediately(client, route):
    london, paris, day = route
    flight = FlightFactory(origin=london, destination=paris, departs_at=_at(day, 9, london.zone))
    assert 'id="from-LHR"' in _where_we_fly(client)
    flight_create(
        number="SK77",
        origin=paris,
        destination=london,
        departs_at=_at(day, 15, paris.zone),
        arrives_at=_at(day, 16, london.zone),
        price=Decimal("66.00"),
    )
    assert 'id="from-CDG"' in _where_we_fly(client)
    flight_remove(flight_id=flight.pk)
    text = _where_we_fly(client)
    assert 'id="from-LHR"' not in text and 'id="from-CDG"' in text


def test_anywhere_shows_a_flight_added_on_a_new_route_immediately(client, route):
    london, paris, day = route
    FlightFactory(origin=london, destination=paris, departs_at=_at(day, 9, london.zone))
    assert "1 destination with seats" in _anywhere(client, day - timedelta(days=5))
    rome = AirportFactory(iata="FCO", city="Rome", name="Rome Fiumicino Airport", tz="Europe/Rome")
    flight_create(
        number="SK78",
        origin=london,
        destination=rome,
        departs_at=_at(day, 12, london.zone),
        arrives_at=_at(day, 15, rome.zone),
        price=Decimal("88.00"),
    )
    text = _anywhere(client, day - timedelta(days=5))
    assert "2 destinations with seats" in text and "Rome Fiumicino" in text


def test_discovery_pages_work_with_redis_down(client, route, settings):
    london, paris, day = route
    settings.CACHES = {"default": {**settings.CACHES["default"], "LOCATION": "redis://127.0.0.1:9/0"}}
    flight = FlightFactory(
        origin=london, destination=paris, departs_at=_at(day, 9, london.zone), price=Decimal("100.00")
    )
    assert "€100.00" in _where_we_fly(client)
    assert "€100.00" in _anywhere(client, day)
    assert "€100.00" in _calendar(client, day)
    reprice(flight, Decimal("80.00"))
    assert "€80.00" in _where_we_fly(client) and "€80.00" in _calendar(client, day)
