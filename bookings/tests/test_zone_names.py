"""Zones the tz database names only by a number ("+04" for Asia/Dubai) read as a place's time
("Dubai time") on every page, e-mail and file: booking_site.lib.formats is the one place that
names a zone, so each reader below gets the same words. Zones with letters keep them.

Expected names are written out by hand from the tz rules, not computed by the code under test.
"""

import csv
import io
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core import mail
from django.core.files.storage import default_storage
from django.urls import reverse

from accounts.tests.factories import StaffFactory, verified_login
from booking_site.lib import formats
from bookings.models import BookingExport
from bookings.services.reminders import departure_reminders_send
from bookings.tests.factories import make_booking
from flights.tests.factories import AirportFactory, FlightFactory

pytestmark = pytest.mark.django_db

NOW = datetime(2027, 1, 4, 12, 0, tzinfo=UTC)
JUNE = datetime(2027, 6, 1, 12, 0, tzinfo=UTC)

# zone, instant, wall clock, what a reader sees
NAMES = [
    ("Asia/Dubai", JUNE, "16:00", "Dubai time"),  # tzdata: +04
    ("Asia/Riyadh", JUNE, "15:00", "Riyadh time"),  # +03
    ("America/Sao_Paulo", JUNE, "09:00", "Sao Paulo time"),  # -03
    ("Asia/Bangkok", JUNE, "19:00", "Bangkok time"),  # +07
    ("Asia/Kathmandu", JUNE, "17:45", "Kathmandu time"),  # +0545
    ("Europe/Istanbul", JUNE, "15:00", "Istanbul time"),  # +03
    ("America/Argentina/Buenos_Aires", JUNE, "09:00", "Buenos Aires time"),  # -03: the city, not the country
    ("America/Santiago", JUNE, "08:00", "Santiago time"),  # -04, Chile's winter
    ("America/Santiago", NOW, "09:00", "Santiago summer time"),  # -03, clocks forward
    ("Africa/Casablanca", JUNE, "13:00", "Casablanca time"),  # +01
    # In Ramadan Morocco sets its clocks back an hour, to +00: said, so both 02:30s differ.
    ("Africa/Casablanca", datetime(2027, 3, 1, 12, 0, tzinfo=UTC), "12:00", "Casablanca time (UTC+0)"),
    ("Etc/GMT-4", JUNE, "16:00", "UTC+4"),  # no place in the name: the offset, readably
    # Letters are kept as tzdata gives them.
    ("Europe/London", JUNE, "13:00", "BST"),
    ("Europe/London", NOW, "12:00", "GMT"),
    ("Asia/Tokyo", JUNE, "21:00", "JST"),
    ("America/New_York", NOW, "07:00", "EST"),
    ("UTC", JUNE, "12:00", "UTC"),
]


@pytest.mark.parametrize(("zone", "instant", "wall", "name"), NAMES, ids=[f"{row[0]}-{row[3]}" for row in NAMES])
def test_every_local_format_names_the_zone_readably(zone, instant, wall, name):
    tz = ZoneInfo(zone)
    assert formats.zone_abbreviation(instant, tz) == name
    assert formats.local_time(instant, tz) == f"{wall} {name}"
    assert formats.local_datetime(instant, tz).endswith(f", {wall} {name}")
    assert formats.local_timestamp(instant, tz).endswith(f" {wall} {name}")
    assert formats.format_local(instant, tz, "H:i T") == f"{wall} {name}"


def test_the_two_wall_times_of_the_repeated_hour_in_a_numeric_zone_read_differently():
    """Santiago's clocks go back at 03:00 UTC on 4 Apr 2027: 23:30 happens at -03, then at -04."""
    santiago = ZoneInfo("America/Santiago")
    first, second = datetime(2027, 4, 4, 2, 30, tzinfo=UTC), datetime(2027, 4, 4, 3, 30, tzinfo=UTC)
    assert formats.local_time(first, santiago) == "23:30 Santiago summer time"
    assert formats.local_time(second, santiago) == "23:30 Santiago time"


@pytest.fixture
def dubai_bangkok(time_machine):
    """A flight from Dubai (+04) to Bangkok (+07) a week ahead, booked."""
    time_machine.move_to(NOW, tick=False)
    dubai = AirportFactory(iata="DXB", city="Dubai", name="Dubai International Airport", country="AE", tz="Asia/Dubai")
    bangkok = AirportFactory(iata="BKK", city="Bangkok", name="Suvarnabhumi Airport", country="TH", tz="Asia/Bangkok")
    return FlightFactory(
        number="SK440",
        origin=dubai,
        destination=bangkok,
        departs_at=datetime(2027, 1, 11, 6, 0, tzinfo=UTC),  # 10:00 in Dubai
        arrives_at=datetime(2027, 1, 11, 12, 20, tzinfo=UTC),  # 19:20 in Bangkok
    )


DEPARTS, ARRIVES = "Mon 11 Jan 2027, 10:00 Dubai time", "Mon 11 Jan 2027, 19:20 Bangkok time"


def _page(client, url, params=None) -> str:
    response = client.get(url, params)
    assert response.status_code == 200
    return response.content.decode()


def test_search_results_and_flight_page_name_the_zones(client, dubai_bangkok):
    results = _page(
        client,
        reverse("flights:search"),
        {"origin": "Dubai", "destination": "BKK", "date": "2027-01-11", "passengers": 1},
    )
    assert "DXB · Dubai time</div>" in results and "BKK · Bangkok time</div>" in results
    assert "departing 10:00 Dubai time" in results  # the Select button's accessible name
    flight_page = _page(client, reverse("bookings:book", args=[dubai_bangkok.pk]))
    assert "Mon 11 Jan 2027, 10:00 Dubai time<" in flight_page
    assert "+04" not in results + flight_page and "+07" not in results + flight_page


def test_booking_page_and_eticket_name_the_zones(client, dubai_bangkok):
    booking = make_booking(flight=dubai_bangkok)
    client.force_login(booking.user)
    for url in (
        reverse("bookings:detail", args=[booking.reference]),
        reverse("bookings:eticket", args=[booking.reference, booking.tickets.get().pk]),
    ):
        page = _page(client, url)
        assert "DXB · Dubai time</div>" in page and "BKK · Bangkok time</div>" in page


def test_confirmation_and_reminder_emails_name_the_zones(
    dubai_bangkok, time_machine, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        make_booking(flight=dubai_bangkok)
    time_machine.move_to(dubai_bangkok.departs_at - timedelta(hours=23, minutes=50), tick=False)
    with django_capture_on_commit_callbacks(execute=True):
        assert departure_reminders_send() == 1
    confirmation, reminder = mail.outbox
    for email in (confirmation, reminder):
        for part in (email.body, email.alternatives[0][0]):
            assert DEPARTS in part
            assert "+04" not in part and "+07" not in part
    for part in (confirmation.body, confirmation.alternatives[0][0]):
        assert ARRIVES in part


def test_csv_export_names_the_zones(client, dubai_bangkok, settings, django_capture_on_commit_callbacks):
    settings.STORAGES = {**settings.STORAGES, "default": {"BACKEND": "django.core.files.storage.InMemoryStorage"}}
    booking = make_booking(flight=dubai_bangkok)
    client.force_login(booking.user)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("bookings:export_start"))
    export = BookingExport.objects.get(user=booking.user)
    with default_storage.open(export.file.name, "rb") as handle:
        header, row = csv.reader(io.StringIO(handle.read().decode("utf-8-sig"), newline=""))
    columns = dict(zip(header, row, strict=True))
    assert columns["Departure (local time)"] == "2027-01-11 10:00 Dubai time"
    assert columns["Arrival (local time)"] == "2027-01-11 19:20 Bangkok time"


def test_staff_schedule_and_manifest_name_the_zones(client, dubai_bangkok):
    make_booking(flight=dubai_bangkok)
    verified_login(client, StaffFactory())
    schedule = _page(client, reverse("staff:schedule"), {"date": "2027-01-11"})
    assert 'Mon 11 Jan 2027, <span class="text-nowrap">10:00 Dubai time</span>' in schedule
    assert 'Mon 11 Jan, <span class="text-nowrap">19:20 Bangkok time</span>' in schedule
    manifest = _page(client, reverse("staff:manifest", args=[dubai_bangkok.pk]))
    assert "10:00 Dubai time" in manifest and "19:20 Bangkok time" in manifest
