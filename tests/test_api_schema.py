"""The API and its OpenAPI schema agree (issue: "schemathesis against the running schema").

1. The schema generates without warnings (`manage.py spectacular --validate --fail-on-warn`,
   as CI runs it), and every operation has an operationId, a summary and at least one
   application/problem+json error response with examples.

2. schemathesis, against the schema the running app serves (/api/v1/schema/, loaded through
   the real WSGI application, in-process): every operation, as an anonymous client, as a
   passenger and as a staff member (Bearer JWTs). Each response must not be a 5xx, its status
   code must be documented, and its content type, headers and body must match the schema.
   Generated values are mixed with real ones (`flatmap_case`): path parameters that are real
   objects ({reference}, {flight_id}, {ticket_id}, {quote_id}, {export_id}, {import_id}),
   valid Idempotency-Keys, and bodies that work (a hold on a flight with seats, the
   passenger's hold paid with a test card, real credentials and refresh tokens, a flight the
   staff may add), so the views are reached past validation, not only their 400s.

Each example runs in a savepoint that is rolled back, with a cache key prefix of its own (no
rate-limit counter carries over); the objects they share are made once for the module.

Budget: SCHEMATHESIS_EXAMPLES generated examples per operation and user (default 10; the
schema's own examples come on top), derandomized so `make test` repeats itself. A longer run
that explores new inputs each time, with schemathesis's coverage phase (boundary values and
every documented case) too:

    SCHEMATHESIS_EXAMPLES=200 SCHEMATHESIS_RANDOM=1 SCHEMATHESIS_COVERAGE=1 pytest tests/test_api_schema.py

The requests sent, by status class, are printed at the end (and written to
SCHEMATHESIS_STATS_FILE if set), with the known schema defects seen (KNOWN_DEFECTS).
"""

import json
import os
import subprocess
import sys
import time
import uuid
from collections import Counter
from datetime import timedelta
from pathlib import Path

import pytest
import schemathesis
from django.core.cache import caches
from django.core.files.base import ContentFile
from django.core.signals import request_finished, request_started
from django.db import close_old_connections, transaction
from django.test import override_settings
from django.utils import timezone
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from accounts.tests.factories import PASSWORD, StaffFactory, UserFactory
from api.errors import PROBLEM_CONTENT_TYPE
from api.models import CancellationQuote
from api.views.auth import token_pair
from booking_site.wsgi import application
from bookings import services as booking_services
from bookings.fares import refund_due
from bookings.models import BookingExport
from bookings.tests.factories import TEST_CARD, make_booking, make_hold
from flights.imports.parsing import sample_csv
from flights.models import Flight, FlightImport
from flights.tests.factories import AirportFactory, FlightFactory

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parent.parent
SCHEMA_URL = "/api/v1/schema/?format=json"
EXAMPLES = int(os.environ.get("SCHEMATHESIS_EXAMPLES", "10"))
RANDOM = os.environ.get("SCHEMATHESIS_RANDOM", "") not in ("", "0")
COVERAGE = os.environ.get("SCHEMATHESIS_COVERAGE", "") not in ("", "0")
USERS = ("anonymous", "passenger", "staff")

# What "responses conform to the schema" means here (schemathesis's other checks, such as
# negative_data_rejection or use_after_free, judge the API's design, not the schema).
CHECKS = [
    # not_a_server_error is asserted in the test itself (counted, and never excluded)
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]

# Schema defects known and reported (the lead fixes them in api/): a failure of `check` on
# `operationId` answering `status` is dropped (and counted as seen) instead of failing the
# test. Anything else fails. Keep this empty once api/ is fixed.
KNOWN_DEFECTS: dict[tuple[str, int, str], str] = {}


# --- the schema, as the app serves it --------------------------------------------------------


def _served_schema():
    """Loaded through the real WSGI application at import (collection) time: the database is
    not open then (the schema view needs none), and the request's rate-limit counters go to a
    key space of their own."""
    from django.conf import settings as django_settings

    config = schemathesis.Config.from_dict(
        {"phases": {"coverage": {"enabled": COVERAGE}, "stateful": {"enabled": False}}}
    )
    prefix = f"st-load-{uuid.uuid4().hex[:12]}"
    caches_apart = {alias: {**cache, "KEY_PREFIX": prefix} for alias, cache in django_settings.CACHES.items()}
    with override_settings(ALLOWED_HOSTS=["localhost"], CACHES=caches_apart):
        return schemathesis.openapi.from_wsgi(SCHEMA_URL, application, config=config)


schema = _served_schema()


# --- the objects every example can reach -------------------------------------------------------


class World:
    """Made once per module: users and their tokens, real objects for the path parameters,
    and request bodies that work."""

    def __init__(self):
        london = AirportFactory(iata="LHR", city="London", tz="Europe/London")
        new_york = AirportFactory(iata="JFK", city="New York", tz="America/New_York")
        AirportFactory(iata="CDG", city="Paris", tz="Europe/Paris")
        departs = (timezone.now() + timedelta(days=10)).replace(hour=9, minute=0, second=0, microsecond=0)
        flight = FlightFactory(number="SK100", origin=london, destination=new_york, capacity=60, departs_at=departs)
        open_flight = FlightFactory(
            number="SK102", origin=london, destination=new_york, capacity=60, departs_at=departs + timedelta(hours=3)
        )
        departed = FlightFactory(origin=london, destination=new_york, departs_at=timezone.now() - timedelta(days=2))
        cancelled = FlightFactory(origin=new_york, destination=london, departs_at=departs + timedelta(days=1))
        Flight.objects.filter(pk=cancelled.pk).update(status=Flight.Status.CANCELLED)

        self.passenger = UserFactory(email="passenger@example.test", first_name="Ada", last_name="Fuzz")
        self.staff = StaffFactory(email="staff@example.test")
        other = UserFactory(email="other@example.test")
        booking = make_booking(user=self.passenger, flight=flight, passengers=2)
        other_booking = make_booking(user=other, flight=flight)
        self.hold = make_hold(user=self.passenger, flight=flight)
        tickets = list(booking.tickets.order_by("pk"))
        now = timezone.now()
        quote = CancellationQuote.objects.create(
            booking=booking,
            ticket_ids=[ticket.pk for ticket in tickets],
            refund_total=sum(refund_due(ticket.price, departs_at=flight.departs_at, at=now) for ticket in tickets),
            expires_at=now + timedelta(days=1),  # still open at the end of a long run
        )
        export = BookingExport.objects.create(user=self.passenger)
        booking_services.export_run(export_id=export.pk)
        self.csv = sample_csv([("LHR", "Europe/London"), ("JFK", "America/New_York")]).encode()
        flight_import = FlightImport.objects.create(
            created_by=self.staff, file=ContentFile(self.csv, name="sample.csv"), file_name="sample.csv", status="done"
        )

        self.users = {"anonymous": None, "passenger": self.passenger, "staff": self.staff}
        # Staff sign in with password and code, as the token endpoint requires of them.
        self.refresh = {
            who: token_pair(user, second_factor=user.is_staff)["refresh"] for who, user in self.users.items() if user
        }
        self.access: dict[str, tuple[float, str]] = {}
        # Real values for each set of path parameters, coherent (a ticket of that booking): the
        # passenger's booking and hold, another user's booking, a reference in lower case.
        references = [booking.reference, self.hold.reference, other_booking.reference, booking.reference.lower()]
        self.real_paths = {
            ("flight_id",): [{"flight_id": pk} for pk in (flight.pk, open_flight.pk, departed.pk, cancelled.pk)],
            ("reference",): [{"reference": reference} for reference in references],
            ("reference", "ticket_id"): [
                *({"reference": booking.reference, "ticket_id": ticket.pk} for ticket in tickets),
                {"reference": other_booking.reference, "ticket_id": other_booking.tickets.first().pk},
            ],
            ("quote_id", "reference"): [
                {"reference": booking.reference, "quote_id": str(quote.pk)},
                {"reference": other_booking.reference, "quote_id": str(quote.pk)},
            ],
            ("export_id",): [{"export_id": export.pk}],
            ("import_id",): [{"import_id": flight_import.pk}],
        }
        self.flights = [open_flight.pk, flight.pk, cancelled.pk]  # the one that works first
        self.tickets = [ticket.pk for ticket in tickets]
        self.local_day = flight.departs_local().date().isoformat()
        self.new_day = (departs + timedelta(days=30)).date().isoformat()

    def headers(self, who: str) -> dict[str, str]:
        """A Bearer access token for the user, made again every minute (they live 5-15
        minutes, and a long run takes longer)."""
        user = self.users[who]
        if user is None:
            return {}
        made, token = self.access.get(who, (0.0, ""))
        if time.monotonic() - made > 60:
            made, token = time.monotonic(), token_pair(user, second_factor=user.is_staff)["access"]
            self.access[who] = (made, token)
        return {"Authorization": f"Bearer {token}"}

    def bodies(self, operation_id: str) -> st.SearchStrategy | None:
        """Bodies the operation accepts (for some users), or None to keep the generated one."""
        flight = {
            "number": "SK901",
            "origin": "LHR",
            "destination": "JFK",
            "departs_local": f"{self.new_day}T10:30",
            "arrives_local": f"{self.new_day}T13:45",
            "price": "99.00",
            "capacity": 60,
        }
        card = {"number": TEST_CARD.number, "expiry": "12/99", "cvc": "123", "holder": "Ada Fuzz"}
        strategies = {
            "holds_create": st.fixed_dictionaries(
                {"flight": st.sampled_from(self.flights), "passengers": st.integers(1, 3)}
            ),
            "bookings_create": st.just(
                {
                    "hold": self.hold.reference,
                    "passengers": [{"first_names": "Ada", "last_name": "Fuzz"}],
                    "payment": {"card": card},
                }
            ),
            "cancellations_quote": st.sampled_from([{}, {"passengers": self.tickets[:1]}]),
            "auth_token": st.just({"email": self.passenger.email, "password": PASSWORD}),
            "auth_token_refresh": st.sampled_from([{"refresh": token} for token in self.refresh.values()]),
            "auth_logout": st.sampled_from([{"refresh": token} for token in self.refresh.values()]),
            "auth_signup": st.just(
                {
                    "email": "new@example.test",
                    "password": "a-long-new-passphrase",
                    "first_name": "New",
                    "last_name": "F",
                }
            ),
            "flights_create": st.just(flight),
            "flights_update": st.just(flight),
            "flights_partial_update": st.sampled_from(
                [
                    {"price": "120.00"},
                    {"departs_local": f"{self.local_day}T10:30", "arrives_local": f"{self.local_day}T13:45"},
                ]
            ),
            "imports_create": st.just({"file": self.csv}),
        }
        return strategies.get(operation_id)

    def queries(self, operation_id: str) -> st.SearchStrategy | None:
        strategies = {
            "flights_search": st.just({"origin": "LHR", "destination": "JFK", "date": self.local_day}),
            "airports_suggest": st.sampled_from([{"q": "lon"}, {"q": "JFK"}]),
            "manifests_list": st.just({"number": "SK100", "date": self.local_day}),
            "schedule_list": st.just({"number": "SK100"}),
            "users_list": st.just({"q": "fuzz"}),
        }
        return strategies.get(operation_id)


CURRENT: dict[str, World] = {}  # "world", set by the fixture; read by the hook while examples are drawn


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker, tmp_path_factory):
    """Made once, in a transaction rolled back when the module is done; each test's own
    transaction and each example's savepoint nest inside. The real WSGI handler closes "old"
    connections at the start and end of each request (which, inside a transaction, is every
    connection): that is switched off here, as Django's test client does."""
    media = tmp_path_factory.mktemp("api-schema-media")
    storages = {
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage", "OPTIONS": {"location": str(media)}},
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    fast_hashes = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    files = override_settings(MEDIA_ROOT=str(media), STORAGES=storages, PASSWORD_HASHERS=fast_hashes)
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    with django_db_blocker.unblock(), files:
        outer = transaction.atomic()
        outer.__enter__()
        try:
            CURRENT["world"] = World()
            yield CURRENT["world"]
        finally:
            CURRENT.clear()
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)
            request_started.connect(close_old_connections)
            request_finished.connect(close_old_connections)


# --- generated values, mixed with real ones ----------------------------------------------------


@schema.hook
def flatmap_case(context, case):
    """Real path parameters, a valid Idempotency-Key, a body and a query that work: half the
    time all of them, otherwise each half the time, with what schemathesis generated."""
    world = CURRENT.get("world")
    if world is None:
        return st.just(case)
    operation_id = case.operation.definition.raw.get("operationId", "")
    real_paths = world.real_paths.get(tuple(sorted(case.path_parameters or {})))
    body = world.bodies(operation_id)
    query = world.queries(operation_id)
    wants_key = any(parameter.name == "Idempotency-Key" for parameter in case.operation.headers)
    choices = st.fixed_dictionaries(
        {
            "path": st.sampled_from(real_paths) if real_paths else st.none(),
            "body": body if body is not None else st.none(),
            "query": query if query is not None else st.none(),
            "key": st.uuids().map(str) if wants_key else st.none(),
            # all real (the request should work for someone), or each part real or not
            "use": st.one_of(
                st.just((True,) * 4), st.tuples(st.booleans(), st.booleans(), st.booleans(), st.booleans())
            ),
        }
    )
    return choices.map(lambda choice: _realistic(case, choice))


def _realistic(case, choice):
    use_path, use_body, use_query, use_key = choice["use"]
    if use_path and choice["path"]:
        case.path_parameters = {**case.path_parameters, **choice["path"]}
    if use_body and choice["body"] is not None:
        case.body = choice["body"]
    if use_query and choice["query"] is not None:
        case.query = {**(case.query or {}), **choice["query"]}
    if use_key and choice["key"] is not None:
        case.headers = {**(case.headers or {}), "Idempotency-Key": choice["key"]}
    return case


# --- counting, and the known defects -----------------------------------------------------------

STATS: Counter = Counter()
BY_OPERATION: Counter = Counter()  # "operationId who status" -> requests, in the stats file only


@schema.hook
def filter_failure(context, failure, case, response):
    """Drop (and count) only the failures listed in KNOWN_DEFECTS."""
    operation_id = case.operation.definition.raw.get("operationId", "")
    checks = set(getattr(failure, "checks", ()) or ()) | {"*"}
    for (known_operation, status, known_check), _why in KNOWN_DEFECTS.items():
        if known_operation == operation_id and status == response.status_code and known_check in checks:
            STATS[f"known defect: {operation_id} {status} {known_check}"] += 1
            return False
    return True


@pytest.fixture(scope="module", autouse=True)
def _report_requests(request):
    started = time.monotonic()
    yield
    if not STATS:
        return
    figures = {
        **STATS,
        "5xx": STATS["5xx"],
        "seconds": round(time.monotonic() - started, 1),
        "examples_per_operation": EXAMPLES,
    }
    reporter = request.config.pluginmanager.get_plugin("terminalreporter")
    capture = request.config.pluginmanager.get_plugin("capturemanager")
    line = "schemathesis: " + ", ".join(f"{name} {value}" for name, value in sorted(figures.items()))
    if reporter is not None and capture is not None:
        with capture.global_and_fixture_disabled():
            reporter.ensure_newline()
            reporter.write_line(line)
    if os.environ.get("SCHEMATHESIS_STATS_FILE"):
        with open(os.environ["SCHEMATHESIS_STATS_FILE"], "w") as stats_file:
            json.dump({**figures, "by_operation": dict(sorted(BY_OPERATION.items()))}, stats_file, indent=2)


# --- the tests ---------------------------------------------------------------------------------


def test_schema_generates_without_warnings_and_documents_errors(tmp_path):
    """What CI checks: the schema command validates it and fails on any warning."""
    target = tmp_path / "schema.json"
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_ALLOW_ASYNC_UNSAFE"}
    result = subprocess.run(
        [
            sys.executable,
            "manage.py",
            "spectacular",
            "--validate",
            "--fail-on-warn",
            "--api-version",
            "v1",
            "--format",
            "openapi-json",
            "--file",
            str(target),
        ],
        cwd=ROOT,
        env={**env, "DEBUG": "0"},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr + result.stdout
    document = json.loads(target.read_text())
    operations = [
        (f"{method.upper()} {path}", operation)
        for path, item in document["paths"].items()
        for method, operation in item.items()
        if method in ("get", "put", "post", "patch", "delete")
    ]
    assert len(operations) >= 30, "the API has lost operations?"
    missing = []
    for label, operation in operations:
        if not operation.get("operationId"):
            missing.append(f"{label}: no operationId")
        if not operation.get("summary"):
            missing.append(f"{label}: no summary")
        problems = [
            content
            for status, response in operation["responses"].items()
            if status[0] in "45"
            for media_type, content in response.get("content", {}).items()
            if media_type == PROBLEM_CONTENT_TYPE
        ]
        if not problems:
            missing.append(f"{label}: no {PROBLEM_CONTENT_TYPE} error response")
        elif not all(content.get("examples") for content in problems):
            missing.append(f"{label}: a {PROBLEM_CONTENT_TYPE} error response without examples")
    assert not missing, "\n".join(missing)
    ids = [operation["operationId"] for _label, operation in operations]
    assert len(ids) == len(set(ids)), "operationIds must be unique"
    # The schema the app serves is the one CI checks.
    assert schema.raw_schema == document


@pytest.mark.parametrize("who", USERS)
@schema.parametrize()
@settings(
    max_examples=EXAMPLES,
    derandomize=not RANDOM,
    deadline=None,
    database=None,  # nothing written to the work tree; print_blob reproduces a failure
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much],
)
def test_api_conforms_to_its_schema(case, who, world):
    headers = world.headers(who)
    with transaction.atomic():
        # A key space of its own: no rate-limit counter or lock from another example.
        prefix = f"st-{uuid.uuid4().hex[:12]}"
        for alias in ("default", "ratelimit"):
            caches[alias].key_prefix = prefix
        response = case.call(headers=headers)
        transaction.set_rollback(True)
    STATS["requests"] += 1
    STATS[f"{who} {response.status_code // 100}xx"] += 1
    BY_OPERATION[f"{case.operation.definition.raw.get('operationId')} {who} {response.status_code}"] += 1
    if response.status_code >= 500:
        STATS["5xx"] += 1
    assert response.status_code < 500, (
        f"{response.status_code} as {who}:\n{case.as_curl_command(headers=headers)}\n{response.text[:2000]}"
    )
    case.validate_response(response, checks=CHECKS, headers=headers)


# --- server errors found by longer runs, kept as examples until fixed -------------------------

LAST_DAY = {"departs_local": "9999-12-31T20:30", "arrives_local": "9999-12-31T23:45"}  # JFK is UTC-5
NEW_FLIGHT = {"number": "SK901", "origin": "LHR", "destination": "JFK", "price": "99.00", **LAST_DAY}
FIRST_DAY = {"number": "SK902", "origin": "CDG", "destination": "LHR", "price": "99.00"}
FIRST_DAY |= {"departs_local": "0001-01-01T00:05", "arrives_local": "0001-01-01T02:00"}  # CDG is east of UTC


def _far_date(label, method, path, parts):
    return pytest.param(method, path, parts, id=label)


@pytest.mark.parametrize(
    ("method", "path", "parts"),
    [
        _far_date("manifests-0001", "GET", "/api/v1/manifests", {"query": {"number": "SK100", "date": "0001-01-01"}}),
        _far_date("manifests-9999", "GET", "/api/v1/manifests", {"query": {"number": "SK100", "date": "9999-12-31"}}),
        _far_date("schedule-0001", "GET", "/api/v1/schedule", {"query": {"date": "0001-01-01"}}),
        _far_date("schedule-9999", "GET", "/api/v1/schedule", {"query": {"date": "9999-12-31"}}),
        _far_date("flights_create-9999", "POST", "/api/v1/flights", {"body": NEW_FLIGHT}),
        _far_date("flights_create-0001", "POST", "/api/v1/flights", {"body": FIRST_DAY}),
        _far_date("flights_partial_update-9999", "PATCH", "/api/v1/flights/{flight_id}", {"body": LAST_DAY}),
    ],
)
def test_a_date_at_the_end_of_the_calendar_is_refused(method, path, parts, world):
    """A 400 validation_error, as the schema says, not a 500 (a time-zone sum past the
    calendar's end: fixed by flights.forms.StaffDateField's years)."""
    operation = schema[path][method]
    if "{flight_id}" in path:
        parts = {**parts, "path_parameters": {"flight_id": world.flights[0]}}
    case = operation.Case(**parts)
    headers = world.headers("staff")
    with transaction.atomic():
        response = case.call(headers=headers)
        transaction.set_rollback(True)
    assert response.status_code == 400, response.text[:500]
    case.validate_response(response, checks=CHECKS, headers=headers)
