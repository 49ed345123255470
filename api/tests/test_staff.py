"""The staff endpoints of /api/v1/: the schedule (add, edit, delay, remove flights), CSV
imports, manifests and users. Their rules are the staff pages' (flights.forms.StaffFlightForm,
flights.services, bookings.services.flight_remove, flights.imports), so the same inputs must
give the same outcomes; and a passenger gets 403 everywhere and changes nothing."""

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from urllib.parse import parse_qs, urlsplit

import pytest
from django.conf import settings
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from rest_framework.test import APIClient

from accounts.tests.factories import StaffFactory, UserFactory
from bookings.models import Booking, Payment, Ticket
from bookings.tests.factories import make_booking, make_hold
from flights.models import Flight, FlightImport
from flights.tests.factories import AirportFactory, FlightFactory
from flights.tests.import_files import csv_bytes, row
from notifications.models import OutboxMessage

from .helpers import assert_problem, bearer_client, verified_staff_client

pytestmark = pytest.mark.django_db

NOW = datetime(2027, 1, 10, 12, 0, tzinfo=UTC)
DAY = date(2027, 3, 1)  # winter time: London UTC+0, New York UTC-5, Tokyo UTC+9


@pytest.fixture(autouse=True)
def _clock(time_machine):
    time_machine.move_to(NOW, tick=True)


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def airports():
    return {
        "LHR": AirportFactory(iata="LHR", city="London", tz="Europe/London"),
        "JFK": AirportFactory(iata="JFK", city="New York", country="US", tz="America/New_York"),
        "NRT": AirportFactory(iata="NRT", city="Tokyo", country="JP", tz="Asia/Tokyo"),
        "CDG": AirportFactory(iata="CDG", city="Paris", country="FR", tz="Europe/Paris"),
    }


@pytest.fixture
def staff():
    return StaffFactory(email="ops@example.test", first_name="Olive", last_name="Ops")


@pytest.fixture
def staff_api(staff):
    return verified_staff_client(staff)


@pytest.fixture
def passenger_api():
    client = APIClient()
    client.force_authenticate(UserFactory())
    return client


def flight_at(origin, destination, departs: datetime, minutes: int = 8 * 60, **more) -> Flight:
    return FlightFactory(
        origin=origin,
        destination=destination,
        departs_at=departs,
        arrives_at=departs + timedelta(minutes=minutes),
        **more,
    )


def new_flight(**changes) -> dict:
    return {
        "number": "SK901",
        "origin": "LHR",
        "destination": "JFK",
        "departs_local": "2027-03-01T08:30",
        "arrives_local": "2027-03-01T11:45",
        "price": "249.00",
        "capacity": 60,
        **changes,
    }


def flight_changed_mail() -> list[OutboxMessage]:
    return list(OutboxMessage.objects.filter(template="flight_changed").order_by("to"))


# Add a flight ---------------------------------------------------------------------------------


def test_staff_create_a_flight_from_local_times_in_each_airports_zone(staff_api, airports):
    response = staff_api.post("/api/v1/flights", new_flight(number="sk901"), format="json")
    assert response.status_code == 201, response.content
    flight = Flight.objects.get()
    assert response["Location"] == f"http://testserver/api/v1/flights/{flight.pk}"
    assert flight.number == "SK901"
    assert flight.departs_at == datetime(2027, 3, 1, 8, 30, tzinfo=UTC)  # GMT
    assert flight.arrives_at == datetime(2027, 3, 1, 16, 45, tzinfo=UTC)  # EST is UTC-5
    assert (flight.price, flight.capacity, flight.seats_booked) == (Decimal("249.00"), 60, 0)
    body = response.json()
    assert body["id"] == flight.pk
    assert body["departs_local"] == "2027-03-01T08:30:00+00:00"
    assert body["arrives_local"] == "2027-03-01T11:45:00-05:00"
    assert body["price"] == {"amount": "249.00", "currency": settings.CURRENCY}
    assert staff_api.get(response["Location"]).json() == body


def test_staff_create_uses_summer_time_when_the_date_is_in_summer(staff_api, airports):
    response = staff_api.post(
        "/api/v1/flights",
        new_flight(
            origin="JFK",
            destination="NRT",
            departs_local="2027-07-01T23:30",
            arrives_local="2027-07-03T02:45",
            layout="3-4-3",
            capacity=300,
        ),
        format="json",
    )
    assert response.status_code == 201, response.content
    flight = Flight.objects.get()
    assert flight.departs_at == datetime(2027, 7, 2, 3, 30, tzinfo=UTC)  # EDT is UTC-4
    assert flight.arrives_at == datetime(2027, 7, 2, 17, 45, tzinfo=UTC)  # JST is UTC+9
    assert (flight.layout, flight.capacity) == ("3-4-3", 300)


def test_staff_create_with_a_bearer_token(staff, airports):
    response = bearer_client(staff).post("/api/v1/flights", new_flight(), format="json")
    assert response.status_code == 201, response.content


def test_a_local_time_the_clocks_skip_is_refused(staff_api, airports):
    # 28 March 2027: London's clocks jump from 01:00 to 02:00.
    response = staff_api.post(
        "/api/v1/flights",
        new_flight(departs_local="2027-03-28T01:30", arrives_local="2027-03-28T09:00"),
        format="json",
    )
    body = assert_problem(response, 400, "validation_error")
    assert "departs_local" in body["errors"]
    assert "does not exist in LHR" in body["errors"]["departs_local"][0]
    assert not Flight.objects.exists()


def test_a_skipped_arrival_time_is_refused_on_arrives_local(staff_api, airports):
    # 14 March 2027: New York's clocks jump from 02:00 to 03:00.
    response = staff_api.post(
        "/api/v1/flights",
        new_flight(departs_local="2027-03-13T21:00", arrives_local="2027-03-14T02:30"),
        format="json",
    )
    assert "arrives_local" in assert_problem(response, 400, "validation_error")["errors"]
    assert not Flight.objects.exists()


def test_an_arrival_before_the_departure_is_refused(staff_api, airports):
    # 08:30 in London is 03:30 in New York: arriving at 03:00 New York time is before leaving.
    response = staff_api.post(
        "/api/v1/flights",
        new_flight(departs_local="2027-03-01T08:30", arrives_local="2027-03-01T03:00"),
        format="json",
    )
    body = assert_problem(response, 400, "validation_error")
    assert "Arrival must be after departure" in body["errors"]["arrives_local"][0]
    assert not Flight.objects.exists()


def test_an_unknown_iata_code_is_refused_on_origin(staff_api, airports):
    response = staff_api.post("/api/v1/flights", new_flight(origin="ZZZ"), format="json")
    body = assert_problem(response, 400, "validation_error")
    assert list(body["errors"]) == ["origin"]
    assert not Flight.objects.exists()


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"departs_local": "2027-02-30T08:30"}, "departs_local"),  # no such day
        ({"departs_local": "2027-03-01T08:30+01:00"}, "departs_local"),  # local times carry no offset
        ({"arrives_local": "1 March, 11:45"}, "arrives_local"),
        ({"destination": "LHR"}, "destination"),
        ({"number": "123"}, "number"),
        ({"price": "-1.00"}, "price"),
        ({"capacity": 0}, "capacity"),
        ({"layout": "9-9"}, "layout"),
    ],
    ids=str,
)
def test_a_bad_flight_is_a_validation_error_on_its_field(staff_api, airports, changes, field):
    response = staff_api.post("/api/v1/flights", new_flight(**changes), format="json")
    assert field in assert_problem(response, 400, "validation_error")["errors"]
    assert not Flight.objects.exists()


def test_a_missing_field_is_named(staff_api, airports):
    data = new_flight()
    del data["price"], data["arrives_local"]
    errors = assert_problem(staff_api.post("/api/v1/flights", data, format="json"), 400, "validation_error")["errors"]
    assert {"price", "arrives_local"} <= set(errors)


def test_the_same_number_at_the_same_departure_is_refused(staff_api, airports):
    assert staff_api.post("/api/v1/flights", new_flight(), format="json").status_code == 201
    again = staff_api.post("/api/v1/flights", new_flight(destination="NRT", arrives_local="2027-03-02T05:00"))
    assert "number" in assert_problem(again, 400, "validation_error")["errors"]
    assert Flight.objects.count() == 1


def test_a_new_flight_shows_in_the_search_at_once(staff_api, airports, django_capture_on_commit_callbacks):
    public = APIClient()
    search = {"origin": "LHR", "destination": "JFK", "date": "2027-03-01"}
    assert public.get("/api/v1/flights", search).json()["results"] == []
    with django_capture_on_commit_callbacks(execute=True):
        created = staff_api.post("/api/v1/flights", new_flight(), format="json")
    assert [flight["id"] for flight in public.get("/api/v1/flights", search).json()["results"]] == [
        created.json()["id"]
    ]


# Change a flight ------------------------------------------------------------------------------


@pytest.fixture
def booked_flight(airports):
    """LHR -> JFK at 08:30 on DAY: two confirmed bookings (one of two passengers) and an open hold."""
    flight = flight_at(airports["LHR"], airports["JFK"], datetime(2027, 3, 1, 8, 30, tzinfo=UTC), 8 * 60 + 15)
    first = make_booking(flight=flight, user=UserFactory(email="ann@example.test"), passengers=2)
    second = make_booking(flight=flight, user=UserFactory(email="bob@example.test"))
    hold = make_hold(flight=flight, user=UserFactory(email="cy@example.test"))
    return flight, first, second, hold


def test_a_delay_emails_every_passenger_with_a_booking(staff_api, booked_flight, django_capture_on_commit_callbacks):
    flight, *_ = booked_flight
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        response = staff_api.patch(
            f"/api/v1/flights/{flight.pk}",
            {"departs_local": "2027-03-01T10:30", "arrives_local": "2027-03-01T15:45"},
            format="json",
        )
    assert response.status_code == 200, response.content
    assert response.json()["departs_local"] == "2027-03-01T10:30:00+00:00"
    flight.refresh_from_db()
    assert flight.departs_at == datetime(2027, 3, 1, 10, 30, tzinfo=UTC)
    assert flight.arrives_at == datetime(2027, 3, 1, 20, 45, tzinfo=UTC)
    assert (flight.price, flight.capacity, flight.seats_booked) == (Decimal("129.99"), 60, 4)  # the rest unchanged
    notices = flight_changed_mail()
    assert [notice.to for notice in notices] == ["ann@example.test", "bob@example.test"]  # not the open hold
    assert all(notice.status == OutboxMessage.Status.SENT for notice in notices)
    assert sorted(message.to[0] for message in mail.outbox) == ["ann@example.test", "bob@example.test"]


def test_a_price_change_tells_nobody_and_keeps_the_times(staff_api, booked_flight):
    flight, *_ = booked_flight
    before = (flight.departs_at, flight.arrives_at)
    response = staff_api.patch(f"/api/v1/flights/{flight.pk}", {"price": "99.00"}, format="json")
    assert response.status_code == 200, response.content
    flight.refresh_from_db()
    assert flight.price == Decimal("99.00") and (flight.departs_at, flight.arrives_at) == before
    assert flight_changed_mail() == []


def test_a_price_change_keeps_a_departure_in_the_repeated_hour(staff_api, airports):
    # 31 October 2027: London reads 01:00-02:00 twice. 01:30 UTC is the second 01:30 (GMT).
    flight = flight_at(airports["LHR"], airports["CDG"], datetime(2027, 10, 31, 1, 30, tzinfo=UTC), 75)
    make_booking(flight=flight)
    response = staff_api.patch(f"/api/v1/flights/{flight.pk}", {"price": "99.00"}, format="json")
    assert response.status_code == 200, response.content
    flight.refresh_from_db()
    notices = [notice.to for notice in flight_changed_mail()]
    assert (flight.departs_at, notices) == (datetime(2027, 10, 31, 1, 30, tzinfo=UTC), [])


def test_put_replaces_every_detail(staff_api, airports):
    flight = flight_at(airports["LHR"], airports["JFK"], datetime(2027, 3, 1, 8, 30, tzinfo=UTC))
    response = staff_api.put(
        f"/api/v1/flights/{flight.pk}",
        new_flight(
            number="BA117",
            destination="CDG",
            departs_local="2027-03-02T07:00",
            arrives_local="2027-03-02T09:15",
            price="88.50",
            capacity=40,
            layout="2-2",
        ),
        format="json",
    )
    assert response.status_code == 200, response.content
    flight.refresh_from_db()
    assert flight.number == "BA117" and flight.destination.iata == "CDG"
    assert flight.departs_at == datetime(2027, 3, 2, 7, 0, tzinfo=UTC)
    assert flight.arrives_at == datetime(2027, 3, 2, 8, 15, tzinfo=UTC)  # CET is UTC+1
    assert (flight.price, flight.capacity, flight.layout) == (Decimal("88.50"), 40, "2-2")
    assert response.json()["arrives_local"] == "2027-03-02T09:15:00+01:00"


def test_put_without_every_field_is_refused(staff_api, airports):
    flight = flight_at(airports["LHR"], airports["JFK"], datetime(2027, 3, 1, 8, 30, tzinfo=UTC))
    response = staff_api.put(f"/api/v1/flights/{flight.pk}", {"price": "1.00"}, format="json")
    errors = assert_problem(response, 400, "validation_error")["errors"]
    assert {"number", "origin", "destination", "departs_local", "arrives_local"} <= set(errors)
    flight.refresh_from_db()
    assert flight.price == Decimal("129.99")


def test_capacity_below_the_seats_sold_is_a_conflict(staff_api, booked_flight):
    flight, *_ = booked_flight
    response = staff_api.patch(f"/api/v1/flights/{flight.pk}", {"capacity": 3}, format="json")
    body = assert_problem(response, 409, "capacity_below_booked")
    assert "4 seats are already booked" in body["detail"]
    assert int(response["Retry-After"]) >= 1
    flight.refresh_from_db()
    assert flight.capacity == 60


def test_a_new_layout_without_a_sold_seat_is_a_conflict(staff_api, airports):
    flight = flight_at(airports["LHR"], airports["JFK"], datetime(2027, 3, 1, 8, 30, tzinfo=UTC))
    make_booking(flight=flight, seats=["10B"])
    response = staff_api.patch(f"/api/v1/flights/{flight.pk}", {"layout": "2-2"}, format="json")  # no B seats
    assert "10B" in assert_problem(response, 409, "capacity_below_booked")["detail"]
    flight.refresh_from_db()
    assert flight.layout == "3-3"


def test_put_of_the_same_details_changes_nothing_and_tells_nobody(staff_api, booked_flight):
    flight, *_ = booked_flight
    current = staff_api.get(f"/api/v1/flights/{flight.pk}").json()
    response = staff_api.put(
        f"/api/v1/flights/{flight.pk}",
        new_flight(
            number=flight.number,
            departs_local=current["departs_local"][:16],
            arrives_local=current["arrives_local"][:16],
            price=current["price"]["amount"],
            capacity=current["capacity"],
            layout=current["layout"],
        ),
        format="json",
    )
    assert response.status_code == 200, response.content
    assert {key: value for key, value in response.json().items() if key != "links"} == {
        key: value for key, value in current.items() if key != "links"
    }
    assert flight_changed_mail() == []


def test_a_cancelled_flight_cannot_be_edited(staff_api, airports):
    flight = flight_at(
        airports["LHR"], airports["JFK"], datetime(2027, 3, 1, 8, 30, tzinfo=UTC), status=Flight.Status.CANCELLED
    )
    response = staff_api.patch(f"/api/v1/flights/{flight.pk}", {"price": "1.00"}, format="json")
    assert_problem(response, 409, "flight_not_editable")


def test_editing_an_unknown_flight_is_404(staff_api, airports):
    assert_problem(staff_api.patch("/api/v1/flights/999999999", {"price": "1.00"}, format="json"), 404, "not_found")
    assert_problem(staff_api.delete("/api/v1/flights/999999999"), 404, "not_found")


# Remove a flight ------------------------------------------------------------------------------


def test_deleting_an_unbooked_flight_removes_it(staff_api, airports):
    flight = flight_at(airports["LHR"], airports["JFK"], datetime(2027, 3, 1, 8, 30, tzinfo=UTC))
    response = staff_api.delete(f"/api/v1/flights/{flight.pk}")
    assert response.status_code == 204 and response.content == b""
    assert not Flight.objects.filter(pk=flight.pk).exists()
    assert_problem(APIClient().get(f"/api/v1/flights/{flight.pk}"), 404, "not_found")


def test_deleting_a_booked_flight_cancels_it_refunds_and_tells_the_passengers(
    staff_api, booked_flight, django_capture_on_commit_callbacks
):
    flight, first, second, hold = booked_flight
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        response = staff_api.delete(f"/api/v1/flights/{flight.pk}")
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "cancelled" and response.json()["id"] == flight.pk
    flight.refresh_from_db()
    assert flight.status == Flight.Status.CANCELLED and flight.seats_booked == 0
    for booking in (first, second):
        booking.refresh_from_db()
        assert booking.status == Booking.Status.CANCELLED and booking.cancelled_by_staff
        tickets = list(Ticket.objects.filter(booking=booking))
        assert all(t.status == Ticket.Status.CANCELLED and t.refund_amount == t.price for t in tickets)
        payment = Payment.objects.get(booking=booking)
        assert payment.refunded_amount == payment.amount == sum(t.price for t in tickets)
    hold.refresh_from_db()
    assert hold.status == Booking.Status.CANCELLED
    notices = OutboxMessage.objects.filter(template="flight_cancelled").order_by("to")
    assert [notice.to for notice in notices] == ["ann@example.test", "bob@example.test"]
    assert sorted(message.to[0] for message in mail.outbox) == ["ann@example.test", "bob@example.test"]


def test_a_cancelled_flight_has_no_seats_left(staff_api, booked_flight):
    flight, *_ = booked_flight
    cancelled = staff_api.delete(f"/api/v1/flights/{flight.pk}").json()
    seat_map = APIClient().get(f"/api/v1/flights/{flight.pk}/seat-map").json()
    detail = APIClient().get(f"/api/v1/flights/{flight.pk}").json()
    assert seat_map["seats_left"] == 0
    assert (cancelled["seats_left"], detail["seats_left"]) == (0, 0)


def test_deleting_a_cancelled_flight_again_changes_nothing(staff_api, booked_flight):
    flight, *_ = booked_flight
    assert staff_api.delete(f"/api/v1/flights/{flight.pk}").status_code == 200
    again = staff_api.delete(f"/api/v1/flights/{flight.pk}")
    assert again.status_code == 200 and again.json()["status"] == "cancelled"
    assert OutboxMessage.objects.filter(template="flight_cancelled").count() == 2


# The schedule ---------------------------------------------------------------------------------


def test_the_schedule_lists_cancelled_flights_and_filters_by_local_day(staff_api, airports):
    jfk, nrt = airports["JFK"], airports["NRT"]
    late = flight_at(jfk, nrt, datetime(2027, 3, 2, 4, 30, tzinfo=UTC), number="NH9")  # 23:30 on 1 March in New York
    cancelled = flight_at(jfk, nrt, datetime(2027, 3, 1, 15, 0, tzinfo=UTC), status=Flight.Status.CANCELLED)
    flight_at(jfk, nrt, datetime(2027, 3, 2, 15, 0, tzinfo=UTC))
    response = staff_api.get("/api/v1/schedule", {"date": "2027-03-01", "origin": "jfk"})
    assert response.status_code == 200, response.content
    assert [flight["id"] for flight in response.json()["results"]] == [cancelled.pk, late.pk]
    assert response.json()["results"][0]["status"] == "cancelled"


def test_the_schedule_pages_by_cursor(staff_api, airports):
    flights = [
        flight_at(airports["LHR"], airports["CDG"], datetime(2027, 3, 1, 6 + hour, 0, tzinfo=UTC)) for hour in range(5)
    ]
    seen, url, params = [], "/api/v1/schedule", {"limit": 2}
    while url:
        body = staff_api.get(url, params).json()
        seen += [flight["id"] for flight in body["results"]]
        url, params = body["next"], None
    assert seen == [flight.pk for flight in flights]


# Imports --------------------------------------------------------------------------------------


def upload(client, data: bytes, name: str = "timetable.csv", **headers):
    return client.post(
        "/api/v1/flights/imports",
        {"file": SimpleUploadedFile(name, data, "text/csv")},
        format="multipart",
        headers=headers,
    )


def import_rows(**more):
    day = "2027-03-01"
    return [
        row("SK101", "LHR", "JFK", "08:30", "11:45", "249.00", departs_day=day, arrives_day=day, **more),
        row("SK102", "JFK", "LHR", "18:00", "06:10", "199.00", departs_day=day, arrives_day="2027-03-02"),
    ]


def test_an_uploaded_csv_is_imported_and_its_status_reports_the_counts(
    staff_api, airports, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = upload(staff_api, csv_bytes(import_rows()))
    assert response.status_code == 202, response.content
    body = response.json()
    assert body["status"] == "pending" and body["total"] == 2 and body["file_name"] == "timetable.csv"
    assert response["Location"] == f"http://testserver/api/v1/flights/imports/{body['id']}"

    status = staff_api.get(f"/api/v1/flights/imports/{body['id']}")
    assert status.status_code == 200
    report = status.json()
    assert report["status"] == "done", report
    assert (report["created"], report["updated"], report["unchanged"], report["error_count"]) == (2, 0, 0, 0)
    assert (report["done"], report["total"]) == (2, 2)
    outbound = Flight.objects.get(number="SK101")
    assert outbound.departs_at == datetime(2027, 3, 1, 8, 30, tzinfo=UTC)
    assert outbound.arrives_at == datetime(2027, 3, 1, 16, 45, tzinfo=UTC)
    assert Flight.objects.get(number="SK102").arrives_at == datetime(2027, 3, 2, 6, 10, tzinfo=UTC)


def test_a_nul_byte_in_a_cell_fails_the_import_with_a_row_error(
    staff_api, airports, django_capture_on_commit_callbacks
):
    rows = import_rows()
    rows[1] = {**rows[1], "flight_number": "SK\x00102"}
    with django_capture_on_commit_callbacks(execute=True):
        response = upload(staff_api, csv_bytes(rows))
    assert response.status_code == 202, response.content  # the file is text; the row is wrong
    report = staff_api.get(response["Location"]).json()
    assert report["status"] == "invalid" and report["error_count"] == 1
    assert report["errors"][0].startswith("Row 3: flight_number: the cell contains a NUL character")
    assert report["created"] == 0 and not Flight.objects.exists()


def test_a_row_with_an_unknown_airport_imports_nothing(staff_api, airports, django_capture_on_commit_callbacks):
    rows = import_rows()
    rows[0] = {**rows[0], "origin": "XXX"}
    with django_capture_on_commit_callbacks(execute=True):
        response = upload(staff_api, csv_bytes(rows))
    report = staff_api.get(response["Location"]).json()
    assert report["status"] == "invalid" and report["errors"][0].startswith("Row 2")
    assert not Flight.objects.exists()


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (csv_bytes(import_rows(), header=("number", "from", "to")), "The first row must name the columns"),
        (
            csv_bytes(import_rows(), header=("flight_number", "origin", "destination", "departure_local", "fare")),
            "Unknown column in the header: 'fare'",
        ),
        (b"flight_number,origin\x00" + b"\x00" * 200, "This is not a text file"),
        (b"", "The submitted file is empty."),
    ],
    ids=["no-header", "bad-header", "binary", "empty"],
)
def test_a_file_that_cannot_be_imported_at_all_is_a_validation_error_on_file(staff_api, airports, data, message):
    response = upload(staff_api, data)
    body = assert_problem(response, 400, "validation_error")
    assert list(body["errors"]) == ["file"]
    assert body["errors"]["file"][0].startswith(message), body["errors"]
    assert not FlightImport.objects.exists() and not Flight.objects.exists()


def test_an_upload_without_a_file_is_refused(staff_api):
    response = staff_api.post("/api/v1/flights/imports", {}, format="multipart")
    assert "file" in assert_problem(response, 400, "validation_error")["errors"]


def test_an_upload_as_json_is_unsupported(staff_api):
    response = staff_api.post("/api/v1/flights/imports", {"file": "a,b"}, format="json")
    assert_problem(response, 415, "unsupported_media_type")


def test_the_same_upload_with_the_same_idempotency_key_starts_one_import(
    staff_api, airports, django_capture_on_commit_callbacks
):
    data = csv_bytes(import_rows())
    with django_capture_on_commit_callbacks(execute=True):
        first = upload(staff_api, data, **{"Idempotency-Key": "upload-1"})
        second = upload(staff_api, data, **{"Idempotency-Key": "upload-1"})
    assert first.status_code == second.status_code == 202
    assert first.json()["id"] == second.json()["id"]
    assert FlightImport.objects.count() == 1 and Flight.objects.count() == 2


def test_an_unknown_import_is_404(staff_api):
    assert_problem(staff_api.get("/api/v1/flights/imports/999999999"), 404, "not_found")


# Manifests ------------------------------------------------------------------------------------


@pytest.fixture
def night_flight(airports):
    """NH501 JFK -> NRT at 23:30 on 1 March in New York (04:30 UTC on the 2nd), with passengers."""
    flight = flight_at(
        airports["JFK"], airports["NRT"], datetime(2027, 3, 2, 4, 30, tzinfo=UTC), 14 * 60, number="NH501"
    )
    booking = make_booking(
        flight=flight, user=UserFactory(email="dee@example.test"), names=["Dee Ray", "Eli Ray"], seats=["3A", "2C"]
    )
    make_hold(flight=flight, seats=["1A"])
    return flight, booking


def test_manifests_are_found_by_number_and_local_date(staff_api, night_flight):
    flight, booking = night_flight
    response = staff_api.get("/api/v1/manifests", {"number": "nh501", "date": "2027-03-01"})
    assert response.status_code == 200, response.content
    (manifest,) = response.json()
    assert manifest["flight"]["id"] == flight.pk and manifest["active_count"] == 2
    assert [(p["seat"], p["status"]) for p in manifest["passengers"]] == [
        ("2C", "active"),
        ("3A", "active"),
        ("1A", "held"),
    ]
    first = manifest["passengers"][0]
    assert first["booking"] == booking.reference and first["booked_by"] == "dee@example.test"
    assert {p["passenger_name"] for p in manifest["passengers"][:2]} == {"Dee Ray", "Eli Ray"}
    # The UTC date is the 2nd, but it departs on the 1st where it departs.
    assert staff_api.get("/api/v1/manifests", {"number": "NH501", "date": "2027-03-02"}).json() == []


def test_a_flights_manifest_by_id(staff_api, night_flight):
    flight, _ = night_flight
    body = staff_api.get(f"/api/v1/flights/{flight.pk}/manifest").json()
    assert body["flight"]["number"] == "NH501" and body["active_count"] == 2
    assert [p["seat"] for p in body["passengers"]] == ["2C", "3A", "1A"]


@pytest.mark.parametrize(("params", "field"), [({"date": "2027-03-01"}, "number"), ({"number": "NH501"}, "date")])
def test_manifests_need_a_number_and_a_date(staff_api, params, field):
    assert field in assert_problem(staff_api.get("/api/v1/manifests", params), 400, "validation_error")["errors"]


# Users ----------------------------------------------------------------------------------------


def test_users_are_found_by_part_of_an_email_or_name(staff_api, staff):
    UserFactory(email="zoe.quist@example.test", first_name="Zoe", last_name="Quist")
    UserFactory(email="quentin@example.test", first_name="Quentin", last_name="Blake")
    UserFactory(email="ann@example.test", first_name="Ann", last_name="Lee")
    found = staff_api.get("/api/v1/users", {"q": "QU"}).json()["results"]
    assert [user["email"] for user in found] == ["quentin@example.test", "zoe.quist@example.test"]  # newest first
    assert [user["email"] for user in staff_api.get("/api/v1/users", {"q": "lee"}).json()["results"]] == [
        "ann@example.test"
    ]
    assert set(found[0]) == {
        "id",
        "email",
        "first_name",
        "last_name",
        "is_staff",
        "is_active",
        "date_joined",
        "last_seen_at",
    }


def test_users_page_by_cursor_newest_first(staff_api, staff, time_machine):
    users = [staff]
    for _ in range(6):
        time_machine.shift(timedelta(minutes=1))
        users.append(UserFactory())
    seen, body = [], staff_api.get("/api/v1/users", {"limit": 2}).json()
    while True:
        seen += [user["id"] for user in body["results"]]
        assert len(body["results"]) <= 2
        if not body["next"]:
            break
        assert parse_qs(urlsplit(body["next"]).query)["limit"] == ["2"]
        body = staff_api.get(body["next"]).json()
    assert seen == [user.pk for user in reversed(users)]


# Access ---------------------------------------------------------------------------------------


@pytest.fixture
def staff_targets(booked_flight, staff):
    flight, *_ = booked_flight
    flight_import = FlightImport.objects.create(created_by=staff, file_name="a.csv", progress_total=1)
    return flight, flight_import


def staff_requests(flight: Flight, flight_import: FlightImport) -> list[tuple[str, str, dict | None, str]]:
    return [
        ("post", "/api/v1/flights", new_flight(number="SK999"), "json"),
        ("put", f"/api/v1/flights/{flight.pk}", new_flight(price="1.00"), "json"),
        ("patch", f"/api/v1/flights/{flight.pk}", {"price": "1.00", "capacity": 4}, "json"),
        ("delete", f"/api/v1/flights/{flight.pk}", None, "json"),
        ("get", "/api/v1/schedule", None, "json"),
        (
            "post",
            "/api/v1/flights/imports",
            {"file": SimpleUploadedFile("a.csv", csv_bytes(import_rows()))},
            "multipart",
        ),
        ("get", f"/api/v1/flights/imports/{flight_import.pk}", None, "json"),
        ("get", "/api/v1/manifests", {"number": flight.number, "date": "2027-03-01"}, "json"),
        ("get", f"/api/v1/flights/{flight.pk}/manifest", None, "json"),
        ("get", "/api/v1/users", {"q": "example"}, "json"),
    ]


def _snapshot(flight: Flight) -> tuple:
    flight.refresh_from_db()
    return (
        flight.number,
        flight.price,
        flight.capacity,
        flight.status,
        flight.departs_at,
        Flight.objects.count(),
        FlightImport.objects.count(),
        Booking.objects.filter(status=Booking.Status.CANCELLED).count(),
        OutboxMessage.objects.filter(template__in=["flight_changed", "flight_cancelled"]).count(),
    )


def _send(client, method, url, data, fmt):
    if method in ("get", "delete"):
        return getattr(client, method)(url, data)
    return getattr(client, method)(url, data, format=fmt)


def test_a_passenger_gets_403_on_every_staff_endpoint_and_changes_nothing(
    passenger_api, staff_targets, django_capture_on_commit_callbacks
):
    flight, flight_import = staff_targets
    before = _snapshot(flight)
    with django_capture_on_commit_callbacks(execute=True):
        for method, url, data, fmt in staff_requests(flight, flight_import):
            response = _send(passenger_api, method, url, data, fmt)
            body = assert_problem(response, 403, "permission_denied")
            assert body["instance"] == url, (method, url)
    assert _snapshot(flight) == before


def test_a_passenger_with_a_bearer_token_gets_403_too(staff_targets):
    flight, flight_import = staff_targets
    client = bearer_client(UserFactory())
    before = _snapshot(flight)
    for method, url, data, fmt in staff_requests(flight, flight_import):
        assert _send(client, method, url, data, fmt).status_code == 403, (method, url)
    assert _snapshot(flight) == before


def test_nobody_signed_in_gets_401_on_every_staff_endpoint(staff_targets):
    flight, flight_import = staff_targets
    before = _snapshot(flight)
    for method, url, data, fmt in staff_requests(flight, flight_import):
        response = _send(APIClient(), method, url, data, fmt)
        assert_problem(response, 401, "not_authenticated")
        assert response["WWW-Authenticate"].startswith("Bearer")
    assert _snapshot(flight) == before


def test_a_passenger_may_read_a_flight_and_search(passenger_api, booked_flight):
    flight, *_ = booked_flight
    assert passenger_api.get(f"/api/v1/flights/{flight.pk}").status_code == 200
    search = passenger_api.get("/api/v1/flights", {"origin": "LHR", "destination": "JFK", "date": "2027-03-01"})
    assert search.status_code == 200 and [f["id"] for f in search.json()["results"]] == [flight.pk]
