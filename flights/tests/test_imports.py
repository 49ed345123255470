"""Staff bulk import of flights from CSV (flights.imports): upload, validation, all-or-nothing.

The files go through the staff upload page, as staff send them; the pages themselves (status,
sample file, access, the one-time token): staff/tests/test_imports.py."""

import threading
import time
import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from unittest import mock
from zoneinfo import ZoneInfo

import pytest
from django.core.cache import cache
from django.core.files.base import ContentFile
from django.db import connection, transaction
from django.urls import reverse
from django.utils import timezone

from accounts.tests.factories import StaffFactory, verified_login
from bookings.tests.factories import make_booking
from flights.imports.parsing import COLUMNS, ImportFileError, read_rows
from flights.imports.services import flight_import_run, flight_import_start, flight_imports_resume
from flights.imports.validation import MAX_ERRORS
from flights.models import Flight, FlightImport
from flights.search_cache import _version_key
from flights.tests.factories import AirportFactory, FlightFactory
from flights.tests.import_files import DAY, csv_bytes, latest_import, row, upload

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def airports():
    return {
        "LHR": AirportFactory(iata="LHR", city="London", tz="Europe/London"),
        "JFK": AirportFactory(iata="JFK", city="New York", tz="America/New_York"),
        "CDG": AirportFactory(iata="CDG", city="Paris", tz="Europe/Paris"),
    }


@pytest.fixture
def staff():
    return StaffFactory()


@pytest.fixture
def staff_client(client, staff):
    verified_login(client, staff)
    return client


# A valid import


def test_staff_import_creates_flights_in_utc_with_default_capacity_and_layout(
    staff_client, staff, airports, django_capture_on_commit_callbacks
):
    data = csv_bytes(
        [
            row(),
            row(
                number="sk 102",
                origin="jfk",
                destination="lhr",
                departs="18:30",
                arrives="06:40",
                arrives_day=DAY + timedelta(days=1),
                capacity="180",
                layout="2-3-2",
            ),
        ]
    )
    response = upload(staff_client, data, django_capture_on_commit_callbacks)

    flight_import = latest_import()
    assert response.status_code == 302
    assert response.url == reverse("staff:import_status", args=[flight_import.pk])
    assert flight_import.status == FlightImport.Status.DONE
    assert (flight_import.created_count, flight_import.updated_count, flight_import.unchanged_count) == (2, 0, 0)
    first = Flight.objects.get(number="SK101")
    london = ZoneInfo("Europe/London")
    assert first.departs_at == datetime.combine(DAY, datetime.strptime("09:15", "%H:%M").time(), tzinfo=london)
    assert first.arrives_local().strftime("%H:%M") == "12:05"
    assert (first.capacity, first.layout, first.price) == (60, "3-3", Decimal("129.00"))
    second = Flight.objects.get(number="SK102")
    assert (second.origin.iata, second.destination.iata, second.capacity, second.layout) == ("JFK", "LHR", 180, "2-3-2")
    assert second.departs_local().strftime("%H:%M") == "18:30" and second.arrives_local().date() == DAY + timedelta(1)
    assert flight_import.created_by == staff and flight_import.file_name == "timetable.csv"


def test_the_upload_is_kept_in_the_default_storage(staff, airports, django_capture_on_commit_callbacks, tmp_path):
    data = csv_bytes([row()])
    with django_capture_on_commit_callbacks(execute=False):
        flight_import = flight_import_start(user=staff, upload=ContentFile(data, name="my schedule.csv"))
    assert flight_import.created_by == staff and flight_import.status == FlightImport.Status.PENDING
    assert flight_import.file.name.startswith("flight-imports/") and flight_import.file.name.endswith(".csv")
    assert (tmp_path / flight_import.file.name).read_bytes() == data
    assert (flight_import.file_name, flight_import.file_size, flight_import.progress_total) == (
        "my schedule.csv",
        len(data),
        1,
    )


def test_a_bom_and_semicolons_are_accepted(staff_client, airports, django_capture_on_commit_callbacks):
    data = b"\xef\xbb\xbf" + csv_bytes([row(price="99.50")], delimiter=";")
    upload(staff_client, data, django_capture_on_commit_callbacks)
    assert latest_import().status == FlightImport.Status.DONE
    assert Flight.objects.get(number="SK101").price == Decimal("99.50")


def test_day_first_dates_as_spreadsheets_write_them_are_accepted(
    staff_client, airports, django_capture_on_commit_callbacks
):
    values = row(departs_day=f"{DAY:%d/%m/%Y}", arrives_day=f"{DAY:%d/%m/%Y}")
    upload(staff_client, csv_bytes([values]), django_capture_on_commit_callbacks)
    assert latest_import().status == FlightImport.Status.DONE
    assert Flight.objects.get().departs_local().date() == DAY


def test_columns_may_come_in_any_order_and_optional_ones_may_be_left_out(
    staff_client, airports, django_capture_on_commit_callbacks
):
    header = ("price", "arrival_local", "departure_local", "destination", "origin", "Flight Number")
    values = row()
    values["Flight Number"] = values["flight_number"]
    upload(staff_client, csv_bytes([values], header=header), django_capture_on_commit_callbacks)
    assert latest_import().status == FlightImport.Status.DONE
    assert Flight.objects.get(number="SK101").capacity == 60


def test_search_results_for_the_imported_route_days_are_invalidated(
    staff_client, airports, django_capture_on_commit_callbacks
):
    key = _version_key(airports["LHR"].pk, airports["JFK"].pk, DAY)
    cache.set(key, 4, 3600)
    upload(
        staff_client,
        csv_bytes([row(), row(number="SK102", departs="13:00", arrives="16:00")]),
        django_capture_on_commit_callbacks,
    )
    assert cache.get(key) == 5  # one bump for the route-day, however many flights it gained
    assert cache.get(_version_key(airports["JFK"].pk, airports["LHR"].pk, DAY)) is None


def test_an_import_goes_through_with_redis_down(staff_client, airports, django_capture_on_commit_callbacks, settings):
    """Search invalidation lives in Redis; it may not stop an import (progress is in the row)."""
    settings.CACHES = {"default": {**settings.CACHES["default"], "LOCATION": "redis://127.0.0.1:9/0"}}
    upload(staff_client, csv_bytes([row(), row(number="SK102")]), django_capture_on_commit_callbacks)
    flight_import = latest_import()
    assert flight_import.status == FlightImport.Status.DONE and Flight.objects.count() == 2
    assert flight_import.created_count == 2
    progress = staff_client.get(reverse("staff:import_progress", args=[flight_import.pk])).json()
    assert (progress["done"], progress["total"], progress["percent"], progress["finished"]) == (2, 2, 100, True)


def test_a_search_cached_before_the_import_shows_the_imported_flight(
    staff_client, airports, django_capture_on_commit_callbacks
):
    from django.test import Client

    search = {"origin": "LHR", "destination": "JFK", "date": DAY.isoformat(), "passengers": 1}
    visitor = Client()
    assert "SK101" not in visitor.get(reverse("flights:search"), search).content.decode()  # now cached
    upload(staff_client, csv_bytes([row()]), django_capture_on_commit_callbacks)
    assert "SK101" in visitor.get(reverse("flights:search"), search).content.decode()


# Row-numbered errors, all or nothing


def test_row_errors_are_numbered_as_in_the_spreadsheet_and_nothing_is_imported(
    staff_client, airports, django_capture_on_commit_callbacks
):
    rows = [
        row(),
        row(number="SK102", origin="XXX"),
        row(number="SK103", price="12,50"),
        row(number="S", destination="LHR"),
        row(number="SK105", departs_day="tomorrow", departs=""),
        row(number="SK106", arrives="03:00"),
    ]
    upload(staff_client, csv_bytes(rows, preamble=["# our winter schedule"]), django_capture_on_commit_callbacks)

    flight_import = latest_import()
    assert flight_import.status == FlightImport.Status.INVALID
    assert flight_import.errors == [
        "Row 4: origin: No airport has the IATA code XXX.",
        "Row 5: price: Enter a number.",
        "Row 6: flight_number: Use an airline code and a number, like SK123.",
        "Row 6: destination: Origin and destination must differ.",
        "Row 7: departure_local: 'tomorrow' is not a date and time; write it like 2026-12-01 09:15.",
        "Row 8: arrival_local: Arrival must be after departure (times are local to each airport).",
    ]
    assert flight_import.error_count == 6
    assert not Flight.objects.exists()
    page = staff_client.get(reverse("staff:import_status", args=[flight_import.pk])).content.decode()
    assert "Nothing was imported: 6 errors in the file" in page
    assert "Row 4: origin: No airport has the IATA code XXX." in page


def test_one_bad_row_among_many_imports_nothing(staff_client, airports, django_capture_on_commit_callbacks):
    rows = [row(number=f"SK{100 + index}") for index in range(60)]
    rows[41]["capacity"] = "601"
    upload(staff_client, csv_bytes(rows), django_capture_on_commit_callbacks)
    flight_import = latest_import()
    assert flight_import.status == FlightImport.Status.INVALID
    assert flight_import.errors == ["Row 43: capacity: Ensure this value is less than or equal to 600."]
    assert (flight_import.progress_done, flight_import.progress_total) == (60, 60)  # every row was checked
    assert not Flight.objects.exists()


def test_a_flight_twice_in_the_file_is_an_error(staff_client, airports, django_capture_on_commit_callbacks):
    upload(staff_client, csv_bytes([row(), row(price="150.00")]), django_capture_on_commit_callbacks)
    assert latest_import().errors == [f"Row 3: flight SK101 departing {DAY} 09:15 is already on row 2."]
    assert not Flight.objects.exists()


def test_errors_listed_are_capped_and_all_are_counted(staff_client, airports, django_capture_on_commit_callbacks):
    rows = [row(number=f"SK{100 + index}", origin="ZZZ") for index in range(MAX_ERRORS + 50)]
    upload(staff_client, csv_bytes(rows), django_capture_on_commit_callbacks)
    flight_import = latest_import()
    assert len(flight_import.errors) == MAX_ERRORS and flight_import.error_count == MAX_ERRORS + 50
    page = staff_client.get(reverse("staff:import_status", args=[flight_import.pk])).content.decode()
    assert f"{MAX_ERRORS + 50} errors in all; only the first {MAX_ERRORS} are listed" in page


def test_a_row_with_a_value_in_an_unnamed_column_is_an_error(
    staff_client, airports, django_capture_on_commit_callbacks
):
    data = csv_bytes([row()]).rstrip(b"\n") + b",surprise\n"
    upload(staff_client, data, django_capture_on_commit_callbacks)
    assert latest_import().errors == ["Row 2: the value 'surprise' is in a column the header does not name."]


# Re-import and updates


def test_reimporting_a_flight_in_the_hour_the_clocks_go_back_changes_nothing(
    staff_client, airports, django_capture_on_commit_callbacks
):
    # 01:30 on 31 Oct 2027 happens twice in London (the first one, on summer time, is meant).
    data = csv_bytes([row(departs_day="2027-10-31", departs="01:30", arrives_day="2027-10-31", arrives="04:30")])
    upload(staff_client, data, django_capture_on_commit_callbacks)
    assert Flight.objects.get().departs_at == datetime(2027, 10, 31, 0, 30, tzinfo=UTC)
    upload(staff_client, data, django_capture_on_commit_callbacks)
    again = latest_import()
    assert again.status == FlightImport.Status.DONE, again.errors
    assert (again.created_count, again.updated_count, again.unchanged_count) == (0, 0, 1)


def test_a_local_time_the_clocks_skip_is_a_row_error(staff_client, airports, django_capture_on_commit_callbacks):
    data = csv_bytes([row(departs_day="2027-03-28", departs="01:30", arrives_day="2027-03-28", arrives="04:30")])
    upload(staff_client, data, django_capture_on_commit_callbacks)
    failed = latest_import()
    assert failed.status == FlightImport.Status.INVALID
    assert failed.errors == [
        "Row 2: departure_local: 01:30 on 28 Mar 2027 does not exist in LHR (the clocks go forward then)."
    ]
    assert not Flight.objects.exists()


def test_reimporting_the_same_file_changes_nothing(staff_client, airports, django_capture_on_commit_callbacks):
    data = csv_bytes([row(), row(number="SK102", capacity="90", layout="2-2")])
    upload(staff_client, data, django_capture_on_commit_callbacks)
    before = list(Flight.objects.order_by("pk").values())
    upload(staff_client, data, django_capture_on_commit_callbacks)

    again = latest_import()
    assert again.status == FlightImport.Status.DONE
    assert (again.created_count, again.updated_count, again.unchanged_count) == (0, 0, 2)
    assert list(Flight.objects.order_by("pk").values()) == before  # updated_at included
    page = staff_client.get(reverse("staff:import_status", args=[again.pk])).content.decode()
    assert "<strong>2</strong> unchanged" in page


def test_a_changed_row_updates_the_existing_flight_and_keeps_its_bookings(
    staff_client, airports, django_capture_on_commit_callbacks
):
    upload(staff_client, csv_bytes([row(), row(number="SK102")]), django_capture_on_commit_callbacks)
    flight = Flight.objects.get(number="SK101")
    make_booking(flight=flight, passengers=2)

    upload(
        staff_client,
        csv_bytes([row(price="149.00", capacity="90"), row(number="SK102"), row(number="SK103")]),
        django_capture_on_commit_callbacks,
    )
    flight_import = latest_import()
    assert (flight_import.created_count, flight_import.updated_count, flight_import.unchanged_count) == (1, 1, 1)
    flight.refresh_from_db()
    assert (flight.price, flight.capacity, flight.seats_booked) == (Decimal("149.00"), 90, 2)
    assert Flight.objects.count() == 3


def test_an_update_below_the_seats_booked_is_a_row_error_and_nothing_changes(
    staff_client, airports, django_capture_on_commit_callbacks
):
    upload(staff_client, csv_bytes([row(capacity="60")]), django_capture_on_commit_callbacks)
    flight = Flight.objects.get(number="SK101")
    make_booking(flight=flight, passengers=3)

    upload(
        staff_client,
        csv_bytes([row(number="SK099"), row(capacity="2", price="1.00")]),
        django_capture_on_commit_callbacks,
    )
    flight_import = latest_import()
    assert flight_import.status == FlightImport.Status.INVALID
    assert flight_import.errors == [
        "Row 3: flight SK101 exists and cannot be updated: 3 seats are already booked; capacity cannot go below that."
    ]
    flight.refresh_from_db()
    assert (flight.capacity, flight.price) == (60, Decimal("129.00"))
    assert not Flight.objects.filter(number="SK099").exists()  # the valid new row was rolled back too


def test_a_change_to_a_cancelled_flight_is_a_row_error(staff_client, airports, django_capture_on_commit_callbacks):
    departs = datetime.combine(DAY, datetime.strptime("09:15", "%H:%M").time(), tzinfo=ZoneInfo("Europe/London"))
    FlightFactory(
        number="SK101",
        origin=airports["LHR"],
        destination=airports["JFK"],
        departs_at=departs,
        arrives_at=departs + timedelta(hours=7, minutes=50),
        status=Flight.Status.CANCELLED,
    )
    upload(staff_client, csv_bytes([row(price="1.00")]), django_capture_on_commit_callbacks)
    assert latest_import().errors == [
        "Row 2: flight SK101 exists and cannot be updated: This flight is cancelled and can no longer be edited."
    ]


# The file as a whole: clear errors, nothing stored


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "The file is empty."),
        (b"\n\n  \n", "The file is empty."),
        (",".join(COLUMNS).encode() + b"\n", "The file has a header but no flights."),
        (b"# only a comment\n", "The file has only comments."),
        (
            "flight_number,origin,destination,departure_local,arrival_local,price\nSK1,ZRH,MÜN,,,1\n".encode("latin-1"),
            "The file is not UTF-8 text: line 2 has the byte 0xDC",
        ),
        (b"PK\x03\x04\x14\x00\x06\x00" + b"\x00" * 40, "This is a spreadsheet workbook"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "This is not a text file"),
        ("flight_number,origin\n".encode("utf-16"), "The file is UTF-16 text."),
        (b"SK101,LHR,JFK,2026-12-01 09:15,2026-12-01 12:05,129.00\n", "The first row must name the columns"),
        (
            b"flight_number,origin,destination,departure_local,arrival_local\nSK1,LHR,JFK,,\n",
            "The header lacks the column price.",
        ),
        (
            b"flight_number,origin,destination,departure_local,arrival_local,price,gate\n",
            "Unknown column in the header: 'gate'.",
        ),
        (
            b"flight_number,origin,destination,departure_local,arrival_local,price,price\n",
            "The header names price more than once.",
        ),
    ],
    ids=[
        "empty",
        "blank",
        "header-only",
        "comments-only",
        "latin-1",
        "xlsx",
        "binary",
        "utf-16",
        "no-header",
        "missing-column",
        "unknown-column",
        "repeated-column",
    ],
)
def test_a_file_that_cannot_be_imported_gets_a_clear_message_and_nothing_is_stored(
    staff_client, airports, django_capture_on_commit_callbacks, data, message, tmp_path
):
    response = upload(staff_client, data, django_capture_on_commit_callbacks)
    assert response.status_code == 400
    assert message in response.context["form"].errors["file"][0]
    assert not FlightImport.objects.exists() and not Flight.objects.exists()
    assert not any(tmp_path.rglob("*.csv"))


def test_a_file_over_the_size_limit_is_refused(staff_client, airports, django_capture_on_commit_callbacks, settings):
    settings.FLIGHT_IMPORT_MAX_BYTES = 1024
    rows = [row(number=f"SK{100 + index}") for index in range(30)]
    response = upload(staff_client, csv_bytes(rows), django_capture_on_commit_callbacks)
    assert response.status_code == 400
    assert "the limit is 1 KB" in response.context["form"].errors["file"][0]
    assert not FlightImport.objects.exists()


def test_a_file_with_too_many_rows_is_refused(staff_client, airports, django_capture_on_commit_callbacks, settings):
    settings.FLIGHT_IMPORT_MAX_ROWS = 2
    rows = [row(number=f"SK{100 + index}") for index in range(3)]
    response = upload(staff_client, csv_bytes(rows), django_capture_on_commit_callbacks)
    assert "The file has more than 2 flights" in response.context["form"].errors["file"][0]
    assert not FlightImport.objects.exists()


def test_a_csv_that_the_reader_rejects_is_a_file_error():
    with pytest.raises(ImportFileError, match="not valid CSV"):
        read_rows(b"flight_number,origin,destination,departure_local,arrival_local,price\n" + b"a" * 200_000 + b",\n")


# The task: idempotent, resumable


def test_running_the_import_twice_does_the_work_once(staff, airports, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        flight_import = flight_import_start(user=staff, upload=ContentFile(csv_bytes([row()]), name="a.csv"))
    assert len(callbacks) == 1  # the task is enqueued on commit
    assert flight_import_run(import_id=flight_import.pk) is True
    assert flight_import_run(import_id=flight_import.pk) is False
    flight_import.refresh_from_db()
    assert flight_import.status == FlightImport.Status.DONE and flight_import.created_count == 1
    assert Flight.objects.count() == 1


def test_an_import_whose_worker_died_can_run_again(staff, airports, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False):
        flight_import = flight_import_start(user=staff, upload=ContentFile(csv_bytes([row()]), name="a.csv"))
    FlightImport.objects.filter(pk=flight_import.pk).update(
        status=FlightImport.Status.IMPORTING,
        run_id=uuid.uuid4(),
        started_at=timezone.now() - timedelta(hours=2),
        heartbeat_at=timezone.now() - timedelta(seconds=30),
    )
    assert flight_import_run(import_id=flight_import.pk) is False  # its heartbeat is recent: still running
    assert flight_imports_resume() == 0
    stopped = timezone.now() - FlightImport.STALE_AFTER - timedelta(seconds=1)
    FlightImport.objects.filter(pk=flight_import.pk).update(heartbeat_at=stopped)
    with django_capture_on_commit_callbacks(execute=True):
        assert flight_imports_resume() == 1  # the sweep hands it to a worker again
    flight_import.refresh_from_db()
    assert flight_import.status == FlightImport.Status.DONE
    assert Flight.objects.count() == 1


def test_an_import_the_broker_never_got_is_enqueued_again_by_the_sweep(
    staff, airports, django_capture_on_commit_callbacks
):
    with mock.patch("flights.tasks.flight_import_run.delay", side_effect=ConnectionError("redis down")):
        with django_capture_on_commit_callbacks(execute=True):
            flight_import = flight_import_start(user=staff, upload=ContentFile(csv_bytes([row()]), name="a.csv"))
    flight_import.refresh_from_db()
    assert flight_import.status == FlightImport.Status.PENDING
    assert flight_imports_resume() == 0  # not yet: its task may still be on its way
    FlightImport.objects.filter(pk=flight_import.pk).update(created_at=timezone.now() - timedelta(minutes=5))
    with django_capture_on_commit_callbacks(execute=True):
        assert flight_imports_resume() == 1
    flight_import.refresh_from_db()
    assert flight_import.status == FlightImport.Status.DONE


# Progress


@pytest.mark.django_db(transaction=True)
def test_progress_is_visible_while_the_import_transaction_is_open(settings, airports, client):
    """The import holds its transaction open (a changed row waits for a flight row another
    connection has locked); meanwhile its row shows the progress and a fresh heartbeat (the
    reports go through a connection of their own), the status JSON says so, and the schedule
    shows none of its new flights."""
    settings.BOOKING_LOCK_TIMEOUT_MS = 20_000
    departs = datetime.combine(DAY, datetime.strptime("09:15", "%H:%M").time(), tzinfo=ZoneInfo("Europe/London"))
    locked = FlightFactory(
        number="SK100",
        origin=airports["LHR"],
        destination=airports["JFK"],
        departs_at=departs,
        arrives_at=departs + timedelta(hours=7, minutes=50),
    )
    rows = [row(number="SK100", price="1.00")] + [row(number=f"SK{200 + index}") for index in range(1200)]
    staff = StaffFactory()
    with mock.patch("flights.tasks.flight_import_run.delay"):  # the broker: this test runs the task itself
        flight_import = flight_import_start(user=staff, upload=ContentFile(csv_bytes(rows), name="a.csv"))
    claimed_at = timezone.now()
    verified_login(client, staff)

    def run():
        try:
            flight_import_run(import_id=flight_import.pk)
        finally:
            connection.close()

    with transaction.atomic():
        Flight.objects.select_for_update().get(pk=locked.pk)
        worker = threading.Thread(target=run)
        worker.start()
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            flight_import.refresh_from_db()
            if flight_import.status == FlightImport.Status.IMPORTING and flight_import.progress_done >= 1200:
                break
            time.sleep(0.05)
        assert flight_import.status == FlightImport.Status.IMPORTING and not flight_import.is_finished
        assert flight_import.progress_done >= 1200 and flight_import.progress_total == 1201
        assert flight_import.heartbeat_at >= claimed_at
        progress = client.get(reverse("staff:import_progress", args=[flight_import.pk])).json()
        assert progress["status"] == "importing" and progress["finished"] is False
        assert progress["done"] >= 1200 and progress["total"] == 1201 and progress["text"].startswith("Importing rows")
        assert Flight.objects.count() == 1  # the import's rows are not committed yet
    worker.join(timeout=30)
    flight_import.refresh_from_db()
    assert flight_import.status == FlightImport.Status.DONE
    assert (flight_import.created_count, flight_import.updated_count) == (1200, 1)
    assert (flight_import.progress_done, flight_import.progress_total) == (1201, 1201)
    assert Flight.objects.count() == 1201


# NUL bytes (PostgreSQL text cannot hold them): a row-numbered error, wherever they are.


@pytest.mark.parametrize("where", ["first row", "after 64 KiB"])
def test_a_nul_byte_in_a_cell_is_a_row_numbered_error_and_imports_nothing(
    staff_client, airports, django_capture_on_commit_callbacks, where
):
    rows = [row(number=f"SK{1000 + index}") for index in range(1600)]
    target = 0 if where == "first row" else 1500
    rows[target] = {**rows[target], "flight_number": "SK\x0077"}
    data = csv_bytes(rows)
    assert data.index(b"\x00") > (65536 if where == "after 64 KiB" else 0)

    response = upload(staff_client, data, django_capture_on_commit_callbacks)

    assert response.status_code == 302
    flight_import = latest_import()
    assert flight_import.status == FlightImport.Status.INVALID
    assert flight_import.errors == [
        f"Row {target + 2}: flight_number: the cell contains a NUL character (byte 0x00), which is not text."
    ]
    assert Flight.objects.count() == 0


def test_a_file_full_of_nul_bytes_is_refused_as_binary(staff_client, airports, django_capture_on_commit_callbacks):
    data = csv_bytes([row()]) + b"\x00" * 200
    response = upload(staff_client, data, django_capture_on_commit_callbacks)
    assert response.status_code == 400
    assert "This is not a text file" in response.content.decode()
    assert not FlightImport.objects.exists()


def test_an_uploaded_file_name_with_control_characters_is_stored_without_them(
    staff_client, airports, django_capture_on_commit_callbacks
):
    upload(staff_client, csv_bytes([row()]), django_capture_on_commit_callbacks, name="time\x00ta\x1bble.csv")
    assert latest_import().file_name == "timetable.csv"
    assert Flight.objects.count() == 1
