"""Places as people write them, on the real airport data (airportsdata, GeoNames' other names,
IATA's multi-airport cities): served airports only, and the ranking of suggestions."""

from datetime import timedelta

import pytest
from django.utils import timezone

from flights.airport_data import airports_load
from flights.models import Airport, AirportName, Flight
from flights.places import airport_suggestions, airports_matching
from flights.services import airport_traffic_refresh
from flights.tests.factories import FlightFactory

pytestmark = pytest.mark.django_db

LONDON_SERVED = ["LCY", "LGW", "LHR", "LTN", "STN"]


@pytest.fixture(scope="module")
def real_airports(django_db_setup, django_db_blocker):
    """Every IATA airport and its other names, loaded once for this module (it takes seconds)."""
    with django_db_blocker.unblock():
        airports_load()
    yield
    with django_db_blocker.unblock():
        AirportName.objects.all().delete()
        Flight.objects.all().delete()
        Airport.objects.all().delete()


@pytest.fixture
def network(real_airports):
    """A schedule touching the airports the tests type: London's five (not Biggin Hill), New
    York's three, Frankfurt, Munich, Zurich."""
    airports = Airport.objects.in_bulk(
        ["LHR", "LGW", "STN", "LTN", "LCY", "JFK", "LGA", "EWR", "FRA", "MUC", "ZRH"], field_name="iata"
    )
    soon = timezone.now() + timedelta(days=5)
    pairs = [("LHR", "JFK"), ("LGW", "EWR"), ("STN", "MUC"), ("LTN", "ZRH"), ("LCY", "FRA"), ("LGA", "LHR")]
    pairs += [("LHR", "EWR"), ("LGW", "JFK")] * 3  # Heathrow and Gatwick are the busy ones
    for hours, (origin, destination) in enumerate(pairs):
        FlightFactory(
            origin=airports[origin], destination=airports[destination], departs_at=soon + timedelta(hours=hours)
        )
    airport_traffic_refresh()
    return airports


def _codes(airports) -> list[str]:
    return sorted(airport.iata for airport in airports)


def _values(suggestions) -> list[str]:
    return [suggestion["value"] for suggestion in suggestions]


def test_frankfurt_as_people_write_it_is_frankfurt_am_main(network):
    assert Airport.objects.get(iata="FRA").city == "Frankfurt am Main"
    for typed in ("Frankfurt", "frankfurt", "FRANKFURT AM MAIN", "Francfort"):
        assert _codes(airports_matching(typed)) == ["FRA"], typed


def test_munich_in_german_or_english_any_case_with_or_without_accents(network):
    for typed in ("München", "Munich", "münchen", "MUNCHEN", "Muenchen"):
        assert _codes(airports_matching(typed)) == ["MUC"], typed


def test_new_york_is_jfk_laguardia_and_newark(network):
    assert Airport.objects.get(iata="EWR").city == "Newark"  # not New York in the airport data
    for typed in ("New York", "new york", "NYC", "Nueva York"):
        assert _codes(airports_matching(typed)) == ["EWR", "JFK", "LGA"], typed
    assert _codes(airports_matching("Newark")) == ["EWR"]


def test_zurich_with_or_without_the_umlaut(network):
    for typed in ("Zürich", "Zurich", "zurich", "ZÜRICH"):
        assert _codes(airports_matching(typed)) == ["ZRH"], typed


def test_london_means_its_airports_with_service_not_biggin_hill(network):
    biggin_hill = Airport.objects.get(iata="BQH")
    assert biggin_hill.city == "London"
    assert _codes(airports_matching("London")) == LONDON_SERVED
    assert _codes(airports_matching("LON")) == LONDON_SERVED  # IATA's city code
    group = next(s for s in airport_suggestions("london") if s["kind"] == "city")
    assert group["value"] == "London" and group["label"] == "London — all airports"
    listed = group["detail"].split(" · ")[0].split(", ")
    assert sorted(listed) == LONDON_SERVED and listed[:2] in (["LGW", "LHR"], ["LHR", "LGW"])
    assert group["detail"].endswith(" · GB")


def test_a_place_without_any_service_still_means_its_airports(real_airports):
    assert "BQH" in _codes(airports_matching("London"))  # nothing flies: every London, to say so


def test_londolovit_never_outranks_london_city(network):
    for typed in ("lon", "lond", "londo"):
        values = _values(airport_suggestions(typed, limit=20))
        assert "LCY" in values, typed
        assert "LNV" not in values or values.index("LCY") < values.index("LNV"), typed
    assert _values(airport_suggestions("lon"))[0] == "London"  # the whole city first


def test_other_names_are_suggested_as_they_are_typed(network):
    assert _values(airport_suggestions("münch"))[:1] == ["MUC"]
    assert _values(airport_suggestions("zür"))[:1] == ["ZRH"]
    new_york = airport_suggestions("new y")
    assert new_york[0]["value"] == "New York" and new_york[0]["detail"].endswith(" · US")
    assert sorted(new_york[0]["detail"].split(" · ")[0].split(", ")) == ["EWR", "JFK", "LGA"]
