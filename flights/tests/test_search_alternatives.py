"""A results page is never a dead end, and its filters agree: the nearest days with flights,
the routes from the origin, "Filters hide N flights", a date strip under the price limit that
keeps the sort and filters."""

import html
import re
from datetime import timedelta
from decimal import Decimal
from urllib.parse import parse_qs, urlsplit

import pytest
from django.urls import reverse
from django.utils import timezone

from flights.search import search_flights
from flights.search_alternatives import search_alternatives
from flights.tests.factories import AirportFactory, local_flight
from flights.tests.pages import listed_numbers

pytestmark = pytest.mark.django_db


@pytest.fixture
def network():
    london = AirportFactory(iata="LHR", city="London", name="London Heathrow Airport")
    paris = AirportFactory(iata="CDG", city="Paris", name="Charles de Gaulle Airport", tz="Europe/Paris")
    york = AirportFactory(iata="JFK", city="New York", name="John F Kennedy Airport", tz="America/New_York")
    oslo = AirportFactory(iata="OSL", city="Oslo", name="Oslo Airport", tz="Europe/Oslo")
    day = (timezone.now() + timedelta(days=10)).astimezone(london.zone).date()
    return london, paris, york, oslo, day


def _fly(origin, destination, day, hour, price="120.00", number=None):
    return local_flight(origin, destination, day, hour, price=price, number=number)


def _search(client, day, origin="LHR", destination="CDG", **params):
    query = {"origin": origin, "destination": destination, "date": day.isoformat(), "passengers": 1, **params}
    response = client.get(reverse("flights:search"), query)
    assert response.status_code == 200
    return response


def _links(page: str, text: str) -> list[str]:
    """The hrefs of the links whose text contains `text`."""
    found = re.findall(r'<a [^>]*href="([^"]+)"[^>]*>(.*?)</a>', page, flags=re.S)
    return [html.unescape(href) for href, body in found if text in re.sub(r"<[^>]+>", "", body)]


def _query(url: str) -> dict[str, str]:
    return {name: values[0] for name, values in parse_qs(urlsplit(url).query).items()}


def test_an_empty_day_links_the_nearest_days_with_flights_before_and_after(client, network):
    london, paris, _, _, day = network
    _fly(london, paris, day - timedelta(days=6), 9, number="SK1")  # farther: not offered
    _fly(london, paris, day - timedelta(days=2), 9, number="SK2")
    _fly(london, paris, day + timedelta(days=5), 9, number="SK3")
    _fly(london, paris, day + timedelta(days=9), 9, number="SK4")
    response = _search(client, day, sort="price", window="morning", passengers=2)
    page = response.content.decode()
    assert listed_numbers(response) == []
    assert f"No flights on {day:%A} {day.day} {day:%B %Y}" in page
    earlier, later = _links(page, "Earlier:"), _links(page, "Later:")
    assert len(earlier) == len(later) == 1
    assert _query(earlier[0]) == {
        "origin": "LHR",
        "destination": "CDG",
        "date": (day - timedelta(days=2)).isoformat(),
        "window": "morning",
        "passengers": "2",
        "sort": "price",
    }
    assert _query(later[0])["date"] == (day + timedelta(days=5)).isoformat()
    assert listed_numbers(client.get(later[0])) == ["SK3"]
    assert listed_numbers(client.get(earlier[0])) == ["SK2"]


def test_the_nearest_days_are_never_past_and_count_the_party(client, network):
    london, paris, _, _, day = network
    _fly(london, paris, day - timedelta(days=30), 9)  # departed three weeks ago
    full = _fly(london, paris, day + timedelta(days=1), 9)
    full.seats_booked = full.capacity - 1
    full.save()
    _fly(london, paris, day + timedelta(days=3), 9)
    result = search_alternatives(_form_query(day, passengers=2), horizon_days=365)
    assert (result.earlier, result.later) == (None, day + timedelta(days=3))


def _form_query(day, **params):
    from flights.forms import SearchForm

    form = SearchForm(
        {"origin": "LHR", "destination": "CDG", "date": day.isoformat(), "passengers": 1, "window": "any", **params}
    )
    assert form.is_valid(), form.errors
    return form.search_query()


def test_a_route_never_flown_lists_the_routes_from_the_origin(client, network):
    london, paris, york, oslo, day = network
    _fly(london, paris, day + timedelta(days=2), 9, price="90.00", number="SK10")
    _fly(london, york, day + timedelta(days=4), 9, price="399.00", number="SK20")
    _fly(oslo, paris, day, 9)  # not from London
    page = _search(client, day, destination="OSL").content.decode()
    assert "No flights from London to Oslo" in page and "We don't fly this route." in page
    paris_link, york_link = _links(page, "Paris (CDG)"), _links(page, "New York (JFK)")
    assert len(paris_link) == len(york_link) == 1 and not _links(page, "Oslo")
    assert page.index("New York (JFK)") < page.index("Paris (CDG)")  # by city
    assert "from €90.00" in page and "from €399.00" in page
    assert _query(york_link[0]) == {
        "origin": "LHR",
        "destination": "JFK",
        "date": (day + timedelta(days=4)).isoformat(),
        "passengers": "1",
    }
    assert listed_numbers(client.get(york_link[0])) == ["SK20"]


def test_an_origin_with_no_routes_says_so(client, network):
    _, _, _, _, day = network
    page = _search(client, day, destination="OSL").content.decode()
    assert "We have no flights from London" in page
    assert "Earlier:" not in page and "Later:" not in page


def test_filters_that_hide_every_flight_say_so_and_clear_in_one_click(client, network):
    london, paris, _, _, day = network
    for hour in (7, 13, 19):
        _fly(london, paris, day, hour, price="150.00")
    response = _search(client, day, max_price="100", sort="price")
    page = response.content.decode()
    assert "Filters hide 3 flights" in page
    assert f"Your filters (maximum price €100.00) leave out all 3 flights on {day:%A} {day.day}" in page
    assert "No flights" not in page and "hidden by your filters" not in page
    (clear,) = _links(page, "Clear filters")
    assert "max_price" not in _query(clear) and _query(clear)["sort"] == "price"
    assert len(listed_numbers(client.get(clear))) == 3


def test_the_date_strip_shows_fares_within_the_price_limit(client, network):
    london, paris, _, _, day = network
    _fly(london, paris, day, 9, price="80.00")
    _fly(london, paris, day + timedelta(days=1), 9, price="150.00")
    _fly(london, paris, day + timedelta(days=2), 9, price="99.00")
    _fly(london, paris, day + timedelta(days=2), 12, price="200.00")
    strip = {d: price for d, price, _, _ in _search(client, day).context["flexible_days"]}
    assert strip[day + timedelta(days=1)] == Decimal("150.00")
    limited = {d: price for d, price, _, _ in _search(client, day, max_price="100").context["flexible_days"]}
    assert limited[day] == Decimal("80.00")
    assert limited[day + timedelta(days=1)] is None  # its one flight costs more: nothing to offer
    assert limited[day + timedelta(days=2)] == Decimal("99.00")
    # The service (and so the API) agrees.
    fares = {fare.day: fare.lowest for fare in search_flights(_form_query(day, max_price="100")).fares}
    assert fares == limited


def test_the_date_strip_shows_fares_in_the_searched_departure_time(client, network):
    london, paris, _, _, day = network
    _fly(london, paris, day, 7, price="60.00")
    _fly(london, paris, day, 19, price="95.00")
    _fly(london, paris, day + timedelta(days=1), 8, price="70.00")
    evening = {d: price for d, price, _, _ in _search(client, day, window="evening").context["flexible_days"]}
    assert evening[day] == Decimal("95.00")  # the morning's 60.00 is not what an evening search finds
    assert evening[day + timedelta(days=1)] is None
    anytime = {d: price for d, price, _, _ in _search(client, day).context["flexible_days"]}
    assert anytime[day] == Decimal("60.00") and anytime[day + timedelta(days=1)] == Decimal("70.00")


def test_the_date_strip_keeps_the_sort_and_filters(client, network):
    london, paris, _, _, day = network
    _fly(london, paris, day + timedelta(days=1), 9, price="80.00", number="SK5")
    response = _search(client, day, sort="duration", window="morning", max_price="100", passengers=2)
    for strip_day, _, url, _ in response.context["flexible_days"]:
        assert _query(url) == {
            "origin": "LHR",
            "destination": "CDG",
            "date": strip_day.isoformat(),
            "window": "morning",
            "passengers": "2",
            "sort": "duration",
            "max_price": "100",
        }
    next_day = next(url for d, _, url, _ in response.context["flexible_days"] if d == day + timedelta(days=1))
    assert listed_numbers(client.get(next_day)) == ["SK5"]


def test_the_phone_summary_says_what_was_searched(client, network):
    _, _, _, _, day = network
    page = _search(client, day, passengers=2, origin="London", destination="Paris").content.decode()
    summary = re.search(r'<summary class="search-summary">(.*?)</summary>', page, flags=re.S)
    assert summary, "the results page folds the form into a summary"
    text = " ".join(re.sub(r"<[^>]+>", " ", summary.group(1)).split())
    assert text.startswith(f"London → to Paris · {day:%a} {day.day} {day:%b} · 2 passengers Edit")
    assert "<details" not in _search(client, day, origin="Atlantis").content.decode()  # a form error: open form
