"""Registered users for staff (issue 15): a searchable, paginated list with bookings and
upcoming trips per account, an account's page with its bookings and e-mails, and the list
exported as CSV through the export job (staff only, formula-safe cells)."""

import csv
import io
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.tests.factories import UserFactory
from bookings.models import BookingExport
from bookings.services import exports
from bookings.services.cancel import booking_cancel
from bookings.tests.factories import make_booking
from flights.models import Flight
from flights.tests.factories import FlightFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _exports_in_memory(settings):
    settings.STORAGES = {**settings.STORAGES, "default": {"BACKEND": "django.core.files.storage.InMemoryStorage"}}


@pytest.fixture
def ada():
    user = UserFactory(email="ada@example.test", first_name="Ada", last_name="Lovelace")
    ahead = FlightFactory(departs_at=timezone.now() + timedelta(days=5))
    past = FlightFactory(departs_at=timezone.now() + timedelta(days=1))
    make_booking(user=user, flight=ahead)
    make_booking(user=user, flight=past)
    Flight.objects.filter(pk=past.pk).update(departs_at=timezone.now() - timedelta(days=5))  # flown since
    cancelled = make_booking(user=user, flight=ahead)
    booking_cancel(user=user, booking_id=cancelled.pk)
    return user


def rows(response) -> dict[str, object]:
    return {account.email: account for account in response.context["page"].object_list}


def test_the_list_counts_bookings_and_upcoming_trips(staff_client, ada):
    UserFactory(email="grace@example.test")
    response = staff_client.get(reverse("staff:users"))
    assert response.status_code == 200
    listed = rows(response)
    assert (listed["ada@example.test"].booking_count, listed["ada@example.test"].upcoming) == (3, 1)
    assert (listed["grace@example.test"].booking_count, listed["grace@example.test"].upcoming) == (0, 0)


@pytest.mark.parametrize(("query", "expected"), [("lovelace", {"ada@example.test"}), ("ADA@", {"ada@example.test"})])
def test_the_list_is_searchable(staff_client, ada, query, expected):
    UserFactory(email="grace@example.test", first_name="Grace", last_name="Hopper")
    assert set(rows(staff_client.get(reverse("staff:users"), {"q": query}))) == expected


def test_the_list_filters_staff_and_passengers(staff_client, staff, ada):
    assert set(rows(staff_client.get(reverse("staff:users"), {"kind": "staff"}))) == {staff.email}
    assert staff.email not in rows(staff_client.get(reverse("staff:users"), {"kind": "passengers"}))


def test_no_match_says_so(staff_client):
    page = staff_client.get(reverse("staff:users"), {"q": "nobody-at-all"}).content.decode()
    assert "No account matches “nobody-at-all”." in page


@pytest.mark.parametrize("accounts", [3, 30])
def test_the_list_costs_the_same_queries_however_many_accounts(staff_client, django_assert_max_num_queries, accounts):
    for _ in range(accounts):
        make_booking(user=UserFactory())
    # session, user, device, alert count, count, one page of accounts with their counts
    with django_assert_max_num_queries(6):
        assert staff_client.get(reverse("staff:users")).status_code == 200


def test_an_accounts_page_lists_its_bookings_and_e_mails(staff_client, ada):
    response = staff_client.get(reverse("staff:user", args=[ada.pk]))
    assert response.status_code == 200
    page = response.content.decode()
    assert len(response.context["bookings"]) == 3
    assert response.context["emails"]  # the confirmations sent
    for booking in response.context["bookings"]:
        assert booking.reference in page
    assert staff_client.get(reverse("staff:user", args=[999_999])).status_code == 404


def test_passengers_cannot_see_users(client, ada):
    client.force_login(UserFactory())
    assert client.get(reverse("staff:users")).status_code == 403
    assert client.get(reverse("staff:user", args=[ada.pk])).status_code == 403
    assert client.post(reverse("staff:users_export")).status_code == 403
    with pytest.raises(PermissionError):
        exports.export_start(user=ada, kind=BookingExport.Kind.USERS)


def test_the_filtered_list_exports_as_csv_with_formula_safe_cells(
    staff_client, staff, ada, django_capture_on_commit_callbacks
):
    UserFactory(email="mallory@example.test", first_name="=HYPERLINK(1)", last_name="Lovelace")
    UserFactory(email="grace@example.test", first_name="Grace", last_name="Hopper")
    with django_capture_on_commit_callbacks(execute=True):
        response = staff_client.post(reverse("staff:users_export"), {"q": "lovelace", "kind": ""})
    export = BookingExport.objects.get(user=staff)
    assert response.status_code == 302 and response.url == reverse("bookings:export", args=[export.pk])
    export.refresh_from_db()
    assert export.kind == BookingExport.Kind.USERS and export.status == BookingExport.Status.DONE
    page = staff_client.get(response.url).content.decode()
    assert "Export of the users list" in page and "2 accounts" in page

    download = staff_client.get(reverse("bookings:export_download", args=[export.pk]))
    text = b"".join(download.streaming_content).decode("utf-8-sig")
    table = list(csv.reader(io.StringIO(text)))
    assert table[0][:3] == ["E-mail", "First name", "Last name"]
    by_email = {row[0]: row for row in table[1:]}
    assert set(by_email) == {"ada@example.test", "mallory@example.test"}
    assert by_email["mallory@example.test"][1] == "'=HYPERLINK(1)"
    assert by_email["ada@example.test"][5:7] == ["3", "1"]
    assert 'filename="skyway-users-' in download["Content-Disposition"]


def test_an_export_owned_by_someone_no_longer_staff_fails_and_writes_nothing(staff, django_capture_on_commit_callbacks):
    export, _ = exports.export_start(user=staff, kind=BookingExport.Kind.USERS)
    staff.is_staff = False
    staff.save()
    assert exports.export_run(export_id=export.pk) is False
    export.refresh_from_db()
    assert export.status == BookingExport.Status.FAILED and not export.file
