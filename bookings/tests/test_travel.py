"""My travel (bookings/views_travel.py, bookings/selectors_travel.py), with the clock moved by
time-machine: bookings are made before their flights depart, the page is read afterwards.

The page is read at NOW, 15 June 2026 12:00 UTC; the site runs on UTC (the default).
"""

import uuid
from datetime import datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import airportsdata
import pytest
import time_machine
from django.urls import reverse

from accounts.models import User
from accounts.tests.factories import UserFactory
from bookings import selectors_travel, services
from bookings.selectors_travel import Place, great_circle_km
from bookings.tests.factories import book_at, booking_create, flight_on_route, make_hold
from flights.tests.factories import AirportFactory, FlightFactory

pytestmark = pytest.mark.django_db

UTC = ZoneInfo("UTC")
NOW = datetime(2026, 6, 15, 12, 0, tzinfo=UTC)
LHR_JFK_KM = 5540  # the published great-circle distance


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _fare_rule(settings):
    settings.CURRENCY = "EUR"
    settings.REFUND_FULL_DAYS = 7


@pytest.fixture(scope="module")
def airports_data():
    return airportsdata.load("IATA")


@pytest.fixture
def airports(airports_data):
    def airport(code: str):
        entry = airports_data[code]
        return AirportFactory(
            iata=code, city=entry["city"], tz=entry["tz"], latitude=entry["lat"], longitude=entry["lon"]
        )

    return {code: airport(code) for code in ("LHR", "JFK", "CDG")}


def cancel(user: User, booking, at: datetime, passengers: int | None = None):
    ticket_ids = None if passengers is None else [t.pk for t in booking.tickets.order_by("pk")[:passengers]]
    with time_machine.travel(at, tick=False):
        return services.booking_cancel(user=user, booking_id=booking.pk, ticket_ids=ticket_ids)


def travel_page(client, at: datetime = NOW):
    with time_machine.travel(at, tick=False):
        return client.get(reverse("bookings:travel"))


@pytest.fixture
def ada(airports):
    """Three trips taken (one of them with one of two passengers cancelled), one booking
    cancelled whole, one trip ahead, one unpaid hold."""
    ada = UserFactory(first_name="Ada")
    # March 2025: LHR-JFK, 400.00.
    book_at(ada, flight_on_route(airports, "LHR-JFK", utc(2025, 3, 10, 10), "400.00"), utc(2025, 2, 1, 12))
    # 1 February 03:00 UTC is 31 January 22:00 in New York: a January trip. Two passengers at
    # 300.00; one cancelled three weeks ahead, refunded in full (300.00). Still one trip.
    two = book_at(
        ada, flight_on_route(airports, "JFK-LHR", utc(2026, 2, 1, 3), "300.00"), utc(2026, 1, 1, 12), passengers=2
    )
    cancel(ada, two, utc(2026, 1, 10, 12), passengers=1)
    # April 2026: LHR-JFK, 450.00.
    book_at(ada, flight_on_route(airports, "LHR-JFK", utc(2026, 4, 20, 9), "450.00"), utc(2026, 4, 1, 12))
    # Cancelled whole in time (100.00 back): not a trip, CDG never visited.
    dropped = book_at(ada, flight_on_route(airports, "LHR-CDG", utc(2026, 5, 1, 8), "100.00"), utc(2026, 3, 1, 12))
    cancel(ada, dropped, utc(2026, 3, 5, 12))
    # Ahead: 1 July 2026 08:00 UTC is 09:00 BST in London.
    book_at(ada, flight_on_route(airports, "LHR-CDG", utc(2026, 7, 1, 8), "120.00"), utc(2026, 6, 1, 12))
    # An unpaid checkout on another flight ahead: not a trip, nothing paid.
    with time_machine.travel(NOW - timedelta(minutes=1), tick=False):
        make_hold(user=ada, flight=flight_on_route(airports, "CDG-LHR", utc(2026, 8, 1, 8)))
    return ada


def test_anonymous_visitors_are_sent_to_log_in(client):
    response = client.get(reverse("bookings:travel"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login") + "?next=")


def test_travel_is_its_own_page_not_a_booking_reference():
    # "travel" has six letters, like a booking reference: the URL must still reach My travel.
    assert reverse("bookings:travel") == "/bookings/travel/"


def test_a_new_passenger_sees_the_empty_state(client, django_assert_max_num_queries):
    client.force_login(UserFactory())
    with django_assert_max_num_queries(4):  # session, user, the one look at their bookings, the alert badge
        response = travel_page(client)
    assert response.status_code == 200
    page = response.content.decode()
    assert "No trips yet" in page
    assert reverse("flights:search") in page
    assert "Kilometres flown" not in page


def test_my_bookings_links_to_my_travel(client):
    client.force_login(UserFactory())
    assert reverse("bookings:travel") in client.get(reverse("bookings:list")).content.decode()


def test_the_numbers_count_trips_not_cancellations_and_show_refunds(ada, client):
    client.force_login(ada)
    response = travel_page(client)
    summary = response.context["summary"]

    assert not summary.empty
    assert summary.this_year == 2026
    months_2025, months_2026 = summary.trips_per_month[2025], summary.trips_per_month[2026]
    assert months_2025 == [0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0]
    assert months_2026 == [1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0]  # January (New York's day), April
    assert summary.trips_this_year == 2 and summary.trips_taken == 3

    assert summary.paid == Decimal("1670.00")  # 400 + 600 + 450 + 100 + 120; the hold is unpaid
    assert summary.refunded == Decimal("400.00")  # one passenger 300 + the cancelled booking 100
    assert summary.spent == Decimal("1270.00")

    assert [(route.label, route.trips) for route in summary.routes] == [("LHR → JFK", 2), ("JFK → LHR", 1)]
    assert [place.iata for place in summary.airports] == ["LHR", "JFK"]  # London, New York; not Paris

    page = response.content.decode()
    assert "€1,270.00" in page and "€1,670.00 paid, €400.00 refunded" in page
    per_month = response.context["per_month_chart"]
    assert per_month.columns == ["", "2025", "2026"]
    assert per_month.rows[0] == ["Jan", "0", "1"] and per_month.rows[2] == ["Mar", "1", "0"]
    assert response.context["routes_chart"].rows == [["LHR → JFK", "2"], ["JFK → LHR", "1"]]


def test_kilometres_are_the_great_circle_distance_between_airports(ada, client, airports):
    lhr, jfk = (
        Place(iata=a.iata, city=a.city, tz=a.tz, latitude=a.latitude, longitude=a.longitude)
        for a in (airports["LHR"], airports["JFK"])
    )
    one_way = great_circle_km(lhr, jfk)
    assert one_way == pytest.approx(LHR_JFK_KM, rel=0.01)
    assert great_circle_km(jfk, lhr) == pytest.approx(one_way)

    client.force_login(ada)
    response = travel_page(client)
    assert response.context["summary"].km == pytest.approx(3 * LHR_JFK_KM, rel=0.01)
    assert response.context["km"] == f"{3 * one_way:,.0f}"
    assert f"{3 * one_way:,.0f}" in response.content.decode()


def test_a_route_without_coordinates_is_counted_but_not_in_the_kilometres(client, airports):
    user = UserFactory()
    nowhere = AirportFactory(iata="QZZ", city="Nowhere", latitude=None, longitude=None)
    book_at(
        user, FlightFactory(origin=airports["LHR"], destination=nowhere, departs_at=utc(2026, 5, 1, 8)), utc(2026, 4, 1)
    )
    client.force_login(user)
    summary = travel_page(client).context["summary"]
    assert summary.trips_taken == 1 and summary.km == 0 and summary.trips_without_distance == 1


def test_upcoming_trips_are_listed_in_the_departure_airports_time(ada, client):
    client.force_login(ada)
    response = travel_page(client)
    upcoming = response.context["summary"].upcoming
    assert [(trip.flight_number, trip.origin.iata, trip.destination.iata, trip.passengers) for trip in upcoming] == [
        (upcoming[0].flight_number, "LHR", "CDG", 1)
    ]
    page = response.content.decode()
    assert "Wed 1 Jul 2026, 09:00 BST" in page
    assert reverse("bookings:detail", args=[upcoming[0].reference]) in page


def test_a_trip_moves_from_upcoming_to_the_history_once_it_departs(ada):
    with time_machine.travel(utc(2026, 7, 2, 12), tick=False):
        summary = selectors_travel.travel_summary(user=ada)
    assert summary.upcoming == [] and summary.upcoming_total == 0
    assert summary.trips_per_month[2026][6] == 1  # July
    assert "CDG" in [place.iata for place in summary.airports]


def test_another_passengers_trips_are_not_shown(ada, client):
    client.force_login(UserFactory())
    assert "No trips yet" in travel_page(client).content.decode()


def test_a_cancellation_shows_at_once_despite_the_cache(ada, client, django_assert_max_num_queries):
    client.force_login(ada)
    travel_page(client)
    with django_assert_max_num_queries(4):  # warm: session, user, the bookings' fingerprint, the alert badge
        assert travel_page(client).context["summary"].refunded == Decimal("400.00")
    upcoming = ada.bookings.get(flight__departs_at=utc(2026, 7, 1, 8))
    cancel(ada, upcoming, NOW)
    summary = travel_page(client).context["summary"]
    assert summary.refunded == Decimal("520.00") and summary.upcoming == []


@pytest.mark.parametrize("trips", [3, 30])
def test_the_query_count_does_not_grow_with_trips(trips, client, airports, django_assert_max_num_queries):
    user = UserFactory()
    places = [airports["LHR"], airports["JFK"], airports["CDG"], *AirportFactory.create_batch(7)]
    with time_machine.travel(utc(2025, 1, 1), tick=False):
        for index in range(trips):
            origin, destination = places[index % 10], places[(index + 1 + index // 10) % 10]
            departs = utc(2026, 4, 1, 8) + timedelta(days=4 * index)  # from the 20th on: after NOW
            booking_create(
                user=user,
                flight_id=FlightFactory(origin=origin, destination=destination, departs_at=departs).pk,
                passenger_names=["Passenger 1", "Passenger 2"],
                token=uuid.uuid4(),
            )
    client.force_login(user)
    # session, user, the bookings' fingerprint, one query each for months, money, routes and
    # upcoming trips, the alert badge (base.html)
    with django_assert_max_num_queries(8):
        response = travel_page(client)
    summary = response.context["summary"]
    ahead = max(0, trips - 19)
    assert summary.trips_taken == trips - ahead and summary.upcoming_total == ahead
    assert len(summary.upcoming) == min(ahead, selectors_travel.UPCOMING_SHOWN)
    assert sum(summary.trips_per_month[2026]) == trips - ahead
    if ahead > selectors_travel.UPCOMING_SHOWN:
        assert f"{ahead} trips ahead in all" in response.content.decode()
