"""One error format for the whole API: application/problem+json with a stable `code`,
`errors` per field, `request_id` (also the X-Request-ID header), Retry-After on 409/429/503,
and never an HTML page or a 500 under /api/ (tests run with DEBUG off, as production does)."""

import json
import re
import uuid

import pytest
from django.test import Client, RequestFactory

from accounts.tests.factories import StaffFactory, UserFactory
from api.errors import CODES, DOMAIN_ERRORS, FRAMEWORK_ERRORS
from booking_site import error_views
from bookings.models import Booking
from bookings.tests.factories import make_booking
from flights.tests.factories import AirportFactory, FlightFactory

from . import helpers
from .helpers import PROBLEM, bearer_client, post

pytestmark = pytest.mark.django_db

PROBLEM_MEMBERS = {"type", "title", "status", "detail", "code", "instance", "request_id"}
GENERATED_ID = re.compile(r"[0-9a-f]{32}")


def assert_problem(response, status: int, code: str, *, path: str | None = None) -> dict:
    """The whole problem shape, for any error under /api/: the shared check, then every member."""
    body = helpers.assert_problem(response, status, code, path=path)
    assert PROBLEM_MEMBERS <= set(body), body
    assert body["code"] in CODES
    assert body["title"] == CODES[code].title
    assert isinstance(body["detail"], str) and body["detail"]
    assert body["type"].endswith("/api/v1/docs/#section/Errors")
    assert body["request_id"]
    assert response["X-Request-ID"] == body["request_id"]
    if status in (409, 429, 503):
        assert int(response["Retry-After"]) >= 1
    return body


def hold(client, body: dict):
    return post(client, "/api/v1/holds", body)


# Framework errors ----------------------------------------------------------------------------


def test_unknown_path_under_api_is_problem_json_not_found():
    response = Client().get("/api/v1/no-such-thing")

    body = assert_problem(response, 404, "not_found", path="/api/v1/no-such-thing")
    assert b"<html" not in response.content.lower()
    assert "schema" in body["detail"]


def test_unknown_path_outside_api_keeps_the_sites_html_page():
    response = Client().get("/no-such-page-at-all/")

    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")


def test_unknown_object_under_api_is_problem_json_not_found():
    user = UserFactory()

    response = bearer_client(user).get("/api/v1/bookings/ZZZZZZ")

    assert_problem(response, 404, "not_found", path="/api/v1/bookings/ZZZZZZ")


def test_another_users_booking_is_not_found_not_forbidden():
    booking = make_booking()

    response = bearer_client(UserFactory()).get(f"/api/v1/bookings/{booking.reference}")

    assert_problem(response, 404, "not_found")


def test_bad_query_parameter_is_validation_error_with_errors_per_field():
    AirportFactory(iata="LHR")
    AirportFactory(iata="JFK")
    response = Client().get("/api/v1/flights", {"origin": "LHR", "destination": "JFK", "date": "not-a-date"})

    body = assert_problem(response, 400, "validation_error", path="/api/v1/flights")
    assert set(body["errors"]) == {"date"}
    assert body["errors"]["date"] and all(isinstance(message, str) for message in body["errors"]["date"])


def test_missing_query_parameters_are_each_listed():
    response = Client().get("/api/v1/flights", {"passengers": "0"})

    body = assert_problem(response, 400, "validation_error")
    assert {"origin", "destination", "date", "passengers"} <= set(body["errors"])


def test_nested_field_errors_are_dotted_paths():
    user = UserFactory()
    payload = {
        "hold": "ABC123",
        "passengers": [{"first_names": "Ada", "last_name": "x" * 80}],
        "payment": {"card": {"number": "4242424242424242", "expiry": "12/30", "cvc": "123", "holder": "A"}},
    }

    response = post(bearer_client(user), "/api/v1/bookings", payload)

    body = assert_problem(response, 400, "validation_error")
    assert "passengers.0.last_name" in body["errors"]


def test_malformed_json_body_is_parse_error():
    response = Client().post("/api/v1/auth/token", '{"email": "a@example.test", ', content_type="application/json")

    assert_problem(response, 400, "parse_error", path="/api/v1/auth/token")


def test_wrong_method_is_405_method_not_allowed():
    user = UserFactory()

    response = bearer_client(user).delete("/api/v1/me")

    assert_problem(response, 405, "method_not_allowed")
    assert "GET" in response["Allow"]


def test_unsupported_media_type_is_415():
    response = Client().post("/api/v1/auth/token", "email=a@example.test&password=x", content_type="text/plain")

    assert_problem(response, 415, "unsupported_media_type")


def test_form_encoded_body_is_415_too():
    response = Client().post("/api/v1/auth/token", {"email": "a@example.test", "password": "x"})

    assert_problem(response, 415, "unsupported_media_type")


def test_asking_for_html_is_406_not_acceptable_in_problem_json():
    response = Client().get("/api/v1/airports", {"q": "lon"}, HTTP_ACCEPT="text/html")

    assert response.status_code == 406
    assert response["Content-Type"] == PROBLEM
    assert response.json()["code"] == "not_acceptable"


def test_anonymous_on_authenticated_endpoint_is_401_with_www_authenticate():
    response = Client().get("/api/v1/me")

    assert_problem(response, 401, "not_authenticated", path="/api/v1/me")
    assert response["WWW-Authenticate"].startswith("Bearer")


def test_bad_bearer_token_is_401_token_not_valid_with_www_authenticate():
    response = Client().get("/api/v1/me", HTTP_AUTHORIZATION="Bearer not-a-token")

    assert_problem(response, 401, "token_not_valid")
    assert response["WWW-Authenticate"].startswith("Bearer")


@pytest.mark.parametrize(
    "authorization",
    ["Bearer", "Bearer two parts", "Bearer \u00e9t\u00e9", "Basic dXNlcjpwYXNz", "Token abc", "bearer"],
    ids=["no-token", "two-parts", "non-ascii", "basic", "other-scheme", "lower-case"],
)
def test_odd_authorization_headers_are_401_problem_json(authorization):
    response = Client().get("/api/v1/me", HTTP_AUTHORIZATION=authorization)

    assert response.status_code == 401, response.content
    assert response["Content-Type"] == PROBLEM
    assert response.json()["code"] in {"not_authenticated", "authentication_failed", "token_not_valid"}


def test_passenger_on_staff_endpoint_is_403_permission_denied():
    response = bearer_client(UserFactory()).get("/api/v1/users")

    assert_problem(response, 403, "permission_denied", path="/api/v1/users")


def test_staff_endpoint_serves_staff():
    # The control for the refusal above.
    response = bearer_client(StaffFactory()).get("/api/v1/users")

    assert response.status_code == 200


def test_passenger_may_not_add_a_flight():
    response = bearer_client(UserFactory()).post("/api/v1/flights", {"number": "SK1"}, format="json")

    assert_problem(response, 403, "permission_denied")


@pytest.mark.parametrize("body", ["[]", "null", '"text"', "42", "[1, 2]", "{}"])
def test_json_that_is_not_an_object_is_a_validation_error_not_a_500(body):
    client = bearer_client(UserFactory())

    response = client.post(
        "/api/v1/holds", body, content_type="application/json", HTTP_IDEMPOTENCY_KEY=str(uuid.uuid4())
    )

    assert_problem(response, 400, "validation_error")


def test_disallowed_host_under_api_is_problem_json_bad_request():
    response = Client().get("/api/v1/airports", {"q": "lon"}, HTTP_HOST="evil.example")

    assert response.status_code == 400
    assert response["Content-Type"] == PROBLEM
    assert response.json()["code"] == "bad_request"


def test_disallowed_host_under_api_still_carries_a_request_id():
    response = Client().get("/api/v1/airports", {"q": "lon"}, HTTP_HOST="evil.example")

    assert_problem(response, 400, "bad_request")


def test_server_error_handler_answers_problem_json_under_api():
    request = RequestFactory().get("/api/v1/flights/1")
    request.id = "trace-0123456789"

    response = error_views.server_error(request)

    assert response.status_code == 500
    assert response["Content-Type"] == PROBLEM
    body = json.loads(response.content)
    assert body["code"] == "server_error"
    assert body["request_id"] == "trace-0123456789"
    assert body["instance"] == "/api/v1/flights/1"


def test_server_error_handler_keeps_html_outside_api():
    response = error_views.server_error(RequestFactory().get("/bookings/"))

    assert response.status_code == 500
    assert response["Content-Type"].startswith("text/html")


# X-Request-ID --------------------------------------------------------------------------------


def test_sane_client_request_id_is_echoed_in_header_and_body():
    response = Client().get("/api/v1/me", HTTP_X_REQUEST_ID="client-trace-0001.a:b")

    body = assert_problem(response, 401, "not_authenticated")
    assert response["X-Request-ID"] == "client-trace-0001.a:b"
    assert body["request_id"] == "client-trace-0001.a:b"


@pytest.mark.parametrize(
    "given",
    ["", "short", "has spaces in it", "x" * 65, "<script>alert(1)</script>", "ok-but\nnewline"],
    ids=["empty", "too-short", "spaces", "too-long", "markup", "newline"],
)
def test_unsafe_client_request_id_is_replaced_by_a_generated_one(given):
    response = Client().get("/api/v1/me", HTTP_X_REQUEST_ID=given)

    body = assert_problem(response, 401, "not_authenticated")
    assert GENERATED_ID.fullmatch(body["request_id"])
    assert response["X-Request-ID"] == body["request_id"]


def test_request_id_is_generated_per_request_and_set_on_success_too():
    client = Client()

    first = client.get("/api/v1/airports", {"q": "lon"})
    second = client.get("/api/v1/airports", {"q": "lon"})

    assert first.status_code == 200
    assert GENERATED_ID.fullmatch(first["X-Request-ID"])
    assert first["X-Request-ID"] != second["X-Request-ID"]


# Domain errors -------------------------------------------------------------------------------


def test_sold_out_is_409_with_retry_after():
    flight = FlightFactory(capacity=2)
    make_booking(flight=flight, passengers=2)
    before = Booking.objects.count()

    response = hold(bearer_client(UserFactory()), {"flight": flight.pk, "passengers": 1})

    body = assert_problem(response, 409, "sold_out", path="/api/v1/holds")
    assert int(response["Retry-After"]) == CODES["sold_out"].retry_after
    assert Booking.objects.count() == before
    assert "seats" not in body


def test_seat_taken_is_409_with_retry_after_and_lists_the_seats():
    flight = FlightFactory(capacity=12)
    make_booking(flight=flight, seats=["1A"])

    response = hold(bearer_client(UserFactory()), {"flight": flight.pk, "passengers": 2, "seats": ["1A", "1B"]})

    body = assert_problem(response, 409, "seat_taken")
    assert body["seats"] == ["1A"]
    assert int(response["Retry-After"]) >= 1


def test_unknown_seat_is_422_seat_unknown():
    flight = FlightFactory(capacity=6)

    response = hold(bearer_client(UserFactory()), {"flight": flight.pk, "passengers": 1, "seats": ["40F"]})

    assert_problem(response, 422, "seat_unknown")
    assert not response.has_header("Retry-After")


def test_unknown_flight_is_a_validation_error_on_flight():
    response = hold(bearer_client(UserFactory()), {"flight": 2**62, "passengers": 1})

    body = assert_problem(response, 400, "validation_error")
    assert "flight" in body["errors"]


def test_every_domain_error_maps_to_a_known_code():
    assert DOMAIN_ERRORS
    for exception, code in DOMAIN_ERRORS:
        assert code in CODES, f"{exception.__name__} maps to unknown code {code!r}"
    for exception, code in FRAMEWORK_ERRORS:
        assert code in CODES, f"{exception.__name__} maps to unknown code {code!r}"


def test_domain_error_table_lists_subclasses_before_their_bases():
    # The first match wins, so a base class before its subclass would hide the subclass's code.
    kinds = [exception for exception, _ in DOMAIN_ERRORS]
    for index, earlier in enumerate(kinds):
        for later in kinds[index + 1 :]:
            assert not issubclass(later, earlier), f"{later.__name__} is hidden by {earlier.__name__}"


def test_every_retryable_code_has_retry_after():
    for code, entry in CODES.items():
        if entry.status in (409, 429, 503):
            assert entry.retry_after is not None and entry.retry_after >= 1, code
        else:
            assert entry.retry_after is None, code


def test_codes_are_stable_snake_case_with_error_statuses():
    for code, entry in CODES.items():
        assert re.fullmatch(r"[a-z]+(_[a-z]+)*", code), code
        assert 400 <= entry.status <= 599, code
        assert entry.title, code
