from decimal import Decimal

import pytest
from django.urls import reverse

from accounts.tests.factories import UserFactory
from bookings.tests.factories import make_booking
from flights.tests.factories import FlightFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client):
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
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


def test_admin_bookings_are_view_only(admin_client):
    booking = make_booking()
    url = reverse("admin:bookings_booking_change", args=[booking.pk])
    assert admin_client.get(url).status_code == 200
    admin_client.post(url, {})
    booking.refresh_from_db()
    assert booking.status == booking.Status.CONFIRMED
