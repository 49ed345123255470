from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.utils import timezone

from flights.models import Flight
from flights.places import airports_matching
from flights.selectors import (
    FLIGHT_COLUMNS,
    SearchQuery,
    bookable_flights,
    bookable_flights_sql,
    flight_search,
    flights_by_number_on_local_day,
    local_day_range,
)
from flights.tests.factories import AirportFactory, FlightFactory

pytestmark = pytest.mark.django_db
UTC = ZoneInfo("UTC")


def _search(origin, destination, day, **kwargs):
    """The search through the ORM queryset, checked against the compiled query the results page runs."""
    query = SearchQuery(origins=(origin.pk,), destinations=(destination.pk,), day=day, **kwargs)
    now = datetime(2026, 1, 1, tzinfo=UTC)
    found = list(flight_search(query=query, origin_zone=origin.zone, now=now))
    compiled = bookable_flights(query=query, origins=[origin], destinations=[destination], limit=500, now=now)
    assert [_columns(f) for f in compiled] == [_columns(f) for f in found]
    assert [(f.origin, f.destination) for f in compiled] == [(f.origin, f.destination) for f in found]
    return found


def _columns(flight) -> tuple:
    return tuple(getattr(flight, name) for name in FLIGHT_COLUMNS)


@pytest.fixture
def tokyo_sydney():
    return AirportFactory(iata="HND", city="Tokyo", tz="Asia/Tokyo"), AirportFactory(
        iata="SYD", city="Sydney", tz="Australia/Sydney"
    )


def test_local_day_range_is_half_open_and_follows_dst():
    london = ZoneInfo("Europe/London")
    start, end = local_day_range(date(2027, 3, 28), london)  # clocks go forward: a 23-hour day
    assert (start, end) == (datetime(2027, 3, 28, 0, tzinfo=UTC), datetime(2027, 3, 28, 23, tzinfo=UTC))
    start, end = local_day_range(date(2027, 10, 31), london)  # clocks go back: a 25-hour day
    assert end - start == timedelta(hours=25)


def test_a_0030_local_departure_belongs_to_that_local_day_east_of_utc(tokyo_sydney):
    tokyo, sydney = tokyo_sydney
    # 00:30 in Tokyo on 10 Feb is 15:30 UTC on 9 Feb.
    flight = FlightFactory(origin=tokyo, destination=sydney, departs_at=datetime(2027, 2, 10, 0, 30, tzinfo=tokyo.zone))
    assert _search(tokyo, sydney, date(2027, 2, 10)) == [flight]
    assert _search(tokyo, sydney, date(2027, 2, 9)) == []


def test_a_late_local_departure_west_of_utc_stays_on_its_local_day():
    la = AirportFactory(iata="LAX", city="Los Angeles", tz="America/Los_Angeles")
    ny = AirportFactory(iata="JFK", city="New York", tz="America/New_York")
    # 23:30 in Los Angeles on 10 Feb is 07:30 UTC on 11 Feb.
    flight = FlightFactory(origin=la, destination=ny, departs_at=datetime(2027, 2, 10, 23, 30, tzinfo=la.zone))
    assert _search(la, ny, date(2027, 2, 10)) == [flight]
    assert _search(la, ny, date(2027, 2, 11)) == []


def test_search_on_a_dst_change_day_includes_the_whole_local_day():
    london = AirportFactory(iata="LHR", city="London", tz="Europe/London")
    paris = AirportFactory(iata="CDG", city="Paris", tz="Europe/Paris")
    early = FlightFactory(
        origin=london, destination=paris, departs_at=datetime(2027, 10, 31, 0, 15, tzinfo=london.zone)
    )
    late = FlightFactory(
        origin=london, destination=paris, departs_at=datetime(2027, 10, 31, 23, 45, tzinfo=london.zone)
    )
    FlightFactory(origin=london, destination=paris, departs_at=datetime(2027, 11, 1, 0, 5, tzinfo=london.zone))
    assert _search(london, paris, date(2027, 10, 31)) == [early, late]


def test_search_time_window_uses_local_time():
    ny = AirportFactory(iata="JFK", city="New York", tz="America/New_York")
    london = AirportFactory(iata="LHR", city="London", tz="Europe/London")
    morning = FlightFactory(origin=ny, destination=london, departs_at=datetime(2027, 2, 10, 8, 0, tzinfo=ny.zone))
    evening = FlightFactory(origin=ny, destination=london, departs_at=datetime(2027, 2, 10, 19, 0, tzinfo=ny.zone))
    assert _search(ny, london, date(2027, 2, 10), window="morning") == [morning]
    assert _search(ny, london, date(2027, 2, 10), window="evening") == [evening]
    assert _search(ny, london, date(2027, 2, 10)) == [morning, evening]


def test_search_hides_cancelled_departed_and_too_full_flights():
    a, b = AirportFactory(), AirportFactory()
    now = timezone.now()
    day = (now + timedelta(days=3)).astimezone(a.zone).date()
    at = datetime.combine(day, time(12), tzinfo=a.zone)
    ok = FlightFactory(origin=a, destination=b, departs_at=at)
    FlightFactory(origin=a, destination=b, departs_at=at + timedelta(hours=1), status=Flight.Status.CANCELLED)
    nearly_full = FlightFactory(origin=a, destination=b, departs_at=at + timedelta(hours=2), capacity=2)
    Flight.objects.filter(pk=nearly_full.pk).update(seats_booked=1)
    query = SearchQuery(origins=(a.pk,), destinations=(b.pk,), day=day, passengers=2)
    assert list(flight_search(query=query, origin_zone=a.zone)) == [ok]
    query_one = SearchQuery(origins=(a.pk,), destinations=(b.pk,), day=day, passengers=1)
    assert len(flight_search(query=query_one, origin_zone=a.zone)) == 2
    # A flight earlier today that has left is not offered.
    past = SearchQuery(origins=(a.pk,), destinations=(b.pk,), day=day, passengers=1)
    assert not flight_search(query=past, origin_zone=a.zone, now=at + timedelta(hours=3)).exists()


def test_airports_matching_code_city_and_unknown():
    heathrow = AirportFactory(iata="LHR", city="London", tz="Europe/London")
    gatwick = AirportFactory(iata="LGW", city="London", tz="Europe/London")
    assert airports_matching("lhr") == [heathrow]
    assert airports_matching("  london ") == [gatwick, heathrow]
    assert airports_matching("Atlantis") == []
    assert airports_matching("") == []


def test_city_shared_by_two_countries_prefers_airports_with_flights():
    heathrow = AirportFactory(iata="LHR", city="London", country="GB")
    AirportFactory(iata="YXU", city="London", country="CA", tz="America/Toronto")
    FlightFactory(origin=heathrow)
    assert airports_matching("London") == [heathrow]


def test_flights_by_number_uses_departure_local_day():
    tokyo = AirportFactory(iata="HND", city="Tokyo", tz="Asia/Tokyo")
    flight = FlightFactory(number="SK1", origin=tokyo, departs_at=datetime(2027, 2, 10, 0, 30, tzinfo=tokyo.zone))
    assert flights_by_number_on_local_day(number="sk1", day=date(2027, 2, 10)) == [flight]
    assert flights_by_number_on_local_day(number="SK1", day=date(2027, 2, 9)) == []


def test_search_query_uses_the_route_index(django_db_blocker):
    a, b = AirportFactory(), AirportFactory()
    others = AirportFactory.create_batch(10)
    start = timezone.now() + timedelta(days=1)
    rows = [
        Flight(
            number=f"SK{i % 9000}",
            origin=others[i % 10],
            destination=others[(i + 1) % 10],
            departs_at=start + timedelta(minutes=7 * i),
            arrives_at=start + timedelta(minutes=7 * i + 90),
            price=100,
        )
        for i in range(20000)
    ]
    Flight.objects.bulk_create(rows, batch_size=5000)
    FlightFactory(origin=a, destination=b, departs_at=start + timedelta(days=2))
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE flights_flight")
    query = SearchQuery(
        origins=(a.pk,), destinations=(b.pk,), day=(start + timedelta(days=2)).astimezone(a.zone).date()
    )
    plan = flight_search(query=query, origin_zone=a.zone).explain()
    assert "flight_search_idx" in plan
    assert "Seq Scan on flights_flight" not in plan
    # What the results page runs: the same query compiled once, without the airport joins.
    sql, params = bookable_flights_sql(query=query, origin_zone=a.zone, limit=500)
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN {sql}", params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "flight_search_idx" in plan
    assert "Seq Scan on flights_flight" not in plan


def test_city_lookup_is_one_query_however_many_airports_share_the_name(django_assert_num_queries):
    heathrow = AirportFactory(iata="LHR", city="London", country="GB")
    gatwick = AirportFactory(iata="LGW", city="London", country="GB")
    for code in ("YXU", "LOZ", "QQA", "QQB"):
        AirportFactory(iata=code, city="London", country="CA" if code != "LOZ" else "US", tz="America/Toronto")
    FlightFactory(origin=heathrow)
    FlightFactory(destination=gatwick)
    with django_assert_num_queries(1):
        assert airports_matching("LONDON") == [gatwick, heathrow]
