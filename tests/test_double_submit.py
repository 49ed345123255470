"""Every form that creates a unique thing, sent twice at the same moment (a double click, two
tabs), over HTTP with real threads on PostgreSQL: one result, and two friendly pages that
lead to it. (Sign-up: accounts/tests/test_signup_race.py.)"""

import uuid

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from accounts.tests.factories import StaffFactory, UserFactory, verified_login
from bookings.models import Booking, BookingExport
from bookings.tests.factories import make_booking
from bookings.tests.threads import run_threads
from flights.imports.parsing import COLUMNS
from flights.models import Flight, FlightImport
from flights.tests.factories import AirportFactory, FlightFactory

pytestmark = pytest.mark.django_db(transaction=True)

TWICE = 2


def _signed_in(user) -> list[Client]:
    clients = [Client() for _ in range(TWICE)]
    for client in clients:
        verified_login(client, user)
    return clients


def _one_redirect(responses) -> str:
    assert all(not isinstance(r, Exception) for r in responses), responses
    assert [r.status_code for r in responses] == [302] * TWICE, responses
    targets = {r.url for r in responses}
    assert len(targets) == 1, targets
    return targets.pop()


def test_the_seat_form_sent_twice_at_once_holds_once():
    user, flight = UserFactory(), FlightFactory()
    clients = _signed_in(user)
    form = {"token": str(uuid.uuid4()), "passengers": "2"}
    responses = run_threads(TWICE, lambda i: clients[i].post(reverse("bookings:book", args=[flight.pk]), form))
    booking = Booking.objects.get()
    assert _one_redirect(responses) == reverse("bookings:checkout_passengers", args=[booking.reference])
    assert Flight.objects.get(pk=flight.pk).seats_booked == 2


def test_export_started_twice_at_once_makes_one_export():
    user = UserFactory()
    make_booking(user=user)
    clients = _signed_in(user)
    responses = run_threads(TWICE, lambda i: clients[i].post(reverse("bookings:export_start")))
    export = BookingExport.objects.get()
    assert _one_redirect(responses) == reverse("bookings:export", args=[export.pk])


def test_the_import_form_sent_twice_at_once_starts_one_import(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    AirportFactory(iata="LHR", tz="Europe/London")
    AirportFactory(iata="JFK", tz="America/New_York")
    clients = _signed_in(StaffFactory())
    data = (",".join(COLUMNS) + "\nSK101,LHR,JFK,2030-03-01 09:15,2030-03-01 12:05,129.00,,\n").encode()
    token = str(uuid.uuid4())

    def upload(index):
        file = SimpleUploadedFile("timetable.csv", data, "text/csv")
        return clients[index].post(reverse("staff:import"), {"file": file, "token": token})

    responses = run_threads(TWICE, upload)
    flight_import = FlightImport.objects.get()
    assert _one_redirect(responses) == reverse("staff:import_status", args=[flight_import.pk])
    assert Flight.objects.filter(number="SK101").count() == 1
    assert sorted(p.name for p in tmp_path.rglob("*.csv")) == [flight_import.file.name.rsplit("/", 1)[-1]]
