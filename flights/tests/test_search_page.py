"""The results page: sort, filters with a hidden count and reset, flexible dates."""

from datetime import datetime, time, timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from flights.models import Flight
from flights.selectors import SORTS
from flights.tests.factories import AirportFactory, FlightFactory
from flights.tests.pages import listed_numbers, next_page_url

pytestmark = pytest.mark.django_db


@pytest.fixture
def day_of_flights():
    london = AirportFactory(iata="LHR", city="London", tz="Europe/London")
    paris = AirportFactory(iata="CDG", city="Paris", tz="Europe/Paris")
    day = (timezone.now() + timedelta(days=10)).astimezone(london.zone).date()

    def flight(number, hour, price, minutes):
        departs = datetime.combine(day, time(hour), tzinfo=london.zone)
        return FlightFactory(
            number=number,
            origin=london,
            destination=paris,
            departs_at=departs,
            arrives_at=departs + timedelta(minutes=minutes),
            price=Decimal(price),
        )

    flight("SK1", 7, "150.00", 80)  # morning, mid price, fast
    flight("SK2", 13, "90.00", 95)  # afternoon, cheapest
    flight("SK3", 19, "200.00", 75)  # evening, dearest, fastest
    return london, paris, day


def _get(client, day, **params):
    query = {"origin": "LHR", "destination": "CDG", "date": day.isoformat(), "passengers": 1, **params}
    response = client.get(reverse("flights:search"), query)
    assert response.status_code == 200
    return response


def _numbers(response) -> list[str]:
    return listed_numbers(response)


@pytest.mark.parametrize(
    ("sort", "expected"),
    [("departure", ["SK1", "SK2", "SK3"]), ("price", ["SK2", "SK1", "SK3"]), ("duration", ["SK3", "SK1", "SK2"])],
)
def test_results_sort_by_departure_price_or_duration(client, day_of_flights, sort, expected):
    _, _, day = day_of_flights
    assert _numbers(_get(client, day, sort=sort)) == expected


def test_unknown_sort_falls_back_to_departure(client, day_of_flights):
    _, _, day = day_of_flights
    assert _numbers(_get(client, day, sort="'; DROP TABLE")) == ["SK1", "SK2", "SK3"]


def test_max_price_filter_says_how_many_are_hidden_and_offers_a_reset(client, day_of_flights):
    _, _, day = day_of_flights
    response = _get(client, day, max_price="160")
    assert _numbers(response) == ["SK1", "SK2"]
    page = response.content.decode()
    assert "1 more flight that day is hidden by your filters." in page
    reset = response.context["reset_url"]
    assert "max_price" not in reset and "window" not in reset
    assert _numbers(client.get(reset)) == ["SK1", "SK2", "SK3"]


def test_time_window_and_price_together_count_every_hidden_flight(client, day_of_flights):
    _, _, day = day_of_flights
    response = _get(client, day, window="morning", max_price="100")
    assert _numbers(response) == []
    assert response.context["hidden_count"] == 3
    page = response.content.decode()
    # Nothing shown: the empty state itself says what hides the flights, never "no flights"
    # under a "hidden" banner.
    assert "Filters hide 3 flights" in page and "Clear filters and show 3 flights" in page
    assert "hidden by your filters" not in page and "No flights" not in page


def test_invalid_max_price_shows_a_message(client, day_of_flights):
    _, _, day = day_of_flights
    for bad in ("-5", "cheap"):
        response = _get(client, day, max_price=bad)
        assert response.context["results_html"] is None
        assert "max_price" in response.context["form"].errors


def test_flexible_dates_show_the_lowest_fare_on_nearby_days(client, day_of_flights):
    london, paris, day = day_of_flights
    next_day = datetime.combine(day + timedelta(days=1), time(10), tzinfo=london.zone)
    FlightFactory(
        origin=london,
        destination=paris,
        departs_at=next_day,
        arrives_at=next_day + timedelta(hours=1),
        price=Decimal("60.00"),
    )
    FlightFactory(
        origin=london,
        destination=paris,
        departs_at=next_day + timedelta(hours=2),
        arrives_at=next_day + timedelta(hours=3),
        price=Decimal("75.00"),
    )
    strip = {d: (price, current) for d, price, _url, current in _get(client, day).context["flexible_days"]}
    assert strip[day] == (Decimal("90.00"), True)
    assert strip[day + timedelta(days=1)] == (Decimal("60.00"), False)
    assert strip[day - timedelta(days=1)] == (None, False)
    assert len(strip) == 7


def test_flexible_dates_never_offer_past_days(client):
    london = AirportFactory(iata="LHR", city="London", tz="Europe/London")
    AirportFactory(iata="CDG", city="Paris", tz="Europe/Paris")
    today = timezone.now().astimezone(london.zone).date()
    days = [d for d, *_ in _get(client, today).context["flexible_days"]]
    assert min(days) == today and len(days) == 4


@pytest.fixture
def busy_day():
    london = AirportFactory(iata="LHR", city="London", tz="Europe/London")
    paris = AirportFactory(iata="CDG", city="Paris", tz="Europe/Paris")
    day = (timezone.now() + timedelta(days=12)).astimezone(london.zone).date()
    start = datetime.combine(day, time(5), tzinfo=london.zone)
    for index in range(45):
        departs = start + timedelta(minutes=20 * index)
        FlightFactory(
            number=f"SK{200 + index}",
            origin=london,
            destination=paris,
            departs_at=departs,
            arrives_at=departs + timedelta(minutes=70 + index % 7),
            price=Decimal(100 + (index * 37) % 90),
        )
    return day


@pytest.mark.parametrize("sort", ["departure", "price", "duration"])
def test_keyset_pages_cover_every_flight_once_in_order(client, busy_day, sort):
    seen, url, pages = [], None, 0
    response = _get(client, busy_day, sort=sort)
    while True:
        pages += 1
        assert response.context["total"] == 45
        seen += _numbers(response)
        url = response.context["next_url"]
        if not url:
            break
        response = client.get(url)
    assert pages == 3 and len(seen) == 45 and len(set(seen)) == 45
    assert seen == [f.number for f in sorted(Flight.objects.all(), key=SORTS[sort][1])]


def test_keyset_cursor_survives_a_flight_added_before_it(client, busy_day):
    first = _get(client, busy_day)
    second_page_expected = _numbers(client.get(next_page_url(first)))
    london, paris = AirportFactory(iata="LHR"), AirportFactory(iata="CDG")
    early = datetime.combine(busy_day, time(4), tzinfo=london.zone)
    FlightFactory(
        number="SK999", origin=london, destination=paris, departs_at=early, arrives_at=early + timedelta(hours=1)
    )
    # The cached day list is invalidated by the new flight; the cursor still continues after SK219.
    assert _numbers(client.get(next_page_url(first))) == second_page_expected


@pytest.mark.parametrize(
    "cursor",
    [
        "garbage",
        "1~2",
        "9999999999~0~0",
        "",
        # Decimal reads these, then refuses to compare them (a 500 before issue 11).
        "NaN~0~0",
        "sNaN~1~1",
        "nan~nan~nan",
        "Infinity~0~0",
        "-Infinity~0~0",
        "1e999~0~0",
        "1E+5~0~0",
        "１~２~３",  # full-width digits
        "1_000~0~0",
        "~~",
        "1~2~3~4",
        "\x00~0~0",
        "9" * 5000,
    ],
)
def test_a_malformed_or_stale_cursor_shows_the_first_page(client, busy_day, cursor):
    response = _get(client, busy_day, after=cursor)
    assert _numbers(response) == _numbers(_get(client, busy_day))
