"""Discovery pages: where we fly, anywhere from a place (a search with no To), the month fare
calendar; their links, their messages for bad input, and their query counts."""

import html
import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from flights.discovery import DISCOVERY_DAYS
from flights.forms import SCHEDULE_HORIZON_DAYS
from flights.models import Flight
from flights.tests.factories import AirportFactory, local_flight
from flights.tests.pages import listed_numbers

pytestmark = pytest.mark.django_db


@pytest.fixture
def network():
    lhr = AirportFactory(iata="LHR", city="London", name="London Heathrow Airport", tz="Europe/London")
    lgw = AirportFactory(iata="LGW", city="London", name="London Gatwick Airport", tz="Europe/London")
    cdg = AirportFactory(iata="CDG", city="Paris", name="Paris Charles de Gaulle Airport", tz="Europe/Paris")
    jfk = AirportFactory(
        iata="JFK", city="New York", name="John F Kennedy International Airport", tz="America/New_York"
    )
    return {"LHR": lhr, "LGW": lgw, "CDG": cdg, "JFK": jfk}


def _day(airport, days_ahead: int):
    return (timezone.now() + timedelta(days=days_ahead)).astimezone(airport.zone).date()


def _flight(origin, destination, day, price: str, hour: int = 10, number: str | None = None, **fields) -> Flight:
    return local_flight(origin, destination, day, hour, price=price, number=number, **fields)


def _links(response, text: str) -> list[str]:
    """The hrefs of the links whose visible text starts with `text`."""
    page = response.content.decode()
    return [html.unescape(href) for href in re.findall(rf'<a [^>]*href="([^"]+)"[^>]*>{re.escape(text)}', page)]


# --- Where we fly ------------------------------------------------------------------------------


def test_home_page_and_navbar_link_to_where_we_fly(client):
    page = client.get(reverse("flights:search")).content.decode()
    url = reverse("flights:where_we_fly")
    assert page.count(f'href="{url}"') == 2  # the navbar and the home page
    assert ">See where we fly</a>" in page and ">Where we fly</a>" in page


def test_where_we_fly_lists_every_route_by_origin_with_lowest_fare(client, network):
    lhr, lgw, cdg, jfk = network["LHR"], network["LGW"], network["CDG"], network["JFK"]
    _flight(lhr, cdg, _day(lhr, 4), "129.00")
    _flight(lhr, cdg, _day(lhr, 6), "89.50")
    _flight(lhr, jfk, _day(lhr, 10), "1450.00")
    _flight(lgw, cdg, _day(lgw, 3), "75.00")
    _flight(cdg, lhr, _day(cdg, 2), "99.00")
    response = client.get(reverse("flights:where_we_fly"))
    assert response.status_code == 200
    page = response.content.decode()
    headings = re.findall(r'<h2 class="h5 mb-1" id="from-([A-Z]{3})"', page)
    assert headings == ["LGW", "LHR", "CDG"]
    assert "4 routes from 3 airports" in page
    heathrow = page[page.index('id="from-LHR"') : page.index('id="from-CDG"')]
    assert "New York John F Kennedy" in heathrow and "Paris Charles de Gaulle" in heathrow
    assert "€89.50" in heathrow and "€129.00" not in heathrow and "€1,450.00" in heathrow
    assert "2 flights with seats" in heathrow


def test_where_we_fly_next_flight_link_opens_that_days_results(client, network):
    lhr, cdg = network["LHR"], network["CDG"]
    first = _flight(lhr, cdg, _day(lhr, 4), "129.00", number="SK401")
    _flight(lhr, cdg, _day(lhr, 9), "99.00", number="SK402")
    (link,) = _links(client.get(reverse("flights:where_we_fly")), "Next flight:")
    assert f"date={_day(lhr, 4).isoformat()}" in link and "origin=LHR" in link and "destination=CDG" in link
    assert listed_numbers(client.get(link)) == [first.number]


def test_where_we_fly_fares_by_month_link_opens_the_routes_calendar(client, network):
    lhr, cdg = network["LHR"], network["CDG"]
    _flight(lhr, cdg, _day(lhr, 4), "129.00")
    (link,) = _links(client.get(reverse("flights:where_we_fly")), "Fares by month")
    response = client.get(link)
    assert response.status_code == 200
    assert "€129.00" in response.content.decode()


def test_where_we_fly_with_nothing_on_sale_says_so(client, network):
    _flight(network["LHR"], network["CDG"], _day(network["LHR"], DISCOVERY_DAYS + 3), "100.00")
    page = client.get(reverse("flights:where_we_fly")).content.decode()
    assert "No flights on sale right now" in page


@pytest.mark.parametrize("routes", [3, 9])
def test_where_we_fly_runs_two_queries_then_none_from_the_cache(client, django_assert_max_num_queries, routes):
    hub = AirportFactory(iata="LHR", city="London", tz="Europe/London")
    for index in range(routes):
        _flight(hub, AirportFactory(), _day(hub, 3 + index), "100.00")
    with django_assert_max_num_queries(2):  # the routes' aggregate, their airports
        response = client.get(reverse("flights:where_we_fly"))
    assert response.content.decode().count("Next flight:") == routes
    with django_assert_max_num_queries(0):
        client.get(reverse("flights:where_we_fly"))


# --- Anywhere from a place -----------------------------------------------------------------------


def _search(client, **params):
    response = client.get(reverse("flights:search"), params)
    assert response.status_code == 200
    return response


def test_a_search_with_only_from_lists_the_destinations_from_there(client, network):
    lhr, cdg, jfk = network["LHR"], network["CDG"], network["JFK"]
    _flight(lhr, cdg, _day(lhr, 4), "129.00")
    _flight(lhr, jfk, _day(lhr, 8), "450.00")
    _flight(cdg, jfk, _day(cdg, 8), "350.00")  # not from Heathrow
    response = _search(client, origin="LHR", destination="", date=_day(lhr, 0).isoformat(), passengers=1)
    page = response.content.decode()
    assert 'aria-invalid="true"' not in page and "This field is required" not in page
    assert "Anywhere from London" in page and "<title>Flights from London to anywhere" in page
    assert "2 destinations with seats for 1 passenger" in page
    assert "Paris Charles de Gaulle" in page and "New York John F Kennedy" in page and "€350.00" not in page
    links = _links(response, "Next flight:")
    assert len(links) == 2 and all("origin=LHR" in link for link in links)


def test_anywhere_from_a_city_groups_the_destinations_by_airport(client, network):
    lhr, lgw, cdg = network["LHR"], network["LGW"], network["CDG"]
    _flight(lhr, cdg, _day(lhr, 4), "129.00")
    _flight(lgw, cdg, _day(lgw, 5), "79.00")
    page = _search(client, origin="London", destination="", date=_day(lhr, 0).isoformat(), passengers=1)
    text = page.content.decode()
    assert "From London Gatwick" in text and "From London Heathrow" in text
    assert "origin=LGW" in text and "origin=LHR" in text


def test_anywhere_counts_only_flights_with_seats_for_the_whole_party(client, network):
    lhr, cdg, jfk = network["LHR"], network["CDG"], network["JFK"]
    _flight(lhr, cdg, _day(lhr, 4), "129.00", capacity=60, seats_booked=59)
    _flight(lhr, jfk, _day(lhr, 8), "450.00")
    page = _search(client, origin="LHR", destination="", date=_day(lhr, 0).isoformat(), passengers=2)
    text = page.content.decode()
    assert "1 destination with seats for 2 passengers" in text and "Paris Charles de Gaulle" not in text


def test_anywhere_with_nothing_to_book_says_so_and_links_to_where_we_fly(client, network):
    lhr = network["LHR"]
    text = _search(client, origin="LHR", date=_day(lhr, 0).isoformat(), passengers=1).content.decode()
    assert "No flights from London with seats" in text
    assert f'href="{reverse("flights:where_we_fly")}">See everywhere we fly' in text


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"origin": "Atlantis", "destination": ""}, "We don't know an airport or city called “Atlantis”"),
        ({"origin": "", "destination": "CDG"}, "This field is required."),
        ({"origin": "", "destination": ""}, "This field is required."),
    ],
)
def test_a_search_without_a_usable_from_is_still_a_message(client, network, params, message):
    response = _search(client, **params, date=_day(network["LHR"], 0).isoformat(), passengers=1)
    assert response.context["results_html"] is None
    assert message in html.unescape(response.content.decode())


def test_the_api_still_needs_a_destination(client, network):
    response = client.get(reverse("api:flights"), {"origin": "LHR", "date": _day(network["LHR"], 1).isoformat()})
    assert response.status_code == 400
    assert "destination" in response.json()["errors"]


# --- Month fare calendar ---------------------------------------------------------------------------


def _calendar(client, **params):
    response = client.get(reverse("flights:fare_calendar"), params)
    assert response.status_code == 200
    return response


def _route_params(day, passengers=1):
    return {"origin": "LHR", "destination": "CDG", "date": day.isoformat(), "passengers": passengers}


def test_the_calendar_shows_each_days_lowest_fare_linking_to_its_results(client, network):
    lhr, cdg = network["LHR"], network["CDG"]
    day = _day(lhr, 40)
    _flight(lhr, cdg, day, "140.00", hour=8, number="SK501")
    _flight(lhr, cdg, day, "95.00", hour=15, number="SK502")
    response = _calendar(client, **_route_params(day))
    page = response.content.decode()
    assert "<caption" in page and f"London to Paris, {day:%B %Y}" in page
    cell = re.search(rf'<td class="cal-fare cal-lowest"><a href="([^"]+)">.*?{day.day}.*?</a></td>', page)
    assert cell and "€95</span>" in cell.group(0) and "€140" not in page  # whole euros: no ".00" in a cell
    assert "Lowest fare this month: <strong>€95.00</strong>" in page
    assert listed_numbers(client.get(html.unescape(cell.group(1)))) == ["SK501", "SK502"]
    assert page.count("No flights</span>") >= 27  # every other day of the month ahead


def test_a_calendar_day_keeps_its_cents_when_it_has_some(client, network):
    lhr, cdg = network["LHR"], network["CDG"]
    day = _day(lhr, 40)
    _flight(lhr, cdg, day, "74.99")
    page = _calendar(client, **_route_params(day)).content.decode()
    assert '<span class="visually-hidden">from </span>€74.99</span>' in page


def test_the_calendar_never_goes_before_todays_month(client, network):
    lhr = network["LHR"]
    page = _calendar(client, **_route_params(_day(lhr, 0))).content.decode()
    assert 'rel="prev"' not in page and 'rel="next"' in page
    assert "(past)" in page or _day(lhr, 0).day == 1


def test_the_calendar_navigates_to_the_next_and_back_to_the_current_month(client, network):
    lhr, cdg = network["LHR"], network["CDG"]
    today = _day(lhr, 0)
    next_month = (today.replace(day=28) + timedelta(days=4)).replace(day=1)
    _flight(lhr, cdg, next_month + timedelta(days=2), "77.00")
    (forward,) = re.findall(
        r'<a class="[^"]*" href="([^"]+)" rel="next"', _calendar(client, **_route_params(today)).content.decode()
    )
    forward_page = client.get(html.unescape(forward)).content.decode()
    assert f"date={next_month.isoformat()}" in html.unescape(forward)
    assert f'<h2 id="month-heading" class="h4 mb-0 text-center">{next_month:%B %Y}</h2>' in forward_page
    assert "€77.00" in forward_page
    (back,) = re.findall(r'<a class="[^"]*" href="([^"]+)" rel="prev"', forward_page)
    assert f"date={today.isoformat()}" in html.unescape(back)  # today, never a past first of the month


def test_the_calendar_stops_at_the_schedules_horizon(client, network):
    last = _day(network["LHR"], SCHEDULE_HORIZON_DAYS)
    page = _calendar(client, **_route_params(last.replace(day=1))).content.decode()
    assert 'rel="next"' not in page and 'rel="prev"' in page


def test_a_month_with_no_flights_says_so_and_offers_the_next(client, network):
    page = _calendar(client, **_route_params(_day(network["LHR"], 40))).content.decode()
    assert "No flights from London to Paris with seats for 1 passenger in" in page
    assert re.search(r'<a href="[^"]+">Try [A-Z][a-z]+</a>', page)


def test_the_calendar_without_parameters_shows_its_form(client):
    page = _calendar(client).content.decode()
    assert 'aria-label="Choose a route and month"' in page and "<table" not in page
    assert '<label for="id_date" class="form-label fw-semibold">Month</label>' in page


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"destination": ""}, "This field is required."),
        ({"destination": "Atlantis"}, "We don't know an airport or city called “Atlantis”"),
        ({"destination": "LHR"}, "Choose a destination different from where you fly from."),
        ({"date": "2000-01-01"}, "That date has passed. Choose today or a later date."),
        ({"date": "2026-02-31"}, "Enter a date like 2026-12-24."),
        ({"date": "9999-12-01"}, "We only sell flights up to 365 days ahead."),
        ({"passengers": "0"}, "Choose at least one passenger."),
        ({"passengers": "many"}, "Enter a whole number."),
    ],
)
def test_the_calendar_with_bad_input_shows_a_message_and_no_table(client, network, overrides, message):
    params = {**_route_params(_day(network["LHR"], 3)), **overrides}
    response = _calendar(client, **params)
    page = html.unescape(response.content.decode())
    assert message in page and 'aria-invalid="true"' in page and "<table" not in page


def test_the_results_page_links_to_the_whole_months_fares(client, network):
    lhr, cdg = network["LHR"], network["CDG"]
    day = _day(lhr, 10)
    _flight(lhr, cdg, day, "129.00")
    (link,) = _links(_search(client, **_route_params(day)), "Fares for the whole month")
    page = client.get(link).content.decode()
    assert f"{day:%B %Y}</h2>" in page and "€129.00" in page


@pytest.mark.parametrize("flights", [3, 9])
def test_the_calendar_runs_a_fixed_number_of_queries(client, network, django_assert_max_num_queries, flights):
    lhr, cdg = network["LHR"], network["CDG"]
    day = _day(lhr, 40).replace(day=1)
    for index in range(flights):
        _flight(lhr, cdg, day + timedelta(days=index), "100.00")
    with django_assert_max_num_queries(3):  # origin and destination airports, the month's fares
        page = _calendar(client, **_route_params(day)).content.decode()
    assert page.count("€100</span>") == flights
    with django_assert_max_num_queries(0):  # the airports and the fares from the cache
        _calendar(client, **_route_params(day))
