"""The busy pages run a fixed number of queries, however many rows they show.

Each page is requested with N rows and with 3N rows under the same bound. The bound is the
count the page needs today, so one query per row (an N+1) breaks it at 3N rows at the latest.
If a change adds a constant query on purpose, raise the bound here and say why in the commit.
"""

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.tests.factories import StaffFactory, UserFactory, verified_login
from bookings.models import Ticket
from bookings.tests.factories import make_booking
from flights.models import Flight
from flights.search import SEARCH_PAGE_SIZE
from flights.tests.factories import AirportFactory, FlightFactory

pytestmark = pytest.mark.django_db

# Queries per page. For a signed-in request, loading the session and the user are 2 of them,
# and the navbar's unread-alert count (the bell, booking_site.context_processors.alerts) is a
# third; anonymous pages do not count alerts.
MAX_QUERIES = {
    "search": 4,  # origin and destination airports, flights with airports, lowest fares nearby
    # session, user, alert count, checkouts on hold (+ their tickets), paid bookings + their tickets
    "my_bookings": 7,
    # session, user, alert count, booking with flight and airports, its tickets
    "booking_detail": 5,
    # Staff pages also load the session's second factor (django-otp: a device deleted by an
    # admin ends its sessions' verification at once).
    "staff_schedule": 6,  # session, user, device, alert count, count, one page of flights with airports
    "staff_manifest": 6,  # session, user, device, alert count, flight with airports, tickets with bookings and users
}


@pytest.fixture
def airports():
    london = AirportFactory(iata="LHR", city="London", tz="Europe/London")
    new_york = AirportFactory(iata="JFK", city="New York", tz="America/New_York")
    return london, new_york


def _flights_on_one_day(count: int, london, new_york) -> tuple[list[Flight], str]:
    """`count` flights LHR->JFK on the same London day, 10 minutes apart from 06:00 local."""
    day = (timezone.now().astimezone(ZoneInfo("Europe/London")) + timedelta(days=3)).date()
    first = datetime.combine(day, time(6, 0), tzinfo=london.zone)
    flights = [
        FlightFactory(origin=london, destination=new_york, departs_at=first + timedelta(minutes=10 * index))
        for index in range(count)
    ]
    return flights, day.isoformat()


@pytest.mark.parametrize("rows", [10, 30])
def test_search_results_query_count_does_not_grow_with_results(client, airports, django_assert_max_num_queries, rows):
    flights, day = _flights_on_one_day(rows, *airports)
    with django_assert_max_num_queries(MAX_QUERIES["search"]):
        response = client.get(
            reverse("flights:search"), {"origin": "LHR", "destination": "JFK", "date": day, "passengers": "2"}
        )
    assert response.status_code == 200
    shown = min(rows, SEARCH_PAGE_SIZE)  # results are paginated by keyset, 20 a page
    assert response.context["total"] == rows
    assert response.context["flights"] == flights[:shown]
    assert response.content.decode().count('class="card flight-card') == shown


@pytest.mark.parametrize("rows", [10, 30])
def test_my_bookings_query_count_does_not_grow_with_bookings(client, airports, django_assert_max_num_queries, rows):
    user = UserFactory()
    london, new_york = airports
    bookings = [
        make_booking(user=user, flight=FlightFactory(origin=london, destination=new_york), passengers=1 + index % 3)
        for index in range(rows)
    ]
    # Half of them in the past, so both lists on the page have rows.
    for booking in bookings[: rows // 2]:
        departed = timezone.now() - timedelta(days=2)
        Flight.objects.filter(pk=booking.flight_id).update(
            departs_at=departed, arrives_at=departed + timedelta(hours=8)
        )
    client.force_login(user)
    with django_assert_max_num_queries(MAX_QUERIES["my_bookings"]):
        response = client.get(reverse("bookings:list"))
    assert response.status_code == 200
    assert len(response.context["upcoming"]) == rows - rows // 2 and len(response.context["past"]) == rows // 2
    page = response.content.decode()
    assert all(booking.reference in page for booking in bookings)


@pytest.mark.parametrize("passengers", [3, 9])
def test_booking_detail_query_count_does_not_grow_with_passengers(
    client, airports, django_assert_max_num_queries, passengers
):
    user = UserFactory()
    flight = FlightFactory(origin=airports[0], destination=airports[1])
    booking = make_booking(user=user, flight=flight, passengers=passengers)
    for _ in range(passengers):  # other bookings of the same user must not be loaded
        make_booking(user=user, flight=flight)
    client.force_login(user)
    with django_assert_max_num_queries(MAX_QUERIES["booking_detail"]):
        response = client.get(reverse("bookings:detail", args=[booking.reference]))
    assert response.status_code == 200
    assert response.content.decode().count("<td>Passenger ") == passengers


@pytest.mark.parametrize("rows", [10, 30])
def test_staff_schedule_query_count_does_not_grow_with_flights(client, airports, django_assert_max_num_queries, rows):
    london, new_york = airports
    # Different routes too, so airports are not all the same two rows.
    flights = [FlightFactory() for _ in range(rows // 2)]
    flights += [FlightFactory(origin=london, destination=new_york) for _ in range(rows - rows // 2)]
    make_booking(flight=flights[0], passengers=2)
    Flight.objects.filter(pk=flights[1].pk).update(status=Flight.Status.CANCELLED)
    verified_login(client, StaffFactory())
    with django_assert_max_num_queries(MAX_QUERIES["staff_schedule"]):
        response = client.get(reverse("staff:schedule"))
    assert response.status_code == 200
    assert len(response.context["page"].object_list) == rows


@pytest.mark.parametrize("rows", [20, 60])
def test_staff_manifest_query_count_does_not_grow_with_bookings(client, airports, django_assert_max_num_queries, rows):
    flight = FlightFactory(origin=airports[0], destination=airports[1], capacity=60)
    bookings = [make_booking(user=UserFactory(), flight=flight) for _ in range(rows)]
    # A cancelled booking keeps its ticket on the manifest, marked cancelled.
    cancelled = bookings[0]
    client.force_login(cancelled.user)
    ticket = cancelled.tickets.get()
    client.post(
        reverse("bookings:cancel", args=[cancelled.reference]),
        {"tickets": [ticket.pk], "confirm": "1", "scope": "whole"},
    )
    ticket.refresh_from_db()
    assert ticket.status == Ticket.Status.CANCELLED  # the case this test is about really happened
    verified_login(client, StaffFactory())
    with django_assert_max_num_queries(MAX_QUERIES["staff_manifest"]):
        response = client.get(reverse("staff:manifest", args=[flight.pk]))
    assert response.status_code == 200
    assert len(response.context["tickets"]) == rows
    assert ticket in response.context["tickets"]
    page = response.content.decode()
    assert all(booking.user.email in page for booking in bookings)
