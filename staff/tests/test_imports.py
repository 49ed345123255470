"""The staff pages of the flight import: upload form, status page and its JSON, sample file,
access. What an import does with a file: flights/tests/test_imports.py."""

import pytest
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from accounts.tests.factories import UserFactory
from flights.imports.parsing import COLUMNS
from flights.imports.services import flight_import_run, flight_import_start
from flights.models import Flight, FlightImport
from flights.tests.factories import AirportFactory
from flights.tests.import_files import csv_bytes, latest_import, row, upload

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


def test_status_page_shows_the_result_summary(staff_client, airports, django_capture_on_commit_callbacks):
    upload(staff_client, csv_bytes([row(), row(number="SK102")]), django_capture_on_commit_callbacks)
    page = staff_client.get(reverse("staff:import_status", args=[latest_import().pk])).content.decode()
    assert "<strong>2</strong> flights created" in page
    assert "<strong>0</strong> updated" in page
    assert 'http-equiv="refresh"' not in page


def test_no_file_chosen_is_a_form_error(staff_client):
    response = staff_client.post(reverse("staff:import"), {})
    assert response.status_code == 400 and "file" in response.context["form"].errors


def test_a_waiting_import_refreshes_itself_and_reports_progress_as_json(
    staff_client, staff, airports, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False):
        flight_import = flight_import_start(user=staff, upload=ContentFile(csv_bytes([row()]), name="a.csv"))
    page = staff_client.get(reverse("staff:import_status", args=[flight_import.pk])).content.decode()
    assert '<noscript><meta http-equiv="refresh" content="2"></noscript>' in page
    assert "Waiting for a worker" in page
    url = reverse("staff:import_progress", args=[flight_import.pk])
    assert f'data-job-progress-url="{url}" data-job-status="pending"' in page and "js/job_progress.js" in page
    status_page = reverse("staff:import_status", args=[flight_import.pk])
    progress = staff_client.get(url).json()
    assert progress == {
        "status": "pending",
        "status_display": "Waiting for a worker",
        "finished": False,
        "done": 0,
        "total": 1,
        "percent": 0,
        "text": "Waiting for a worker to start the import",
        "url": status_page,
    }

    flight_import_run(import_id=flight_import.pk)
    progress = staff_client.get(url).json()
    assert progress["finished"] is True and progress["status"] == "done" and progress["url"] == status_page
    assert (progress["done"], progress["total"], progress["percent"]) == (1, 1, 100)
    page = staff_client.get(status_page).content.decode()
    assert "http-equiv" not in page and "job_progress.js" not in page


def test_the_sample_file_explains_the_columns_and_imports_cleanly(
    staff_client, airports, django_capture_on_commit_callbacks
):
    response = staff_client.get(reverse("staff:import_sample"))
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert "attachment" in response["Content-Disposition"]
    text = response.content.decode()
    assert text.startswith("# ") and ",".join(COLUMNS) in text and "departure_local: YYYY-MM-DD HH:MM" in text

    upload(staff_client, response.content, django_capture_on_commit_callbacks, name="flight-import-sample.csv")
    flight_import = latest_import()
    assert flight_import.status == FlightImport.Status.DONE, flight_import.errors
    assert flight_import.created_count == 3


def test_the_import_page_lists_recent_imports(staff_client, airports, django_capture_on_commit_callbacks):
    upload(staff_client, csv_bytes([row()]), django_capture_on_commit_callbacks, name="winter.csv")
    upload(staff_client, csv_bytes([row(origin="XXX")]), django_capture_on_commit_callbacks, name="broken.csv")
    page = staff_client.get(reverse("staff:import")).content.decode()
    assert page.index("broken.csv") < page.index("winter.csv")  # newest first
    assert "1 created, 0 updated, 0 unchanged" in page and "1 error" in page


def test_the_schedule_links_to_the_import(staff_client):
    page = staff_client.get(reverse("staff:schedule")).content.decode()
    assert f'href="{reverse("staff:import")}">Import flights</a>' in page


@pytest.mark.parametrize("name", ["import", "import_sample", "import_status", "import_progress"])
def test_import_pages_are_for_staff_only(client, staff, name, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False):
        flight_import = flight_import_start(user=staff, upload=ContentFile(csv_bytes([row()]), name="a.csv"))
    url = reverse(f"staff:{name}", args=[flight_import.pk] if "status" in name or "progress" in name else [])
    response = client.get(url)
    assert response.status_code == 302 and response.url.startswith(reverse("accounts:login"))
    client.force_login(UserFactory())
    assert client.get(url).status_code == 403


def test_a_passenger_cannot_upload(client, airports, django_capture_on_commit_callbacks):
    client.force_login(UserFactory())
    response = upload(client, csv_bytes([row()]), django_capture_on_commit_callbacks)
    assert response.status_code == 403
    assert not FlightImport.objects.exists() and not Flight.objects.exists()


def test_an_unknown_import_is_404(staff_client):
    assert staff_client.get(reverse("staff:import_status", args=[999999])).status_code == 404
    assert staff_client.get(reverse("staff:import_progress", args=[999999])).status_code == 404


# The upload form's one-time token.


def _upload_form(client, data: bytes, token: str):
    file = SimpleUploadedFile("timetable.csv", data, "text/csv")
    return client.post(reverse("staff:import"), {"file": file, "token": token})


def test_the_same_upload_form_sent_twice_starts_one_import(staff_client, airports, django_capture_on_commit_callbacks):
    page = staff_client.get(reverse("staff:import"))
    token = page.context["form"]["token"].value()
    data = csv_bytes([row()])
    with django_capture_on_commit_callbacks(execute=True):
        first = _upload_form(staff_client, data, str(token))
        second = _upload_form(staff_client, data, str(token))
    assert first.url == second.url
    assert FlightImport.objects.count() == 1 and Flight.objects.count() == 1


def test_the_form_sent_again_with_the_corrected_file_starts_a_new_import(
    staff_client, airports, django_capture_on_commit_callbacks
):
    token = "0b0e5d0e-1c1d-4b5e-9a4f-3c2b1a090807"
    with django_capture_on_commit_callbacks(execute=True):
        bad = _upload_form(staff_client, csv_bytes([row(origin="XXX")]), token)
        good = _upload_form(staff_client, csv_bytes([row()]), token)
    assert bad.url != good.url
    assert [i.status for i in FlightImport.objects.order_by("pk")] == ["invalid", "done"]
