"""Checkout and manage booking without traps or wrong words (issue 16, part C): cancelling
nobody by default and everyone only on purpose, the truth about money after a cancellation,
a confirmation page that says what happens next, card expiry as people type it, names filled
in and labelled for autofill, every time on an airport's clock or the reader's, and "My
bookings" keeping cancelled bookings out of the upcoming trips."""

import html
import re
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
import time_machine
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from accounts.tests.factories import UserFactory
from bookings import services
from bookings.airport_times import airport_steps, before_words
from bookings.fares import cancellation_promise, fare_rule_text
from bookings.forms import PassengerForm, PaymentForm
from bookings.models import Booking, BookingExport, Ticket
from bookings.services import Passenger
from bookings.services.exports import export_run
from bookings.tests.factories import make_booking, make_hold
from flights.models import Flight
from flights.tests.factories import AirportFactory, FlightFactory
from notifications.models import OutboxMessage
from notifications.services import outbox_send

pytestmark = pytest.mark.django_db

GOOD_CARD = {"holder": "Ada Lovelace", "number": "4242 4242 4242 4242", "expiry": "12/99", "cvc": "123"}


def page_text(response) -> str:
    return html.unescape(response.content.decode())


def url(name: str, booking: Booking, *args) -> str:
    return reverse(f"bookings:{name}", args=[booking.reference, *args])


def db_state() -> dict:
    return {
        "bookings": list(Booking.objects.order_by("pk").values_list("pk", "status", "cancelled_at")),
        "tickets": list(Ticket.objects.order_by("pk").values_list("pk", "status", "refund_amount")),
        "seats_booked": list(Flight.objects.order_by("pk").values_list("pk", "seats_booked")),
        "outbox": OutboxMessage.objects.count(),
    }


@pytest.fixture
def london_new_york():
    return (
        AirportFactory(iata="LHR", city="London", name="London Heathrow Airport", tz="Europe/London"),
        AirportFactory(iata="JFK", city="New York", name="John F Kennedy International Airport", tz="America/New_York"),
    )


@pytest.fixture
def two_passengers(client):
    """A paid booking for two, three days before departure (half the fare back), owner signed in."""
    user = UserFactory()
    client.force_login(user)
    flight = FlightFactory(departs_at=timezone.now() + timedelta(days=3))
    booking = make_booking(user=user, flight=flight, names=["Ada Lovelace", "Charles Babbage"], seats=["3A", "3B"])
    ada, charles = booking.tickets.order_by("pk")
    return booking, ada, charles


# --- cancel: nobody by default, everyone only on purpose -------------------------------------


def test_the_cancel_page_ticks_nobody_and_offers_the_whole_booking_as_its_own_choice(client, two_passengers):
    booking, _ada, _charles = two_passengers
    page = page_text(client.get(url("cancel", booking)))
    boxes = re.findall(r'<input[^>]*name="tickets"[^>]*>', page)
    assert len(boxes) == 2 and not any("checked" in box for box in boxes)
    # The checkboxes' form reviews some passengers; a form of its own reviews the whole booking.
    forms = re.findall(r"<form .*?</form>", page, flags=re.S)
    some = next(form for form in forms if 'name="tickets"' in form)
    whole = next(form for form in forms if 'value="whole"' in form)
    assert 'name="scope" value="some"' in some and "Review cancellation" in some
    assert 'name="tickets"' not in whole and "Review cancelling the whole booking" in whole
    words = " ".join(re.sub(r"<[^>]+>", "", page).split())
    assert "all 2 passengers (Ada Lovelace, Charles Babbage), with a refund of €130.00 in total" in words


def test_reviewing_the_whole_booking_lists_everyone_the_refund_and_the_card_and_changes_nothing(client, two_passengers):
    booking, _ada, _charles = two_passengers
    before = db_state()
    page = page_text(client.post(url("cancel", booking), {"scope": "whole"}))
    assert "Cancel the whole booking?" in page
    assert "<td>Ada Lovelace</td><td>3A</td>" in page and "<td>Charles Babbage</td><td>3B</td>" in page
    assert "Refund to your Visa card ending 4242" in page and 'id="refund-total">€130.00<' in page
    assert "Everyone on this booking is cancelled" in page
    assert "usually arrives within 5–10 working days" in page
    assert "Cancel the whole booking, refund €130.00" in page
    assert db_state() == before


def test_confirming_the_whole_booking_cancels_everyone(client, two_passengers):
    booking, _ada, _charles = two_passengers
    response = client.post(url("cancel", booking), {"scope": "whole", "confirm": "1", "quoted": "130.00"})
    assert response["Location"] == url("detail", booking)
    booking.refresh_from_db()
    assert booking.status == Booking.Status.CANCELLED
    assert Flight.objects.get(pk=booking.flight_id).seats_booked == 0


def test_confirming_every_passenger_without_the_whole_booking_choice_reviews_again_and_changes_nothing(
    client, two_passengers
):
    booking, ada, charles = two_passengers
    before = db_state()
    data = {"scope": "some", "tickets": [ada.pk, charles.pk], "confirm": "1"}
    response = client.post(url("cancel", booking), data)
    assert response.status_code == 200
    page = page_text(response)
    assert "Cancel the whole booking?" in page
    assert "Nobody else on this booking is still flying, so this cancels the whole booking." in page
    assert 'name="scope" value="whole"' in page
    assert db_state() == before


def test_a_refund_that_changed_since_the_review_is_shown_again_before_anything_changes(client, two_passengers):
    booking, ada, _charles = two_passengers
    before = db_state()
    data = {"scope": "some", "tickets": [ada.pk], "confirm": "1", "quoted": "129.99"}  # the full fare, shown a week ago
    page = page_text(client.post(url("cancel", booking), data))
    assert "The refund has changed since you looked: it is now €65.00." in page
    assert 'name="quoted" value="65.00"' in page
    assert db_state() == before


def test_the_review_for_one_of_two_says_who_is_cancelled_and_who_keeps_flying(client, two_passengers):
    booking, ada, _charles = two_passengers
    page = page_text(client.post(url("cancel", booking), {"scope": "some", "tickets": [ada.pk]}))
    assert "Cancel 1 passenger?" in page
    assert "<td>Ada Lovelace</td><td>3A</td>" in page and "<td>Charles Babbage</td>" not in page
    assert "Charles Babbage keeps their seat and e-ticket." in page
    assert 'id="refund-total">€65.00<' in page


def test_a_booking_for_one_says_cancelling_that_passenger_cancels_the_booking(client):
    user = UserFactory()
    client.force_login(user)
    booking = make_booking(user=user, names=["Ada Lovelace"])
    page = page_text(client.get(url("cancel", booking)))
    assert "Cancel your booking?" in page
    words = " ".join(re.sub(r"<[^>]+>", "", page).split())
    assert "Ada Lovelace (seat 1A) is the only passenger still booked, so this cancels the whole booking." in words
    assert 'name="tickets"' not in page and 'name="scope" value="whole"' in page
    detail = page_text(client.get(url("detail", booking)))
    assert ">Cancel booking</a>" in detail and "some passengers" not in detail


def test_a_bad_scope_or_quote_is_a_clear_message_or_a_review_never_an_error(client, two_passengers):
    booking, ada, _charles = two_passengers
    before = db_state()
    response = client.post(url("cancel", booking), {"scope": "everything", "tickets": [ada.pk]})
    assert response.status_code == 200 and db_state() == before
    response = client.post(
        url("cancel", booking), {"scope": "some", "tickets": [ada.pk], "confirm": "1", "quoted": "x"}
    )
    assert response.status_code == 200 and "The refund has changed" in page_text(response)
    assert db_state() == before


# --- the truth about money after a cancellation ------------------------------------------------


def _sent_email(template: str) -> str:
    message = OutboxMessage.objects.filter(template=template).latest("pk")
    outbox_send(message_id=message.pk)
    return mail.outbox[-1].body


def test_the_flight_cancelled_email_states_the_charge_the_full_refund_the_card_and_when(settings):
    settings.CURRENCY = "EUR"
    booking = make_booking(names=["Ada Lovelace", "Charles Babbage"])
    services.flight_remove(flight_id=booking.flight_id)
    text = _sent_email("flight_cancelled")
    assert "You paid 259.98 EUR, and all of it is refunded." in text
    assert "The refund of 259.98 EUR is on its way to your Visa card ending 4242" in text
    assert "within 5–10 working days" in text
    assert "not be charged" not in text


def test_the_flight_cancelled_email_after_a_passenger_was_cancelled_says_what_came_back_before(settings):
    settings.CURRENCY = "EUR"
    flight = FlightFactory(departs_at=timezone.now() + timedelta(days=3))
    booking = make_booking(flight=flight, names=["Ada Lovelace", "Charles Babbage"])
    services.booking_cancel(user=booking.user, booking_id=booking.pk, ticket_ids=[booking.tickets.first().pk])
    services.flight_remove(flight_id=flight.pk)
    text = _sent_email("flight_cancelled")
    assert "You paid 259.98 EUR. 65.00 EUR of it was refunded earlier" in text
    assert "The refund of 129.99 EUR is on its way to your Visa card ending 4242" in text
    booking.payment.refresh_from_db()
    assert booking.payment.refunded_amount == Decimal("194.99")


def test_the_booking_cancelled_email_for_one_of_two_says_who_keeps_flying_and_where_the_refund_goes(settings):
    settings.CURRENCY = "EUR"
    flight = FlightFactory(departs_at=timezone.now() + timedelta(days=3))
    booking = make_booking(flight=flight, names=["Ada Lovelace", "Charles Babbage"])
    services.booking_cancel(user=booking.user, booking_id=booking.pk, ticket_ids=[booking.tickets.first().pk])
    text = _sent_email("booking_cancelled")
    assert (
        "we have cancelled Ada Lovelace on this booking and released the seat. Charles Babbage keeps their seat."
        in (text)
    )
    assert "A refund of 65.00 EUR is on its way to your Visa card ending 4242." in text
    assert "It usually arrives within 5–10 working days." in text


def test_the_page_of_a_booking_whose_flight_the_airline_cancelled_tells_the_truth_about_money(client):
    user = UserFactory()
    client.force_login(user)
    booking = make_booking(user=user, names=["Ada Lovelace", "Charles Babbage"])
    services.flight_remove(flight_id=booking.flight_id)
    page = page_text(client.get(url("detail", booking)))
    note = re.search(r'<div class="alert alert-secondary" id="cancelled-note">(.*?)</div>', page, flags=re.S)[1]
    assert "The airline cancelled this flight" in note
    assert "You paid €259.98. All of it, €259.98, is refunded in full." in note
    assert "It goes back to your Visa card ending 4242 and usually arrives within 5–10 working days" in note
    assert "not be charged" not in page


def test_the_page_of_a_booking_the_passenger_cancelled_says_what_of_the_payment_comes_back(client, two_passengers):
    booking, _ada, _charles = two_passengers
    client.post(url("cancel", booking), {"scope": "whole", "confirm": "1"})
    page = page_text(client.get(url("detail", booking)))
    assert "€130.00 of the €259.98 you paid is refunded to your Visa card ending 4242" in page


# --- the confirmation page ---------------------------------------------------------------------


def test_the_confirmation_page_says_when_where_who_and_what_next(client, london_new_york):
    london, new_york = london_new_york
    departs = datetime(2027, 1, 20, 13, 5, tzinfo=UTC)  # 13:05 GMT
    flight = FlightFactory(
        number="SK117", origin=london, destination=new_york, departs_at=departs, arrives_at=departs + timedelta(hours=8)
    )
    user = UserFactory()
    with time_machine.travel(datetime(2027, 1, 10, 9, 0, tzinfo=UTC), tick=False):
        client.force_login(user)  # a session of that day
        booking = make_booking(user=user, flight=flight, names=["Ada Lovelace", "Charles Babbage"], seats=["4C", "4D"])
        page = page_text(client.get(url("checkout_done", booking)))
    assert "Flight SK117 · Wednesday 20 January 2027" in page
    assert "Wed 20 Jan 2027, 13:05 GMT from London Heathrow Airport (LHR)" in page
    assert "Wed 20 Jan 2027, 16:05 EST at John F Kennedy International Airport (JFK)" in page
    assert "2 passengers" in page
    assert "Ada Lovelace · seat <strong>4C</strong>" in page and "Charles Babbage · seat <strong>4D</strong>" in page
    for ticket in booking.tickets.all():
        assert f'href="{url("eticket", booking, ticket.pk)}"' in page
    steps = re.sub(r"<[^>]+>", "", re.search(r'<ol class="list-unstyled airport-steps[^"]*">(.*?)</ol>', page, re.S)[1])
    steps = " ".join(steps.split())
    assert steps == (
        "11:05 GMT Be at the airport to check in, drop bags and pass security (2 hours before departure) "
        "12:25 GMT Check-in and bag drop close (40 minutes before departure) "
        "12:45 GMT Boarding gate closes (20 minutes before departure) "
        "13:05 GMT Departure"
    )
    assert "cancel some passengers or the whole booking online until Wed 20 Jan, 10:05 GMT" in page
    assert f'<a class="btn btn-brand" href="{url("detail", booking)}">Manage or cancel this booking</a>' in page


def test_the_confirmation_page_names_the_day_of_a_deadline_on_the_day_before_departure(client, london_new_york):
    london, new_york = london_new_york
    departs = datetime(2027, 1, 20, 0, 30, tzinfo=UTC)  # 00:30 GMT: be at the airport the evening before
    flight = FlightFactory(origin=london, destination=new_york, departs_at=departs)
    user = UserFactory()
    with time_machine.travel(datetime(2027, 1, 10, 9, 0, tzinfo=UTC), tick=False):
        client.force_login(user)  # a session of that day
        booking = make_booking(user=user, flight=flight)
        page = page_text(client.get(url("checkout_done", booking)))
    assert "Tue 19 Jan, 22:30 GMT" in page and "00:30 GMT" in page


def test_airport_steps_count_back_from_departure_and_read_in_words():
    departs = datetime(2027, 3, 28, 3, 0, tzinfo=UTC)  # London's clocks went forward at 01:00 UTC
    assert [(step.at, step.before_text) for step in airport_steps(departs)] == [
        (datetime(2027, 3, 28, 1, 0, tzinfo=UTC), "2 hours"),
        (datetime(2027, 3, 28, 2, 20, tzinfo=UTC), "40 minutes"),
        (datetime(2027, 3, 28, 2, 40, tzinfo=UTC), "20 minutes"),
    ]
    assert before_words(timedelta(hours=1)) == "1 hour" and before_words(timedelta(minutes=1)) == "1 minute"


# --- grammar -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("seats", "sentence"),
    [
        (["1A"], "Seat <strong>1A</strong> is held for you"),
        (["1A", "1B"], "Seats <strong>1A</strong> and <strong>1B</strong> are held for you"),
        (["1A", "1B", "1C"], "Seats <strong>1A</strong>, <strong>1B</strong> and <strong>1C</strong> are held for you"),
    ],
)
def test_the_hold_timer_says_seat_is_or_seats_are(client, seats, sentence):
    user = UserFactory()
    client.force_login(user)
    hold = make_hold(user=user, seats=seats)
    page = page_text(client.get(url("checkout_passengers", hold)))
    assert sentence in page
    assert ("or it goes back on sale" if len(seats) == 1 else "or they go back on sale") in page


def test_the_fare_rule_and_the_home_page_promise_match_the_settings_in_good_grammar(client, settings):
    settings.CANCELLATION_CUTOFF_HOURS = 1
    settings.REFUND_FULL_DAYS = 7
    assert "until 1 hour before departure" in fare_rule_text() and "at least 7 days" in fare_rule_text()
    page = page_text(client.get(reverse("flights:search")))
    promise = re.search(r"<h2[^>]*>Cancel online</h2><p[^>]*>(.*?)</p>", page)[1]
    assert promise == cancellation_promise()
    assert promise == "Change of plans? Cancel online until 1 hour before departure; full refund up to 7 days before."


def test_without_a_cutoff_the_home_page_may_say_any_time(settings):
    settings.CANCELLATION_CUTOFF_HOURS = 0
    assert "Cancel online any time before departure" in cancellation_promise()


# --- card expiry as people type it -----------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("1229", (12, 2029)),
        ("12/29", (12, 2029)),
        ("12 / 2029", (12, 2029)),
        ("12-29", (12, 2029)),
        ("122029", (12, 2029)),
        ("1/29", (1, 2029)),
        (" 01 / 29 ", (1, 2029)),
    ],
)
def test_card_expiry_is_accepted_as_people_write_it(typed, expected):
    form = PaymentForm({**GOOD_CARD, "expiry": typed})
    assert form.is_valid(), form.errors
    assert form.cleaned_data["expiry"] == expected


@pytest.mark.parametrize("typed", ["13/29", "0029", "129", "12/2", "12//29", "december", "12/29/30", "1" * 12])
def test_a_card_expiry_that_is_no_date_gets_the_format_to_use(typed):
    form = PaymentForm({**GOOD_CARD, "expiry": typed})
    assert not form.is_valid()
    assert form.errors["expiry"] == ["Enter the expiry date as MM/YY, like 08/29."]


def test_the_payment_page_formats_the_expiry_with_its_own_script_and_pays_with_1229(client, settings):
    user = UserFactory()
    client.force_login(user)
    hold = make_hold(user=user)
    services.booking_set_passengers(
        user=user, booking_id=hold.pk, passengers=[Passenger(first_names="Ada", last_name="Lovelace")]
    )
    page = page_text(client.get(url("checkout_payment", hold)))
    assert re.search(r'<input[^>]*name="expiry"[^>]*data-card-expiry', page)
    assert '<script src="/static/js/checkout.js" defer></script>' in page
    response = client.post(url("checkout_payment", hold), {**GOOD_CARD, "expiry": "1299"})
    assert response["Location"] == url("checkout_done", hold)


# --- names: filled in from the account, labelled for autofill --------------------------------


def _input(page: str, name: str) -> str:
    return re.search(rf'<input[^>]*name="{name}"[^>]*>', page)[0]


def test_passenger_one_starts_as_the_account_holder_and_every_name_field_says_what_it_is(client):
    user = UserFactory(first_name="Ada", last_name="Lovelace")
    client.force_login(user)
    hold = make_hold(user=user, passengers=2)
    page = page_text(client.get(url("checkout_passengers", hold)))
    first, last = _input(page, "first_names_1"), _input(page, "last_name_1")
    assert 'value="Ada"' in first and 'autocomplete="given-name"' in first
    assert 'value="Lovelace"' in last and 'autocomplete="family-name"' in last
    other_first, other_last = _input(page, "first_names_2"), _input(page, "last_name_2")
    assert "value=" not in other_first and 'autocomplete="section-passenger2 given-name"' in other_first
    assert "value=" not in other_last and 'autocomplete="section-passenger2 family-name"' in other_last

    # Editable: someone else flies instead.
    client.post(
        url("checkout_passengers", hold),
        {"first_names_1": "Augusta", "last_name_1": "King", "first_names_2": "Charles", "last_name_2": "Babbage"},
    )
    assert [t.passenger_name for t in hold.tickets.order_by("pk")] == ["Augusta King", "Charles Babbage"]
    # Coming back shows the names given, not the account holder's again.
    page = page_text(client.get(url("checkout_passengers", hold)))
    assert 'value="Augusta"' in _input(page, "first_names_1")


def test_the_date_of_birth_fields_say_whose_birthday_they_are():
    user = UserFactory()
    hold = make_hold(user=user, passengers=2)
    form = PassengerForm(tickets=hold.tickets.order_by("pk"), ask_date_of_birth=True, holder=user)
    assert form.fields["date_of_birth_1"].widget.attrs["autocomplete"] == "bday"
    assert form.fields["date_of_birth_2"].widget.attrs["autocomplete"] == "section-passenger2 bday"


def test_the_card_fields_carry_their_autocomplete_tokens():
    form = PaymentForm()
    tokens = {name: field.widget.attrs.get("autocomplete") for name, field in form.fields.items()}
    assert tokens == {"holder": "cc-name", "number": "cc-number", "expiry": "cc-exp", "cvc": "cc-csc"}


# --- times on the reader's clock, and My bookings ------------------------------------------------


def test_an_unfinished_checkout_says_until_when_on_the_readers_clock(client):
    user = UserFactory()
    with time_machine.travel(datetime(2027, 7, 1, 1, 20, tzinfo=UTC), tick=False):
        client.force_login(user)  # a session of that day
        make_hold(user=user)  # held until 01:30 UTC (BOOKING_HOLD_MINUTES = 10)
        page = page_text(client.get(reverse("bookings:list")))
        assert "until 01:30 UTC." in page
        client.cookies["tz"] = "Europe/London"
        page = page_text(client.get(reverse("bookings:list")))
        assert "until 02:30 BST." in page
        client.cookies["tz"] = "America/Los_Angeles"
        assert "until 18:30 PDT." in page_text(client.get(reverse("bookings:list")))


def test_cancelled_bookings_leave_upcoming_trips_for_a_section_of_their_own(client):
    user = UserFactory()
    client.force_login(user)
    flying = make_booking(user=user)
    cancelled = make_booking(user=user)
    services.booking_cancel(user=user, booking_id=cancelled.pk)
    airline_cancelled = make_booking(user=user)
    services.flight_remove(flight_id=airline_cancelled.flight_id)

    response = client.get(reverse("bookings:list"))
    assert list(response.context["upcoming"]) == [flying]
    assert {booking.pk for booking in response.context["cancelled"]} == {cancelled.pk, airline_cancelled.pk}
    page = page_text(response)
    upcoming, rest = page.split('id="cancelled-heading"')
    assert flying.reference in upcoming and cancelled.reference not in upcoming
    assert cancelled.reference in rest and airline_cancelled.reference in rest
    assert "Flight cancelled by the airline" in rest


def test_the_export_page_and_email_show_their_times_on_the_readers_clock(client, django_capture_on_commit_callbacks):
    user = UserFactory(time_zone="Asia/Tokyo")
    make_booking(user=user)
    with time_machine.travel(datetime(2027, 1, 15, 1, 30, tzinfo=UTC), tick=False):
        client.force_login(user)  # a session of that day
        export = BookingExport.objects.create(user=user)
        export_run(export_id=export.pk)
        page = page_text(client.get(reverse("bookings:export", args=[export.pk])))
    assert "Started Fri 15 Jan 2027, 10:30 JST." in page
    assert re.search(r"The download link expires on \w{3} \d+ Jan 2027, \d\d:30 JST", page)
    message = OutboxMessage.objects.get(template="export_ready")
    assert message.context["expires"].endswith(" JST")


def test_the_booking_page_says_when_it_was_booked_on_the_readers_clock(client):
    user = UserFactory(time_zone="America/Los_Angeles")
    client.force_login(user)
    with time_machine.travel(datetime(2027, 1, 15, 3, 0, tzinfo=UTC), tick=False):
        booking = make_booking(user=user)
    assert "booked 14 Jan 2027" in page_text(client.get(url("detail", booking)))


def test_a_cancel_form_with_nothing_chosen_asks_for_a_passenger_on_a_booking_for_one_too(client):
    user = UserFactory()
    client.force_login(user)
    booking = make_booking(user=user, names=["Ada Lovelace"])
    before = db_state()
    response = client.post(url("cancel", booking), {})
    assert response.status_code == 200
    assert "Choose at least one passenger to cancel." in page_text(response)
    assert db_state() == before
