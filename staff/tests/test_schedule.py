"""The staff schedule: list and filter flights, add, edit and remove one."""

from datetime import datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse
from django.utils import timezone

from bookings.tests.factories import make_booking
from flights.models import Flight
from flights.tests.factories import AirportFactory, FlightFactory

pytestmark = pytest.mark.django_db


def test_staff_adds_flight_with_local_times_stored_in_utc(staff_client):
    AirportFactory(iata="LHR", city="London", tz="Europe/London")
    AirportFactory(iata="JFK", city="New York", tz="America/New_York")
    response = staff_client.post(
        reverse("staff:flight_add"),
        {
            "number": "sk901",
            "origin": "lhr",
            "destination": "JFK",
            "departure_date": "2027-07-01",
            "departure_time": "10:30",
            "arrival_date": "2027-07-01",
            "arrival_time": "13:25",
            "capacity": "60",
            "layout": "3-3",
            "price": "499.00",
        },
    )
    assert response.status_code == 302
    flight = Flight.objects.get(number="SK901")
    assert flight.departs_at == datetime(2027, 7, 1, 9, 30, tzinfo=ZoneInfo("UTC"))  # BST is UTC+1
    assert flight.arrives_at == datetime(2027, 7, 1, 17, 25, tzinfo=ZoneInfo("UTC"))  # EDT is UTC-4
    assert flight.capacity == 60 and flight.price == Decimal("499.00") and flight.seats_booked == 0


def test_add_form_defaults_capacity_to_sixty(staff_client):
    response = staff_client.get(reverse("staff:flight_add"))
    assert 'value="60"' in response.content.decode()


def test_staff_edits_flight_price_and_capacity(staff_client):
    flight = FlightFactory(price=Decimal("100.00"))
    make_booking(flight=flight, passengers=2)
    form = staff_client.get(reverse("staff:flight_edit", args=[flight.pk])).context["form"]
    data = {**{k: v for k, v in form.initial.items()}, "price": "150.00", "capacity": "80"}
    data["origin"], data["destination"] = flight.origin.iata, flight.destination.iata
    response = staff_client.post(reverse("staff:flight_edit", args=[flight.pk]), data)
    assert response.status_code == 302, response.context["form"].errors
    flight.refresh_from_db()
    assert flight.price == Decimal("150.00") and flight.capacity == 80 and flight.seats_booked == 2


def test_staff_schedule_filters_by_number_and_local_date(staff_client):
    tokyo = AirportFactory(iata="HND", city="Tokyo", tz="Asia/Tokyo")
    day = (timezone.now() + timedelta(days=5)).astimezone(tokyo.zone).date()
    wanted = FlightFactory(
        number="SK77",
        origin=tokyo,
        departs_at=datetime.combine(day, datetime.min.time(), tzinfo=tokyo.zone) + timedelta(minutes=30),
    )
    FlightFactory(number="SK77", origin=tokyo, departs_at=wanted.departs_at + timedelta(days=1))
    FlightFactory(number="SK78", origin=tokyo, departs_at=wanted.departs_at)
    response = staff_client.get(reverse("staff:schedule"), {"number": "sk77", "date": day.isoformat()})
    assert list(response.context["page"].object_list) == [wanted]


def test_staff_remove_booked_flight_cancels_it_and_keeps_history(staff_client):
    flight = FlightFactory()
    booking = make_booking(flight=flight, passengers=2)
    confirm = staff_client.get(reverse("staff:flight_remove", args=[flight.pk]))
    assert "will be <strong>cancelled</strong>" in confirm.content.decode()
    response = staff_client.post(reverse("staff:flight_remove", args=[flight.pk]))
    assert response.status_code == 302
    flight.refresh_from_db()
    booking.refresh_from_db()
    assert flight.status == Flight.Status.CANCELLED and flight.seats_booked == 0
    assert booking.status == booking.Status.CANCELLED


def test_staff_remove_unbooked_flight_deletes_it(staff_client):
    flight = FlightFactory()
    staff_client.post(reverse("staff:flight_remove", args=[flight.pk]))
    assert not Flight.objects.filter(pk=flight.pk).exists()
