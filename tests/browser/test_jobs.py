"""Background jobs in a real browser, by visible labels: a passenger exports their bookings and
follows the alert to the file; staff import flights from CSV and read the sent mail.

Celery runs eagerly in tests (see conftest.py), so each job has finished by the time its page
loads; the journeys still go through the pages a person sees while it runs and after."""

import csv
import io
import re
from datetime import datetime, time, timedelta
from decimal import Decimal
from pathlib import Path
from unittest import mock

import pytest
from django.core.files.base import ContentFile
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import expect

from accounts.tests.factories import PASSWORD, StaffFactory, UserFactory, authenticator_code, authenticator_for
from booking_site.lib.jobs import job_claim, job_progress
from bookings.models import BookingExport
from bookings.services import exports
from bookings.tests.factories import make_booking
from flights.imports.services import flight_import_run, flight_import_start
from flights.models import Flight, FlightImport
from flights.tests.factories import AirportFactory, FlightFactory
from notifications.models import Alert, OutboxMessage
from tests.browser.helpers import LONDON, london_day, search_flights

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.browser]

IMPORT_HEADER = "flight_number,origin,destination,departure_local,arrival_local,price,capacity,layout"


@pytest.fixture(autouse=True)
def _files_in_a_temporary_media_root(settings, tmp_path):
    # Export files are written under MEDIA_ROOT: keep them out of the checkout's var/media.
    settings.MEDIA_ROOT = str(tmp_path / "media")
    settings.EXPORT_EXPIRY_HOURS = 24


@pytest.fixture
def airports():
    return {
        "LHR": AirportFactory(
            iata="LHR", icao="EGLL", city="London", name="London Heathrow Airport", tz="Europe/London"
        ),
        "JFK": AirportFactory(
            iata="JFK", icao="KJFK", city="New York", name="John F Kennedy International Airport", tz="America/New_York"
        ),
        "CDG": AirportFactory(
            iata="CDG", icao="LFPG", city="Paris", name="Paris Charles de Gaulle Airport", tz="Europe/Paris"
        ),
    }


@pytest.fixture
def two_flights(airports):
    """SK117 London–New York and SK330 London–Paris, a few days ahead."""

    def flight(number, destination, days_ahead, at, minutes, price):
        departs = datetime.combine(london_day(days_ahead), at, tzinfo=LONDON)
        return FlightFactory(
            number=number,
            origin=airports["LHR"],
            destination=airports[destination],
            departs_at=departs,
            arrives_at=departs + timedelta(minutes=minutes),
            price=Decimal(price),
        )

    return {
        "SK117": flight("SK117", "JFK", 4, time(13, 5), 490, "389.50"),
        "SK330": flight("SK330", "CDG", 9, time(7, 15), 75, "89.00"),
    }


def _log_in(page, email: str, display_name: str, *, authenticator=None) -> None:
    """Through the login form; with `authenticator` (staff), then through the two-step page."""
    page.goto("/")
    page.get_by_role("link", name="Log in").click()
    page.get_by_label("E-mail address").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    if authenticator is not None:
        expect(page.get_by_role("heading", name="Two-step sign-in")).to_be_visible()
        page.get_by_label("Code").fill(authenticator_code(authenticator))
        page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("link", name=display_name)).to_be_visible()


def _bell(page):
    """The navbar's alerts link; its accessible name says how many are unread."""
    return page.get_by_role("navigation").locator("a.nav-alerts")


def test_passenger_exports_bookings_follows_the_alert_and_downloads_the_csv(page, screenshot, two_flights):
    ada = UserFactory(first_name="Ada", last_name="Lovelace", email="ada@example.test")
    paris = make_booking(user=ada, flight=two_flights["SK330"], names=["Ada Lovelace"])
    new_york = make_booking(user=ada, flight=two_flights["SK117"], names=["Ada Lovelace", "Charles Babbage"])
    _log_in(page, ada.email, "Ada Lovelace")
    expect(_bell(page)).to_have_accessible_name("Alerts, none unread")

    page.get_by_role("navigation").get_by_role("link", name="My bookings", exact=True).click()
    expect(page.get_by_role("heading", name="My bookings")).to_be_visible()
    page.get_by_role("button", name="Export my bookings (CSV)").click()

    expect(page.get_by_role("heading", name="Export of my bookings")).to_be_visible()
    expect(page.get_by_text("Your export has started.")).to_be_visible()
    expect(page.get_by_role("heading", name="Your file is ready")).to_be_visible()
    expect(page.get_by_text("2 bookings, one row per passenger")).to_be_visible()
    expect(page.get_by_role("link", name="Download my bookings (CSV)")).to_be_visible()
    expect(_bell(page)).to_have_accessible_name("1 unread alert")
    expect(_bell(page).locator(".badge")).to_have_text("1")
    screenshot(page, "export-ready")
    export = BookingExport.objects.get(user=ada)
    assert export.status == BookingExport.Status.DONE
    assert OutboxMessage.objects.filter(to=ada.email, template="export_ready").count() == 1

    _bell(page).click()
    expect(page.get_by_role("heading", name="Alerts")).to_be_visible()
    alert = page.get_by_role("listitem").filter(has_text="Your bookings export (CSV) is ready to download.")
    expect(alert).to_contain_text("New")
    screenshot(page, "alerts")
    alert.get_by_role("link", name="Your bookings export (CSV) is ready to download.").click()

    expect(page.get_by_role("heading", name="Export of my bookings")).to_be_visible()
    with page.expect_download() as download:
        page.get_by_role("link", name="Download my bookings (CSV)").click()
    assert download.value.suggested_filename.endswith(".csv")
    rows = list(csv.reader(io.StringIO(Path(download.value.path()).read_text(encoding="utf-8-sig"))))
    assert rows[0][:4] == ["Booking reference", "Booking status", "Booked at (UTC)", "Flight"]
    references = [row[0] for row in rows[1:]]
    assert sorted(references) == sorted([paris.reference, new_york.reference, new_york.reference])
    charles = next(row for row in rows[1:] if row[rows[0].index("Passenger")] == "Charles Babbage")
    assert charles[rows[0].index("Flight")] == "SK117"

    # Following the alert does not mark it read; the button does, and the badge goes.
    expect(_bell(page)).to_have_accessible_name("1 unread alert")
    _bell(page).click()
    page.get_by_role("button", name="Mark all as read").click()
    expect(page.get_by_text("Marked 1 alert as read.")).to_be_visible()
    expect(_bell(page)).to_have_accessible_name("Alerts, none unread")
    expect(_bell(page).locator(".badge")).to_have_count(0)
    expect(page.get_by_role("button", name="Mark all as read")).to_have_count(0)
    assert not Alert.objects.filter(user_id=ada.pk, read_at__isnull=True).exists()


def test_the_export_page_follows_a_running_export_and_shows_the_file_when_ready(page, screenshot, two_flights):
    """The page polls the export's progress (static/js/job_progress.js): the bar and the
    sentence move as the job reports, and the page turns into the download once it is done."""
    ada = UserFactory(first_name="Ada", last_name="Lovelace", email="ada@example.test")
    make_booking(user=ada, flight=two_flights["SK330"], names=["Ada Lovelace"])
    make_booking(user=ada, flight=two_flights["SK117"], names=["Ada Lovelace"])
    export = BookingExport.objects.create(user=ada)  # its task has not started yet
    run_id = job_claim(BookingExport, export.pk, now=timezone.now())
    job_progress(BookingExport, export.pk, run_id, 0, 4)
    _log_in(page, ada.email, "Ada Lovelace")

    page.goto(reverse("bookings:export", args=[export.pk]))
    bar = page.get_by_role("progressbar", name="Export progress")
    expect(page.get_by_text("0 of 4 bookings written")).to_be_visible()
    expect(bar).to_have_attribute("aria-valuenow", "0")

    job_progress(BookingExport, export.pk, run_id, 3)
    expect(page.get_by_text("3 of 4 bookings written")).to_be_visible()
    expect(bar).to_have_attribute("aria-valuenow", "75")
    expect(bar).to_contain_text("75%")
    screenshot(page, "export-progress")

    # That run's worker dies; the sweep's run takes the export over and writes the file.
    BookingExport.objects.filter(pk=export.pk).update(heartbeat_at=timezone.now() - BookingExport.STALE_AFTER * 2)
    assert exports.export_run(export_id=export.pk) is True
    expect(page.get_by_role("heading", name="Your file is ready")).to_be_visible()
    expect(page.get_by_text("2 bookings, one row per passenger")).to_be_visible()
    expect(page.get_by_role("progressbar")).to_have_count(0)


def _import_file(rows: list[str]) -> dict:
    return {
        "name": "summer-schedule.csv",
        "mimeType": "text/csv",
        "buffer": "\n".join([IMPORT_HEADER, *rows, ""]).encode(),
    }


def _upload(page, file: dict) -> None:
    page.get_by_label("CSV file").set_input_files(file)
    page.get_by_role("button", name="Upload and import").click()


def test_staff_imports_flights_fixes_a_bad_row_and_reimporting_changes_nothing(page, screenshot, airports):
    staff = StaffFactory(first_name="Grace", last_name="Hopper", email="grace@skyway.test")
    day = london_day(12)
    good = [
        f"SK777,LHR,JFK,{day} 10:20,{day} 13:10,359.00,180,3-3",
        f"SK778,JFK,LHR,{day} 18:30,{day + timedelta(days=1)} 06:35,379.00,,",
    ]
    bad = [good[0], f"SK778,JFK,XYZ,{day} 18:30,{day + timedelta(days=1)} 06:35,379.00,,"]
    _log_in(page, staff.email, "Grace Hopper", authenticator=authenticator_for(staff))

    page.get_by_role("link", name="Schedule").click()
    page.get_by_role("link", name="Import flights").click()
    expect(page.get_by_role("heading", name="Import flights from a CSV file")).to_be_visible()
    with page.expect_download() as download:
        page.get_by_role("link", name="Download a sample file").click()
    assert download.value.suggested_filename == "flight-import-sample.csv"
    sample = Path(download.value.path()).read_text(encoding="utf-8")
    assert IMPORT_HEADER in sample.splitlines()

    # One unknown airport on row 3 (the header is row 1): nothing at all is imported.
    _upload(page, _import_file(bad))
    expect(page.get_by_role("heading", name="Import of summer-schedule.csv")).to_be_visible()
    expect(page.get_by_role("heading", name="Nothing was imported: 1 error in the file")).to_be_visible()
    errors = page.get_by_role("list", name="Errors")
    expect(errors.get_by_role("listitem")).to_have_count(1)
    expect(errors).to_contain_text(re.compile(r"Row 3\b.*No airport has the IATA code XYZ"))
    expect(page.get_by_text("No flight was added or changed.")).to_be_visible()
    screenshot(page, "import-errors")
    assert not Flight.objects.filter(number__in=["SK777", "SK778"]).exists()

    page.get_by_role("link", name="Upload a corrected file").click()
    _upload(page, _import_file(good))
    expect(page.get_by_role("heading", name="Imported", exact=True)).to_be_visible()
    result = page.get_by_role("list", name="Result")
    expect(result).to_contain_text("2 flights created")
    expect(result).to_contain_text("0 updated")
    expect(result).to_contain_text("0 unchanged")
    screenshot(page, "import-done")
    assert Flight.objects.filter(number__in=["SK777", "SK778"]).count() == 2

    # The same file again: every flight is already there as in the file.
    page.get_by_role("link", name="Import flights", exact=True).first.click()
    _upload(page, _import_file(good))
    expect(page.get_by_role("heading", name="Imported", exact=True)).to_be_visible()
    expect(result).to_contain_text("0 flights created")
    expect(result).to_contain_text("0 updated")
    expect(result).to_contain_text("2 unchanged")
    assert Flight.objects.filter(number__in=["SK777", "SK778"]).count() == 2
    assert list(FlightImport.objects.order_by("pk").values_list("status", flat=True)) == ["invalid", "done", "done"]

    page.get_by_role("link", name="Import flights", exact=True).first.click()
    history = page.get_by_role("row").filter(has_text="summer-schedule.csv")
    expect(history).to_have_count(3)
    expect(history.first).to_contain_text("0 created, 0 updated, 2 unchanged")
    screenshot(page, "import-upload")

    page.get_by_role("link", name="Search flights").click()
    search_flights(page, "LHR", "JFK", day)
    found = page.get_by_role("article").filter(has_text="SK777")
    expect(found).to_contain_text("10:20")
    expect(found).to_contain_text("13:10")
    expect(found).to_contain_text("180 seats left")


def test_the_import_status_page_follows_each_step_and_shows_the_result(page, screenshot, airports):
    """The status page polls the import's progress (static/js/job_progress.js): waiting, then
    step 1 (rows checked) and step 2 (rows imported), and the result once it is finished."""
    staff = StaffFactory(first_name="Grace", last_name="Hopper", email="grace@skyway.test")
    day = london_day(20)
    rows = [f"SK{900 + index},LHR,CDG,{day} {8 + index:02d}:00,{day} {9 + index:02d}:15,99.00,," for index in range(4)]
    data = _import_file(rows)["buffer"]
    with mock.patch("flights.tasks.flight_import_run.delay"):  # the broker: this test runs the job itself
        flight_import = flight_import_start(user=staff, upload=ContentFile(data, name="autumn.csv"))
    _log_in(page, staff.email, "Grace Hopper", authenticator=authenticator_for(staff))

    page.goto(reverse("staff:import_status", args=[flight_import.pk]))
    expect(page.get_by_text("Waiting for a worker to start the import")).to_be_visible()

    run_id = job_claim(FlightImport, flight_import.pk, now=timezone.now())
    job_progress(FlightImport, flight_import.pk, run_id, 1)
    expect(page.get_by_text("Step 1 of 2: Checking rows: 1 of 4")).to_be_visible()  # a new step: the page reloaded
    job_progress(FlightImport, flight_import.pk, run_id, 3)
    expect(page.get_by_text("Checking rows: 3 of 4")).to_be_visible()
    expect(page.get_by_role("progressbar", name="Step 1 of 2: Checking rows: 3 of 4")).to_have_attribute(
        "aria-valuenow", "75"
    )
    job_progress(FlightImport, flight_import.pk, run_id, 2, status=FlightImport.Status.IMPORTING)
    expect(page.get_by_text("Step 2 of 2: Importing rows: 2 of 4")).to_be_visible()
    screenshot(page, "import-progress")

    # That run's worker dies; the sweep's run takes the import over and does it all.
    FlightImport.objects.filter(pk=flight_import.pk).update(heartbeat_at=timezone.now() - FlightImport.STALE_AFTER * 2)
    assert flight_import_run(import_id=flight_import.pk) is True
    expect(page.get_by_role("heading", name="Imported", exact=True)).to_be_visible()
    expect(page.get_by_role("list", name="Result")).to_contain_text("4 flights created")
    assert Flight.objects.filter(number__startswith="SK9").count() == 4


def test_staff_reads_the_confirmation_and_export_ready_mails(page, screenshot, two_flights):
    staff = StaffFactory(first_name="Grace", last_name="Hopper", email="grace@skyway.test")
    ada = UserFactory(first_name="Ada", last_name="Lovelace", email="ada@example.test")
    booking = make_booking(user=ada, flight=two_flights["SK117"], names=["Ada Lovelace"])
    exports.export_start(user=ada)  # runs at once: Celery is eager in tests
    _log_in(page, staff.email, "Grace Hopper", authenticator=authenticator_for(staff))

    page.get_by_role("navigation").get_by_role("link", name="Sent mail").click()
    expect(page.get_by_role("heading", name="Sent mail")).to_be_visible()
    expect(page.get_by_text("2 sent")).to_be_visible()
    confirmation = page.get_by_role("row").filter(
        has_text=f"Booking confirmed: SK117 to New York (JFK) ({booking.reference})"
    )
    expect(confirmation).to_contain_text("ada@example.test")
    expect(confirmation).to_contain_text("Sent")
    ready = page.get_by_role("row").filter(has_text="Your bookings export is ready")
    expect(ready).to_contain_text("export_ready")
    expect(ready).to_contain_text("Sent")
    screenshot(page, "sent-mail")

    page.get_by_label("Recipient, subject or template").fill("export_ready")
    page.get_by_role("button", name="Filter").click()
    expect(page.get_by_role("row").filter(has_text="ada@example.test")).to_have_count(1)
    page.get_by_role("link", name="Clear filters").click()

    confirmation.get_by_role("link", name=re.compile(r"^Booking confirmed")).click()
    expect(
        page.get_by_role("heading", name=f"Booking confirmed: SK117 to New York (JFK) ({booking.reference})")
    ).to_be_visible()
    html = page.frame_locator("iframe[title='HTML version of the e-mail']")
    expect(html.get_by_text(booking.reference).first).to_be_visible()
    expect(page.locator("pre").filter(has_text=booking.reference).first).to_be_visible()
    screenshot(page, "sent-mail-message")
