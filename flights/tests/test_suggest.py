"""Airport autosuggest: accents, ranking, whole cities, the JSON endpoint and its cache."""

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from flights.places import airport_suggestions
from flights.services import airport_traffic_refresh
from flights.tests.factories import AirportFactory, FlightFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def airports():
    made = {
        "GRU": AirportFactory(
            iata="GRU",
            city="São Paulo",
            name="São Paulo–Guarulhos International Airport",
            country="BR",
            tz="America/Sao_Paulo",
        ),
        "CGH": AirportFactory(
            iata="CGH", city="São Paulo", name="Congonhas Airport", country="BR", tz="America/Sao_Paulo"
        ),
        "LHR": AirportFactory(iata="LHR", city="London", name="London Heathrow Airport"),
        "LGW": AirportFactory(iata="LGW", city="London", name="London Gatwick Airport"),
        "LON": AirportFactory(iata="LCY", city="London", name="London City Airport"),
        "YXU": AirportFactory(
            iata="YXU", city="London", name="London International Airport", country="CA", tz="America/Toronto"
        ),
        "LDE": AirportFactory(
            iata="LDE", city="Tarbes", name="Tarbes-Lourdes-Pyrénées Airport", country="FR", tz="Europe/Paris"
        ),
    }
    soon = timezone.now() + timedelta(days=3)
    for offset in range(3):  # Gatwick is busier than Heathrow in this data
        FlightFactory(origin=made["LGW"], departs_at=soon + timedelta(hours=offset))
    FlightFactory(origin=made["LHR"], departs_at=soon)
    airport_traffic_refresh()
    return made


def _values(results):
    return [r["value"] for r in results]


def test_accents_and_case_are_ignored(airports):
    assert {"GRU", "CGH"} <= set(_values(airport_suggestions("SAO")))
    assert {"GRU", "CGH"} <= set(_values(airport_suggestions("são paulo")))
    assert "LDE" in _values(airport_suggestions("pyrenees"))


def test_exact_code_comes_first(airports):
    assert _values(airport_suggestions("lcy"))[0] == "LCY"


def test_city_prefix_ranks_busier_airports_first_and_offers_the_whole_city(airports):
    results = airport_suggestions("lon")
    assert results[0] == {
        "value": "London",
        "label": "London — all airports",
        "detail": "LGW, LHR · GB",  # London City has no flights in this data: searching "London" leaves it out
        "kind": "city",
    }
    airports_only = [r["value"] for r in results if r["kind"] == "airport"]
    assert airports_only[:3] == ["LGW", "LHR", "LCY"]
    assert "YXU" in airports_only  # the other London, after the busy ones


def test_too_short_or_unknown_text_suggests_nothing(airports):
    assert airport_suggestions("l") == []
    assert airport_suggestions("zzzz") == []


def test_endpoint_returns_json_and_is_cached(client, airports):
    url = reverse("flights:airport_suggest")
    first = client.get(url, {"q": "sao"})
    assert first.status_code == 200 and first["Content-Type"] == "application/json"
    assert "GRU" in _values(first.json()["results"])
    with CaptureQueriesContext(connection) as captured:
        again = client.get(url, {"q": "SÃO"})
    assert again.json() == first.json()
    assert len(captured.captured_queries) == 0


def test_endpoint_answers_with_redis_down(client, airports, settings):
    settings.CACHES = {"default": {**settings.CACHES["default"], "LOCATION": "redis://127.0.0.1:9/0"}}
    response = client.get(reverse("flights:airport_suggest"), {"q": "lhr"})
    assert response.status_code == 200
    assert _values(response.json()["results"])[0] == "LHR"


def test_chosen_city_suggestion_searches_all_its_airports(client, airports):
    paris = AirportFactory(iata="CDG", city="Paris", tz="Europe/Paris")
    day = (timezone.now() + timedelta(days=5)).date()
    # Noon in London on that day: the search's "date" is the origin's local day, whatever the hour now.
    noon = datetime.combine(day, time(12, 0), tzinfo=ZoneInfo("Europe/London"))
    for origin in (airports["LHR"], airports["LGW"]):
        FlightFactory(origin=origin, destination=paris, departs_at=noon)
    response = client.get(
        reverse("flights:search"), {"origin": "London", "destination": "CDG", "date": day.isoformat(), "passengers": 1}
    )
    assert {f.origin.iata for f in response.context["flights"]} == {"LHR", "LGW"}


def test_traffic_refresh_counts_only_future_scheduled_departures(airports):
    FlightFactory(origin=airports["LHR"], status="cancelled")
    FlightFactory(origin=airports["LHR"], departs_at=timezone.now() - timedelta(days=1), arrives_at=timezone.now())
    assert airport_traffic_refresh() == 2
    airports["LHR"].refresh_from_db()
    airports["LGW"].refresh_from_db()
    assert (airports["LHR"].scheduled_departures, airports["LGW"].scheduled_departures) == (1, 3)
