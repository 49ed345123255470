"""Idempotency-Key on the POSTs that create money-bearing state (api/idempotency.py): the same
key and body replays the stored response; a different body is 422; a key still running is 409
with Retry-After; a dead claim is taken over; keys are per user and kept for
API_IDEMPOTENCY_HOURS."""

import uuid
from datetime import timedelta

import pytest
from django.conf import settings
from django.utils import timezone

from accounts.tests.factories import UserFactory
from api.idempotency import IN_FLIGHT_SECONDS, idempotency_keys_purge
from api.models import IdempotencyKey
from bookings.models import Booking, Payment
from bookings.tests.factories import make_booking
from flights.tests.factories import FlightFactory

from .helpers import assert_problem, bearer_client

pytestmark = pytest.mark.django_db

HOLDS = "/api/v1/holds"


def post_hold(client, body: dict, key: str | None):
    """Unlike helpers.post, sends `key` exactly as given: none at all for None, "" as ""."""
    headers = {} if key is None else {"HTTP_IDEMPOTENCY_KEY": key}
    return client.post(HOLDS, body, format="json", **headers)


@pytest.fixture
def user():
    return UserFactory()


@pytest.fixture
def client(user):
    return bearer_client(user)


@pytest.fixture
def flight():
    return FlightFactory(capacity=30)


# Replay --------------------------------------------------------------------------------------


def test_same_key_and_body_replays_the_first_response_and_books_once(client, user, flight):
    key = str(uuid.uuid4())
    body = {"flight": flight.pk, "passengers": 2}

    first = post_hold(client, body, key)
    second = post_hold(client, body, key)

    assert first.status_code == 201, first.content
    assert not first.has_header("Idempotent-Replayed")
    assert second.status_code == 201
    assert second["Idempotent-Replayed"] == "true"
    assert second.json() == first.json()
    assert second["Location"] == first["Location"]
    assert second["Content-Type"] == first["Content-Type"]
    assert Booking.objects.filter(user=user).count() == 1
    flight.refresh_from_db()
    assert flight.seats_booked == 2


def test_replay_holds_for_keys_with_reordered_json_members(client, user, flight):
    key = str(uuid.uuid4())
    first = client.post(
        HOLDS, f'{{"flight": {flight.pk}, "passengers": 1}}', content_type="application/json", HTTP_IDEMPOTENCY_KEY=key
    )
    second = client.post(
        HOLDS, f'{{"passengers": 1, "flight": {flight.pk}}}', content_type="application/json", HTTP_IDEMPOTENCY_KEY=key
    )

    assert first.status_code == 201, first.content
    assert second["Idempotent-Replayed"] == "true"
    assert Booking.objects.filter(user=user).count() == 1


def test_a_conflict_is_not_stored_so_a_retry_with_the_same_key_runs_afresh(client, user):
    sold_out = FlightFactory(capacity=1)
    other = UserFactory()
    taken = post_hold(bearer_client(other), {"flight": sold_out.pk, "passengers": 1}, "other-users-key")
    assert taken.status_code == 201
    key = str(uuid.uuid4())

    first = post_hold(client, {"flight": sold_out.pk, "passengers": 1}, key)
    assert_problem(first, 409, "sold_out")
    assert int(first["Retry-After"]) >= 1
    # The seat comes free (the other passenger leaves checkout); the client retries as told.
    assert bearer_client(other).delete(f"/api/v1/holds/{taken.json()['id']}").status_code == 204
    second = post_hold(client, {"flight": sold_out.pk, "passengers": 1}, key)

    assert second.status_code == 201
    assert not second.has_header("Idempotent-Replayed")
    assert post_hold(client, {"flight": sold_out.pk, "passengers": 1}, key)["Idempotent-Replayed"] == "true"
    assert Booking.objects.filter(user=user).count() == 1


def test_a_validation_error_is_replayed(client, user):
    body = {"flight": FlightFactory().pk, "passengers": 0}
    key = str(uuid.uuid4())

    first = post_hold(client, body, key)
    second = post_hold(client, body, key)

    assert_problem(first, 400, "validation_error")
    assert second.status_code == 400
    assert second["Idempotent-Replayed"] == "true"
    assert second.json()["errors"] == first.json()["errors"]


def test_new_key_makes_a_new_request(client, user):
    first = post_hold(client, {"flight": FlightFactory().pk, "passengers": 1}, str(uuid.uuid4()))
    second = post_hold(client, {"flight": FlightFactory().pk, "passengers": 1}, str(uuid.uuid4()))

    assert first.status_code == second.status_code == 201
    assert first.json()["id"] != second.json()["id"]
    assert not second.has_header("Idempotent-Replayed")
    assert Booking.objects.filter(user=user).count() == 2


def book_body(hold_id: str) -> dict:
    return {
        "hold": hold_id,
        "passengers": [{"first_names": "Ada", "last_name": "Lovelace"}],
        "payment": {"card": {"number": "4242424242424242", "expiry": "12/30", "cvc": "123", "holder": "A Lovelace"}},
    }


def test_post_bookings_replays_and_pays_once(client, user, flight):
    hold_id = post_hold(client, {"flight": flight.pk, "passengers": 1}, str(uuid.uuid4())).json()["id"]
    key = str(uuid.uuid4())

    first = client.post("/api/v1/bookings", book_body(hold_id), format="json", HTTP_IDEMPOTENCY_KEY=key)
    second = client.post("/api/v1/bookings", book_body(hold_id), format="json", HTTP_IDEMPOTENCY_KEY=key)

    assert first.status_code == 201, first.content
    assert second.status_code == 201
    assert second["Idempotent-Replayed"] == "true"
    assert second.json() == first.json()
    assert Payment.objects.filter(booking__user=user).count() == 1
    assert Booking.objects.get(user=user).status == Booking.Status.CONFIRMED


def test_post_bookings_needs_a_key(client, user, flight):
    hold_id = post_hold(client, {"flight": flight.pk, "passengers": 1}, str(uuid.uuid4())).json()["id"]

    response = client.post("/api/v1/bookings", book_body(hold_id), format="json")

    assert_problem(response, 400, "idempotency_key_required")
    assert not Payment.objects.exists()


def test_cancellation_confirm_needs_a_key_and_replays(client, user, flight):
    booking = make_booking(user=user, flight=flight)
    quote = client.post(f"/api/v1/bookings/{booking.reference}/cancellations", {}, format="json")
    assert quote.status_code == 201, quote.content
    confirm = f"/api/v1/bookings/{booking.reference}/cancellations/{quote.json()['id']}/confirm"

    without_key = client.post(confirm, format="json")
    assert_problem(without_key, 400, "idempotency_key_required")
    assert Booking.objects.get(pk=booking.pk).status == Booking.Status.CONFIRMED

    key = str(uuid.uuid4())
    first = client.post(confirm, format="json", HTTP_IDEMPOTENCY_KEY=key)
    second = client.post(confirm, format="json", HTTP_IDEMPOTENCY_KEY=key)

    assert first.status_code == 200, first.content
    assert first.json()["status"] == "confirmed"
    assert second["Idempotent-Replayed"] == "true"
    assert second.json() == first.json()
    flight.refresh_from_db()
    assert flight.seats_booked == 0


# Misuse --------------------------------------------------------------------------------------


def test_same_key_with_a_different_body_is_422_reused(client, user, flight):
    key = str(uuid.uuid4())
    assert post_hold(client, {"flight": flight.pk, "passengers": 1}, key).status_code == 201

    response = post_hold(client, {"flight": flight.pk, "passengers": 2}, key)

    assert_problem(response, 422, "idempotency_key_reused")
    assert not response.has_header("Idempotent-Replayed")
    assert Booking.objects.filter(user=user).count() == 1


def test_same_key_on_another_endpoint_is_422_reused(client, user, flight):
    key = str(uuid.uuid4())
    assert post_hold(client, {"flight": flight.pk, "passengers": 1}, key).status_code == 201

    response = client.post(
        "/api/v1/bookings",
        {"flight": flight.pk, "passengers": 1},
        format="json",
        HTTP_IDEMPOTENCY_KEY=key,
    )

    assert_problem(response, 422, "idempotency_key_reused")


@pytest.mark.parametrize(
    "key",
    [None, "", "has a space", "x" * 256, "tab\there", "caf\u00e9"],
    ids=["missing", "empty", "space", "too-long", "tab", "non-ascii"],
)
def test_missing_or_malformed_key_is_400_and_holds_nothing(client, user, flight, key):
    if key is not None and not key.isascii():
        response = client.post(
            HOLDS,
            {"flight": flight.pk, "passengers": 1},
            format="json",
            HTTP_IDEMPOTENCY_KEY=key.encode().decode("latin-1"),
        )
    else:
        response = post_hold(client, {"flight": flight.pk, "passengers": 1}, key)

    assert_problem(response, 400, "idempotency_key_required")
    assert not Booking.objects.filter(user=user).exists()
    assert not IdempotencyKey.objects.exists()


def test_longest_allowed_key_is_accepted(client, flight):
    response = post_hold(client, {"flight": flight.pk, "passengers": 1}, "k" * 255)

    assert response.status_code == 201, response.content


# In flight and abandoned ---------------------------------------------------------------------


def _reopen_claim(user, key: str, *, started_at) -> None:
    """Make the stored row look as it does while its request runs (no response yet): the state
    a concurrent retry, or a retry after a killed worker, meets."""
    updated = IdempotencyKey.objects.filter(user=user, key=key).update(
        response_status=None, response_body=None, response_headers={}, started_at=started_at
    )
    assert updated == 1


def test_key_still_in_flight_is_409_in_use_with_retry_after(client, user, flight):
    key = str(uuid.uuid4())
    body = {"flight": flight.pk, "passengers": 1}
    assert post_hold(client, body, key).status_code == 201
    _reopen_claim(user, key, started_at=timezone.now())

    response = post_hold(client, body, key)

    assert_problem(response, 409, "idempotency_key_in_use")
    assert int(response["Retry-After"]) >= 1
    row = IdempotencyKey.objects.get(user=user, key=key)
    assert row.response_status is None  # the first request still owns it


def test_key_in_flight_with_a_different_body_is_not_run(client, user, flight):
    key = str(uuid.uuid4())
    IdempotencyKey.objects.create(user=user, key=key, fingerprint="0" * 64, started_at=timezone.now())

    response = post_hold(client, {"flight": flight.pk, "passengers": 1}, key)

    assert_problem(response, 422, "idempotency_key_reused")
    assert not Booking.objects.filter(user=user).exists()


def test_abandoned_claim_is_taken_over_without_booking_twice(client, user, flight):
    key = str(uuid.uuid4())
    body = {"flight": flight.pk, "passengers": 1}
    first = post_hold(client, body, key)
    assert first.status_code == 201
    _reopen_claim(user, key, started_at=timezone.now() - timedelta(seconds=IN_FLIGHT_SECONDS + 5))

    retry = post_hold(client, body, key)

    assert retry.status_code == 201, retry.content
    assert not retry.has_header("Idempotent-Replayed")
    assert retry.json()["id"] == first.json()["id"]  # the service found what the first attempt made
    assert Booking.objects.filter(user=user).count() == 1
    row = IdempotencyKey.objects.get(user=user, key=key)
    assert row.response_status == 201
    assert timezone.now() - row.started_at < timedelta(seconds=IN_FLIGHT_SECONDS)
    assert post_hold(client, body, key)["Idempotent-Replayed"] == "true"


def test_abandoned_claim_with_no_result_runs_the_request(client, user, flight):
    # A worker killed before its service call: the claim exists, nothing was made. The claim's
    # fingerprint is taken from the same request made by someone else (it covers the method,
    # path and body).
    key = str(uuid.uuid4())
    body = {"flight": flight.pk, "passengers": 1}
    assert post_hold(bearer_client(UserFactory()), body, key).status_code == 201
    fingerprint = IdempotencyKey.objects.get(key=key).fingerprint
    IdempotencyKey.objects.create(
        user=user,
        key=key,
        fingerprint=fingerprint,
        started_at=timezone.now() - timedelta(seconds=IN_FLIGHT_SECONDS + 5),
    )

    retry = post_hold(client, body, key)

    assert retry.status_code == 201, retry.content
    assert not retry.has_header("Idempotent-Replayed")
    assert Booking.objects.filter(user=user).count() == 1
    assert IdempotencyKey.objects.get(user=user, key=key).response_status == 201


def test_fresh_claim_with_no_result_is_409_in_use(client, user, flight):
    key = str(uuid.uuid4())
    body = {"flight": flight.pk, "passengers": 1}
    assert post_hold(bearer_client(UserFactory()), body, key).status_code == 201
    fingerprint = IdempotencyKey.objects.get(key=key).fingerprint
    IdempotencyKey.objects.create(user=user, key=key, fingerprint=fingerprint, started_at=timezone.now())

    response = post_hold(client, body, key)

    assert_problem(response, 409, "idempotency_key_in_use")
    assert int(response["Retry-After"]) >= 1
    assert not Booking.objects.filter(user=user).exists()


# Scope and lifetime --------------------------------------------------------------------------


def test_keys_are_per_user(flight):
    first_user, second_user = UserFactory(), UserFactory()
    key = "shared-key-0001"

    first = post_hold(bearer_client(first_user), {"flight": flight.pk, "passengers": 1}, key)
    second = post_hold(bearer_client(second_user), {"flight": flight.pk, "passengers": 1}, key)

    assert first.status_code == second.status_code == 201, (first.content, second.content)
    assert not second.has_header("Idempotent-Replayed")
    assert first.json()["id"] != second.json()["id"]
    assert Booking.objects.get(user=first_user).reference == first.json()["id"]
    assert Booking.objects.get(user=second_user).reference == second.json()["id"]
    assert IdempotencyKey.objects.filter(key=key).count() == 2


def test_stored_response_older_than_the_retention_is_not_replayed(client, user, flight):
    key = str(uuid.uuid4())
    body = {"flight": flight.pk, "passengers": 1}
    assert post_hold(client, body, key).status_code == 201
    long_ago = timezone.now() - timedelta(hours=settings.API_IDEMPOTENCY_HOURS, minutes=1)
    IdempotencyKey.objects.filter(user=user, key=key).update(started_at=long_ago)

    response = post_hold(client, body, key)

    assert response.status_code == 201, response.content
    assert not response.has_header("Idempotent-Replayed")
    row = IdempotencyKey.objects.get(user=user, key=key)
    assert row.started_at > long_ago + timedelta(hours=1)


def test_stored_response_just_inside_the_retention_is_replayed(client, user, flight):
    key = str(uuid.uuid4())
    body = {"flight": flight.pk, "passengers": 1}
    assert post_hold(client, body, key).status_code == 201
    IdempotencyKey.objects.filter(user=user, key=key).update(
        started_at=timezone.now() - timedelta(hours=settings.API_IDEMPOTENCY_HOURS, minutes=-5)
    )

    response = post_hold(client, body, key)

    assert response["Idempotent-Replayed"] == "true"


def test_old_body_with_a_reused_key_after_the_retention_is_a_new_request(client, user):
    key = str(uuid.uuid4())
    assert post_hold(client, {"flight": FlightFactory().pk, "passengers": 1}, key).status_code == 201
    IdempotencyKey.objects.filter(user=user, key=key).update(
        started_at=timezone.now() - timedelta(hours=settings.API_IDEMPOTENCY_HOURS + 1)
    )

    response = post_hold(client, {"flight": FlightFactory().pk, "passengers": 1}, key)

    assert response.status_code == 201, response.content


def test_purge_deletes_rows_older_than_the_retention_only(user):
    now = timezone.now()
    old = [
        IdempotencyKey.objects.create(
            user=user,
            key=f"old-{index}",
            fingerprint="a" * 64,
            started_at=now - timedelta(hours=settings.API_IDEMPOTENCY_HOURS, minutes=1 + index),
            response_status=201,
            response_body={},
        )
        for index in range(3)
    ]
    fresh = IdempotencyKey.objects.create(
        user=user,
        key="fresh",
        fingerprint="b" * 64,
        started_at=now - timedelta(hours=settings.API_IDEMPOTENCY_HOURS - 1),
        response_status=201,
        response_body={},
    )

    assert idempotency_keys_purge() == 3
    assert not IdempotencyKey.objects.filter(pk__in=[row.pk for row in old]).exists()
    assert IdempotencyKey.objects.filter(pk=fresh.pk).exists()
    assert idempotency_keys_purge() == 0


def test_purge_respects_its_limit(user):
    long_ago = timezone.now() - timedelta(days=3)
    for index in range(5):
        IdempotencyKey.objects.create(user=user, key=f"k-{index}", fingerprint="c" * 64, started_at=long_ago)

    assert idempotency_keys_purge(limit=2) == 2
    assert IdempotencyKey.objects.count() == 3
