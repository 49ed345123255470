"""Who may reach what: every URL of the site against five actors (ARCHITECTURE.md, rule 8):
anonymous, the owner, another passenger, staff signed in with their second factor, and staff
who have not shown it (issue 14: sent to the two-step page, or 403 `second_factor_required`
on the API, wherever staff rights are needed; like any staff member elsewhere).

Each row of ROUTES says, per actor, what the response must be. A response that refuses
access must also leave the database as it was: the booking confirmed, the flight on the
schedule, its seat counter where it was, no booking added.
"""

import uuid
from dataclasses import dataclass
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient
from rest_framework_simplejwt.tokens import RefreshToken

from accounts.tests.factories import PASSWORD, StaffFactory, UserFactory, verified_login
from accounts.unsubscribe import unsubscribe_token
from api.views.auth import token_pair
from bookings.models import Booking, BookingExport, Payment, Ticket
from bookings.services import exports
from bookings.tests.factories import make_booking, make_hold
from flights.models import Flight
from flights.tests.factories import AirportFactory, FlightFactory

pytestmark = pytest.mark.django_db

ACTORS = ("anonymous", "owner", "other", "staff", "staff_no2fa")

# Expected outcomes. "login" is a redirect to our login page with ?next=, "admin-login" to
# django-admin's, "two-step" to the two-step page with ?next=; "->name" is a redirect to that
# URL; numbers are plain status codes.
OK, LOGIN, ADMIN_LOGIN, FORBIDDEN, NOT_FOUND, NOT_ALLOWED = 200, "login", "admin-login", 403, 404, 405
TWO_STEP = "two-step"


@dataclass
class World:
    owner: object
    other: object
    staff: object
    staff_no2fa: object  # staff, signed in with the password only
    flight: Flight
    booking: Booking
    hold: Booking  # the owner's checkout in progress: seats held, no names yet


@dataclass(frozen=True)
class Route:
    name: str
    method: str
    url: object  # World -> str
    expect: dict
    data: object = None  # World -> dict, for POST
    # Which actors' requests are expected to change the database (the legitimate ones).
    changes: tuple = ()

    def expected(self, actor):
        return _expected(self.expect, actor, staff_refusal=TWO_STEP)

    def changes_for(self, actor) -> bool:
        return _changes(self, actor)


def _expected(expect: dict, actor: str, *, staff_refusal):
    """Staff without a second factor: refused wherever passengers are refused for not being
    staff (django-admin sends them to its login, which sends them on to the two-step page),
    like staff everywhere else. A row may say otherwise."""
    if actor != "staff_no2fa" or actor in expect:
        return expect[actor]
    if expect["owner"] == FORBIDDEN:
        return staff_refusal
    if expect["owner"] == ADMIN_LOGIN:
        return ADMIN_LOGIN
    return expect["staff"]


def _changes(route, actor: str) -> bool:
    if actor == "staff_no2fa" and actor not in route.changes:
        return "staff" in route.changes and route.expected(actor) == route.expect["staff"]
    return actor in route.changes


def _booking_form(world):
    return {"token": str(uuid.uuid4()), "passengers": "1"}


def _cancel_all(world):
    tickets = [str(ticket.pk) for ticket in world.booking.tickets.all()]
    return {"scope": "whole", "tickets": tickets, "confirm": "1"}  # everyone: the whole-booking choice


def _manage_form(world):
    return {"reference": world.booking.reference, "last_name": "2"}  # make_booking names "Passenger 2"


def _flight_import(world) -> int:
    """A staff member's finished flight import (a row only: the pages read no file)."""
    from flights.models import FlightImport

    return FlightImport.objects.create(
        created_by=world.staff, file="flight-imports/a.csv", file_name="a.csv", status="done"
    ).pk


OWNER_ONLY = {"anonymous": LOGIN, "owner": OK, "other": NOT_FOUND, "staff": NOT_FOUND}


def _same(value):
    return {actor: value for actor in ACTORS}


def _owner_export(world):
    """The owner's finished bookings export (written by the real job on first use)."""
    export = BookingExport.objects.filter(user=world.owner, status=BookingExport.Status.DONE).first()
    if export is None:
        export = BookingExport.objects.create(user=world.owner)
        exports.export_run(export_id=export.pk)
    return export


def _outbox_message(world):
    """An e-mail in the outbox: the booking's confirmation."""
    from notifications.models import OutboxMessage

    return OutboxMessage.objects.filter(user_id=world.owner.pk).first()


ROUTES = [
    Route("search", "get", lambda w: reverse("flights:search"), _same(OK)),
    Route("airport_suggest", "get", lambda w: reverse("flights:airport_suggest") + "?q=lon", _same(OK)),
    Route("airport_suggest_post", "post", lambda w: reverse("flights:airport_suggest"), _same(NOT_ALLOWED)),
    Route("where_we_fly", "get", lambda w: reverse("flights:where_we_fly"), _same(OK)),
    Route(
        "fare_calendar",
        "get",
        lambda w: (
            reverse("flights:fare_calendar")
            + f"?origin=LHR&destination=JFK&date={w.flight.departs_local():%Y-%m-%d}&passengers=1"
        ),
        _same(OK),
    ),
    Route(
        "search_with_query",
        "get",
        lambda w: (
            reverse("flights:search")
            + f"?origin=LHR&destination=JFK&date={w.flight.departs_local():%Y-%m-%d}&passengers=1"
        ),
        _same(OK),
    ),
    Route("flight_page", "get", lambda w: reverse("bookings:book", args=[w.flight.pk]), _same(OK)),
    Route(
        "flight_book_post",
        "post",
        lambda w: reverse("bookings:book", args=[w.flight.pk]),
        # The owner has a checkout open on this flight already: back to it (the hold limit).
        {"anonymous": LOGIN, "owner": "->passengers", "other": "->booking", "staff": "->booking"},
        data=_booking_form,
        changes=("owner", "other", "staff"),
    ),
    Route(
        "flight_page_delete",
        "delete",
        lambda w: reverse("bookings:book", args=[w.flight.pk]),
        _same(NOT_ALLOWED),
    ),
    Route("my_bookings", "get", lambda w: reverse("bookings:list"), {**_same(OK), "anonymous": LOGIN}),
    Route("my_travel", "get", lambda w: reverse("bookings:travel"), {**_same(OK), "anonymous": LOGIN}),
    # Privacy: each signed-in person gets their own data and their own deletion page.
    Route("my_data", "get", lambda w: reverse("bookings:my_data"), {**_same(OK), "anonymous": LOGIN}),
    Route("account_delete", "get", lambda w: reverse("bookings:account_delete"), {**_same(OK), "anonymous": LOGIN}),
    Route(
        "booking_detail",
        "get",
        lambda w: reverse("bookings:detail", args=[w.booking.reference]),
        {"anonymous": LOGIN, "owner": OK, "other": NOT_FOUND, "staff": NOT_FOUND},
    ),
    Route(
        "booking_detail_lower_case_reference",
        "get",
        lambda w: reverse("bookings:detail", args=[w.booking.reference.lower()]),
        {"anonymous": LOGIN, "owner": OK, "other": NOT_FOUND, "staff": NOT_FOUND},
    ),
    Route(
        "booking_cancel_post",
        "post",
        lambda w: reverse("bookings:cancel", args=[w.booking.reference]),
        {"anonymous": LOGIN, "owner": "->detail", "other": NOT_FOUND, "staff": NOT_FOUND},
        data=_cancel_all,
        changes=("owner",),
    ),
    Route("booking_cancel_get", "get", lambda w: reverse("bookings:cancel", args=[w.booking.reference]), OWNER_ONLY),
    Route(
        "booking_cancel_put",
        "put",
        lambda w: reverse("bookings:cancel", args=[w.booking.reference]),
        {"anonymous": LOGIN, "owner": NOT_ALLOWED, "other": NOT_ALLOWED, "staff": NOT_ALLOWED},
    ),
    Route("manage_booking", "get", lambda w: reverse("bookings:manage"), _same(OK)),
    # Knowing the reference and a passenger's last name opens the booking, signed in or not.
    Route("manage_booking_post", "post", lambda w: reverse("bookings:manage"), _same("->detail"), data=_manage_form),
    Route(
        "checkout_passengers",
        "get",
        lambda w: reverse("bookings:checkout_passengers", args=[w.hold.reference]),
        OWNER_ONLY,
    ),
    Route(
        "checkout_payment",
        "get",
        lambda w: reverse("bookings:checkout_payment", args=[w.hold.reference]),
        {"anonymous": LOGIN, "owner": "->passengers", "other": NOT_FOUND, "staff": NOT_FOUND},
    ),
    Route(
        "checkout_release",
        "post",
        lambda w: reverse("bookings:checkout_release", args=[w.hold.reference]),
        {"anonymous": LOGIN, "owner": "->flight", "other": NOT_FOUND, "staff": NOT_FOUND},
        data=lambda w: {},
        changes=("owner",),
    ),
    Route(
        "checkout_release_get",
        "get",
        lambda w: reverse("bookings:checkout_release", args=[w.hold.reference]),
        {"anonymous": LOGIN, "owner": NOT_ALLOWED, "other": NOT_ALLOWED, "staff": NOT_ALLOWED},
    ),
    Route("checkout_done", "get", lambda w: reverse("bookings:checkout_done", args=[w.booking.reference]), OWNER_ONLY),
    Route(
        "eticket",
        "get",
        lambda w: reverse("bookings:eticket", args=[w.booking.reference, w.booking.tickets.first().pk]),
        {"anonymous": LOGIN, "owner": OK, "other": NOT_FOUND, "staff": NOT_FOUND},
    ),
    Route(
        "calendar",
        "get",
        lambda w: reverse("bookings:calendar", args=[w.booking.reference]),
        {"anonymous": LOGIN, "owner": OK, "other": NOT_FOUND, "staff": NOT_FOUND},
    ),
    Route("signup", "get", lambda w: reverse("accounts:signup"), {**_same("->search"), "anonymous": OK}),
    # Signed in already: everyone goes where they work (staff to the dashboard).
    Route(
        "login",
        "get",
        lambda w: reverse("accounts:login"),
        {**_same("->search"), "anonymous": OK, "staff": "->dashboard", "staff_no2fa": "->dashboard"},
    ),
    Route("logout_post", "post", lambda w: reverse("accounts:logout"), _same("->search"), data=lambda w: {}),
    Route("logout_get", "get", lambda w: reverse("accounts:logout"), _same(NOT_ALLOWED)),
    Route("profile", "get", lambda w: reverse("accounts:profile"), {**_same(OK), "anonymous": LOGIN}),
    # Two-step sign-in: each signed-in person sets up their own; verifying without one set up
    # leads to the set-up page (staff here have one: the page asks for a code).
    Route("two_factor_setup", "get", lambda w: reverse("accounts:two_factor_setup"), {**_same(OK), "anonymous": LOGIN}),
    Route(
        "two_factor_verify",
        "get",
        lambda w: reverse("accounts:two_factor_verify"),
        {**_same("->two_factor_setup"), "anonymous": LOGIN, "staff": OK},
    ),
    # Turning it off: nobody here has it on (staff could not anyway): back to the profile.
    Route(
        "two_factor_off",
        "post",
        lambda w: reverse("accounts:two_factor_off"),
        {**_same("->profile"), "anonymous": LOGIN},
    ),
    # Passkeys: removing one needs a verified session (only staff here have one; the id is
    # nobody's). Adding one (the library's JSON ceremony) needs a verified session too; the
    # sign-in ceremony needs someone signed in (no passwordless login).
    Route(
        "passkey_remove",
        "post",
        lambda w: reverse("accounts:passkey_remove", args=[999_999]),
        {"anonymous": LOGIN, "owner": TWO_STEP, "other": TWO_STEP, "staff": NOT_FOUND, "staff_no2fa": TWO_STEP},
    ),
    Route(
        "passkey_registration_begin",
        "post",
        lambda w: reverse("otp_webauthn:credential-registration-begin"),
        {**_same(FORBIDDEN), "staff": OK},
    ),
    Route(
        "passkey_registration_complete",
        "post",
        lambda w: reverse("otp_webauthn:credential-registration-complete"),
        {**_same(FORBIDDEN), "staff": 400},  # no ceremony begun
    ),
    Route(
        "passkey_authentication_begin",
        "post",
        lambda w: reverse("otp_webauthn:credential-authentication-begin"),
        {**_same(OK), "anonymous": FORBIDDEN},
    ),
    Route(
        "passkey_authentication_complete",
        "post",
        lambda w: reverse("otp_webauthn:credential-authentication-complete"),
        {**_same(400), "anonymous": FORBIDDEN},  # no ceremony begun
    ),
    Route("passkey_i18n", "get", lambda w: reverse("otp_webauthn:js-i18n-catalog"), _same(OK)),
    Route("password_change", "get", lambda w: reverse("accounts:password_change"), {**_same(OK), "anonymous": LOGIN}),
    Route("password_reset", "get", lambda w: reverse("accounts:password_reset"), _same(OK)),
    # Export my bookings (CSV): anyone signed in starts their own; only the owner sees it.
    Route(
        "export_start",
        "post",
        lambda w: reverse("bookings:export_start"),
        {"anonymous": LOGIN, "owner": "->export", "other": "->export", "staff": "->export"},
        data=lambda w: {},
    ),
    Route(
        "export_start_get",
        "get",
        lambda w: reverse("bookings:export_start"),
        {"anonymous": LOGIN, "owner": NOT_ALLOWED, "other": NOT_ALLOWED, "staff": NOT_ALLOWED},
    ),
    Route("export_page", "get", lambda w: reverse("bookings:export", args=[_owner_export(w).pk]), OWNER_ONLY),
    Route(
        "export_progress", "get", lambda w: reverse("bookings:export_progress", args=[_owner_export(w).pk]), OWNER_ONLY
    ),
    Route(
        "export_download", "get", lambda w: reverse("bookings:export_download", args=[_owner_export(w).pk]), OWNER_ONLY
    ),
    Route(
        "export_download_post",
        "post",
        lambda w: reverse("bookings:export_download", args=[_owner_export(w).pk]),
        {"anonymous": LOGIN, "owner": NOT_ALLOWED, "other": NOT_ALLOWED, "staff": NOT_ALLOWED},
        data=lambda w: {},
    ),
    # On-site alerts: each signed-in user sees and marks only their own.
    Route("alerts", "get", lambda w: reverse("notifications:alerts"), {**_same(OK), "anonymous": LOGIN}),
    Route(
        "alerts_mark_read",
        "post",
        lambda w: reverse("notifications:alerts_mark_read"),
        {**_same("->alerts"), "anonymous": LOGIN},
        data=lambda w: {},
    ),
    Route(
        "alerts_mark_read_get",
        "get",
        lambda w: reverse("notifications:alerts_mark_read"),
        {**_same(NOT_ALLOWED), "anonymous": LOGIN},
    ),
    # Unsubscribe from new-route e-mails: the signed token is the key, signed in or not.
    Route(
        "unsubscribe",
        "get",
        lambda w: reverse("accounts:unsubscribe", args=[unsubscribe_token(user_id=w.owner.pk)]),
        _same(OK),
    ),
    Route(
        "unsubscribe_post",
        "post",
        lambda w: reverse("accounts:unsubscribe", args=[unsubscribe_token(user_id=w.owner.pk)]),
        _same(OK),
        data=lambda w: {},
    ),
    # The monthly report's link: another list, the same rules.
    Route(
        "unsubscribe_report_post",
        "post",
        lambda w: reverse("accounts:unsubscribe", args=[unsubscribe_token(user_id=w.owner.pk, email_list="report")]),
        _same(OK),
        data=lambda w: {},
    ),
    Route("unsubscribe_bad_token", "post", lambda w: reverse("accounts:unsubscribe", args=["x:y"]), _same(400)),
    Route(
        "unsubscribe_put",
        "put",
        lambda w: reverse("accounts:unsubscribe", args=[unsubscribe_token(user_id=w.owner.pk)]),
        _same(NOT_ALLOWED),
    ),
]

STAFF_ONLY = {"anonymous": LOGIN, "owner": FORBIDDEN, "other": FORBIDDEN, "staff": OK}

ROUTES += [
    Route("staff_schedule", "get", lambda w: reverse("staff:schedule"), STAFF_ONLY),
    Route("staff_flight_add", "get", lambda w: reverse("staff:flight_add"), STAFF_ONLY),
    Route(
        "staff_flight_add_put",
        "put",
        lambda w: reverse("staff:flight_add"),
        {**STAFF_ONLY, "staff": NOT_ALLOWED},
    ),
    Route("staff_flight_edit", "get", lambda w: reverse("staff:flight_edit", args=[w.flight.pk]), STAFF_ONLY),
    Route(
        "staff_flight_edit_post",
        "post",
        lambda w: reverse("staff:flight_edit", args=[w.flight.pk]),
        {**STAFF_ONLY, "staff": "->flight_day"},
        data=lambda w: {
            "number": w.flight.number,
            "origin": "LHR",
            "destination": "JFK",
            "departure_date": f"{w.flight.departs_local():%Y-%m-%d}",
            "departure_time": "06:00",
            "arrival_date": f"{w.flight.departs_local():%Y-%m-%d}",
            "arrival_time": "11:00",
            "capacity": "90",
            "layout": "3-3",
            "price": "1.00",
        },
        changes=("staff",),
    ),
    Route("staff_flight_import", "get", lambda w: reverse("staff:import"), STAFF_ONLY),
    # No file chosen: the form says so (400) and nothing is stored.
    Route(
        "staff_flight_import_post",
        "post",
        lambda w: reverse("staff:import"),
        {**STAFF_ONLY, "staff": 400},
        data=lambda w: {},
    ),
    Route("staff_flight_import_sample", "get", lambda w: reverse("staff:import_sample"), STAFF_ONLY),
    Route(
        "staff_flight_import_status",
        "get",
        lambda w: reverse("staff:import_status", args=[_flight_import(w)]),
        STAFF_ONLY,
    ),
    Route(
        "staff_flight_import_progress",
        "get",
        lambda w: reverse("staff:import_progress", args=[_flight_import(w)]),
        STAFF_ONLY,
    ),
    Route("staff_manifest_lookup", "get", lambda w: reverse("staff:manifest_lookup"), STAFF_ONLY),
    Route("staff_manifest", "get", lambda w: reverse("staff:manifest", args=[w.flight.pk]), STAFF_ONLY),
    Route("staff_seats", "get", lambda w: reverse("staff:seats", args=[w.flight.pk]), STAFF_ONLY),
    Route(
        "staff_flight_remove_get",
        "get",
        lambda w: reverse("staff:flight_remove", args=[w.flight.pk]),
        STAFF_ONLY,
    ),
    Route(
        "staff_flight_remove_post",
        "post",
        lambda w: reverse("staff:flight_remove", args=[w.flight.pk]),
        {**STAFF_ONLY, "staff": "->schedule"},
        data=lambda w: {},
        changes=("staff",),
    ),
    Route("staff_home", "get", lambda w: reverse("staff:home"), STAFF_ONLY),  # the dashboard
    # Registered users: the list, an account's page, and the list's CSV export (a job the staff
    # member owns: its progress page).
    Route("staff_users", "get", lambda w: reverse("staff:users"), STAFF_ONLY),
    Route("staff_user", "get", lambda w: reverse("staff:user", args=[w.owner.pk]), STAFF_ONLY),
    Route(
        "staff_users_export",
        "post",
        lambda w: reverse("staff:users_export"),
        {**STAFF_ONLY, "staff": "->export"},
        data=lambda w: {"q": "", "kind": ""},
        changes=("staff",),
    ),
    # Sent mail: the outbox, staff only (a message's detail renders it in a sandboxed iframe).
    Route("staff_mail_list", "get", lambda w: reverse("staff:mail_list"), STAFF_ONLY),
    Route(
        "staff_mail_detail",
        "get",
        lambda w: reverse("staff:mail_detail", args=[_outbox_message(w).pk]),
        STAFF_ONLY,
    ),
    Route(
        "staff_mail_preview",
        "get",
        lambda w: reverse("staff:mail_preview", args=[_outbox_message(w).pk]),
        STAFF_ONLY,
    ),
    Route(
        "staff_mail_list_post",
        "post",
        lambda w: reverse("staff:mail_list"),
        {**STAFF_ONLY, "staff": NOT_ALLOWED},
        data=lambda w: {},
    ),
    Route(
        "admin",
        "get",
        lambda w: reverse("admin:index"),
        {"anonymous": ADMIN_LOGIN, "owner": ADMIN_LOGIN, "other": ADMIN_LOGIN, "staff": OK},
    ),
]

REDIRECT_TARGETS = {
    "search": lambda w: reverse("flights:search"),
    "schedule": lambda w: reverse("staff:schedule"),
    # The schedule of the flight's local day, the flight marked as just saved.
    "flight_day": lambda w: (
        f"{reverse('staff:schedule')}?date={w.flight.departs_local():%Y-%m-%d}&saved={w.flight.pk}#flight-{w.flight.pk}"
    ),
    "dashboard": lambda w: reverse("staff:home"),
    "detail": lambda w: reverse("bookings:detail", args=[w.booking.reference]),
    "passengers": lambda w: reverse("bookings:checkout_passengers", args=[w.hold.reference]),
    "flight": lambda w: reverse("bookings:book", args=[w.flight.pk]),
    # The export the request just started (or the one already running).
    "export": lambda w: reverse("bookings:export", args=[BookingExport.objects.latest("pk").pk]),
    "alerts": lambda w: reverse("notifications:alerts"),
    "two_factor_setup": lambda w: reverse("accounts:two_factor_setup"),
    "profile": lambda w: reverse("accounts:profile"),
}


@pytest.fixture(autouse=True)
def _files_in_memory(settings):
    # Export files go through Django's default storage: in memory here, nothing left on disk.
    settings.STORAGES = {**settings.STORAGES, "default": {"BACKEND": "django.core.files.storage.InMemoryStorage"}}


@pytest.fixture
def world():
    london = AirportFactory(iata="LHR", city="London", tz="Europe/London")
    new_york = AirportFactory(iata="JFK", city="New York", tz="America/New_York")
    flight = FlightFactory(number="SK100", origin=london, destination=new_york, capacity=60)
    owner = UserFactory(email="owner@example.test")
    booking = make_booking(user=owner, flight=flight, passengers=2)
    hold = make_hold(user=owner, flight=flight)
    flight.refresh_from_db()
    return World(
        owner=owner,
        other=UserFactory(email="other@example.test"),
        staff=StaffFactory(),
        staff_no2fa=StaffFactory(email="staff-no-2fa@example.test"),
        flight=flight,
        booking=booking,
        hold=hold,
    )


def _client_for(actor: str, world: World, **kwargs) -> Client:
    client = Client(**kwargs)
    if actor == "staff":
        verified_login(client, world.staff)
    elif actor != "anonymous":
        client.force_login(getattr(world, actor))
    return client


def _snapshot(world: World) -> dict:
    flight = (
        Flight.objects.filter(pk=world.flight.pk)
        .values("status", "seats_booked", "capacity", "price", "departs_at")
        .first()
    )
    return {
        "flight": flight,
        "booking_status": Booking.objects.get(pk=world.booking.pk).status,
        "hold_status": Booking.objects.get(pk=world.hold.pk).status,
        "bookings": Booking.objects.count(),
    }


def _assert_outcome(response, expected, world: World) -> None:
    if expected == LOGIN:
        assert response.status_code == 302
        assert urlsplit(response.url).path == reverse("accounts:login")
        assert "next=" in response.url
    elif expected == ADMIN_LOGIN:
        assert response.status_code == 302
        assert urlsplit(response.url).path == reverse("admin:login")
    elif expected == TWO_STEP:
        assert response.status_code == 302
        assert urlsplit(response.url).path == reverse("accounts:two_factor_verify")
        assert "next=" in response.url
    elif expected == "->booking":
        assert response.status_code == 302
        newest = Booking.objects.latest("pk")
        assert newest.pk not in (world.booking.pk, world.hold.pk)
        assert response.url == reverse("bookings:checkout_passengers", args=[newest.reference])
    elif isinstance(expected, str) and expected.startswith("->"):
        assert response.status_code == 302
        assert response.url == REDIRECT_TARGETS[expected[2:]](world)
    else:
        assert response.status_code == expected


CASES = [pytest.param(route, actor, id=f"{route.name}-{actor}") for route in ROUTES for actor in ACTORS]


@pytest.mark.parametrize(("route", "actor"), CASES)
def test_access_matrix(route: Route, actor: str, world: World):
    client = _client_for(actor, world)
    before = _snapshot(world)
    url = route.url(world)
    if route.method == "post":
        response = client.post(url, route.data(world) if route.data else {})
    else:
        response = getattr(client, route.method)(url)

    _assert_outcome(response, route.expected(actor), world)
    if not route.changes_for(actor):
        assert _snapshot(world) == before


def test_matrix_covers_every_named_url():
    """A new URL must get a row here: the matrix is only useful if it is complete."""
    from django.urls import get_resolver

    covered = {
        "flights:search",
        "flights:airport_suggest",
        "flights:where_we_fly",
        "flights:fare_calendar",
        "bookings:book",
        "bookings:list",
        "bookings:travel",
        "bookings:my_data",
        "bookings:account_delete",
        "bookings:detail",
        "bookings:cancel",
        "bookings:eticket",
        "bookings:calendar",
        "bookings:manage",
        "bookings:checkout_passengers",
        "bookings:checkout_payment",
        "bookings:checkout_release",
        "bookings:checkout_done",
        "accounts:signup",
        "accounts:login",
        "accounts:logout",
        "accounts:profile",
        "accounts:two_factor_setup",
        "accounts:two_factor_verify",
        "accounts:two_factor_off",
        "accounts:passkey_remove",
        "otp_webauthn:credential-registration-begin",
        "otp_webauthn:credential-registration-complete",
        "otp_webauthn:credential-authentication-begin",
        "otp_webauthn:credential-authentication-complete",
        "otp_webauthn:js-i18n-catalog",
        "accounts:password_change",
        "accounts:password_reset",
        "accounts:unsubscribe",
        "bookings:export_start",
        "bookings:export",
        "bookings:export_progress",
        "bookings:export_download",
        "notifications:alerts",
        "notifications:alerts_mark_read",
        "staff:home",
        "staff:schedule",
        "staff:flight_add",
        "staff:flight_edit",
        "staff:flight_remove",
        "staff:import",
        "staff:import_sample",
        "staff:import_status",
        "staff:import_progress",
        "staff:manifest_lookup",
        "staff:manifest",
        "staff:seats",
        "staff:mail_list",
        "staff:mail_detail",
        "staff:mail_preview",
        "staff:users",
        "staff:user",
        "staff:users_export",
    }
    # Pages reached only by following an e-mailed link or a completed form; covered elsewhere.
    flow_pages = {
        "accounts:password_change_done",
        "accounts:password_reset_done",
        "accounts:password_reset_confirm",
        "accounts:password_reset_complete",
    }
    names = set()
    for namespace in ("accounts", "otp_webauthn", "flights", "bookings", "notifications", "staff"):
        resolver = get_resolver().namespace_dict[namespace][1]
        names |= {f"{namespace}:{name}" for name in resolver.reverse_dict if isinstance(name, str)}
    assert names - covered - flow_pages == set()


def test_legitimate_requests_do_what_they_say(world: World):
    """The rows that may change data: check the change itself, so the matrix's 302s mean success."""
    owner = _client_for("owner", world)
    owner.post(reverse("bookings:cancel", args=[world.booking.reference]), _cancel_all(world))
    world.booking.refresh_from_db()
    world.flight.refresh_from_db()
    assert world.booking.status == Booking.Status.CANCELLED and world.flight.seats_booked == 1  # the hold

    owner.post(reverse("bookings:checkout_release", args=[world.hold.reference]))
    world.hold.refresh_from_db()
    world.flight.refresh_from_db()
    assert world.hold.status == Booking.Status.EXPIRED and world.flight.seats_booked == 0

    other = _client_for("other", world)
    other.post(reverse("bookings:book", args=[world.flight.pk]), _booking_form(world))
    assert Booking.objects.filter(user=world.other, flight=world.flight, status=Booking.Status.HELD).count() == 1

    anonymous = _client_for("anonymous", world)
    anonymous.post(reverse("bookings:manage"), _manage_form(world))
    assert anonymous.get(reverse("bookings:detail", args=[world.booking.reference])).status_code == 200

    staff = _client_for("staff", world)
    staff.post(reverse("staff:flight_remove", args=[world.flight.pk]))
    world.flight.refresh_from_db()
    assert world.flight.status == Flight.Status.CANCELLED and world.flight.seats_booked == 0


@pytest.mark.parametrize("actor", ["owner", "other", "staff"])
def test_another_users_booking_is_invisible_in_my_bookings(actor: str, world: World):
    response = _client_for(actor, world).get(reverse("bookings:list"))
    assert (world.booking.reference in response.content.decode()) == (actor == "owner")


def test_non_staff_cannot_reach_an_admin_model_page(world: World):
    for actor in ("owner", "other"):
        response = _client_for(actor, world).get(reverse("admin:bookings_booking_changelist"))
        assert response.status_code == 302 and urlsplit(response.url).path == reverse("admin:login")


# CSRF: the test client skips the check unless told otherwise; a browser-forged POST must not.


def test_booking_cancel_without_csrf_token_is_refused(world: World):
    client = _client_for("owner", world, enforce_csrf_checks=True)
    before = _snapshot(world)
    response = client.post(reverse("bookings:cancel", args=[world.booking.reference]), _cancel_all(world))
    assert response.status_code == 403
    assert _snapshot(world) == before


def test_flight_booking_without_csrf_token_is_refused(world: World):
    client = _client_for("other", world, enforce_csrf_checks=True)
    before = _snapshot(world)
    response = client.post(reverse("bookings:book", args=[world.flight.pk]), _booking_form(world))
    assert response.status_code == 403
    assert _snapshot(world) == before


def test_staff_flight_remove_without_csrf_token_is_refused(world: World):
    client = _client_for("staff", world, enforce_csrf_checks=True)
    before = _snapshot(world)
    response = client.post(reverse("staff:flight_remove", args=[world.flight.pk]))
    assert response.status_code == 403
    assert _snapshot(world) == before


def test_logout_without_csrf_token_is_refused(world: World):
    client = _client_for("owner", world, enforce_csrf_checks=True)
    response = client.post(reverse("accounts:logout"))
    assert response.status_code == 403
    assert client.get(reverse("bookings:list")).status_code == 200  # still signed in


def test_booking_cancel_with_the_pages_csrf_token_works(world: World):
    """Negative control: with the token the page hands out, the same POST goes through."""
    client = _client_for("owner", world, enforce_csrf_checks=True)
    page = client.get(reverse("bookings:detail", args=[world.booking.reference]))
    token = page.context["csrf_token"]
    response = client.post(
        reverse("bookings:cancel", args=[world.booking.reference]),
        {"csrfmiddlewaretoken": str(token), **_cancel_all(world)},
    )
    assert response.status_code == 302
    world.booking.refresh_from_db()
    assert world.booking.status == Booking.Status.CANCELLED


# The JSON API (/api/v1/) ----------------------------------------------------------------------
#
# The same four actors, each signed in with a bearer token (anonymous sends none). The API
# answers with status codes, never a redirect: 401 without a token, 403 for a passenger on a
# staff endpoint, and 404 for another user's object, staff included (never 403: whether it
# exists is nobody else's business). Refusals are problem+json with their stable code.

UNAUTHORIZED, CREATED, ACCEPTED, NO_CONTENT, BAD_REQUEST, CONFLICT = 401, 201, 202, 204, 400, 409
API_SIGNED_IN = {"anonymous": UNAUTHORIZED, "owner": OK, "other": OK, "staff": OK}
API_OWNER_ONLY = {"anonymous": UNAUTHORIZED, "owner": OK, "other": NOT_FOUND, "staff": NOT_FOUND}
API_STAFF_ONLY = {"anonymous": UNAUTHORIZED, "owner": FORBIDDEN, "other": FORBIDDEN, "staff": OK}
REFUSAL_CODES = {UNAUTHORIZED: "not_authenticated", FORBIDDEN: "permission_denied", NOT_FOUND: "not_found"}
SECOND_FACTOR_REQUIRED = "403 second_factor_required"  # staff with a password-only token
API_CARD = {"number": "4242424242424242", "expiry": "12/30", "cvc": "123", "holder": "Owner"}


@dataclass(frozen=True)
class ApiRoute:
    url_name: str  # the named URL this row covers ("api:..."); test_api_matrix_covers_every_api_url
    method: str
    url: object  # World -> str
    expect: dict
    data: object = None  # World -> dict (JSON), for POST, PUT and PATCH
    changes: tuple = ()
    multipart: bool = False

    @property
    def name(self) -> str:
        return f"{self.url_name.removeprefix('api:')}-{self.method}"

    def expected(self, actor):
        return _expected(self.expect, actor, staff_refusal=SECOND_FACTOR_REQUIRED)

    def changes_for(self, actor) -> bool:
        return _changes(self, actor)


def _api_client(actor: str, world: World) -> APIClient:
    """A bearer token as the token endpoint issues it: staff's from password and code, the
    others' (staff_no2fa's too) from the password alone."""
    client = APIClient()
    if actor != "anonymous":
        token = token_pair(getattr(world, actor), second_factor=actor == "staff")["access"]
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    return client


def _owner_quote(world: World) -> str:
    """The owner's cancellation quote for the whole booking (asked for through the API)."""
    response = _api_client("owner", world).post(
        reverse("api:cancellations", args=[world.booking.reference]), {}, format="json"
    )
    assert response.status_code == CREATED, response.content
    return response.json()["id"]


def _quote_url(name: str):
    return lambda w: reverse(name, args=[w.booking.reference, _owner_quote(w)])


def _first_ticket(world: World) -> int:
    return world.booking.tickets.order_by("pk").first().pk


def _new_flight(world: World) -> dict:
    day = world.flight.departs_local() + timedelta(days=1)
    return {
        "number": "SK777",
        "origin": "LHR",
        "destination": "JFK",
        "departs_local": f"{day:%Y-%m-%d}T08:30",
        "arrives_local": f"{day:%Y-%m-%d}T11:45",
        "price": "249.00",
        "capacity": 60,
    }


def _refresh_token(world: World) -> dict:
    return {"refresh": str(RefreshToken.for_user(world.owner))}


API_ROUTES = [
    # The schema and its readers: public.
    ApiRoute("api:schema", "get", lambda w: reverse("api:schema"), _same(OK)),
    ApiRoute("api:redoc", "get", lambda w: reverse("api:redoc"), _same(OK)),
    ApiRoute("api:swagger", "get", lambda w: reverse("api:swagger"), _same(OK)),
    ApiRoute("swagger", "get", lambda w: reverse("swagger"), _same(OK)),
    # Accounts: sign-up and tokens need no token (a bearer token sent along is ignored).
    ApiRoute(
        "api:signup",
        "post",
        lambda w: reverse("api:signup"),
        _same(CREATED),
        data=lambda w: {
            "email": f"new-{uuid.uuid4().hex[:8]}@example.test",
            "password": "plum orchard sailing 1987",
            "first_name": "New",
            "last_name": "Passenger",
        },
        changes=ACTORS,  # a new account each
    ),
    ApiRoute(
        "api:token",
        "post",
        lambda w: reverse("api:token"),
        _same(OK),
        data=lambda w: {"email": w.owner.email, "password": PASSWORD},
    ),
    ApiRoute("api:token_refresh", "post", lambda w: reverse("api:token_refresh"), _same(OK), data=_refresh_token),
    ApiRoute("api:logout", "post", lambda w: reverse("api:logout"), _same(OK), data=_refresh_token),
    ApiRoute("api:me", "get", lambda w: reverse("api:me"), API_SIGNED_IN),
    ApiRoute(
        "api:me",
        "patch",
        lambda w: reverse("api:me"),
        API_SIGNED_IN,
        data=lambda w: {"first_name": "Renamed"},
        changes=("owner", "other", "staff"),  # each their own name
    ),
    # Flights: reads for everyone, writes for staff.
    ApiRoute("api:airports", "get", lambda w: reverse("api:airports") + "?q=lon", _same(OK)),
    ApiRoute(
        "api:flights",
        "get",
        lambda w: reverse("api:flights") + f"?origin=LHR&destination=JFK&date={w.flight.departs_local():%Y-%m-%d}",
        _same(OK),
    ),
    ApiRoute(
        "api:flights",
        "post",
        lambda w: reverse("api:flights"),
        {**API_STAFF_ONLY, "staff": CREATED},
        data=_new_flight,
        changes=("staff",),
    ),
    ApiRoute("api:flight", "get", lambda w: reverse("api:flight", args=[w.flight.pk]), _same(OK)),
    ApiRoute(
        "api:flight",
        "patch",
        lambda w: reverse("api:flight", args=[w.flight.pk]),
        API_STAFF_ONLY,
        data=lambda w: {"price": "1.00"},
        changes=("staff",),
    ),
    ApiRoute(
        "api:flight",
        "delete",
        lambda w: reverse("api:flight", args=[w.flight.pk]),
        API_STAFF_ONLY,
        changes=("staff",),
    ),
    ApiRoute("api:flight_seat_map", "get", lambda w: reverse("api:flight_seat_map", args=[w.flight.pk]), _same(OK)),
    ApiRoute(
        "api:flight_manifest", "get", lambda w: reverse("api:flight_manifest", args=[w.flight.pk]), API_STAFF_ONLY
    ),
    # No file: the upload is refused for what it is (400) once the caller may upload at all.
    ApiRoute(
        "api:imports",
        "post",
        lambda w: reverse("api:imports"),
        {**API_STAFF_ONLY, "staff": BAD_REQUEST},
        multipart=True,
    ),
    ApiRoute("api:import", "get", lambda w: reverse("api:import", args=[_flight_import(w)]), API_STAFF_ONLY),
    # Checkout and trips: each signed-in user their own.
    ApiRoute("api:holds", "get", lambda w: reverse("api:holds"), API_SIGNED_IN),
    ApiRoute(
        "api:holds",
        "post",
        lambda w: reverse("api:holds"),
        # The owner has a checkout open on this flight already: the hold limit says so.
        {"anonymous": UNAUTHORIZED, "owner": CONFLICT, "other": CREATED, "staff": CREATED},
        data=lambda w: {"flight": w.flight.pk, "passengers": 1},
        changes=("other", "staff"),
    ),
    ApiRoute("api:hold", "get", lambda w: reverse("api:hold", args=[w.hold.reference]), API_OWNER_ONLY),
    ApiRoute(
        "api:hold",
        "delete",
        lambda w: reverse("api:hold", args=[w.hold.reference]),
        {**API_OWNER_ONLY, "owner": NO_CONTENT},
        changes=("owner",),
    ),
    ApiRoute("api:bookings", "get", lambda w: reverse("api:bookings"), API_SIGNED_IN),
    ApiRoute(
        "api:bookings",
        "post",
        lambda w: reverse("api:bookings"),
        # The hold is named in the body: someone else's is "no hold with this id" on `hold`.
        {"anonymous": UNAUTHORIZED, "owner": CREATED, "other": BAD_REQUEST, "staff": BAD_REQUEST},
        data=lambda w: {
            "hold": w.hold.reference,
            "passengers": [{"first_names": "Ada", "last_name": "Lovelace"}],
            "payment": {"card": API_CARD},
        },
        changes=("owner",),
    ),
    ApiRoute("api:booking", "get", lambda w: reverse("api:booking", args=[w.booking.reference]), API_OWNER_ONLY),
    ApiRoute(
        "api:booking",
        "put",
        lambda w: reverse("api:booking", args=[w.booking.reference]),
        {**_same(NOT_ALLOWED), "anonymous": UNAUTHORIZED},
        data=lambda w: {},
    ),
    ApiRoute(
        "api:booking_calendar",
        "get",
        lambda w: reverse("api:booking_calendar", args=[w.booking.reference]),
        API_OWNER_ONLY,
    ),
    ApiRoute(
        "api:eticket",
        "get",
        lambda w: reverse("api:eticket", args=[w.booking.reference, _first_ticket(w)]),
        API_OWNER_ONLY,
    ),
    ApiRoute(
        "api:cancellations",
        "post",
        lambda w: reverse("api:cancellations", args=[w.booking.reference]),
        {**API_OWNER_ONLY, "owner": CREATED},
        data=lambda w: {},
        changes=("owner",),
    ),
    ApiRoute("api:cancellation", "get", _quote_url("api:cancellation"), API_OWNER_ONLY),
    ApiRoute(
        "api:cancellation_confirm",
        "post",
        _quote_url("api:cancellation_confirm"),
        API_OWNER_ONLY,
        data=lambda w: {},
        changes=("owner",),
    ),
    ApiRoute(
        "api:exports",
        "post",
        lambda w: reverse("api:exports"),
        {**_same(ACCEPTED), "anonymous": UNAUTHORIZED},
        data=lambda w: {},
        changes=("owner", "other", "staff"),
    ),
    ApiRoute("api:export", "get", lambda w: reverse("api:export", args=[_owner_export(w).pk]), API_OWNER_ONLY),
    ApiRoute(
        "api:export_download",
        "get",
        lambda w: reverse("api:export_download", args=[_owner_export(w).pk]),
        API_OWNER_ONLY,
    ),
    # Staff only.
    ApiRoute("api:schedule", "get", lambda w: reverse("api:schedule"), API_STAFF_ONLY),
    ApiRoute(
        "api:manifests",
        "get",
        lambda w: reverse("api:manifests") + f"?number=SK100&date={w.flight.departs_local():%Y-%m-%d}",
        API_STAFF_ONLY,
    ),
    ApiRoute("api:users", "get", lambda w: reverse("api:users"), API_STAFF_ONLY),
]


def _api_snapshot(world: World) -> dict:
    from api.models import CancellationQuote

    return {
        **_snapshot(world),
        "tickets": sorted(Ticket.objects.values_list("pk", "status", "seat")),
        "refunded": sorted(Payment.objects.values_list("pk", "refunded_amount")),
        "quotes": sorted(CancellationQuote.objects.values_list("pk", "status")),
        "exports": BookingExport.objects.count(),
        "users": sorted(get_user_model().objects.values_list("pk", "first_name", "is_active")),
        "flights": Flight.objects.count(),
    }


def _assert_api_outcome(response, expected) -> None:
    if expected == SECOND_FACTOR_REQUIRED:
        assert response.status_code == FORBIDDEN, response.content[:500]
        assert response.json()["code"] == "second_factor_required"
        return
    assert response.status_code == expected, response.content[:500]
    if expected in REFUSAL_CODES:
        assert response["Content-Type"].startswith("application/problem+json")
        assert response.json()["code"] == REFUSAL_CODES[expected]


API_CASES = [pytest.param(route, actor, id=f"{route.name}-{actor}") for route in API_ROUTES for actor in ACTORS]


@pytest.mark.parametrize(("route", "actor"), API_CASES)
def test_api_access_matrix(route: ApiRoute, actor: str, world: World):
    client = _api_client(actor, world)
    url = route.url(world)  # may make the owner's quote or export first: part of the world
    before = _api_snapshot(world)
    # Every request carries an Idempotency-Key: the POSTs that need one get past that check.
    kwargs = {"HTTP_IDEMPOTENCY_KEY": str(uuid.uuid4())}
    if route.multipart:
        kwargs.update(data=route.data(world) if route.data else {}, format="multipart")
    elif route.data is not None:
        kwargs.update(data=route.data(world), format="json")
    response = getattr(client, route.method)(url, **kwargs)

    _assert_api_outcome(response, route.expected(actor))
    if not route.changes_for(actor):
        assert _api_snapshot(world) == before


def test_api_matrix_covers_every_api_url():
    """A new API URL must get a row here, like every page of the site above."""
    from django.urls import get_resolver

    resolver = get_resolver().namespace_dict["api"][1]
    names = {f"api:{name}" for name in resolver.reverse_dict if isinstance(name, str)}
    assert names - {route.url_name for route in API_ROUTES} == set()


def test_api_legitimate_requests_do_what_they_say(world: World):
    """The API rows that may change data: check the change, so their 2xx mean success."""
    owner = _api_client("owner", world)
    quote = _owner_quote(world)
    response = owner.post(
        reverse("api:cancellation_confirm", args=[world.booking.reference, quote]),
        HTTP_IDEMPOTENCY_KEY=str(uuid.uuid4()),
    )
    assert response.status_code == OK
    world.booking.refresh_from_db()
    world.flight.refresh_from_db()
    assert world.booking.status == Booking.Status.CANCELLED and world.flight.seats_booked == 1  # the hold

    assert owner.delete(reverse("api:hold", args=[world.hold.reference])).status_code == NO_CONTENT
    world.hold.refresh_from_db()
    world.flight.refresh_from_db()
    assert world.hold.status == Booking.Status.EXPIRED and world.flight.seats_booked == 0

    other = _api_client("other", world)
    response = other.post(
        reverse("api:holds"),
        {"flight": world.flight.pk, "passengers": 2},
        format="json",
        HTTP_IDEMPOTENCY_KEY=str(uuid.uuid4()),
    )
    assert response.status_code == CREATED
    assert Booking.objects.get(user=world.other, status=Booking.Status.HELD).seat_count == 2

    staff = _api_client("staff", world)
    assert staff.delete(reverse("api:flight", args=[world.flight.pk])).status_code == OK
    world.flight.refresh_from_db()
    assert world.flight.status == Flight.Status.CANCELLED and world.flight.seats_booked == 0


@pytest.mark.parametrize("actor", ["other", "staff"])
def test_api_another_users_booking_is_invisible_in_my_lists(actor: str, world: World):
    client = _api_client(actor, world)
    bookings = client.get(reverse("api:bookings")).json()["results"]
    holds = client.get(reverse("api:holds")).json()["results"]
    assert world.booking.reference not in {b["reference"] for b in bookings}
    assert world.hold.reference not in {h["id"] for h in holds}
    # Negative control: the owner's lists do show them.
    owner = _api_client("owner", world)
    assert world.booking.reference in {b["reference"] for b in owner.get(reverse("api:bookings")).json()["results"]}
    assert world.hold.reference in {h["id"] for h in owner.get(reverse("api:holds")).json()["results"]}
