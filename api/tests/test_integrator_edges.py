"""What an integrator runs into at the edges: files whatever the Accept header, refresh tokens
of closed accounts or changed passwords, list cursors and limits, permanent versus passing
conflicts, and unpaid checkouts kept out of "my bookings"."""

import uuid

import pytest
from django.urls import reverse
from rest_framework.test import APIClient
from rest_framework_simplejwt.tokens import RefreshToken

from accounts.tests.factories import StaffFactory, UserFactory
from bookings.models import BookingExport
from bookings.services import flight_remove
from bookings.tests.factories import make_booking, make_hold
from flights.tests.factories import FlightFactory

from .helpers import assert_problem, bearer_client, post

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("accept", ["text/calendar", "*/*", "application/json"])
def test_the_calendar_file_downloads_whatever_the_accept_header(accept):
    booking = make_booking()
    response = bearer_client(booking.user).get(
        reverse("api:booking_calendar", args=[booking.reference]), HTTP_ACCEPT=accept
    )
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/calendar")
    assert b"BEGIN:VCALENDAR" in response.content


def test_a_failed_export_is_gone_not_not_ready_forever():
    user = UserFactory()
    export = BookingExport.objects.create(user=user, status=BookingExport.Status.FAILED)
    response = bearer_client(user).get(reverse("api:export_download", args=[export.pk]), HTTP_ACCEPT="text/csv")
    assert_problem(response, 410, "export_failed")


def test_refreshing_the_token_of_a_deleted_account_is_401_not_a_500():
    user = UserFactory()
    refresh = str(RefreshToken.for_user(user))
    user.delete()
    response = APIClient().post(reverse("api:token_refresh"), {"refresh": refresh}, format="json")
    assert_problem(response, 401, "token_not_valid")


def test_a_refresh_token_issued_before_a_password_change_is_refused():
    user = UserFactory()
    refresh = str(RefreshToken.for_user(user))
    user.set_password("a completely new passphrase 7")
    user.save()
    response = APIClient().post(reverse("api:token_refresh"), {"refresh": refresh}, format="json")
    assert_problem(response, 401, "token_not_valid")
    fresh = str(RefreshToken.for_user(user))
    assert APIClient().post(reverse("api:token_refresh"), {"refresh": fresh}, format="json").status_code == 200


def test_a_replayed_problem_names_the_request_that_got_it():
    client = bearer_client(UserFactory())
    body, key = {"flight": FlightFactory().pk, "passengers": 0}, str(uuid.uuid4())
    first = post(client, reverse("api:holds"), body, key=key)
    replay = client.post(
        reverse("api:holds"), body, format="json", HTTP_IDEMPOTENCY_KEY=key, HTTP_X_REQUEST_ID="replay-of-the-first-01"
    )
    assert replay["Idempotent-Replayed"] == "true"
    assert replay.json()["errors"] == first.json()["errors"]
    assert replay.json()["request_id"] == replay["X-Request-ID"] == "replay-of-the-first-01"


def test_a_garbled_list_cursor_gives_the_first_page():
    booking = make_booking()
    response = bearer_client(booking.user).get(reverse("api:bookings"), {"cursor": "not-a-cursor"})
    assert response.status_code == 200
    assert [item["reference"] for item in response.json()["results"]] == [booking.reference]


@pytest.mark.parametrize("limit", ["0", "101", "ten"])
def test_a_list_limit_out_of_range_is_a_validation_error_as_in_the_search(limit):
    response = bearer_client(UserFactory()).get(reverse("api:bookings"), {"limit": limit})
    body = assert_problem(response, 400, "validation_error")
    assert "limit" in body["errors"]


def test_staff_list_imports_newest_first():
    staff = StaffFactory()
    response = bearer_client(staff).get(reverse("api:imports"))
    assert response.status_code == 200
    assert response.json()["results"] == []


def test_quoting_a_cancelled_booking_says_it_was_already_cancelled():
    booking = make_booking()
    client = bearer_client(booking.user)
    url = reverse("api:cancellations", args=[booking.reference])
    quote = client.post(url, {}, format="json").json()
    post(client, reverse("api:cancellation_confirm", args=[booking.reference, quote["id"]]))

    body = assert_problem(client.post(url, {}, format="json"), 409, "nothing_to_cancel")
    assert "already cancelled" in body["detail"]


def test_a_permanent_conflict_says_to_wait_an_hour_and_a_passing_one_seconds():
    booking = make_booking()
    client = bearer_client(booking.user)
    url = reverse("api:cancellations", args=[booking.reference])
    quote = client.post(url, {}, format="json").json()
    post(client, reverse("api:cancellation_confirm", args=[booking.reference, quote["id"]]))
    assert int(assert_problem_headers(client.post(url, {}, format="json"), "nothing_to_cancel")) == 3600

    full = FlightFactory(capacity=1)
    make_booking(flight=full)
    sold_out = post(bearer_client(UserFactory()), reverse("api:holds"), {"flight": full.pk, "passengers": 1})
    assert int(assert_problem_headers(sold_out, "sold_out")) <= 60


def assert_problem_headers(response, code: str) -> str:
    assert response.status_code == 409 and response.json()["code"] == code, response.content
    return response["Retry-After"]


def test_a_checkout_the_airline_cancelled_with_its_flight_is_not_in_my_bookings():
    paid = make_booking()
    hold = make_hold(user=paid.user, flight=FlightFactory())
    flight_remove(flight_id=hold.flight_id)
    response = bearer_client(paid.user).get(reverse("api:bookings"))
    assert [item["reference"] for item in response.json()["results"]] == [paid.reference]
    assert bearer_client(paid.user).get(reverse("api:booking", args=[hold.reference])).status_code == 404
    # Still there for its owner under /holds, as a checkout that ended.
    assert bearer_client(paid.user).get(reverse("api:hold", args=[hold.reference])).json()["status"] == "expired"


def test_with_redis_unreachable_the_api_still_answers(settings):
    unreachable = "redis://127.0.0.1:1/0"  # nothing listens on port 1
    settings.CACHES = {
        alias: {
            **config,
            "LOCATION": unreachable,
            "OPTIONS": {**config.get("OPTIONS", {}), "SOCKET_CONNECT_TIMEOUT": 0.2},
        }
        for alias, config in settings.CACHES.items()
    }
    flight = FlightFactory()
    response = APIClient().get(reverse("api:flight", args=[flight.pk]))
    assert response.status_code == 200
    assert response.json()["id"] == flight.pk


@pytest.mark.parametrize("path", ["/api/v1/docs/", "/swagger/", "/api/v1/swagger/"])
def test_the_api_readers_load_nothing_from_another_site(client, path):
    response = client.get(path)
    assert response.status_code == 200
    assert "default-src 'self'" in response["Content-Security-Policy"]
    page = response.content.decode()
    assert "googleapis" not in page and "cdn." not in page
    assert "/static/drf_spectacular_sidecar/" in page
