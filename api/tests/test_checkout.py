"""The passenger's journey over the API, with a JWT: hold, book, read, cancel, export.

Every step calls the same services as the site; these tests check what a client sees (status,
`code`, the fields it switches on) and that the database agrees with it.
"""

import csv
import io
import uuid
from datetime import datetime, timedelta
from decimal import Decimal

import pytest
import time_machine
from django.conf import settings as django_settings
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.tests.factories import UserFactory
from bookings import services
from bookings.models import Booking, BookingExport, Payment, Ticket
from bookings.tests.factories import make_booking, make_hold
from flights.models import Flight
from flights.tests.factories import AirportFactory, FlightFactory
from notifications.models import OutboxMessage

from .helpers import GOOD_CARD, assert_problem, bearer_client, post

pytestmark = pytest.mark.django_db

DECLINED_CARD = {**GOOD_CARD, "number": "4000000000000002"}


@pytest.fixture(autouse=True)
def _files_in_memory(settings):
    # Export files go through Django's default storage: in memory here, nothing left on disk.
    settings.STORAGES = {**settings.STORAGES, "default": {"BACKEND": "django.core.files.storage.InMemoryStorage"}}
    settings.CURRENCY = "EUR"


def _address_for(user) -> str:
    """Each test user its own client address, so the per-address hold limits are not what a
    test with several passengers runs into (test_hold_limits covers those)."""
    pk = user.pk if user is not None else 0
    return f"10.{(pk >> 16) & 255}.{(pk >> 8) & 255}.{pk & 255}"


def api_client(user=None) -> APIClient:
    """A client signed in with a fresh access token (or anonymous). A token lives
    API_ACCESS_TOKEN_MINUTES: make a new client after travelling in time."""
    return bearer_client(user, REMOTE_ADDR=_address_for(user))


def hold(client: APIClient, flight, passengers: int = 1, seats=None, *, key: str | None = None):
    data = {"flight": flight if isinstance(flight, int) else flight.pk, "passengers": passengers}
    if seats is not None:
        data["seats"] = seats
    return post(client, reverse("api:holds"), data, key=key)


def book(client: APIClient, reference: str, names: list[tuple[str, str]], card=GOOD_CARD, *, key: str | None = None):
    passengers = [{"first_names": first, "last_name": last} for first, last in names]
    return post(
        client,
        reverse("api:bookings"),
        {"hold": reference, "passengers": passengers, "payment": {"card": card}},
        key=key,
    )


def seats_booked(flight) -> int:
    return Flight.objects.values_list("seats_booked", flat=True).get(pk=flight.pk)


@pytest.fixture
def flight():
    london = AirportFactory(iata="LHR", city="London", tz="Europe/London")
    new_york = AirportFactory(iata="JFK", city="New York", tz="America/New_York")
    return FlightFactory(
        number="SK100",
        origin=london,
        destination=new_york,
        capacity=60,
        price=Decimal("200.00"),
        departs_at=(timezone.now() + timedelta(days=30)).replace(second=0, microsecond=0),
    )


@pytest.fixture
def user():
    return UserFactory(email="ada@example.test", first_name="Ada")


# Holds ---------------------------------------------------------------------------------------


def test_hold_returns_201_with_location_seats_expiry_and_total(flight, user):
    before = timezone.now()
    response = hold(api_client(user), flight, passengers=2)

    assert response.status_code == 201, response.content
    body = response.json()
    assert response["Location"] == "http://testserver" + reverse("api:hold", args=[body["id"]])
    assert body["status"] == "held"
    assert body["passengers"] == 2
    assert len(body["seats"]) == 2 and len(set(body["seats"])) == 2
    assert body["total"] == {"amount": "400.00", "currency": "EUR"}
    assert body["flight"]["id"] == flight.pk
    expires = datetime.fromisoformat(body["expires_at"])
    hold_minutes = timedelta(minutes=django_settings.BOOKING_HOLD_MINUTES)
    assert before + hold_minutes <= expires <= timezone.now() + hold_minutes
    booking = Booking.objects.get(reference=body["id"])
    assert booking.user == user and booking.status == Booking.Status.HELD
    assert sorted(booking.tickets.values_list("seat", flat=True)) == sorted(body["seats"])
    assert seats_booked(flight) == 2


def test_hold_gives_the_chosen_seats(flight, user):
    response = hold(api_client(user), flight, passengers=2, seats=["7C", "7D"])

    assert response.status_code == 201, response.content
    assert response.json()["seats"] == ["7C", "7D"]
    assert set(Ticket.objects.filter(flight=flight).values_list("seat", flat=True)) == {"7C", "7D"}


def test_hold_takes_seat_labels_in_any_case(flight, user):
    response = hold(api_client(user), flight, seats=["7c"])

    assert response.status_code == 201, response.content
    assert response.json()["seats"] == ["7C"]


def test_a_second_hold_on_the_same_flight_is_hold_limit_reached_naming_the_open_one(flight, user):
    client = api_client(user)
    first = hold(client, flight).json()["id"]

    body = assert_problem(hold(client, flight, passengers=2), 409, "hold_limit_reached")

    assert body["open_hold"] == first
    assert seats_booked(flight) == 1


def test_hold_of_a_taken_seat_is_409_seat_taken_naming_the_seat(flight, user):
    make_booking(flight=flight, seats=["3A"])

    response = hold(api_client(user), flight, passengers=2, seats=["3B", "3A"])

    body = assert_problem(response, 409, "seat_taken")
    assert body["seats"] == ["3A"]
    assert "Retry-After" in response
    assert seats_booked(flight) == 1
    assert not Booking.objects.filter(user=user).exists()


def test_hold_of_a_seat_held_by_someone_else_is_seat_taken(flight, user):
    make_hold(flight=flight, seats=["4F"])

    body = assert_problem(hold(api_client(user), flight, seats=["4F"]), 409, "seat_taken")

    assert body["seats"] == ["4F"]


def test_hold_of_a_seat_the_cabin_does_not_have_is_422_seat_unknown(flight, user):
    response = hold(api_client(user), flight, seats=["99A"])

    assert_problem(response, 422, "seat_unknown")
    assert seats_booked(flight) == 0


def test_hold_of_more_passengers_than_seats_left_is_409_sold_out(user):
    small = FlightFactory(capacity=4)
    make_booking(flight=small, passengers=2)

    response = hold(api_client(user), small, passengers=3)

    assert_problem(response, 409, "sold_out")
    assert seats_booked(small) == 2
    # The seats that are left can still be had.
    assert hold(api_client(user), small, passengers=2).status_code == 201


def test_hold_on_a_cancelled_flight_is_409_booking_closed(user):
    cancelled = FlightFactory(status=Flight.Status.CANCELLED)

    assert_problem(hold(api_client(user), cancelled), 409, "booking_closed")
    assert seats_booked(cancelled) == 0


def test_hold_on_a_departed_flight_is_409_booking_closed(user):
    departed = FlightFactory(departs_at=timezone.now() - timedelta(hours=1))

    assert_problem(hold(api_client(user), departed), 409, "booking_closed")
    assert not Booking.objects.exists()


def test_hold_on_an_unknown_flight_is_400_validation_error_on_flight(user):
    response = hold(api_client(user), 987654321)

    body = assert_problem(response, 400, "validation_error")
    assert list(body["errors"]) == ["flight"]
    assert not Booking.objects.exists()


def test_hold_without_an_idempotency_key_is_refused_and_holds_nothing(flight, user):
    response = api_client(user).post(reverse("api:holds"), {"flight": flight.pk, "passengers": 1}, format="json")

    assert_problem(response, 400, "idempotency_key_required")
    assert seats_booked(flight) == 0


def test_hold_retried_with_the_same_key_replays_and_holds_once(flight, user):
    client = api_client(user)
    key = str(uuid.uuid4())

    first = hold(client, flight, passengers=2, key=key)
    again = hold(client, flight, passengers=2, key=key)

    assert first.status_code == again.status_code == 201
    assert again["Idempotent-Replayed"] == "true"
    assert again.json()["id"] == first.json()["id"]
    assert again["Location"] == first["Location"]
    assert Booking.objects.filter(user=user).count() == 1
    assert seats_booked(flight) == 2


def test_the_same_key_with_another_request_is_422_and_holds_nothing_more(flight, user):
    client = api_client(user)
    key = str(uuid.uuid4())
    hold(client, flight, passengers=1, key=key)

    assert_problem(hold(client, flight, passengers=2, key=key), 422, "idempotency_key_reused")
    assert seats_booked(flight) == 1


def test_holds_from_one_client_address_are_limited_per_flight_whatever_the_accounts(flight, settings):
    settings.HOLD_LIMIT_PER_FLIGHT_PER_CLIENT = 2
    office = [UserFactory() for _ in range(3)]
    clients = [api_client(member) for member in office]
    for client in clients:
        client.defaults["REMOTE_ADDR"] = "192.0.2.7"

    assert hold(clients[0], flight).status_code == 201
    assert hold(clients[1], flight).status_code == 201
    assert_problem(hold(clients[2], flight), 409, "hold_limit_reached")
    assert seats_booked(flight) == 2
    # From another address the same account gets its seats.
    clients[2].defaults["REMOTE_ADDR"] = "192.0.2.8"
    assert hold(clients[2], flight).status_code == 201


def test_get_hold_and_my_holds_list_it(flight, user):
    client = api_client(user)
    reference = hold(client, flight, passengers=2).json()["id"]

    detail = client.get(reverse("api:hold", args=[reference]))
    listed = client.get(reverse("api:holds"))

    assert detail.status_code == 200 and detail.json()["id"] == reference
    assert [entry["id"] for entry in listed.json()["results"]] == [reference]


def test_delete_hold_releases_its_seats(flight, user):
    client = api_client(user)
    reference = hold(client, flight, passengers=3).json()["id"]
    assert seats_booked(flight) == 3

    response = client.delete(reverse("api:hold", args=[reference]))

    assert response.status_code == 204
    assert seats_booked(flight) == 0
    booking = Booking.objects.get(reference=reference)
    assert booking.status == Booking.Status.EXPIRED
    assert set(booking.tickets.values_list("status", flat=True)) == {Ticket.Status.EXPIRED}
    assert client.get(reverse("api:hold", args=[reference])).json()["status"] == "expired"
    assert client.get(reverse("api:holds")).json()["results"] == []
    # Releasing again changes nothing.
    assert client.delete(reverse("api:hold", args=[reference])).status_code == 204
    assert seats_booked(flight) == 0


# Booking: names and payment ------------------------------------------------------------------


def test_booking_a_hold_confirms_it_with_tickets_and_an_email(
    flight, user, django_capture_on_commit_callbacks, mailoutbox
):
    client = api_client(user)
    reference = hold(client, flight, passengers=2).json()["id"]

    with django_capture_on_commit_callbacks(execute=True):
        response = book(client, reference, [("Ada", "Lovelace"), ("Alan", "Turing")])

    assert response.status_code == 201, response.content
    body = response.json()
    assert response["Location"] == "http://testserver" + reverse("api:booking", args=[reference])
    assert body["reference"] == reference and body["status"] == "confirmed"
    assert [p["passenger_name"] for p in body["passengers"]] == ["Ada Lovelace", "Alan Turing"]
    assert {p["status"] for p in body["passengers"]} == {"active"}
    assert all(p["eticket"] for p in body["passengers"])
    assert body["total"] == {"amount": "400.00", "currency": "EUR"}
    assert body["payment"]["card_last4"] == "4242" and body["payment"]["amount"]["amount"] == "400.00"
    booking = Booking.objects.get(reference=reference)
    assert booking.status == Booking.Status.CONFIRMED
    assert set(booking.tickets.values_list("status", flat=True)) == {Ticket.Status.ACTIVE}
    assert seats_booked(flight) == 2
    message = OutboxMessage.objects.get(user_id=user.pk, template="booking_confirmed")
    assert message.to == user.email and message.status == OutboxMessage.Status.SENT
    assert [mail.to for mail in mailoutbox] == [[user.email]]
    assert reference in mailoutbox[0].body


def test_booking_retried_with_the_same_key_replays_and_charges_once(flight, user):
    client = api_client(user)
    reference = hold(client, flight).json()["id"]
    key = str(uuid.uuid4())

    first = book(client, reference, [("Ada", "Lovelace")], key=key)
    again = book(client, reference, [("Ada", "Lovelace")], key=key)

    assert first.status_code == again.status_code == 201
    assert again["Idempotent-Replayed"] == "true" and again.json() == first.json()
    assert Payment.objects.filter(booking__reference=reference).count() == 1
    assert OutboxMessage.objects.filter(user_id=user.pk, template="booking_confirmed").count() == 1


def test_declined_card_is_402_and_keeps_the_hold(flight, user):
    client = api_client(user)
    reference = hold(client, flight, passengers=2).json()["id"]

    response = book(client, reference, [("Ada", "Lovelace"), ("Alan", "Turing")], card=DECLINED_CARD)

    assert_problem(response, 402, "payment_declined")
    booking = Booking.objects.get(reference=reference)
    assert booking.status == Booking.Status.HELD
    assert not Payment.objects.filter(booking=booking).exists()
    assert seats_booked(flight) == 2
    assert client.get(reverse("api:hold", args=[reference])).json()["status"] == "held"
    # Another card, a new request: the same hold is booked.
    retry = book(client, reference, [("Ada", "Lovelace"), ("Alan", "Turing")])
    assert retry.status_code == 201 and retry.json()["status"] == "confirmed"
    assert seats_booked(flight) == 2


def test_booking_with_the_wrong_number_of_passengers_is_400_on_passengers(flight, user):
    client = api_client(user)
    reference = hold(client, flight, passengers=2).json()["id"]

    response = book(client, reference, [("Ada", "Lovelace")])

    body = assert_problem(response, 400, "validation_error")
    assert list(body["errors"]) == ["passengers"]
    assert Booking.objects.get(reference=reference).status == Booking.Status.HELD


def test_booking_reports_every_field_error_at_once_with_dotted_names(flight, user):
    client = api_client(user)
    reference = hold(client, flight, passengers=2).json()["id"]
    bad_card = {**GOOD_CARD, "number": "4242424242424241"}  # fails the Luhn check

    response = book(client, reference, [("Ada", "Lovelace"), ("Alan", "  ")], card=bad_card)

    body = assert_problem(response, 400, "validation_error")
    assert set(body["errors"]) == {"passengers.1.last_name", "payment.card.number"}
    booking = Booking.objects.get(reference=reference)
    assert booking.status == Booking.Status.HELD
    assert list(booking.tickets.values_list("last_name", flat=True)) == ["", ""]  # nothing named
    assert not Payment.objects.filter(booking=booking).exists()


def test_booking_with_a_blank_last_name_names_the_field(flight, user):
    client = api_client(user)
    reference = hold(client, flight).json()["id"]

    body = assert_problem(book(client, reference, [("Ada", "")]), 400, "validation_error")

    assert list(body["errors"]) == ["passengers.0.last_name"]


def test_booking_with_a_malformed_card_names_each_card_field(flight, user):
    client = api_client(user)
    reference = hold(client, flight).json()["id"]
    card = {"number": "12", "expiry": "13/30", "cvc": "1", "holder": ""}

    body = assert_problem(book(client, reference, [("Ada", "Lovelace")], card=card), 400, "validation_error")

    assert set(body["errors"]) == {f"payment.card.{name}" for name in ("number", "expiry", "cvc", "holder")}


def test_booking_asks_each_date_of_birth_when_the_site_does(flight, user, settings):
    settings.ASK_DATE_OF_BIRTH = True
    client = api_client(user)
    reference = hold(client, flight, passengers=2).json()["id"]
    passengers = [
        {"first_names": "Ada", "last_name": "Lovelace", "date_of_birth": "1815-12-10"},
        {"first_names": "Alan", "last_name": "Turing"},
    ]

    response = post(
        client, reverse("api:bookings"), {"hold": reference, "passengers": passengers, "payment": {"card": GOOD_CARD}}
    )

    body = assert_problem(response, 400, "validation_error")
    assert set(body["errors"]) == {"passengers.0.date_of_birth", "passengers.1.date_of_birth"}
    assert Booking.objects.get(reference=reference).status == Booking.Status.HELD


def test_booking_someone_elses_hold_is_refused_and_changes_nothing(flight, user):
    theirs = make_hold(flight=flight)

    body = assert_problem(book(api_client(user), theirs.reference, [("Ada", "Lovelace")]), 400, "validation_error")

    assert list(body["errors"]) == ["hold"]
    assert Booking.objects.get(pk=theirs.pk).status == Booking.Status.HELD


def test_booking_an_expired_hold_is_409_hold_expired(flight, user):
    reference = hold(api_client(user), flight, passengers=2).json()["id"]

    later = timezone.now() + timedelta(minutes=django_settings.BOOKING_HOLD_MINUTES, seconds=30)
    with time_machine.travel(later):
        client = api_client(user)  # the first access token ran out with the hold
        response = book(client, reference, [("Ada", "Lovelace"), ("Alan", "Turing")])
        assert_problem(response, 409, "hold_expired")
        assert client.get(reverse("api:hold", args=[reference])).json()["status"] == "expired"

    assert Booking.objects.get(reference=reference).status != Booking.Status.CONFIRMED
    assert not Payment.objects.exists()


def test_seats_of_a_lapsed_hold_go_to_the_next_passenger(flight, user):
    reference = hold(api_client(user), flight, seats=["6A"]).json()["id"]

    with time_machine.travel(timezone.now() + timedelta(minutes=django_settings.BOOKING_HOLD_MINUTES + 1)):
        response = hold(api_client(UserFactory()), flight, seats=["6A"])

    assert response.status_code == 201, response.content
    assert Booking.objects.get(reference=reference).status == Booking.Status.EXPIRED
    assert seats_booked(flight) == 1


def test_booking_a_booked_hold_again_with_a_new_key_returns_it_and_charges_once(flight, user):
    client = api_client(user)
    reference = hold(client, flight).json()["id"]
    first = book(client, reference, [("Ada", "Lovelace")])

    again = book(client, reference, [("Ada", "Lovelace")])

    assert first.status_code == again.status_code == 201
    assert again.json()["reference"] == reference and again.json()["status"] == "confirmed"
    assert Payment.objects.filter(booking__reference=reference).count() == 1
    assert OutboxMessage.objects.filter(user_id=user.pk, template="booking_confirmed").count() == 1


def test_booking_a_released_hold_is_hold_expired(flight, user):
    client = api_client(user)
    reference = hold(client, flight).json()["id"]
    client.delete(reverse("api:hold", args=[reference]))

    assert_problem(book(client, reference, [("Ada", "Lovelace")]), 409, "hold_expired")
    assert seats_booked(flight) == 0


def test_booking_a_hold_on_a_flight_staff_cancelled_is_booking_closed(flight, user):
    client = api_client(user)
    reference = hold(client, flight).json()["id"]
    services.flight_remove(flight_id=flight.pk)

    assert_problem(book(client, reference, [("Ada", "Lovelace")]), 409, "booking_closed")
    assert not Payment.objects.exists()


# Reading bookings ----------------------------------------------------------------------------


def test_my_bookings_are_paged_by_cursor_newest_first(flight, user):
    mine = [make_booking(user=user, flight=flight) for _ in range(3)]
    make_booking(flight=flight)  # someone else's
    make_hold(user=user, flight=FlightFactory())  # a checkout, not a booking
    client = api_client(user)

    first = client.get(reverse("api:bookings"), {"limit": 2})

    assert first.status_code == 200
    page = first.json()
    assert [b["reference"] for b in page["results"]] == [mine[2].reference, mine[1].reference]
    assert page["next"]
    second = client.get(page["next"]).json()
    assert [b["reference"] for b in second["results"]] == [mine[0].reference]
    assert second["next"] is None
    assert second["previous"]


def test_my_bookings_list_keeps_cancelled_ones(flight, user):
    booking = make_booking(user=user, flight=flight)
    services.booking_cancel(user=user, booking_id=booking.pk)

    results = api_client(user).get(reverse("api:bookings")).json()["results"]

    assert [(b["reference"], b["status"]) for b in results] == [(booking.reference, "cancelled")]


def test_get_booking_by_reference_in_any_case(flight, user):
    booking = make_booking(user=user, flight=flight, names=["Ada Lovelace"])
    client = api_client(user)

    response = client.get(reverse("api:booking", args=[booking.reference.lower()]))

    assert response.status_code == 200
    body = response.json()
    assert body["reference"] == booking.reference and body["status"] == "confirmed"
    assert body["flight"]["number"] == "SK100"
    assert body["passengers"][0]["passenger_name"] == "Ada Lovelace"
    assert body["links"]["calendar"].endswith(reverse("api:booking_calendar", args=[booking.reference]))


def test_a_hold_is_not_a_booking_yet(flight, user):
    reference = hold(api_client(user), flight).json()["id"]

    assert_problem(api_client(user).get(reverse("api:booking", args=[reference])), 404, "not_found")


def test_calendar_file_is_text_calendar_with_the_flight(flight, user):
    booking = make_booking(user=user, flight=flight, names=["Ada Lovelace"])

    response = api_client(user).get(reverse("api:booking_calendar", args=[booking.reference]))

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/calendar")
    text = response.content.decode()
    assert text.startswith("BEGIN:VCALENDAR") and "BEGIN:VEVENT" in text
    assert "SK100" in text and "Ada Lovelace" in text


def test_eticket_is_json_with_the_boarding_barcode(flight, user):
    booking = make_booking(user=user, flight=flight, names=["Ada Lovelace"], seats=["8A"])
    ticket = booking.tickets.get()

    response = api_client(user).get(reverse("api:eticket", args=[booking.reference, ticket.pk]))

    assert response.status_code == 200
    body = response.json()
    assert body["booking"] == booking.reference and body["ticket"] == ticket.pk
    assert body["passenger_name"] == "Ada Lovelace" and body["seat"] == "8A"
    assert body["barcode"].startswith(f"SKYWAY|REF={booking.reference}|PAX=Ada Lovelace|FLT=SK100|")
    assert body["barcode"].endswith("|SEAT=8A")
    assert body["flight"]["id"] == flight.pk


def test_eticket_of_a_cancelled_passenger_is_gone(flight, user):
    booking = make_booking(user=user, flight=flight, passengers=2)
    first, second = booking.tickets.order_by("pk")
    services.booking_cancel(user=user, booking_id=booking.pk, ticket_ids=[first.pk])
    client = api_client(user)

    assert client.get(reverse("api:eticket", args=[booking.reference, first.pk])).status_code == 404
    assert client.get(reverse("api:eticket", args=[booking.reference, second.pk])).status_code == 200


# Cancellation: quote, then confirm ----------------------------------------------------------


def quote(client: APIClient, booking, passengers: list[int] | None = None):
    data = {} if passengers is None else {"passengers": passengers}
    return client.post(reverse("api:cancellations", args=[booking.reference]), data, format="json")


def confirm(client: APIClient, booking, quote_id: str, *, key: str | None = None):
    return post(client, reverse("api:cancellation_confirm", args=[booking.reference, quote_id]), key=key)


def test_quote_more_than_the_full_refund_days_before_departure_refunds_everything(flight, user):
    booking = make_booking(user=user, flight=flight, passengers=2)

    response = quote(api_client(user), booking)

    assert response.status_code == 201, response.content
    body = response.json()
    assert response["Location"] == "http://testserver" + reverse(
        "api:cancellation", args=[booking.reference, body["id"]]
    )
    assert body["status"] == "quoted" and body["booking"] == booking.reference
    assert body["refund_total"] == {"amount": "400.00", "currency": "EUR"}
    assert [p["refund"]["amount"] for p in body["passengers"]] == ["200.00", "200.00"]
    # A quote changes nothing.
    assert Booking.objects.get(pk=booking.pk).status == Booking.Status.CONFIRMED
    assert seats_booked(flight) == 2


def test_quote_inside_the_full_refund_days_refunds_the_late_percentage(user, settings):
    settings.REFUND_FULL_DAYS = 7
    settings.REFUND_LATE_PERCENT = 50
    soon = FlightFactory(price=Decimal("129.99"), departs_at=timezone.now() + timedelta(days=3))
    booking = make_booking(user=user, flight=soon)

    body = quote(api_client(user), booking).json()

    assert body["refund_total"]["amount"] == "65.00"  # 50 % of 129.99, to the cent


def test_confirming_a_quote_cancels_returns_the_seats_and_records_the_refund(
    flight, user, django_capture_on_commit_callbacks, mailoutbox
):
    booking = make_booking(user=user, flight=flight, passengers=2)
    client = api_client(user)
    quote_id = quote(client, booking).json()["id"]

    with django_capture_on_commit_callbacks(execute=True):
        response = confirm(client, booking, quote_id)

    assert response.status_code == 200, response.content
    body = response.json()
    assert body["status"] == "confirmed" and body["confirmed_at"]
    assert body["refund_total"]["amount"] == "400.00"
    booking.refresh_from_db()
    assert booking.status == Booking.Status.CANCELLED
    assert seats_booked(flight) == 0
    assert set(booking.tickets.values_list("refund_amount", flat=True)) == {Decimal("200.00")}
    assert Payment.objects.get(booking=booking).refunded_amount == Decimal("400.00")
    assert OutboxMessage.objects.filter(user_id=user.pk, template="booking_cancelled").count() == 1
    assert client.get(reverse("api:booking", args=[booking.reference])).json()["status"] == "cancelled"


def test_confirming_twice_with_the_same_key_replays_and_refunds_once(flight, user):
    booking = make_booking(user=user, flight=flight, passengers=2)
    client = api_client(user)
    quote_id = quote(client, booking).json()["id"]
    key = str(uuid.uuid4())

    first = confirm(client, booking, quote_id, key=key)
    again = confirm(client, booking, quote_id, key=key)

    assert first.status_code == again.status_code == 200
    assert again["Idempotent-Replayed"] == "true"
    assert again.json() == first.json()
    assert Payment.objects.get(booking=booking).refunded_amount == Decimal("400.00")
    assert seats_booked(flight) == 0
    assert OutboxMessage.objects.filter(user_id=user.pk, template="booking_cancelled").count() == 1


def test_confirming_a_confirmed_quote_with_a_new_key_changes_nothing(flight, user):
    booking = make_booking(user=user, flight=flight)
    client = api_client(user)
    quote_id = quote(client, booking).json()["id"]
    confirm(client, booking, quote_id)

    again = confirm(client, booking, quote_id)

    assert again.status_code == 200 and again.json()["status"] == "confirmed"
    assert Payment.objects.get(booking=booking).refunded_amount == Decimal("200.00")


def test_confirming_an_expired_quote_is_409_quote_expired_and_cancels_nothing(flight, user):
    booking = make_booking(user=user, flight=flight)
    quote_id = quote(api_client(user), booking).json()["id"]

    with time_machine.travel(timezone.now() + timedelta(minutes=11)):
        assert_problem(confirm(api_client(user), booking, quote_id), 409, "quote_expired")

    assert Booking.objects.get(pk=booking.pk).status == Booking.Status.CONFIRMED
    assert seats_booked(flight) == 1


def test_confirming_a_quote_whose_refund_has_dropped_since_is_quote_expired(user, settings):
    settings.REFUND_FULL_DAYS = 7
    # The full refund ends five minutes from now: a quote now, confirmed six minutes later.
    departs = timezone.now() + timedelta(days=7, minutes=5)
    booking = make_booking(user=user, flight=FlightFactory(departs_at=departs, price=Decimal("100.00")))
    body = quote(api_client(user), booking).json()
    assert body["refund_total"]["amount"] == "100.00"

    with time_machine.travel(timezone.now() + timedelta(minutes=6)):
        assert_problem(confirm(api_client(user), booking, body["id"]), 409, "quote_expired")

    assert Booking.objects.get(pk=booking.pk).status == Booking.Status.CONFIRMED


def test_confirming_a_quote_some_of_whose_passengers_were_cancelled_since_is_quote_expired(flight, user):
    booking = make_booking(user=user, flight=flight, passengers=2)
    first, second = booking.tickets.order_by("pk")
    client = api_client(user)
    whole = quote(client, booking).json()
    assert whole["refund_total"]["amount"] == "400.00"
    # Meanwhile the first passenger is cancelled on the site: the quote no longer holds.
    services.booking_cancel(user=user, booking_id=booking.pk, ticket_ids=[first.pk])

    response = confirm(client, booking, whole["id"])

    assert_problem(response, 409, "quote_expired")
    assert Ticket.objects.get(pk=second.pk).status == Ticket.Status.ACTIVE
    assert Payment.objects.get(booking=booking).refunded_amount == Decimal("200.00")


def test_quote_after_the_cancellation_deadline_is_409_cancellation_closed(user, settings):
    settings.CANCELLATION_CUTOFF_HOURS = 3
    booking = make_booking(user=user, flight=FlightFactory(departs_at=timezone.now() + timedelta(hours=2)))

    assert_problem(quote(api_client(user), booking), 409, "cancellation_closed")
    assert Booking.objects.get(pk=booking.pk).status == Booking.Status.CONFIRMED


def test_confirming_after_the_deadline_passed_since_the_quote_is_cancellation_closed(user, settings):
    settings.CANCELLATION_CUTOFF_HOURS = 3
    departs = timezone.now() + timedelta(hours=3, minutes=5)
    booking = make_booking(user=user, flight=FlightFactory(departs_at=departs))
    quote_id = quote(api_client(user), booking).json()["id"]

    with time_machine.travel(timezone.now() + timedelta(minutes=6)):
        assert_problem(confirm(api_client(user), booking, quote_id), 409, "cancellation_closed")

    assert Booking.objects.get(pk=booking.pk).status == Booking.Status.CONFIRMED
    assert seats_booked(booking.flight) == 1


def test_cancelling_some_passengers_keeps_the_others_flying(flight, user):
    booking = make_booking(user=user, flight=flight, names=["Ada Lovelace", "Alan Turing", "Grace Hopper"])
    ada, alan, grace = booking.tickets.order_by("pk")
    client = api_client(user)

    body = quote(client, booking, passengers=[alan.pk]).json()
    assert [p["id"] for p in body["passengers"]] == [alan.pk]
    assert body["refund_total"]["amount"] == "200.00"
    response = confirm(client, booking, body["id"])

    assert response.status_code == 200, response.content
    booking.refresh_from_db()
    assert booking.status == Booking.Status.CONFIRMED
    statuses = dict(booking.tickets.values_list("pk", "status"))
    assert statuses == {ada.pk: "active", alan.pk: "cancelled", grace.pk: "active"}
    assert seats_booked(flight) == 2
    assert Payment.objects.get(booking=booking).refunded_amount == Decimal("200.00")
    shown = client.get(reverse("api:booking", args=[booking.reference])).json()["passengers"]
    assert [(p["passenger_name"], p["status"]) for p in shown] == [
        ("Ada Lovelace", "active"),
        ("Alan Turing", "cancelled"),
        ("Grace Hopper", "active"),
    ]


def test_quote_for_a_passenger_not_on_the_booking_is_400(flight, user):
    booking = make_booking(user=user, flight=flight)
    stranger = make_booking(flight=flight).tickets.get()

    body = assert_problem(quote(api_client(user), booking, passengers=[stranger.pk]), 400, "validation_error")

    assert list(body["errors"]) == ["passengers"]


def test_quote_for_a_cancelled_booking_is_nothing_to_cancel(flight, user):
    booking = make_booking(user=user, flight=flight)
    services.booking_cancel(user=user, booking_id=booking.pk)

    assert_problem(quote(api_client(user), booking), 409, "nothing_to_cancel")


def test_get_quote_shows_it(flight, user):
    booking = make_booking(user=user, flight=flight)
    client = api_client(user)
    created = quote(client, booking).json()

    response = client.get(reverse("api:cancellation", args=[booking.reference, created["id"]]))

    assert response.status_code == 200 and response.json() == created


# Exports -------------------------------------------------------------------------------------


def test_export_is_accepted_then_done_and_downloads_as_csv(flight, user, django_capture_on_commit_callbacks):
    booking = make_booking(user=user, flight=flight, names=["Ada Lovelace"])
    make_booking(flight=flight, names=["Not Mine"])
    client = api_client(user)

    with django_capture_on_commit_callbacks(execute=True):
        started = client.post(reverse("api:exports"))

    assert started.status_code == 202
    export_id = started.json()["id"]
    assert started["Location"] == "http://testserver" + reverse("api:export", args=[export_id])
    progress = client.get(reverse("api:export", args=[export_id]))
    assert progress.status_code == 200
    body = progress.json()
    assert body["status"] == "done" and (body["done"], body["total"]) == (1, 1)
    assert body["download"].endswith(reverse("api:export_download", args=[export_id]))
    download = client.get(reverse("api:export_download", args=[export_id]))
    assert download.status_code == 200
    assert download["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(b"".join(download.streaming_content).decode("utf-8-sig"))))
    assert rows[0][0] == "Booking reference"
    assert [(row[0], row[10]) for row in rows[1:]] == [(booking.reference, "Ada Lovelace")]


def test_a_second_export_while_one_is_pending_returns_that_one(user):
    client = api_client(user)
    first = client.post(reverse("api:exports"))  # its task waits for a commit that never comes here

    second = client.post(reverse("api:exports"))

    assert first.status_code == second.status_code == 202
    assert second.json()["id"] == first.json()["id"]
    assert BookingExport.objects.filter(user=user).count() == 1


def test_export_not_yet_run_is_export_not_ready(user):
    export, _ = services.export_start(user=user)  # outside a captured commit: the task has not run

    client = api_client(user)
    assert client.get(reverse("api:export", args=[export.pk])).json()["status"] == "pending"
    assert_problem(client.get(reverse("api:export_download", args=[export.pk])), 409, "export_not_ready")
    assert BookingExport.objects.get(pk=export.pk).status == BookingExport.Status.PENDING


def test_export_past_its_expiry_is_410_export_expired(user, settings, django_capture_on_commit_callbacks):
    settings.EXPORT_EXPIRY_HOURS = 1
    client = api_client(user)
    with django_capture_on_commit_callbacks(execute=True):
        export_id = client.post(reverse("api:exports")).json()["id"]

    with time_machine.travel(timezone.now() + timedelta(hours=2)):
        response = api_client(user).get(reverse("api:export_download", args=[export_id]))

    assert_problem(response, 410, "export_expired")
    assert BookingExport.objects.get(pk=export_id).status == BookingExport.Status.EXPIRED
