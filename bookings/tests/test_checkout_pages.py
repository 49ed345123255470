"""Checkout, manage booking and cancellation pages, as a passenger uses them (no JavaScript).

Each test drives the pages with the test client and checks what a person reads on the page
and what the database holds afterwards.
"""

import html
import random
import re
import uuid
from datetime import date, timedelta
from decimal import Decimal

import pytest
import time_machine
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django.utils.module_loading import import_string

from accounts.tests.factories import UserFactory
from bookings import selectors, services
from bookings.exceptions import CancellationClosed, HoldExpired
from bookings.models import Booking, Payment, Ticket
from bookings.payments import TestPaymentProvider
from bookings.services import Passenger
from bookings.tests.factories import make_booking, make_hold
from bookings.views_manage import NOT_FOUND, TOO_MANY, UNAVAILABLE
from flights.models import Flight
from flights.tests.factories import FlightFactory
from notifications.models import OutboxMessage

pytestmark = pytest.mark.django_db

DECLINED = "4000000000000002"
GOOD_CARD = {"holder": "Ada Lovelace", "number": "4242 4242 4242 4242", "expiry": "12/99", "cvc": "123"}


class RecordingPaymentProvider(TestPaymentProvider):
    """The test provider, remembering what it was asked to charge; its name keeps the page's
    test-card list hidden, so a card number on the page can only be an echo of the input."""

    charges: list = []

    def charge(self, **kwargs):
        self.charges.append(kwargs["amount"])
        return super().charge(**kwargs)


@pytest.fixture
def provider(settings):
    settings.PAYMENT_PROVIDER = f"{__name__}.RecordingPaymentProvider"
    recording = import_string(settings.PAYMENT_PROVIDER)  # the class the views will load
    recording.charges.clear()
    return recording


# --- helpers -------------------------------------------------------------------------------


def page_text(response) -> str:
    return html.unescape(response.content.decode())


def followed_text(client, response) -> str:
    """The page a redirect leads to, with the messages it shows."""
    assert response.status_code == 302, response.status_code
    return page_text(client.get(response["Location"]))


def url(name: str, booking: Booking, *args) -> str:
    return reverse(f"bookings:{name}", args=[booking.reference, *args])


def db_state() -> dict:
    """Everything a checkout or cancellation could change, in a form that compares with ==."""
    return {
        "bookings": list(Booking.objects.order_by("pk").values_list("pk", "status", "cancelled_at", "confirmed_at")),
        "tickets": list(
            Ticket.objects.order_by("pk").values_list(
                "pk", "status", "seat", "passenger_name", "last_name", "date_of_birth", "refund_amount"
            )
        ),
        "payments": list(Payment.objects.order_by("pk").values_list("pk", "amount", "refunded_amount")),
        "seats_booked": list(Flight.objects.order_by("pk").values_list("pk", "seats_booked")),
        "outbox": OutboxMessage.objects.count(),
    }


def named_hold(user, *, flight=None, names=(("Ada", "Lovelace"),), seats=None) -> Booking:
    """A hold whose passengers are named: ready for the payment page."""
    booking = make_hold(user=user, flight=flight, seats=seats, passengers=len(names))
    services.booking_set_passengers(
        user=user, booking_id=booking.pk, passengers=[Passenger(first_names=f, last_name=last) for f, last in names]
    )
    return booking


def signed_in(client, user=None):
    user = user or UserFactory()
    client.force_login(user)
    return user


def random_ip() -> str:
    return f"10.{random.randint(0, 255)}.{random.randint(0, 255)}.{random.randint(1, 254)}"


# --- the whole journey ---------------------------------------------------------------------


def test_the_whole_checkout_holds_names_pays_and_shows_the_reference_and_etickets(client, provider):
    user = signed_in(client)
    flight = FlightFactory()

    response = client.post(
        reverse("bookings:book", args=[flight.pk]),
        {"token": str(uuid.uuid4()), "passengers": "2", "seat_1": "4A", "seat_2": "4B"},
    )
    booking = Booking.objects.get(user=user)
    assert response.status_code == 302
    assert response["Location"] == url("checkout_passengers", booking)

    page = page_text(client.get(response["Location"]))
    seconds = int(re.search(r'data-hold-seconds="(\d+)"', page)[1])
    assert 9 * 60 < seconds <= 10 * 60  # BOOKING_HOLD_MINUTES, just started
    assert "Seats <strong>4A</strong> and <strong>4B</strong> are held for you" in page

    response = client.post(
        url("checkout_passengers", booking),
        {"first_names_1": "Ada", "last_name_1": "Lovelace", "first_names_2": "Charles", "last_name_2": "Babbage"},
    )
    assert response.status_code == 302
    assert response["Location"] == url("checkout_payment", booking)
    page = page_text(client.get(response["Location"]))
    assert "Seat 4A: Ada Lovelace" in page and "Seat 4B: Charles Babbage" in page
    assert "Pay €259.98 and book" in page

    response = client.post(url("checkout_payment", booking), GOOD_CARD)
    assert response.status_code == 302
    assert response["Location"] == url("checkout_done", booking)

    page = page_text(client.get(response["Location"]))
    booking.refresh_from_db()
    tickets = list(booking.tickets.order_by("pk"))
    assert f'<span class="booking-ref fs-4" id="reference">{booking.reference}</span>' in page
    for ticket in tickets:
        assert f'href="{url("eticket", booking, ticket.pk)}"' in page
    assert f'href="{url("calendar", booking)}"' in page
    assert "Visa ending 4242" in page
    assert booking.status == Booking.Status.CONFIRMED
    assert [(t.passenger_name, t.last_name, t.seat, t.status) for t in tickets] == [
        ("Ada Lovelace", "Lovelace", "4A", "active"),
        ("Charles Babbage", "Babbage", "4B", "active"),
    ]
    assert provider.charges == [Decimal("259.98")]
    assert client.get(url("eticket", booking, tickets[1].pk)).status_code == 200


# --- passenger details ---------------------------------------------------------------------


def test_going_back_to_passenger_details_shows_the_names_already_given(client, settings):
    settings.ASK_DATE_OF_BIRTH = True
    user = signed_in(client)
    hold = make_hold(user=user)
    services.booking_set_passengers(
        user=user,
        booking_id=hold.pk,
        passengers=[Passenger(first_names="Ada Augusta", last_name="King", date_of_birth=date(1815, 12, 10))],
    )
    page = page_text(client.get(url("checkout_passengers", hold)))
    assert 'name="first_names_1" value="Ada Augusta"' in page
    assert 'name="last_name_1" value="King"' in page
    assert 'name="date_of_birth_1" value="1815-12-10"' in page


def test_a_missing_last_name_is_shown_on_the_page_and_changes_nothing(client):
    user = signed_in(client)
    hold = make_hold(user=user, passengers=2)
    before = db_state()
    response = client.post(
        url("checkout_passengers", hold),
        {"first_names_1": "Ada", "last_name_1": "Lovelace", "first_names_2": "Charles", "last_name_2": "   "},
    )
    assert response.status_code == 200
    assert "Enter the last name of passenger 2, as on the passport." in page_text(response)
    assert 'value="Lovelace"' in page_text(response)  # what was typed is kept for the retry
    assert db_state() == before
    # And the payment page still sends the passenger back to name everyone.
    assert client.get(url("checkout_payment", hold))["Location"] == url("checkout_passengers", hold)


def test_date_of_birth_is_required_refused_in_the_future_and_stored_when_the_site_asks(client, settings):
    settings.ASK_DATE_OF_BIRTH = True
    user = signed_in(client)
    hold = make_hold(user=user)
    names = {"first_names_1": "Ada", "last_name_1": "Lovelace"}
    before = db_state()

    assert 'name="date_of_birth_1"' in page_text(client.get(url("checkout_passengers", hold)))

    response = client.post(url("checkout_passengers", hold), names)
    assert response.status_code == 200
    assert "Enter the date of birth of passenger 1." in page_text(response)

    tomorrow = date.today() + timedelta(days=1)
    response = client.post(url("checkout_passengers", hold), names | {"date_of_birth_1": tomorrow.isoformat()})
    assert response.status_code == 200
    assert "Enter a date of birth in the past 120 years." in page_text(response)
    assert db_state() == before

    response = client.post(url("checkout_passengers", hold), names | {"date_of_birth_1": "1990-04-23"})
    assert response.status_code == 302
    assert response["Location"] == url("checkout_payment", hold)
    assert hold.tickets.get().date_of_birth == date(1990, 4, 23)


def test_without_the_setting_no_date_of_birth_is_asked_or_stored(client, settings):
    settings.ASK_DATE_OF_BIRTH = False
    user = signed_in(client)
    hold = make_hold(user=user)
    page = page_text(client.get(url("checkout_passengers", hold)))
    assert "date_of_birth" not in page and "Date of birth" not in page
    response = client.post(
        url("checkout_passengers", hold),
        {"first_names_1": "Ada", "last_name_1": "Lovelace", "date_of_birth_1": "1990-04-23"},
    )
    assert response.status_code == 302
    ticket = hold.tickets.get()
    assert (ticket.passenger_name, ticket.date_of_birth) == ("Ada Lovelace", None)


# --- payment -------------------------------------------------------------------------------


@pytest.mark.parametrize("typed", [DECLINED, "4000 0000 0000 0002", "4000-0000-0000-0002"])
def test_a_declined_card_says_why_keeps_the_hold_and_never_echoes_the_number(client, provider, typed):
    user = signed_in(client)
    hold = named_hold(user, seats=["6C"])
    response = client.post(url("checkout_payment", hold), GOOD_CARD | {"number": typed, "cvc": "987"})

    assert response.status_code == 200
    page = page_text(response)
    assert "Your card was declined by your bank. Please use another card." in page
    assert "Your seats are still held." in page
    hold.refresh_from_db()
    assert hold.status == Booking.Status.HELD
    assert hold.tickets.get().status == Ticket.Status.HELD
    assert "6C" in selectors.taken_seats(flight_id=hold.flight_id)
    assert not Payment.objects.exists()
    for shown in (DECLINED, "4000 0000 0000 0002", "4000-0000-0000-0002", "987"):
        assert shown not in response.content.decode()
    assert re.search(r'<input type="text" name="number"(?![^>]*\bvalue=)[^>]*>', page)
    assert 'value="Ada Lovelace"' in page  # the holder's name is kept for the retry
    # The same hold can still be paid with another card.
    assert client.post(url("checkout_payment", hold), GOOD_CARD)["Location"] == url("checkout_done", hold)


def test_a_declined_card_is_not_echoed_in_test_mode_either(client):
    user = signed_in(client)
    hold = named_hold(user)
    response = client.post(url("checkout_payment", hold), GOOD_CARD | {"number": "4000000000009995"})
    page = page_text(response)
    assert "Your card has insufficient funds. Please use another card." in page
    assert "Test mode: card numbers to try" in page
    assert "4000000000009995" not in response.content.decode()  # only the grouped hint is shown
    assert Booking.objects.get().status == Booking.Status.HELD


def _last_month() -> str:
    last = date.today().replace(day=1) - timedelta(days=1)
    return f"{last.month:02d}/{last.year % 100:02d}"


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("number", "4242 4242 4242 4241", "This card number is not valid. Please check it."),
        ("number", "4242 abcd", "Enter the card number: 12 to 19 digits."),
        ("expiry", _last_month(), "This card has expired. Please use another card."),
        ("expiry", "13/30", "Enter the expiry date as MM/YY, like 08/29."),
        ("cvc", "12", "The security code is the 3 or 4 digits on the back of the card."),
        ("cvc", "12a", "The security code is the 3 or 4 digits on the back of the card."),
        ("holder", "", "Enter the name on the card."),
    ],
)
def test_bad_card_details_get_a_field_error_and_charge_nothing(client, provider, field, value, message):
    user = signed_in(client)
    hold = named_hold(user)
    before = db_state()
    response = client.post(url("checkout_payment", hold), GOOD_CARD | {field: value})
    assert response.status_code == 200
    assert response.context["form"].errors == {field: [message]}
    assert message in page_text(response)
    assert provider.charges == []
    assert db_state() == before


def test_paying_twice_confirms_and_charges_once(client, provider):
    user = signed_in(client)
    hold = named_hold(user)
    first = client.post(url("checkout_payment", hold), GOOD_CARD)
    second = client.post(url("checkout_payment", hold), GOOD_CARD)
    assert first["Location"] == url("checkout_done", hold)
    assert second["Location"] == url("detail", hold)  # already paid: the booking, not a new charge
    assert Payment.objects.filter(booking=hold).count() == 1
    assert provider.charges == [Decimal("129.99")]
    assert OutboxMessage.objects.filter(template="booking_confirmed").count() == 1
    assert Booking.objects.get().status == Booking.Status.CONFIRMED


# --- expired and released holds ------------------------------------------------------------


@pytest.mark.parametrize("step", ["checkout_passengers", "checkout_payment"])
def test_an_expired_hold_sends_the_passenger_back_to_the_flight_page_with_a_message(client, step):
    user = signed_in(client)
    hold = named_hold(user)
    Booking.objects.filter(pk=hold.pk).update(hold_expires_at=timezone.now() - timedelta(seconds=1))
    response = client.get(url(step, hold))
    assert response["Location"] == reverse("bookings:book", args=[hold.flight_id])
    assert HoldExpired.message in followed_text(client, response)


def test_paying_after_the_hold_ran_out_charges_nothing_and_goes_back_to_the_flight(client, provider):
    user = signed_in(client)
    hold = named_hold(user, seats=["2B"])
    with time_machine.travel(timezone.now() + timedelta(minutes=11)):
        response = client.post(url("checkout_payment", hold), GOOD_CARD)
        assert response["Location"] == reverse("bookings:book", args=[hold.flight_id])
        page = followed_text(client, response)
        assert HoldExpired.message in page
        assert not re.search(r'data-seat="2B"[^>]*taken', page)  # the seat is on sale again
    assert provider.charges == []
    assert not Payment.objects.exists()
    assert Booking.objects.get().status != Booking.Status.CONFIRMED


def test_releasing_the_seats_frees_them_at_once(client):
    user = signed_in(client)
    flight = FlightFactory()
    hold = make_hold(user=user, flight=flight, seats=["5C", "5D"])
    response = client.post(url("checkout_release", hold))
    assert response["Location"] == reverse("bookings:book", args=[flight.pk])
    page = followed_text(client, response)
    assert "Your seats were released." in page
    assert not re.search(r'data-seat="5C"[^>]*taken', page)
    hold.refresh_from_db()
    flight.refresh_from_db()
    assert hold.status == Booking.Status.EXPIRED
    assert flight.seats_booked == 0
    assert selectors.taken_seats(flight_id=flight.pk) == set()
    # Someone else can have the seat straight away.
    other = Client()
    signed_in(other)
    response = other.post(
        reverse("bookings:book", args=[flight.pk]), {"token": str(uuid.uuid4()), "passengers": "1", "seat_1": "5C"}
    )
    assert response.status_code == 302
    assert Ticket.objects.get(status=Ticket.Status.HELD).seat == "5C"


def test_releasing_a_paid_booking_changes_nothing(client):
    user = signed_in(client)
    booking = make_booking(user=user)
    before = db_state()
    response = client.post(url("checkout_release", booking))
    assert response.status_code == 302
    assert "Your seats were released." not in followed_text(client, response)
    assert db_state() == before


def test_a_hold_on_a_flight_the_airline_cancelled_says_the_flight_was_cancelled(client):
    user = signed_in(client)
    hold = named_hold(user)
    assert services.flight_remove(flight_id=hold.flight_id) == "cancelled"
    response = client.get(url("checkout_payment", hold), follow=True)
    shown = [str(message) for message in response.context["messages"]]
    # The hold did not run out and choosing seats again is impossible: the flight is gone.
    assert HoldExpired.message not in shown
    assert any("flight has been cancelled" in message for message in shown), shown


# --- who may open a checkout ---------------------------------------------------------------

CHECKOUT_PAGES = [
    ("get", "checkout_passengers"),
    ("post", "checkout_passengers"),
    ("get", "checkout_payment"),
    ("post", "checkout_payment"),
    ("post", "checkout_release"),
    ("get", "checkout_done"),
]


@pytest.mark.parametrize(("method", "name"), CHECKOUT_PAGES)
def test_another_users_checkout_pages_are_not_found_and_change_nothing(client, provider, method, name):
    hold = named_hold(UserFactory())
    signed_in(client)
    before = db_state()
    data = GOOD_CARD | {"first_names_1": "Mallory", "last_name_1": "Evil"}
    response = getattr(client, method)(url(name, hold), data if method == "post" else None)
    assert response.status_code == 404
    assert db_state() == before
    assert provider.charges == []


@pytest.mark.parametrize(("method", "name"), CHECKOUT_PAGES)
def test_anonymous_visitors_are_sent_to_log_in_from_checkout_pages(client, method, name):
    hold = named_hold(UserFactory())
    before = db_state()
    response = getattr(client, method)(url(name, hold))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login") + "?next=")
    assert db_state() == before


# --- manage booking without an account -----------------------------------------------------


def _lookup(client, reference: str, last_name: str, ip: str):
    return client.post(reverse("bookings:manage"), {"reference": reference, "last_name": last_name}, REMOTE_ADDR=ip)


@pytest.mark.parametrize("typed_name", ["Ångström-Núñez", "ANGSTROM-NUNEZ", "angstrom nunez", "  Angström Nuñez "])
def test_manage_booking_opens_the_booking_by_reference_and_last_name_in_any_case_and_accents(client, typed_name):
    booking = make_booking(names=["Zoë Ångström-Núñez", "Bob Smith"])
    other = make_booking()
    response = _lookup(client, booking.reference.lower(), typed_name, random_ip())
    assert response["Location"] == url("detail", booking)
    page = followed_text(client, response)
    assert f"Welcome back. Here is booking {booking.reference}." in page
    assert "Zoë Ångström-Núñez" in page and "Bob Smith" in page

    ticket = booking.tickets.order_by("pk").first()
    eticket = client.get(url("eticket", booking, ticket.pk))
    assert eticket.status_code == 200 and "Zoë Ångström-Núñez" in page_text(eticket)
    calendar = client.get(url("calendar", booking))
    assert calendar.status_code == 200
    assert calendar["Content-Type"].startswith("text/calendar")
    assert booking.flight.number in calendar.content.decode()

    # The grant covers that booking only.
    other_ticket = other.tickets.get()
    assert client.get(url("detail", other)).status_code == 404
    assert client.get(url("eticket", other, other_ticket.pk)).status_code == 404
    assert client.get(url("eticket", booking, other_ticket.pk)).status_code == 404
    assert client.get(url("calendar", other)).status_code == 404
    assert client.get(url("cancel", other)).status_code == 404
    # And none of the signed-in pages opens.
    assert client.get(reverse("bookings:list"))["Location"].startswith(reverse("accounts:login"))


@pytest.mark.parametrize("wrong", ["last name", "reference", "unpaid hold"])
def test_a_wrong_last_name_or_unknown_reference_gets_the_same_message_and_no_access(client, wrong):
    booking = make_booking(names=["Ada Lovelace"])
    reference, last_name = booking.reference, "Lovelace"
    if wrong == "last name":
        last_name = "Babbage"
    elif wrong == "reference":
        reference = next(ref for ref in ("ZZZZZZ", "YYYYYY") if ref != booking.reference)
    else:
        hold = named_hold(UserFactory())
        reference = hold.reference
    response = _lookup(client, reference, last_name, random_ip())
    assert response.status_code == 200
    assert response.context["form"].non_field_errors() == [NOT_FOUND]
    assert NOT_FOUND in page_text(response)
    detail = client.get(url("detail", booking))
    assert detail["Location"].startswith(reverse("accounts:login"))


def test_manage_booking_refuses_even_a_right_answer_once_the_ip_made_too_many_attempts(client, settings):
    settings.MANAGE_BOOKING_RATE_IP = "3/m"
    booking = make_booking(names=["Ada Lovelace"])
    ip = random_ip()
    # Frozen clock: the rate window cannot roll over mid-test and reset the counter.
    with time_machine.travel(timezone.now(), tick=False):
        for _attempt in range(3):
            assert _lookup(client, booking.reference, "Babbage", ip).status_code == 200
        response = _lookup(client, booking.reference, "Lovelace", ip)
        assert response.status_code == 429
        assert TOO_MANY in page_text(response)
        assert "Too many attempts" in page_text(response)
        assert client.get(url("detail", booking))["Location"].startswith(reverse("accounts:login"))
        # The limit is per address: another client still gets in.
        elsewhere = Client()
        assert _lookup(elsewhere, booking.reference, "Lovelace", random_ip())["Location"] == url("detail", booking)


def test_manage_booking_refuses_a_reference_tried_too_often_from_many_addresses(client, settings):
    settings.MANAGE_BOOKING_RATE_REFERENCE = "3/m"
    booking = make_booking(names=["Ada Lovelace"])
    with time_machine.travel(timezone.now(), tick=False):
        for _attempt in range(3):
            assert _lookup(Client(), booking.reference, "Babbage", random_ip()).status_code == 200
        response = _lookup(client, booking.reference, "Lovelace", random_ip())
        assert response.status_code == 429
        assert TOO_MANY in page_text(response)


def test_manage_booking_is_refused_not_unlimited_while_redis_is_down(client, settings):
    booking = make_booking(names=["Ada Lovelace"])
    settings.CACHES = {
        alias: {**cache, "LOCATION": "redis://127.0.0.1:9/0"} for alias, cache in settings.CACHES.items()
    }
    response = _lookup(client, booking.reference, "Lovelace", random_ip())
    assert response.status_code == 503
    assert UNAVAILABLE in page_text(response)
    assert client.get(url("detail", booking))["Location"].startswith(reverse("accounts:login"))


# --- cancelling passengers -----------------------------------------------------------------


@pytest.fixture
def two_passengers(client):
    """A paid booking for two, three days before departure (half the fare back), owner signed in."""
    user = signed_in(client)
    flight = FlightFactory(departs_at=timezone.now() + timedelta(days=3))
    booking = make_booking(user=user, flight=flight, names=["Ada Lovelace", "Charles Babbage"], seats=["3A", "3B"])
    ada, charles = booking.tickets.order_by("pk")
    return booking, ada, charles


def _cancel(client, booking, tickets, *, confirm=False, whole=False):
    data = {"tickets": [str(ticket.pk) for ticket in tickets], "scope": "whole" if whole else "some"}
    if confirm:
        data["confirm"] = "1"
    return client.post(url("cancel", booking), data)


def test_the_cancel_page_lists_the_active_passengers_with_the_refund_each(client, two_passengers):
    booking, ada, charles = two_passengers
    page = page_text(client.get(url("cancel", booking)))
    for ticket in (ada, charles):
        assert f'name="tickets" value="{ticket.pk}"' in page
    assert page.count('refund <span class="refund">€65.00</span> of €129.99') == 2
    assert "Ada Lovelace" in page and "Charles Babbage" in page

    _cancel(client, booking, [ada], confirm=True)
    page = page_text(client.get(url("cancel", booking)))
    assert f'value="{ada.pk}"' not in page
    # The last passenger left: cancelling them is cancelling the booking, and it says so.
    assert "Charles Babbage" in page and "is the only passenger still booked" in page
    assert 'name="tickets"' not in page and 'name="scope" value="whole"' in page


def test_reviewing_a_cancellation_shows_the_refund_total_and_changes_nothing(client, two_passengers):
    booking, ada, charles = two_passengers
    before = db_state()
    response = _cancel(client, booking, [ada])
    assert response.status_code == 200
    page = page_text(response)
    assert "Cancel 1 passenger?" in page
    assert 'id="refund-total">€65.00<' in page
    assert "Cancel 1 passenger, refund €65.00" in page
    assert "Charles Babbage keeps their seat and e-ticket." in page
    assert db_state() == before

    page = page_text(_cancel(client, booking, [ada, charles]))
    assert "Cancel the whole booking?" in page and 'id="refund-total">€130.00<' in page
    assert "Cancel the whole booking, refund €130.00" in page
    assert 'name="scope" value="whole"' in page  # confirming it is the whole-booking choice
    assert db_state() == before


def test_confirming_cancels_just_that_passenger_and_the_other_keeps_seat_and_eticket(client, two_passengers):
    booking, ada, charles = two_passengers
    response = _cancel(client, booking, [ada], confirm=True)
    assert response["Location"] == url("detail", booking)
    page = followed_text(client, response)
    assert (
        "Cancelled: Ada Lovelace. A refund of €65.00 is on its way to your Visa card ending 4242; "
        "it usually arrives within 5–10 working days." in page
    )
    assert "<s>Ada Lovelace</s>" in page

    ada.refresh_from_db()
    charles.refresh_from_db()
    booking.refresh_from_db()
    assert (ada.status, ada.refund_amount) == (Ticket.Status.CANCELLED, Decimal("65.00"))
    assert (charles.status, charles.seat, charles.refund_amount) == (Ticket.Status.ACTIVE, "3B", None)
    assert booking.status == Booking.Status.CONFIRMED
    assert booking.payment.refunded_amount == Decimal("65.00")
    assert selectors.taken_seats(flight_id=booking.flight_id) == {"3B"}
    assert Flight.objects.get(pk=booking.flight_id).seats_booked == 1
    assert client.get(url("eticket", booking, charles.pk)).status_code == 200
    assert client.get(url("eticket", booking, ada.pk)).status_code == 404


def test_confirming_the_same_cancellation_again_says_already_cancelled_and_changes_nothing(client, two_passengers):
    booking, ada, _charles = two_passengers
    _cancel(client, booking, [ada], confirm=True)
    before = db_state()
    response = _cancel(client, booking, [ada], confirm=True)
    assert response["Location"] == url("detail", booking)
    assert "Those passengers are already cancelled." in followed_text(client, response)
    assert db_state() == before


def test_cancelling_every_passenger_cancels_the_booking(client, two_passengers):
    booking, ada, charles = two_passengers
    response = _cancel(client, booking, [ada, charles], confirm=True, whole=True)
    page = followed_text(client, response)
    assert "Cancelled: Ada Lovelace, Charles Babbage. A refund of €130.00" in page
    assert '<span class="badge text-bg-secondary" id="status">Cancelled</span>' in page
    booking.refresh_from_db()
    assert booking.status == Booking.Status.CANCELLED and booking.cancelled_at is not None
    assert Flight.objects.get(pk=booking.flight_id).seats_booked == 0
    assert client.get(url("calendar", booking)).status_code == 404

    before = db_state()
    response = _cancel(client, booking, [ada, charles], confirm=True)
    assert f"Booking {booking.reference} was already cancelled." in followed_text(client, response)
    assert db_state() == before


def test_after_the_cutoff_the_cancel_page_redirects_with_a_message_and_changes_nothing(
    client, settings, two_passengers
):
    booking, ada, _charles = two_passengers
    settings.CANCELLATION_CUTOFF_HOURS = 4 * 24  # the flight leaves in 3 days
    before = db_state()
    response = client.get(url("cancel", booking))
    assert response["Location"] == url("detail", booking)
    page = followed_text(client, response)
    assert CancellationClosed.message in page
    assert 'href="{}"'.format(url("cancel", booking)) not in page
    response = _cancel(client, booking, [ada], confirm=True)
    assert response["Location"] == url("detail", booking)
    assert db_state() == before


def test_the_cancel_page_of_an_unpaid_hold_does_not_say_it_was_cancelled(client):
    user = signed_in(client)
    hold = named_hold(user)
    before = db_state()
    response = client.get(url("cancel", hold), follow=True)
    assert response.redirect_chain[-1][0] == url("checkout_payment", hold)  # back to paying
    assert "was already cancelled" not in page_text(response)
    assert db_state() == before


@pytest.mark.parametrize("confirm", [False, True])
def test_choosing_no_passenger_asks_for_one_and_changes_nothing(client, two_passengers, confirm):
    booking, _ada, _charles = two_passengers
    before = db_state()
    response = _cancel(client, booking, [], confirm=confirm)
    assert response.status_code == 200
    assert "Choose at least one passenger to cancel." in page_text(response)
    assert db_state() == before


# --- query counts --------------------------------------------------------------------------


def test_the_booking_page_for_five_passengers_runs_a_bounded_number_of_queries(client, django_assert_max_num_queries):
    user = signed_in(client)
    names = [f"Traveller Number{index}" for index in range(5)]
    booking = make_booking(user=user, names=names)
    # session, user, the booking with flight, airports and payment, its tickets, booking.user
    with django_assert_max_num_queries(5):
        response = client.get(url("detail", booking))
    assert response.status_code == 200
    page = page_text(response)
    assert all(name in page for name in names)
    assert page.count("E-ticket<span") == 5


@pytest.mark.parametrize("step", ["checkout_passengers", "checkout_payment", "checkout_done"])
def test_checkout_pages_for_five_passengers_run_a_bounded_number_of_queries(
    client, provider, django_assert_max_num_queries, step
):
    user = signed_in(client)
    hold = named_hold(user, names=[("Traveller", f"Number{index}") for index in range(5)])
    if step == "checkout_done":
        client.post(url("checkout_payment", hold), GOOD_CARD)
    # session, user, the booking with flight, airports and payment, its tickets (+ booking.user
    # for the "e-mailed to" line on the done page), the navbar's unread-alerts count
    with django_assert_max_num_queries(6):
        response = client.get(url(step, hold))
    assert response.status_code == 200
    assert page_text(response).count("Traveller Number") >= 5
