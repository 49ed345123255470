from datetime import UTC, datetime, time, timedelta
from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.tests.factories import UserFactory, verified_login
from bookings.tests.factories import make_booking
from flights.models import Flight
from flights.tests.factories import AirportFactory, FlightFactory
from flights.tests.pages import listed_numbers

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client):
    verified_login(client, UserFactory(is_staff=True, is_superuser=True))
    return client


def _change_data(flight, **overrides):
    data = {
        "number": flight.number,
        "origin": flight.origin_id,
        "destination": flight.destination_id,
        "departs_at_0": flight.departs_at.strftime("%Y-%m-%d"),
        "departs_at_1": flight.departs_at.strftime("%H:%M:%S"),
        "arrives_at_0": flight.arrives_at.strftime("%Y-%m-%d"),
        "arrives_at_1": flight.arrives_at.strftime("%H:%M:%S"),
        "capacity": flight.capacity,
        "layout": flight.layout,
        "price": flight.price,
    }
    return {**data, **overrides}


def test_admin_edit_keeps_seats_booked_by_others_meanwhile(admin_client):
    flight = FlightFactory(capacity=60)
    stale = _change_data(flight, price="199.00")
    make_booking(flight=flight, passengers=3)  # booked after the admin opened the form
    response = admin_client.post(reverse("admin:flights_flight_change", args=[flight.pk]), stale)
    assert response.status_code == 302
    flight.refresh_from_db()
    assert flight.price == Decimal("199.00") and flight.seats_booked == 3


def test_admin_cannot_lower_capacity_below_seats_booked(admin_client):
    flight = FlightFactory(capacity=60)
    make_booking(flight=flight, passengers=3)
    flight.refresh_from_db()
    response = admin_client.post(
        reverse("admin:flights_flight_change", args=[flight.pk]), _change_data(flight, capacity=2)
    )
    assert response.status_code == 200
    assert "capacity cannot go below" in response.content.decode()
    flight.refresh_from_db()
    assert flight.capacity == 60


def _search_numbers(day) -> list[str]:
    """The flights an anonymous visitor sees for LHR -> CDG on `day` (the page is cached)."""
    query = {"origin": "LHR", "destination": "CDG", "date": day.isoformat(), "passengers": 1}
    return listed_numbers(Client().get(reverse("flights:search"), query))


@pytest.fixture
def cached_route():
    """LHR -> CDG with one flight in ten days, its search results already in the cache."""
    london = AirportFactory(iata="LHR", city="London", tz="Europe/London")
    paris = AirportFactory(iata="CDG", city="Paris", tz="Europe/Paris")
    day = (timezone.now() + timedelta(days=10)).astimezone(london.zone).date()
    FlightFactory(number="SK10", origin=london, destination=paris, departs_at=_local(day, 9, london))
    assert _search_numbers(day) == ["SK10"]
    return london, paris, day


def _local(day, hour, airport):
    return datetime.combine(day, time(hour), tzinfo=airport.zone)


def _admin_datetime(field: str, moment: datetime) -> dict:
    """The admin's split date and time inputs for `moment` (the site's time zone is UTC)."""
    moment = moment.astimezone(UTC)
    return {f"{field}_0": moment.strftime("%Y-%m-%d"), f"{field}_1": moment.strftime("%H:%M:%S")}


def test_a_flight_added_in_admin_shows_in_a_search_cached_before(
    admin_client, cached_route, django_capture_on_commit_callbacks
):
    london, paris, day = cached_route
    departs = _local(day, 15, london)
    new = {
        "number": "SK11",
        "origin": london.pk,
        "destination": paris.pk,
        **_admin_datetime("departs_at", departs),
        **_admin_datetime("arrives_at", departs + timedelta(hours=1)),
        "capacity": 60,
        "layout": "3-3",
        "price": "99.00",
    }
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(reverse("admin:flights_flight_add"), new)
    added = Flight.objects.get(number="SK11")
    assert response.status_code == 302 and response.url == reverse("admin:flights_flight_changelist")
    assert added.departs_at == departs
    assert _search_numbers(day) == ["SK10", "SK11"]


def test_a_flight_edited_in_admin_leaves_a_search_cached_before(
    admin_client, cached_route, django_capture_on_commit_callbacks
):
    _london, _paris, day = cached_route
    flight = Flight.objects.get(number="SK10")
    moved = _change_data(
        flight,
        departs_at_0=(flight.departs_at + timedelta(days=1)).strftime("%Y-%m-%d"),
        arrives_at_0=(flight.arrives_at + timedelta(days=1)).strftime("%Y-%m-%d"),
    )
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(reverse("admin:flights_flight_change", args=[flight.pk]), moved)
    assert response.status_code == 302
    assert _search_numbers(day) == []
    assert _search_numbers(day + timedelta(days=1)) == ["SK10"]


@pytest.mark.parametrize("how", ["delete page", "list action"])
def test_a_flight_deleted_in_admin_leaves_a_search_cached_before(
    admin_client, cached_route, django_capture_on_commit_callbacks, how
):
    _london, _paris, day = cached_route
    flight = Flight.objects.get(number="SK10")
    with django_capture_on_commit_callbacks(execute=True):
        if how == "delete page":
            response = admin_client.post(reverse("admin:flights_flight_delete", args=[flight.pk]), {"post": "yes"})
        else:
            response = admin_client.post(
                reverse("admin:flights_flight_changelist"),
                {"action": "delete_selected", "_selected_action": [flight.pk], "post": "yes"},
            )
    assert response.status_code == 302 and not Flight.objects.exists()
    assert _search_numbers(day) == []


def test_admin_bookings_are_view_only(admin_client):
    booking = make_booking()
    url = reverse("admin:bookings_booking_change", args=[booking.pk])
    assert admin_client.get(url).status_code == 200
    admin_client.post(url, {})
    booking.refresh_from_db()
    assert booking.status == booking.Status.CONFIRMED
