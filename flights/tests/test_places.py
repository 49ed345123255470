"""What a typed place means and what is suggested as it is typed: served airports first,
what flies from the chosen origin first for To, a word of an airport's name."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from flights.places import airport_suggestions, airports_matching, place_name
from flights.services import airport_traffic_refresh
from flights.tests.factories import AirportFactory, FlightFactory

pytestmark = pytest.mark.django_db


def _codes(airports) -> list[str]:
    return sorted(airport.iata for airport in airports)


def _values(suggestions) -> list[str]:
    return [suggestion["value"] for suggestion in suggestions]


@pytest.fixture
def paris_from_london():
    london = AirportFactory(iata="LHR", city="London", name="London Heathrow Airport")
    oslo = AirportFactory(iata="OSL", city="Oslo", country="NO", tz="Europe/Oslo")
    cdg = AirportFactory(iata="CDG", city="Paris", name="Charles de Gaulle Airport", country="FR", tz="Europe/Paris")
    orly = AirportFactory(iata="ORY", city="Paris", name="Orly Airport", country="FR", tz="Europe/Paris")
    parma = AirportFactory(iata="PMF", city="Parma", name="Parma Airport", country="IT", tz="Europe/Rome")
    soon = timezone.now() + timedelta(days=4)
    FlightFactory(origin=london, destination=cdg, departs_at=soon)
    for hours in range(4):  # Orly is busier, but not from London
        FlightFactory(origin=orly, destination=oslo, departs_at=soon + timedelta(hours=hours))
    FlightFactory(origin=parma, destination=oslo, departs_at=soon)
    airport_traffic_refresh()
    return london


def test_to_ranks_what_flies_from_the_chosen_origin_first(paris_from_london):
    from_anywhere = _values(airport_suggestions("par"))
    assert from_anywhere[:2] == ["Paris", "ORY"] and from_anywhere.index("PMF") < from_anywhere.index("CDG")
    from_london = airport_suggestions("par", origins=[paris_from_london])
    assert _values(from_london)[:3] == ["Paris", "CDG", "ORY"]
    assert from_london[1]["detail"].endswith("· Direct flights from London")
    assert "Direct flights" not in from_london[2]["detail"]


def test_the_suggest_endpoint_takes_what_from_holds(client, paris_from_london):
    url = reverse("flights:airport_suggest")
    assert _values(client.get(url, {"q": "par", "origin": "London"}).json()["results"])[1] == "CDG"
    assert _values(client.get(url, {"q": "par", "origin": "LHR"}).json()["results"])[1] == "CDG"
    assert _values(client.get(url, {"q": "par"}).json()["results"])[1] == "ORY"
    # An origin that names nothing changes nothing, and is no error.
    assert _values(client.get(url, {"q": "par", "origin": "Atlantis"}).json()["results"])[1] == "ORY"


def test_the_api_suggestions_take_the_origin_too(client, paris_from_london):
    response = client.get("/api/v1/airports", {"q": "par", "origin": "LHR"})
    assert response.status_code == 200 and _values(response.json()["results"])[1] == "CDG"


def test_a_served_airport_is_found_by_a_word_of_its_name(paris_from_london):
    assert _codes(airports_matching("Heathrow")) == ["LHR"]
    assert _codes(airports_matching("Charles de Gaulle")) == ["CDG"]
    assert airports_matching("Airport") == []  # a word many places share means none of them


def test_a_served_airport_outranks_an_unserved_one_of_a_similar_name():
    AirportFactory(iata="LNV", city="Londolovit", name="Londolovit Airport", country="PG", tz="Pacific/Port_Moresby")
    city = AirportFactory(iata="LCY", city="London", name="London City Airport")
    heathrow = AirportFactory(iata="LHR", city="London", name="London Heathrow Airport")
    FlightFactory(origin=heathrow)
    airport_traffic_refresh()
    # London City has no flight of its own here, but its city has: still before Londolovit.
    values = _values(airport_suggestions("lond"))
    assert values.index("LCY") < values.index("LNV")
    FlightFactory(origin=city)
    values = _values(airport_suggestions("lond"))
    assert values[:3] == ["London", "LHR", "LCY"] or values[:3] == ["London", "LCY", "LHR"]


def test_headings_name_a_typed_place_as_the_data_writes_it(client, paris_from_london):
    assert place_name(airports_matching("lhr"), "lhr") == "London"
    assert place_name(airports_matching("paris"), "paris") == "Paris"
    ewr = AirportFactory.build(iata="EWR", city="Newark")
    jfk = AirportFactory.build(iata="JFK", city="New York")
    assert place_name([ewr, jfk], "new  york") == "New York"
    assert place_name([ewr, jfk], "NYC") == "NYC"
    day = (timezone.now() + timedelta(days=4)).date().isoformat()
    page = client.get(
        reverse("flights:search"), {"origin": "lhr", "destination": "paris", "date": day, "passengers": 1}
    ).content.decode()
    assert "London <span" in page and "from London to Paris" in page and "from lhr" not in page
