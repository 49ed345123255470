"""The staff manifest: who is on a flight, and finding the flight by number and date."""

import pytest
from django.urls import reverse

from bookings.tests.factories import make_booking
from flights.tests.factories import FlightFactory

pytestmark = pytest.mark.django_db


def test_manifest_lists_passengers_seats_reference_and_booker(staff_client):
    flight = FlightFactory(capacity=60)
    booking = make_booking(flight=flight, names=["Ada Lovelace", "Alan Turing"])
    response = staff_client.get(reverse("staff:manifest", args=[flight.pk]))
    page = response.content.decode()
    for text in ("Ada Lovelace", "Alan Turing", "1A", "1B", booking.reference, booking.user.email):
        assert text in page
    assert response.context["flight"].seats_booked == 2 and response.context["flight"].seats_left == 58


def test_manifest_lookup_by_number_and_date_redirects_to_the_flight(staff_client):
    flight = FlightFactory(number="SK555")
    response = staff_client.get(
        reverse("staff:manifest_lookup"),
        {"number": "sk555", "date": flight.departs_local().date().isoformat()},
    )
    assert response.status_code == 302
    assert response.url == reverse("staff:manifest", args=[flight.pk])
