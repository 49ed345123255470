"""GET /api/v1/flights and the public reads beside it (airports, a flight, its seat map).

The search must mean what the site's search page means (flights/views.py `search`): the same
flights in the same order, the origin airport's local day, cities as all their airports, and
the same cache, invalidated the moment staff change a flight. The page is read as a passenger
sees it (flights/tests/pages.py), so a cached page is compared too."""

from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from urllib.parse import parse_qs, urlsplit

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from accounts.tests.factories import StaffFactory
from bookings.tests.factories import make_booking, make_hold
from flights.forms import SearchForm
from flights.models import Flight
from flights.search import search_flights
from flights.services import airport_traffic_refresh
from flights.tests.factories import AirportFactory, FlightFactory
from flights.tests.pages import listed_numbers, next_page_url

from .helpers import assert_problem, verified_staff_client

pytestmark = pytest.mark.django_db

# A fixed "now", in winter: London is on UTC, Paris UTC+1, New York UTC-5, Tokyo UTC+9.
NOW = datetime(2027, 1, 10, 12, 0, tzinfo=UTC)
DAY = date(2027, 1, 20)
SEARCH_URL = "/api/v1/flights"

# The API's sort names and the results page's.
PAGE_SORTS = {"departure": "departure", "price": "price", "fastest": "duration"}


@pytest.fixture(autouse=True)
def _frozen_clock(time_machine):
    time_machine.move_to(NOW, tick=False)


@pytest.fixture
def api():
    return APIClient()


@pytest.fixture
def staff_api():
    return verified_staff_client(StaffFactory())


def local(airport, day: date, hour: int, minute: int = 0) -> datetime:
    """A wall-clock time at `airport`, as the aware instant it names."""
    return datetime.combine(day, time(hour, minute), tzinfo=airport.zone)


def make_flight(number, origin, destination, day, hour, minute=0, *, price="100.00", minutes=90, **more):
    departs = local(origin, day, hour, minute)
    return FlightFactory(
        number=number,
        origin=origin,
        destination=destination,
        departs_at=departs,
        arrives_at=departs + timedelta(minutes=minutes),
        price=Decimal(price),
        **more,
    )


@pytest.fixture
def airports():
    return {
        "LHR": AirportFactory(iata="LHR", city="London", name="London Heathrow Airport", tz="Europe/London"),
        "LGW": AirportFactory(iata="LGW", city="London", name="London Gatwick Airport", tz="Europe/London"),
        "CDG": AirportFactory(
            iata="CDG", city="Paris", name="Paris Charles de Gaulle Airport", country="FR", tz="Europe/Paris"
        ),
        "ORY": AirportFactory(iata="ORY", city="Paris", name="Paris Orly Airport", country="FR", tz="Europe/Paris"),
        "AMS": AirportFactory(
            iata="AMS", city="Amsterdam", name="Amsterdam Schiphol Airport", country="NL", tz="Europe/Amsterdam"
        ),
        "JFK": AirportFactory(
            iata="JFK", city="New York", name="John F Kennedy International", country="US", tz="America/New_York"
        ),
        "NRT": AirportFactory(iata="NRT", city="Tokyo", name="Narita International", country="JP", tz="Asia/Tokyo"),
    }


@pytest.fixture
def london_paris(airports):
    """A day of London -> Paris flights with ties in every sort key, plus flights that must never
    show on DAY: cancelled, the local day before and after, another destination."""
    lhr, lgw, cdg, ory, ams = (airports[code] for code in ("LHR", "LGW", "CDG", "ORY", "AMS"))
    flights = {
        "SK101": make_flight("SK101", lhr, cdg, DAY, 6, 10, price="120.00", minutes=80),
        "SK102": make_flight("SK102", lhr, cdg, DAY, 6, 10, price="95.00", minutes=85),  # same departure as SK101
        "SK103": make_flight("SK103", lgw, cdg, DAY, 9, 45, price="95.00", minutes=70),  # same price as SK102
        "SK104": make_flight("SK104", lhr, ory, DAY, 12, 0, price="180.00", minutes=75),
        "SK105": make_flight("SK105", lhr, cdg, DAY, 13, 30, price="60.00", minutes=95, seats_booked=58),
        "SK106": make_flight("SK106", lgw, ory, DAY, 18, 0, price="210.00", minutes=70),  # as fast as SK103
        "SK107": make_flight("SK107", lhr, cdg, DAY, 23, 50, price="45.00", minutes=90),
        "SK108": make_flight("SK108", lhr, cdg, DAY, 3, 0, price="75.00", minutes=80),  # as fast as SK101
    }
    make_flight("SK190", lhr, cdg, DAY, 10, 0, status=Flight.Status.CANCELLED)
    make_flight("SK191", lhr, cdg, DAY + timedelta(days=1), 0, 5)
    make_flight("SK192", lhr, cdg, DAY - timedelta(days=1), 23, 55)
    make_flight("SK193", lhr, ams, DAY, 11, 0)
    return flights


def search(client, **params):
    query = {"origin": "London", "destination": "Paris", "date": DAY.isoformat(), **params}
    return client.get(SEARCH_URL, query)


def ok_search(client, **params) -> dict:
    response = search(client, **params)
    assert response.status_code == 200, response.content
    return response.json()


def numbers(body: dict) -> list[str]:
    return [flight["number"] for flight in body["results"]]


def walk_api(client, **params) -> tuple[list[str], int]:
    """Every flight number of a search, following `next` to the last page; and the page count."""
    body = ok_search(client, **params)
    found, pages = numbers(body), 1
    while body["next"]:
        response = client.get(body["next"])
        assert response.status_code == 200, response.content
        body = response.json()
        found += numbers(body)
        pages += 1
    return found, pages


def walk_page(**params) -> list[str]:
    """The same search on the site's results page (as an anonymous visitor), every page."""
    client = Client()
    query = {"origin": "London", "destination": "Paris", "date": DAY.isoformat(), "passengers": 1, **params}
    if "sort" in query:
        query["sort"] = PAGE_SORTS[query["sort"]]
    response = client.get(reverse("flights:search"), query)
    assert response.status_code == 200
    found = listed_numbers(response)
    while url := next_page_url(response):
        response = client.get(url)
        found += listed_numbers(response)
    return found


def service_numbers(**params) -> list[str]:
    """flights.search.search_flights itself, through the site's form, every flight on one page."""
    data = {"origin": "London", "destination": "Paris", "date": DAY.isoformat(), "passengers": 1, **params}
    data["sort"] = PAGE_SORTS[data.get("sort", "departure")]
    form = SearchForm(data)
    assert form.is_valid(), form.errors
    query = form.search_query()
    return [flight.number for flight in search_flights(replace(query, page_size=100)).flights]


# The same answer as the site ----------------------------------------------------------------


def test_search_results_in_departure_price_and_fastest_order(api, london_paris):
    assert numbers(ok_search(api, sort="departure")) == [
        "SK108",
        "SK102",  # 06:10 like SK101, cheaper
        "SK101",
        "SK103",
        "SK104",
        "SK105",
        "SK106",
        "SK107",
    ]
    assert numbers(ok_search(api, sort="price")) == [
        "SK107",
        "SK105",
        "SK108",
        "SK102",  # 95.00 like SK103, earlier
        "SK103",
        "SK101",
        "SK104",
        "SK106",
    ]
    assert numbers(ok_search(api, sort="fastest")) == [
        "SK103",  # 70 min like SK106, earlier
        "SK106",
        "SK104",
        "SK108",  # 80 min like SK101, earlier
        "SK101",
        "SK102",
        "SK107",
        "SK105",
    ]


@pytest.mark.parametrize(
    "params",
    [
        {"sort": "departure"},
        {"sort": "price"},
        {"sort": "fastest"},
        {"window": "morning"},
        {"window": "afternoon", "sort": "price"},
        {"window": "evening", "sort": "fastest"},
        {"window": "night"},
        {"passengers": 3},
        {"passengers": 3, "sort": "price"},
        {"max_price": "95"},
        {"max_price": "100.00", "sort": "fastest"},
        {"window": "morning", "max_price": "100", "passengers": 2, "sort": "price"},
        {"origin": "LHR", "destination": "CDG"},
        {"origin": "LGW", "destination": "Paris", "sort": "fastest"},
        {"origin": "london", "destination": "ORY"},
    ],
    ids=lambda params: "&".join(f"{key}={value}" for key, value in params.items()),
)
def test_api_and_results_page_list_the_same_flights_in_the_same_order(api, london_paris, params):
    from_api, _ = walk_api(api, **params)
    assert from_api == walk_page(**params)
    assert from_api == service_numbers(**params)
    assert set(from_api) <= set(london_paris)  # never a cancelled flight or another day's


def test_api_and_results_page_agree_on_counts_and_ids(api, london_paris):
    body = ok_search(api, window="morning", fares="true")
    service = search_flights(_form_query(window="morning"))
    assert [flight["id"] for flight in body["results"]] == [flight.pk for flight in service.flights]
    assert body["total"] == service.total == 3
    assert body["hidden_count"] == service.hidden_count == 5
    assert [fare["date"] for fare in body["fares"]] == [fare.day.isoformat() for fare in service.fares]
    # The strip's day shows the lowest fare in the searched window, as its results do.
    lowest = min(flight.price for flight in service.flights)
    assert body["fares"][3] == {
        "date": DAY.isoformat(),
        "lowest": {"amount": f"{lowest}", "currency": settings.CURRENCY},
    }
    assert ok_search(api, window="morning")["fares"] == []  # not asked for: not computed


def _form_query(**params):
    data = {"origin": "London", "destination": "Paris", "date": DAY.isoformat(), "passengers": 1, **params}
    form = SearchForm(data)
    assert form.is_valid(), form.errors
    return form.search_query()


def test_city_search_covers_every_airport_of_both_cities(api, london_paris):
    body = ok_search(api)
    routes = {(flight["origin"]["iata"], flight["destination"]["iata"]) for flight in body["results"]}
    assert routes == {("LHR", "CDG"), ("LGW", "CDG"), ("LHR", "ORY"), ("LGW", "ORY")}
    assert numbers(ok_search(api, origin="LHR", destination="CDG")) == ["SK108", "SK102", "SK101", "SK105", "SK107"]


def test_passengers_hide_flights_without_enough_seats(api, london_paris):
    assert "SK105" in numbers(ok_search(api, passengers=2))  # two seats left
    body = ok_search(api, passengers=3)
    assert "SK105" not in numbers(body) and body["total"] == 7


def test_max_price_is_inclusive_and_counts_the_hidden(api, london_paris):
    body = ok_search(api, max_price="95.00", sort="price")
    assert numbers(body) == ["SK107", "SK105", "SK108", "SK102", "SK103"]
    assert body["hidden_count"] == 3


# The origin's local day ---------------------------------------------------------------------


def test_the_date_is_the_origin_airports_local_day_in_new_york(api, airports):
    jfk, nrt = airports["JFK"], airports["NRT"]
    late = make_flight("NH9", jfk, nrt, DAY, 23, 30, minutes=14 * 60)
    early = make_flight("NH8", jfk, nrt, DAY, 0, 15, minutes=14 * 60)
    next_day = make_flight("NH7", jfk, nrt, DAY + timedelta(days=1), 0, 15, minutes=14 * 60)
    assert late.departs_at.astimezone(UTC).date() == DAY + timedelta(days=1)  # the next day in UTC

    on_day = ok_search(api, origin="JFK", destination="NRT")
    assert numbers(on_day) == ["NH8", "NH9"]
    assert on_day["results"][1]["departs_local"] == f"{DAY.isoformat()}T23:30:00-05:00"
    on_next_day = ok_search(api, origin="New York", destination="Tokyo", date=(DAY + timedelta(days=1)).isoformat())
    assert numbers(on_next_day) == [next_day.number]
    assert early.pk not in [flight["id"] for flight in on_next_day["results"]]


def test_the_date_is_the_origin_airports_local_day_in_tokyo(api, airports):
    jfk, nrt = airports["JFK"], airports["NRT"]
    make_flight("NH10", nrt, jfk, DAY, 0, 30, minutes=13 * 60)  # 15:30 UTC the day before
    make_flight("NH11", nrt, jfk, DAY - timedelta(days=1), 23, 0, minutes=13 * 60)
    assert numbers(ok_search(api, origin="NRT", destination="JFK")) == ["NH10"]
    assert numbers(ok_search(api, origin="NRT", destination="JFK", date=(DAY - timedelta(days=1)).isoformat())) == [
        "NH11"
    ]
    assert walk_page(origin="NRT", destination="JFK") == ["NH10"]


def test_the_long_day_the_clocks_go_back_is_one_local_day(api, airports):
    # 7 November 2027 lasts 25 hours in New York: 04:00 UTC that day to 05:00 UTC the next.
    jfk, nrt = airports["JFK"], airports["NRT"]
    autumn = date(2027, 11, 7)
    make_flight("NH50", jfk, nrt, autumn, 0, 30, minutes=14 * 60)  # still on summer time (EDT)
    make_flight("NH51", jfk, nrt, autumn, 23, 30, minutes=14 * 60)  # on winter time (EST): 04:30 UTC on the 8th
    make_flight("NH52", jfk, nrt, autumn + timedelta(days=1), 0, 10, minutes=14 * 60)
    make_flight("NH53", jfk, nrt, autumn - timedelta(days=1), 23, 50, minutes=14 * 60)
    body = ok_search(api, origin="JFK", destination="NRT", date=autumn.isoformat())
    assert numbers(body) == ["NH50", "NH51"]
    assert [flight["departs_local"][-6:] for flight in body["results"]] == ["-04:00", "-05:00"]
    assert walk_page(origin="JFK", destination="NRT", date=autumn.isoformat()) == ["NH50", "NH51"]


def test_today_is_the_origins_local_today(api, airports, time_machine):
    # 03:00 UTC on 10 January is still 22:00 on 9 January in New York.
    time_machine.move_to(datetime(2027, 1, 10, 3, 0, tzinfo=UTC), tick=False)
    evening = make_flight("NH20", airports["JFK"], airports["NRT"], date(2027, 1, 9), 23, 30, minutes=14 * 60)
    body = ok_search(api, origin="JFK", destination="NRT", date="2027-01-09")
    assert [flight["id"] for flight in body["results"]] == [evening.pk]
    assert walk_page(origin="JFK", destination="NRT", date="2027-01-09") == ["NH20"]

    past = search(api, origin="LHR", destination="CDG", date="2027-01-09")  # London is on the 10th
    assert past.status_code == 400 and "date" in past.json()["errors"]


def test_flights_that_left_earlier_today_are_not_offered(api, airports):
    lhr, cdg = airports["LHR"], airports["CDG"]
    make_flight("SK60", lhr, cdg, NOW.date(), 9, 0)  # NOW is 12:00 in London
    make_flight("SK61", lhr, cdg, NOW.date(), 15, 0)
    today = NOW.date().isoformat()
    assert numbers(ok_search(api, origin="LHR", destination="CDG", date=today)) == ["SK61"]
    assert walk_page(origin="LHR", destination="CDG", date=today) == ["SK61"]


# Pages ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("sort", ["departure", "price", "fastest"])
def test_limit_two_walks_every_page_without_duplicates_or_gaps(api, london_paris, sort):
    everything = numbers(ok_search(api, sort=sort, limit=100))
    assert len(everything) == 8
    walked, pages = walk_api(api, sort=sort, limit=2)
    assert walked == everything
    assert len(set(walked)) == len(walked)
    assert pages == 4


@pytest.mark.parametrize("sort", ["departure", "price", "fastest"])
def test_api_pages_and_the_results_pages_agree_past_the_first_page(api, airports, sort):
    lhr, cdg = airports["LHR"], airports["CDG"]
    for index in range(45):  # three pages of 20 on the site; prices and durations repeat
        make_flight(
            f"SK{300 + index}",
            lhr,
            cdg,
            DAY,
            6 + index // 4,
            (index % 4) * 15,
            price=f"{50 + index % 7}.00",
            minutes=60 + index % 5,
        )
    from_api, pages = walk_api(api, sort=sort, origin="LHR", destination="CDG")
    assert pages == 3 and len(set(from_api)) == 45
    assert from_api == walk_page(sort=sort, origin="LHR", destination="CDG")


def test_next_keeps_the_search_and_the_last_page_has_none(api, london_paris):
    first = ok_search(api, sort="price", passengers=2, limit=3, window="any")
    assert len(first["results"]) == 3 and first["total"] == 8
    query = parse_qs(urlsplit(first["next"]).query)
    assert query["sort"] == ["price"] and query["passengers"] == ["2"] and query["limit"] == ["3"]
    assert query["cursor"] == [first["next_cursor"]]
    assert urlsplit(first["next"]).path == SEARCH_URL
    last = ok_search(api, sort="price", passengers=2, limit=8)
    assert last["next"] is None and last["next_cursor"] is None


@pytest.mark.parametrize(
    "cursor",
    ["garbage", "1~2", "NaN~NaN~NaN", "1e5~1~1", "~~", "99999999999~99999999999~99999999999", "é~ü~ß"],
)
def test_a_garbage_cursor_gives_the_first_page(api, london_paris, cursor):
    first = ok_search(api, limit=2)
    again = ok_search(api, limit=2, cursor=cursor)
    assert numbers(again) == numbers(first) == ["SK108", "SK102"]


def test_an_empty_cursor_gives_the_first_page(api, london_paris):
    assert numbers(ok_search(api, limit=2, cursor="")) == ["SK108", "SK102"]


def test_a_long_garbage_cursor_gives_the_first_page(api, london_paris):
    assert numbers(ok_search(api, limit=2, cursor="x" * 300)) == ["SK108", "SK102"]


# The cache and its invalidation --------------------------------------------------------------


def _price_of(body: dict, number: str) -> str:
    return next(flight["price"]["amount"] for flight in body["results"] if flight["number"] == number)


def test_the_search_is_cached_and_a_staff_price_change_shows_at_once(
    api, staff_api, london_paris, django_capture_on_commit_callbacks
):
    flight = london_paris["SK101"]
    assert _price_of(ok_search(api, sort="price"), "SK101") == "120.00"
    # Behind the services' back (no invalidation): the cached answer still says 120.
    Flight.objects.filter(pk=flight.pk).update(price=Decimal("121.00"))
    assert _price_of(ok_search(api, sort="price"), "SK101") == "120.00"

    with django_capture_on_commit_callbacks(execute=True):
        response = staff_api.patch(f"/api/v1/flights/{flight.pk}", {"price": "20.00"}, format="json")
    assert response.status_code == 200, response.content
    body = ok_search(api, sort="price")
    assert _price_of(body, "SK101") == "20.00"
    assert numbers(body)[0] == "SK101"
    assert walk_page(sort="price")[0] == "SK101"


def test_a_flight_cancelled_by_staff_leaves_the_results_at_once(
    api, staff_api, london_paris, django_capture_on_commit_callbacks
):
    flight = london_paris["SK103"]
    make_booking(flight=flight)
    assert "SK103" in numbers(ok_search(api))
    assert "SK103" in walk_page()
    with django_capture_on_commit_callbacks(execute=True):
        response = staff_api.delete(f"/api/v1/flights/{flight.pk}")
    assert response.status_code == 200 and response.json()["status"] == "cancelled"
    assert "SK103" not in numbers(ok_search(api))
    assert "SK103" not in walk_page()


def test_a_flight_deleted_or_moved_by_staff_changes_both_days_at_once(
    api, staff_api, london_paris, django_capture_on_commit_callbacks
):
    tomorrow = (DAY + timedelta(days=1)).isoformat()
    assert numbers(ok_search(api, origin="LHR", destination="CDG", date=tomorrow)) == ["SK191"]
    ok_search(api, origin="LHR", destination="CDG")
    with django_capture_on_commit_callbacks(execute=True):
        moved = staff_api.patch(
            f"/api/v1/flights/{london_paris['SK107'].pk}",
            {"departs_local": f"{tomorrow}T07:00", "arrives_local": f"{tomorrow}T09:30"},
            format="json",
        )
        deleted = staff_api.delete(f"/api/v1/flights/{london_paris['SK101'].pk}")
    assert moved.status_code == 200, moved.content
    assert deleted.status_code == 204
    assert numbers(ok_search(api, origin="LHR", destination="CDG")) == ["SK108", "SK102", "SK105"]
    assert numbers(ok_search(api, origin="LHR", destination="CDG", date=tomorrow)) == ["SK191", "SK107"]


def test_a_change_on_a_nearby_day_updates_the_fare_strip_at_once(
    api, staff_api, london_paris, django_capture_on_commit_callbacks
):
    tomorrow = (DAY + timedelta(days=1)).isoformat()
    fares = {
        fare["date"]: fare["lowest"] for fare in ok_search(api, origin="LHR", destination="CDG", fares="true")["fares"]
    }
    assert fares[tomorrow] == {"amount": "100.00", "currency": settings.CURRENCY}  # SK191
    with django_capture_on_commit_callbacks(execute=True):
        response = staff_api.patch(f"/api/v1/flights/{Flight.objects.get(number='SK191').pk}", {"price": "9.50"})
    assert response.status_code == 200, response.content
    fares = {
        fare["date"]: fare["lowest"] for fare in ok_search(api, origin="LHR", destination="CDG", fares="true")["fares"]
    }
    assert fares[tomorrow] == {"amount": "9.50", "currency": settings.CURRENCY}


# Bad queries ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"origin": "ZZZ"}, "origin"),
        ({"destination": "Atlantis"}, "destination"),
        ({"origin": ""}, "origin"),
        ({"destination": "London"}, "destination"),  # the same place
        ({"date": "2027-01-09"}, "date"),  # yesterday
        ({"date": "2027-13-01"}, "date"),
        ({"date": "2029-01-20"}, "date"),  # beyond the schedule horizon
        ({"window": "bogus"}, "window"),
        ({"sort": "bogus"}, "sort"),
        ({"sort": "duration"}, "sort"),  # the page's name; the API says "fastest"
        ({"passengers": "0"}, "passengers"),
        ({"passengers": "99"}, "passengers"),
        ({"passengers": "two"}, "passengers"),
        ({"limit": "0"}, "limit"),
        ({"limit": "1000"}, "limit"),
        ({"max_price": "-1"}, "max_price"),
        ({"max_price": "cheap"}, "max_price"),
        ({"fares": "maybe"}, "fares"),
    ],
    ids=str,
)
def test_a_bad_search_is_a_validation_error_on_its_field(api, london_paris, params, field):
    response = search(api, **params)
    body = assert_problem(response, 400, "validation_error", path=SEARCH_URL)
    assert field in body["errors"], body["errors"]


def test_a_search_without_a_date_names_every_missing_field(api):
    body = api.get(SEARCH_URL).json()
    assert body["code"] == "validation_error"
    assert {"origin", "destination", "date"} <= set(body["errors"])


# Airports ------------------------------------------------------------------------------------


@pytest.fixture
def ranked_airports():
    oslo = AirportFactory(iata="OSL", city="Oslo", name="Oslo Gardermoen Airport", country="NO", tz="Europe/Oslo")
    oslob = AirportFactory(iata="QOB", city="Oslob", name="Oslob Airstrip", country="PH", tz="Asia/Manila")
    osaka = AirportFactory(iata="KIX", city="Osaka", name="Kansai International", country="JP", tz="Asia/Tokyo")
    for hour in range(3):  # Oslob is busier than Oslo: only the exact code puts Oslo first
        FlightFactory(origin=oslob, destination=osaka, departs_at=NOW + timedelta(days=2, hours=hour))
    airport_traffic_refresh()
    return oslo, oslob


def test_airports_rank_the_exact_iata_code_first(api, ranked_airports):
    response = api.get("/api/v1/airports", {"q": "osl"})
    assert response.status_code == 200
    results = response.json()["results"]
    assert [result["value"] for result in results][:2] == ["OSL", "QOB"]
    assert results[0] == {
        "value": "OSL",
        "label": "Oslo (OSL)",
        "detail": "Oslo Gardermoen Airport · NO",
        "kind": "airport",
    }
    by_city = api.get("/api/v1/airports", {"q": "oslo"}).json()["results"]
    assert [result["value"] for result in by_city] == ["QOB", "OSL"]  # no exact code: busiest first


def test_airports_offer_a_city_with_several_airports_as_a_whole(api, airports):
    results = api.get("/api/v1/airports", {"q": "lond"}).json()["results"]
    assert results[0]["kind"] == "city" and results[0]["value"] == "London"
    assert {result["value"] for result in results[1:]} == {"LHR", "LGW"}


@pytest.mark.parametrize("text", ["", "l", "zzzzzz"])
def test_airports_answer_nothing_for_too_little_or_no_match(api, airports, text):
    response = api.get("/api/v1/airports", {"q": text})
    assert response.status_code == 200 and response.json() == {"results": []}


# A flight and its seat map ------------------------------------------------------------------


def test_a_flight_shows_local_times_with_offsets_and_price_as_money(api, airports):
    flight = make_flight("NH30", airports["JFK"], airports["NRT"], DAY, 23, 30, price="812.50", minutes=14 * 60 + 5)
    response = api.get(f"/api/v1/flights/{flight.pk}")
    assert response.status_code == 200
    body = response.json()
    assert body["departs_local"] == "2027-01-20T23:30:00-05:00"
    assert body["arrives_local"] == "2027-01-22T03:35:00+09:00"  # 18:35 UTC on the 21st
    assert datetime.fromisoformat(body["departs_at"]) == datetime(2027, 1, 21, 4, 30, tzinfo=UTC)
    assert body["price"] == {"amount": "812.50", "currency": settings.CURRENCY}
    assert body["duration_minutes"] == 14 * 60 + 5
    assert body["origin"]["time_zone"] == "America/New_York" and body["destination"]["iata"] == "NRT"
    assert (body["status"], body["seats_left"], body["capacity"]) == ("scheduled", 60, 60)
    assert body["links"]["self"].endswith(f"/api/v1/flights/{flight.pk}")
    assert body["links"]["seat_map"].endswith(f"/api/v1/flights/{flight.pk}/seat-map")


def test_a_flight_in_summer_time_carries_the_summer_offset(api, airports):
    flight = make_flight("SK40", airports["LHR"], airports["JFK"], date(2027, 7, 1), 10, 30, minutes=8 * 60)
    body = api.get(f"/api/v1/flights/{flight.pk}").json()
    assert body["departs_local"] == "2027-07-01T10:30:00+01:00"
    assert body["arrives_local"] == "2027-07-01T13:30:00-04:00"


def test_an_unknown_flight_is_a_404_problem(api):
    response = api.get("/api/v1/flights/999999999")
    assert response.status_code == 404 and response.json()["code"] == "not_found"
    assert api.get("/api/v1/flights/999999999/seat-map").status_code == 404


def _seats(body: dict) -> dict[str, dict]:
    return {seat["label"]: seat for row in body["rows"] for seat in row["seats"]}


def test_the_seat_map_has_rows_seat_kinds_and_taken_seats(api, airports):
    flight = FlightFactory(origin=airports["LHR"], destination=airports["CDG"], capacity=12, layout="3-3")
    make_booking(flight=flight, seats=["1A", "2F"], passengers=2)
    make_hold(flight=flight, seats=["1C"])
    response = api.get(f"/api/v1/flights/{flight.pk}/seat-map")
    assert response.status_code == 200
    body = response.json()
    assert body["flight"] == flight.pk and body["layout"] == "3-3"
    assert [row["row"] for row in body["rows"]] == [1, 2]
    assert [seat["label"] for seat in body["rows"][0]["seats"]] == ["1A", "1B", "1C", "1D", "1E", "1F"]
    seats = _seats(body)
    assert [seats[label]["kind"] for label in ["1A", "1B", "1C", "1D", "1E", "1F"]] == [
        "window",
        "middle",
        "aisle",
        "aisle",
        "middle",
        "window",
    ]
    assert [label for label, seat in seats.items() if seat["aisle_after"]] == ["1C", "2C"]
    assert {label for label, seat in seats.items() if not seat["free"]} == {"1A", "2F", "1C"}
    assert body["seats_left"] == 9


def test_a_lapsed_hold_frees_its_seat_on_the_map(api, airports, time_machine):
    flight = FlightFactory(origin=airports["LHR"], destination=airports["CDG"], capacity=6, layout="3-3")
    make_hold(flight=flight, seats=["1B"])
    assert not _seats(api.get(f"/api/v1/flights/{flight.pk}/seat-map").json())["1B"]["free"]
    time_machine.shift(timedelta(minutes=settings.BOOKING_HOLD_MINUTES + 1))
    body = api.get(f"/api/v1/flights/{flight.pk}/seat-map").json()
    assert _seats(body)["1B"]["free"] and body["seats_left"] == 6


def test_a_cancelled_flights_seat_map_has_no_free_seat(api, airports):
    flight = FlightFactory(
        origin=airports["LHR"], destination=airports["CDG"], capacity=6, status=Flight.Status.CANCELLED
    )
    body = api.get(f"/api/v1/flights/{flight.pk}/seat-map").json()
    assert body["seats_left"] == 0 and not any(seat["free"] for seat in _seats(body).values())


# Queries -------------------------------------------------------------------------------------


def test_a_cold_search_with_many_results_runs_a_fixed_handful_of_queries(api, airports, django_assert_max_num_queries):
    lhr, cdg = airports["LHR"], airports["CDG"]
    for index in range(80):
        make_flight(f"SK{500 + index}", lhr, cdg, DAY, 5 + index // 6, (index % 6) * 10)
    with django_assert_max_num_queries(4):  # two places, the day's flights, the fare strip
        body = ok_search(api, origin="LHR", destination="CDG", limit=100)
    assert len(body["results"]) == 80
    with django_assert_max_num_queries(0):  # warm: everything from the cache
        assert len(ok_search(api, origin="LHR", destination="CDG", limit=100)["results"]) == 80
