"""The search service (flights.search): plain values in, a plain result out, the data cached."""

from datetime import datetime, time, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from flights.search import DayFare, FlightSearchQuery, SearchResult, search_flights, search_keys
from flights.services import flight_create
from flights.tests.factories import AirportFactory, FlightFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def route():
    """LHR -> CDG in ten days: SK1 07:00 150.00, SK2 13:00 90.00, SK3 19:00 200.00 (London time)."""
    london = AirportFactory(iata="LHR", city="London", tz="Europe/London")
    paris = AirportFactory(iata="CDG", city="Paris", tz="Europe/Paris")
    day = (timezone.now() + timedelta(days=10)).astimezone(london.zone).date()
    for number, hour, price in (("SK1", 7, "150.00"), ("SK2", 13, "90.00"), ("SK3", 19, "200.00")):
        departs = datetime.combine(day, time(hour), tzinfo=london.zone)
        FlightFactory(
            number=number,
            origin=london,
            destination=paris,
            departs_at=departs,
            arrives_at=departs + timedelta(hours=1),
            price=Decimal(price),
        )
    return london, paris, day


def _query(route, **options) -> FlightSearchQuery:
    london, paris, day = route
    return FlightSearchQuery(origins=(london,), destinations=(paris,), day=day, **options)


def _numbers(result: SearchResult) -> list[str]:
    return [flight.number for flight in result.flights]


def test_search_filters_sorts_and_counts_what_the_filters_hide(route):
    result = search_flights(_query(route, window="afternoon", sort="price", max_price=Decimal("180")))
    assert _numbers(result) == ["SK2"]
    assert (result.total, result.hidden_count, result.next_cursor) == (1, 2, None)
    everything = search_flights(_query(route, sort="price"))
    assert _numbers(everything) == ["SK2", "SK1", "SK3"] and everything.hidden_count == 0


def test_search_pages_by_cursor(route):
    first = search_flights(_query(route, page_size=2))
    assert _numbers(first) == ["SK1", "SK2"] and first.total == 3 and first.next_cursor
    last = search_flights(_query(route, page_size=2, cursor=first.next_cursor))
    assert _numbers(last) == ["SK3"] and last.next_cursor is None


def test_search_gives_the_fare_strip_of_the_days_around(route):
    _london, _paris, day = route
    fares = search_flights(_query(route)).fares
    assert [fare.day for fare in fares] == [day + timedelta(days=offset) for offset in range(-3, 4)]
    assert fares[3] == DayFare(day, Decimal("90.00")) and fares[4] == DayFare(day + timedelta(days=1), None)


def test_flights_carry_their_airports(route):
    london, paris, _day = route
    flight = search_flights(_query(route)).flights[0]
    assert (flight.origin, flight.destination) == (london, paris)
    assert flight.departs_local().tzinfo == london.zone


def test_a_repeated_search_reads_its_data_from_the_cache(route, django_assert_num_queries):
    search_flights(_query(route))
    with django_assert_num_queries(0):
        again = search_flights(_query(route, window="morning", sort="duration", page_size=1))
    assert _numbers(again) == ["SK1"] and again.hidden_count == 2


def test_a_new_flight_on_the_route_day_shows_at_once(route, django_capture_on_commit_callbacks):
    london, paris, day = route
    search_flights(_query(route))
    departs = datetime.combine(day, time(21), tzinfo=london.zone)
    with django_capture_on_commit_callbacks(execute=True):
        flight_create(
            number="SK4",
            origin=london,
            destination=paris,
            departs_at=departs,
            arrives_at=departs + timedelta(hours=1),
            price=Decimal("40.00"),
        )
    result = search_flights(_query(route))
    assert _numbers(result) == ["SK1", "SK2", "SK3", "SK4"]
    assert result.fares[3].lowest == Decimal("40.00")


def test_keys_follow_the_data_not_the_options(route):
    plain, filtered = search_keys(_query(route)), search_keys(_query(route, window="evening", sort="price"))
    assert plain == filtered and plain.usable
    assert plain.page("a") != plain.page("b")
    assert search_keys(_query(route, passengers=2)).whole_day != plain.whole_day


def test_search_answers_from_the_database_with_redis_down(route, settings, django_assert_num_queries):
    settings.CACHES = {
        alias: {**config, "LOCATION": "redis://127.0.0.1:9/0"} for alias, config in settings.CACHES.items()
    }
    keys = search_keys(_query(route))
    assert not keys.usable and keys.page("anything") is None
    assert _numbers(search_flights(_query(route), keys=keys)) == ["SK1", "SK2", "SK3"]
    with django_assert_num_queries(2):  # nothing was cached: the day's flights and the fares again
        search_flights(_query(route))


@pytest.mark.parametrize(
    "options", [{"sort": "fastest"}, {"window": "lunch"}, {"passengers": 0}, {"page_size": 0}, {"page_size": 501}]
)
def test_a_query_no_validated_input_could_give_is_refused(route, options):
    with pytest.raises(ValueError):
        _query(route, **options)
