"""A booked flight around a clock change: every page, file and e-mail that shows its local
times carries the abbreviation of the instant (01:30 BST and 01:30 GMT are an hour apart), and
the calendar file names the right instant. The cases (zones east and west of UTC, both
hemispheres, the repeated hour's two occurrences and just after the spring gap, departures and
arrivals) are written out by hand in flights/tests/dst_cases.py.
"""

import csv
import io
from datetime import UTC, timedelta

import pytest
from django.core import mail
from django.core.files.storage import default_storage
from django.urls import reverse
from icalendar import Calendar

from accounts.tests.factories import StaffFactory, verified_login
from bookings.models import BookingExport
from bookings.services.reminders import departure_reminders_send
from bookings.tests.factories import make_booking
from flights.tests.dst_cases import BEFORE_ALL, MOMENTS, REPEATED, cases, flight_at

pytestmark = pytest.mark.django_db

SPRING = [moment for moment in MOMENTS if moment.when.startswith("spring")]


@pytest.fixture(autouse=True)
def _before_the_clock_changes(time_machine):
    time_machine.move_to(BEFORE_ALL, tick=False)


@pytest.fixture(autouse=True)
def _exports_in_memory(settings):
    settings.STORAGES = {**settings.STORAGES, "default": {"BACKEND": "django.core.files.storage.InMemoryStorage"}}


def _page(client, url) -> str:
    response = client.get(url)
    assert response.status_code == 200
    return response.content.decode()


def _shows_flight_times(page: str, moment) -> None:
    """The flight-times block (partials/_flight_times.html): the clock, then "LHR · BST"."""
    assert f">{moment.wall}" in page
    assert f"{moment.iata} · {moment.abbreviation}</div>" in page
    assert f"{moment.iata} · {moment.twin}<" not in page


def _shows_full_time(page: str, moment) -> None:
    """ "Sun 31 Oct 2027, 01:30 BST" (|date:"D j M Y, H:i T")."""
    assert f"{moment.long_date}, {moment.wall} {moment.abbreviation}<" in page
    assert f"{moment.wall} {moment.twin}<" not in page


# Pages


@pytest.mark.parametrize(("moment", "end"), cases())
def test_flight_page_shows_the_abbreviation_of_the_instant(client, moment, end):
    flight = flight_at(moment, end)
    page = _page(client, reverse("bookings:book", args=[flight.pk]))
    _shows_flight_times(page, moment)
    _shows_full_time(page, moment)


@pytest.mark.parametrize(("moment", "end"), cases())
def test_booking_page_and_my_bookings_show_the_abbreviation_of_the_instant(client, moment, end):
    booking = make_booking(flight=flight_at(moment, end))
    client.force_login(booking.user)
    _shows_flight_times(_page(client, reverse("bookings:detail", args=[booking.reference])), moment)
    _shows_flight_times(_page(client, reverse("bookings:list")), moment)


@pytest.mark.parametrize(("moment", "end"), cases())
def test_eticket_shows_the_abbreviation_of_the_instant(client, moment, end):
    booking = make_booking(flight=flight_at(moment, end))
    client.force_login(booking.user)
    page = _page(client, reverse("bookings:eticket", args=[booking.reference, booking.tickets.get().pk]))
    _shows_flight_times(page, moment)


@pytest.mark.parametrize(("moment", "end"), cases(REPEATED))
def test_staff_manifest_shows_the_abbreviation_of_the_instant(client, moment, end):
    flight = flight_at(moment, end)
    make_booking(flight=flight)
    verified_login(client, StaffFactory())
    page = _page(client, reverse("staff:manifest", args=[flight.pk]))
    assert f"{moment.wall} {moment.abbreviation}" in page
    assert f"{moment.wall} {moment.twin}" not in page


# The calendar file


def _event(client, booking):
    client.force_login(booking.user)
    response = client.get(reverse("bookings:calendar", args=[booking.reference]))
    assert response.status_code == 200
    calendar = Calendar.from_ical(response.content)
    [event] = calendar.events
    return calendar, event, response.content.decode()


@pytest.mark.parametrize(("moment", "end"), cases(REPEATED))
def test_calendar_writes_a_time_in_the_repeated_hour_in_utc(client, moment, end):
    """RFC 5545 reads a repeated local time with a TZID as its first occurrence and cannot
    name the second: such a time is written as the UTC instant."""
    booking = make_booking(flight=flight_at(moment, end))
    calendar, event, text = _event(client, booking)
    name = "DTSTART" if end == "departure" else "DTEND"
    assert f"{name}:{moment.instant:%Y%m%dT%H%M%S}Z\r\n" in text
    moment_read = event.start if end == "departure" else event.end
    assert moment_read.astimezone(UTC) == moment.instant
    assert calendar.get_missing_tzids() == set()


@pytest.mark.parametrize(("moment", "end"), cases(SPRING))
def test_calendar_time_after_the_spring_gap_has_a_tzid_its_vtimezone_places_right(client, moment, end):
    booking = make_booking(flight=flight_at(moment, end))
    calendar, event, text = _event(client, booking)
    name = "DTSTART" if end == "departure" else "DTEND"
    wall = f"{moment.day:%Y%m%d}T{moment.wall.replace(':', '')}00"
    assert f"{name};TZID={moment.zone}:{wall}\r\n" in text
    # Read back through the VTIMEZONE in the file itself (dateutil's reading of its rules),
    # not through the TZID's name: a calendar without tzdata goes by those rules.
    [vtimezone] = [tz for tz in calendar.timezones if tz.tz_name == moment.zone]
    rules = vtimezone.to_tz(lookup_tzid=False)
    local = (event.start if end == "departure" else event.end).replace(tzinfo=None)
    assert local.replace(tzinfo=rules).astimezone(UTC) == moment.instant
    assert calendar.get_missing_tzids() == set()


# The CSV export


@pytest.mark.parametrize(("moment", "end"), cases())
def test_csv_export_row_has_the_abbreviation_of_the_instant(client, moment, end, django_capture_on_commit_callbacks):
    booking = make_booking(flight=flight_at(moment, end))
    client.force_login(booking.user)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("bookings:export_start"))
    export = BookingExport.objects.get(user=booking.user)
    assert export.status == BookingExport.Status.DONE
    with default_storage.open(export.file.name, "rb") as handle:
        header, row = csv.reader(io.StringIO(handle.read().decode("utf-8-sig"), newline=""))
    column = "Departure (local time)" if end == "departure" else "Arrival (local time)"
    assert dict(zip(header, row, strict=True))[column] == moment.csv_text


# E-mails


@pytest.mark.parametrize(("moment", "end"), cases())
def test_confirmation_email_has_the_abbreviation_of_the_instant(moment, end, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        make_booking(flight=flight_at(moment, end))
    [email] = mail.outbox
    for part in (email.body, email.alternatives[0][0]):
        assert moment.email_text in part


@pytest.mark.parametrize(("moment", "end"), cases())
def test_reminder_email_has_the_abbreviation_of_the_instant(
    time_machine, moment, end, django_capture_on_commit_callbacks
):
    flight = flight_at(moment, end)
    make_booking(flight=flight)
    time_machine.move_to(flight.departs_at - timedelta(hours=23, minutes=50), tick=False)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        assert departure_reminders_send() == 1
    [email] = mail.outbox
    for part in (email.body, email.alternatives[0][0]):
        assert moment.email_text in part
