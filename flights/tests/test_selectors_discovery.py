"""Discovery reads: which routes are served, their lowest fares and next days, over which days.

A route is listed when it has a bookable flight in the window: scheduled, departing from now
on, with seats for the party. Cancelled, sold-out and departed flights never count, neither
for the listing nor for its lowest fare or next day.
"""

from datetime import UTC, datetime, time, timedelta
from decimal import Decimal

import pytest
from django.template import Context, Template
from django.utils import timezone

from flights.discovery import DISCOVERY_DAYS, destinations_from, fare_month, network_routes
from flights.models import Flight
from flights.selectors_discovery import routes_served
from flights.tests.factories import AirportFactory, FlightFactory, local_flight

pytestmark = pytest.mark.django_db


@pytest.fixture
def airports():
    return {
        "LHR": AirportFactory(iata="LHR", city="London", name="London Heathrow Airport", tz="Europe/London"),
        "LGW": AirportFactory(iata="LGW", city="London", name="London Gatwick Airport", tz="Europe/London"),
        "CDG": AirportFactory(iata="CDG", city="Paris", name="Paris Charles de Gaulle Airport", tz="Europe/Paris"),
        "JFK": AirportFactory(
            iata="JFK", city="New York", name="John F Kennedy International Airport", tz="America/New_York"
        ),
    }


def _local_day(airport, days_ahead: int):
    return (timezone.now() + timedelta(days=days_ahead)).astimezone(airport.zone).date()


def _flight(origin, destination, days_ahead: int, price: str, hour: int = 10, **fields) -> Flight:
    return local_flight(origin, destination, _local_day(origin, days_ahead), hour, price=price, **fields)


def _routes(groups) -> dict[tuple[str, str], tuple]:
    return {
        (route.origin.iata, route.destination.iata): (route.lowest, route.next_day, route.flights)
        for group in groups
        for route in group.routes
    }


def test_every_route_is_listed_once_with_its_lowest_fare_next_day_and_flight_count(airports):
    lhr, cdg, jfk = airports["LHR"], airports["CDG"], airports["JFK"]
    _flight(lhr, cdg, 5, "120.00")
    _flight(lhr, cdg, 3, "150.00")
    _flight(lhr, cdg, 9, "89.00")
    _flight(lhr, jfk, 12, "420.00")
    _flight(cdg, lhr, 2, "99.00")
    assert _routes(network_routes()) == {
        ("LHR", "CDG"): (Decimal("89.00"), _local_day(lhr, 3), 3),
        ("LHR", "JFK"): (Decimal("420.00"), _local_day(lhr, 12), 1),
        ("CDG", "LHR"): (Decimal("99.00"), _local_day(cdg, 2), 1),
    }


def test_routes_are_grouped_by_origin_in_order_of_city_then_destination(airports):
    lhr, lgw, cdg, jfk = airports["LHR"], airports["LGW"], airports["CDG"], airports["JFK"]
    _flight(lhr, jfk, 3, "400.00")
    _flight(lhr, cdg, 3, "100.00")
    _flight(cdg, lhr, 3, "100.00")
    _flight(lgw, cdg, 3, "100.00")
    groups = network_routes()
    assert [group.origin.iata for group in groups] == ["LGW", "LHR", "CDG"]  # London, London, Paris
    assert [route.destination.iata for route in groups[1].routes] == ["JFK", "CDG"]  # New York before Paris


def test_next_day_is_the_local_day_at_the_origin(airports):
    jfk, lhr = airports["JFK"], airports["LHR"]
    # 23:30 in New York is the next morning in UTC: the listing says the New York day.
    flight = _flight(jfk, lhr, 4, "300.00", hour=23)
    (route,) = network_routes()[0].routes
    assert route.next_day == flight.departs_local().date() == _local_day(jfk, 4)
    assert flight.departs_at.astimezone(UTC).date() != route.next_day


def test_cancelled_sold_out_and_departed_flights_do_not_count(airports):
    lhr, cdg, jfk = airports["LHR"], airports["CDG"], airports["JFK"]
    _flight(lhr, cdg, 2, "19.00", status=Flight.Status.CANCELLED)
    _flight(lhr, cdg, 3, "29.00", capacity=60, seats_booked=60)
    departed = timezone.now() - timedelta(hours=1)
    FlightFactory(origin=lhr, destination=cdg, departs_at=departed, arrives_at=departed + timedelta(hours=2))
    _flight(lhr, cdg, 6, "139.00")
    _flight(lhr, jfk, 4, "9.00", status=Flight.Status.CANCELLED)  # its only flight is cancelled
    _flight(cdg, jfk, 4, "9.00", capacity=10, seats_booked=10)  # its only flight is full
    assert _routes(network_routes()) == {("LHR", "CDG"): (Decimal("139.00"), _local_day(lhr, 6), 1)}


def test_the_window_is_the_next_sixty_days(airports):
    lhr, cdg, jfk = airports["LHR"], airports["CDG"], airports["JFK"]
    now = timezone.now()
    FlightFactory(origin=lhr, destination=cdg, departs_at=now + timedelta(days=DISCOVERY_DAYS, minutes=-5))
    FlightFactory(origin=lhr, destination=jfk, departs_at=now + timedelta(days=DISCOVERY_DAYS, minutes=5))
    assert set(_routes(network_routes(now=now))) == {("LHR", "CDG")}


def test_a_later_cheaper_flight_outside_the_window_does_not_lower_the_fare(airports):
    lhr, cdg = airports["LHR"], airports["CDG"]
    _flight(lhr, cdg, 10, "200.00")
    _flight(lhr, cdg, DISCOVERY_DAYS + 5, "20.00")
    assert _routes(network_routes())[("LHR", "CDG")][0] == Decimal("200.00")


def test_destinations_from_lists_only_the_origins_routes_with_seats_for_the_party(airports):
    lhr, lgw, cdg, jfk = airports["LHR"], airports["LGW"], airports["CDG"], airports["JFK"]
    _flight(lhr, cdg, 3, "100.00", capacity=60, seats_booked=58)  # two seats left
    _flight(lhr, cdg, 8, "180.00")
    _flight(lgw, jfk, 5, "350.00")
    _flight(cdg, jfk, 5, "300.00")  # not from London
    london = [lhr, lgw]
    today = _local_day(lhr, 0)
    assert _routes(destinations_from(origins=london, first_day=today, passengers=2)) == {
        ("LHR", "CDG"): (Decimal("100.00"), _local_day(lhr, 3), 2),
        ("LGW", "JFK"): (Decimal("350.00"), _local_day(lgw, 5), 1),
    }
    # Three travellers do not fit on the cheap flight: the fare and next day move on.
    assert _routes(destinations_from(origins=london, first_day=today, passengers=3))[("LHR", "CDG")] == (
        Decimal("180.00"),
        _local_day(lhr, 8),
        1,
    )


def test_destinations_from_a_later_day_covers_sixty_local_days_from_it(airports):
    lhr, cdg, jfk = airports["LHR"], airports["CDG"], airports["JFK"]
    first_day = _local_day(lhr, 20)
    _flight(lhr, cdg, 10, "50.00")  # before the chosen day
    _flight(lhr, cdg, 20, "150.00", hour=0)  # the chosen day's first minutes count
    _flight(lhr, jfk, 20 + DISCOVERY_DAYS, "400.00")  # the 61st day
    assert _routes(destinations_from(origins=[lhr], first_day=first_day)) == {
        ("LHR", "CDG"): (Decimal("150.00"), first_day, 1),
    }


def test_routes_served_takes_two_queries_however_many_routes(airports, django_assert_num_queries):
    now = timezone.now()
    window = {"range_from": now, "range_to": now + timedelta(days=DISCOVERY_DAYS)}
    for index in range(3):
        _flight(airports["LHR"], AirportFactory(), 3, "100.00", hour=8 + index)
    with django_assert_num_queries(2):  # the aggregate, the airports
        assert len(routes_served(**window)[0].routes) == 3
    for index in range(9):
        _flight(AirportFactory(), AirportFactory(), 3, "100.00", hour=8 + index)
    with django_assert_num_queries(2):
        assert sum(len(group.routes) for group in routes_served(**window)) == 12
    with django_assert_num_queries(2):  # the origins are at hand: the destinations are the second
        assert len(routes_served(**window, origins=[airports["LHR"]])) == 1


def test_fare_month_gives_each_days_lowest_fare_from_today_on(airports):
    lhr, cdg = airports["LHR"], airports["CDG"]
    day = _local_day(lhr, 40)
    month = day.replace(day=1)
    departs = datetime.combine(day, time(9), tzinfo=lhr.zone)
    FlightFactory(origin=lhr, destination=cdg, departs_at=departs, price=Decimal("140.00"))
    FlightFactory(origin=lhr, destination=cdg, departs_at=departs + timedelta(hours=6), price=Decimal("95.00"))
    FlightFactory(
        origin=lhr,
        destination=cdg,
        departs_at=departs + timedelta(hours=8),
        price=Decimal("10.00"),
        status=Flight.Status.CANCELLED,
    )
    fares = fare_month(origins=[lhr], destinations=[cdg], month=month)
    assert fares == {day: Decimal("95.00")}


def test_fare_month_of_a_month_gone_by_is_empty(airports):
    lhr, cdg = airports["LHR"], airports["CDG"]
    _flight(lhr, cdg, 3, "100.00")
    last_month = (_local_day(lhr, 0).replace(day=1) - timedelta(days=1)).replace(day=1)
    assert fare_month(origins=[lhr], destinations=[cdg], month=last_month) == {}


@pytest.mark.parametrize(
    ("name", "city", "expected"),
    [
        ("London Heathrow Airport", "London", "London Heathrow"),
        ("John F Kennedy International Airport", "New York", "New York John F Kennedy"),
        ("Schiphol", "", "Schiphol"),
    ],
)
def test_place_name_puts_the_city_first_unless_the_name_has_it(name, city, expected):
    airport = AirportFactory.build(name=name, city=city)
    assert (
        Template("{% load flight_format %}{{ airport|place_name }}").render(Context({"airport": airport})) == expected
    )
