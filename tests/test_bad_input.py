"""Bad input gets a clear message and changes nothing (ARCHITECTURE.md, rule 7).

Each test sends one kind of bad input and checks three things: the status (200 with the
form's errors, 404, or 403, never 500), the words a person reads on the page, and that the
database is exactly as it was.
"""

import html
import uuid
from datetime import timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from accounts.tests.factories import StaffFactory, UserFactory, verified_login
from bookings.models import Booking, Ticket
from bookings.tests.factories import make_booking, make_hold
from flights.models import Flight
from flights.tests.factories import AirportFactory, FlightFactory
from notifications.models import OutboxMessage

pytestmark = pytest.mark.django_db

LONDON = ZoneInfo("Europe/London")


# --- helpers -------------------------------------------------------------------------------


def db_state() -> dict:
    """Everything a bad request could disturb, in a form that compares with ==."""
    return {
        "flights": list(
            Flight.objects.order_by("pk").values_list(
                "pk",
                "number",
                "status",
                "seats_booked",
                "capacity",
                "price",
                "departs_at",
                "arrives_at",
                "origin_id",
                "destination_id",
            )
        ),
        "bookings": list(Booking.objects.order_by("pk").values_list("pk", "status", "seat_count", "cancelled_at")),
        "tickets": list(Ticket.objects.order_by("pk").values_list("pk", "status", "seat", "passenger_name")),
        "users": list(User.objects.order_by("pk").values_list("pk", "email", "password", "first_name", "last_name")),
        "outbox": OutboxMessage.objects.count(),
    }


def page_text(response) -> str:
    return html.unescape(response.content.decode())


def assert_shows(response, *phrases: str) -> None:
    text = page_text(response)
    for phrase in phrases:
        assert phrase in text, f"{phrase!r} is not on the page"


def assert_a_form_error_is_visible(response) -> None:
    """The form rejected the input, and at least one of its reasons is on the page."""
    form = response.context["form"]
    messages = [message for errors in form.errors.values() for message in errors]
    assert messages, "the form accepted the input"
    text = page_text(response)
    assert any(message in text for message in messages), f"none of {messages} is shown to the user"


def london_today():
    return timezone.now().astimezone(LONDON).date()


@pytest.fixture
def web():
    """A test client that returns a 500 as a response instead of raising, so the status is asserted."""
    return Client(raise_request_exception=False)


@pytest.fixture
def airports():
    london = AirportFactory(iata="LHR", city="London", tz="Europe/London")
    new_york = AirportFactory(iata="JFK", city="New York", tz="America/New_York")
    return london, new_york


@pytest.fixture
def flight(airports):
    london, new_york = airports
    return FlightFactory(number="SK100", origin=london, destination=new_york, capacity=60)


@pytest.fixture
def passenger(web):
    user = UserFactory(email="passenger@example.test")
    web.force_login(user)
    return user


@pytest.fixture
def staff(web):
    user = StaffFactory(email="staff@example.test")
    verified_login(web, user)
    return user


# --- search --------------------------------------------------------------------------------


def _search(**overrides):
    return lambda flight: {
        "origin": "LHR",
        "destination": "JFK",
        "date": flight.departs_local().date().isoformat(),
        "passengers": "1",
        **overrides,
    }


SEARCH_CASES = [
    pytest.param(_search(origin="ZZZ"), ["We don't know an airport or city called “ZZZ”"], id="unknown_airport_code"),
    pytest.param(
        _search(destination="Atlantis"), ["We don't know an airport or city called “Atlantis”"], id="unknown_city"
    ),
    pytest.param(
        _search(destination="LHR"),
        ["Choose a destination different from where you fly from."],
        id="same_origin_and_destination",
    ),
    pytest.param(
        _search(destination="london"),
        ["Choose a destination different from where you fly from."],
        id="same_airport_by_code_and_city",
    ),
    pytest.param(
        lambda f: {**_search()(f), "date": (london_today() - timedelta(days=1)).isoformat()},
        ["That date has passed. Choose today or a later date."],
        id="past_date",
    ),
    pytest.param(
        lambda f: {**_search()(f), "date": (london_today() + timedelta(days=366)).isoformat()},
        ["We only sell flights up to 365 days ahead."],
        id="date_too_far_ahead",
    ),
    pytest.param(_search(passengers="0"), ["Choose at least one passenger."], id="zero_passengers"),
    pytest.param(_search(passengers="-2"), ["Choose at least one passenger."], id="negative_passengers"),
    pytest.param(_search(passengers="10"), ["You can book up to 9 passengers at once."], id="ten_passengers"),
    pytest.param(_search(date="2026-13-45"), ["Enter a date like 2026-12-24."], id="malformed_date_month_13"),
    pytest.param(_search(date="tomorrow"), ["Enter a date like 2026-12-24."], id="malformed_date_word"),
    pytest.param(_search(passengers="two"), ["Enter a whole number."], id="malformed_passengers"),
    pytest.param(_search(origin="L" * 101), ["Ensure this value has at most 100 characters"], id="origin_too_long"),
    pytest.param(lambda f: {"origin": "LHR"}, ["This field is required."], id="missing_fields"),
    pytest.param(
        lambda f: {"origin": "", "destination": "", "date": "", "passengers": ""},
        ["This field is required."],
        id="all_fields_empty",
    ),
]


@pytest.mark.parametrize(("params", "phrases"), SEARCH_CASES)
def test_search_with_bad_input_shows_message_and_no_results(web, flight, params, phrases):
    before = db_state()
    response = web.get(reverse("flights:search"), params(flight))
    assert response.status_code == 200
    assert response.context["results_html"] is None  # no result list next to an error
    assert_shows(response, *phrases)
    assert 'aria-invalid="true"' in response.content.decode()
    assert db_state() == before


def test_search_with_unknown_time_window_shows_results_or_a_message(web, flight):
    before = db_state()
    response = web.get(reverse("flights:search"), _search(window="midnight-ish")(flight))
    assert response.status_code == 200
    if response.context["results_html"] is None:
        assert_a_form_error_is_visible(response)
    else:
        assert response.context["flights"] == [flight]  # treated as "any time", as SearchForm.clean intends
    assert db_state() == before


def test_search_negative_control_valid_query_lists_the_flight(web, flight):
    response = web.get(reverse("flights:search"), _search()(flight))
    assert response.status_code == 200
    assert response.context["flights"] == [flight]


# --- flight page and booking -----------------------------------------------------------------


@pytest.mark.parametrize(
    "path", ["/flights/999999/", "/flights/abc/", "/flights/-1/", "/flights/1.5/", "/flights/99999999999999999999999/"]
)
def test_flight_page_for_unknown_or_malformed_id_is_404(web, flight, passenger, path):
    before = db_state()
    assert web.get(path).status_code == 404
    assert (
        web.post(path, {"token": str(uuid.uuid4()), "passengers": "1", "passenger_1": "Ada Lovelace"}).status_code
        == 404
    )
    assert db_state() == before


def _book(web, flight, **data):
    body = {"token": str(uuid.uuid4()), "passengers": "1", **data}
    return web.post(reverse("bookings:book", args=[flight.pk]), body)


def _names(count: int) -> dict:
    return {f"passenger_{index}": f"Passenger Number{index}" for index in range(1, count + 1)}


@pytest.mark.parametrize(
    ("passengers", "names"),
    [
        pytest.param("50", 9, id="fifty"),
        pytest.param("10", 9, id="ten"),
        pytest.param("-1", 1, id="minus_one"),
        pytest.param("0", 1, id="zero"),
        pytest.param("abc", 1, id="not_a_number"),
        pytest.param("", 1, id="empty"),
    ],
)
def test_booking_with_tampered_passenger_count_shows_message_and_books_nothing(
    web, flight, passenger, passengers, names
):
    before = db_state()
    response = _book(web, flight, passengers=passengers, **_names(names))
    assert response.status_code == 200
    assert_a_form_error_is_visible(response)
    assert_shows(response, "Choose between 1 and 9 passengers.")
    assert db_state() == before


@pytest.mark.parametrize("token", ["not-a-uuid", "", "1234", "' OR 1=1 --"])
def test_booking_with_invalid_token_shows_message_and_books_nothing(web, flight, passenger, token):
    before = db_state()
    response = _book(web, flight, token=token)
    assert response.status_code == 200
    assert_a_form_error_is_visible(response)
    assert_shows(response, "This form is out of date. Please check your seats and try again.")
    assert db_state() == before


def test_booking_without_token_field_shows_message_and_books_nothing(web, flight, passenger):
    before = db_state()
    response = web.post(reverse("bookings:book", args=[flight.pk]), {"passengers": "1", "seat_1": "3C"})
    assert response.status_code == 200
    assert_shows(response, "This form is out of date. Please check your seats and try again.")
    assert db_state() == before


def test_booking_form_after_invalid_token_carries_a_fresh_token_that_books(web, flight, passenger):
    response = _book(web, flight, token="not-a-uuid")
    fresh = response.context["form"]["token"].value()
    assert uuid.UUID(str(fresh))
    again = _book(web, flight, token=str(fresh))
    assert again.status_code == 302
    assert Booking.objects.filter(user=passenger, flight=flight).count() == 1


def _name(web, hold, **data):
    body = {"first_names_1": "Ada", "last_name_1": "Lovelace", **data}
    return web.post(reverse("bookings:checkout_passengers", args=[hold.reference]), body)


@pytest.mark.parametrize(
    ("data", "phrase"),
    [
        pytest.param({"last_name_1": ""}, "Enter the last name of passenger 1, as on the passport.", id="empty_name"),
        pytest.param({"last_name_1": "   "}, "Enter the last name of passenger 1, as on the passport.", id="blank"),
        pytest.param(
            {"last_name_1": "L" * 39}, "Ensure this value has at most 38 characters (it has 39).", id="last_name_39"
        ),
        pytest.param(
            {"first_names_1": "F" * 61}, "Ensure this value has at most 60 characters (it has 61).", id="first_61"
        ),
        pytest.param({"last_name_2": "Turing"}, None, id="stray_second_passenger_ignored"),
    ],
)
def test_checkout_with_bad_names_shows_message_and_names_nobody(web, flight, passenger, data, phrase):
    hold = make_hold(user=passenger, flight=flight)
    before = db_state()
    response = _name(web, hold, **data)
    if phrase is None:  # negative control: the stray field changes nothing, the real one is kept
        assert response.status_code == 302
        assert [t.passenger_name for t in hold.tickets.all()] == ["Ada Lovelace"]
        return
    assert response.status_code == 200
    assert_shows(response, phrase)
    assert db_state() == before


def test_checkout_last_name_of_38_chars_is_accepted(web, flight, passenger):
    """Negative control for the 39-character case: the limit is exactly 38 (the usual ticket field)."""
    hold = make_hold(user=passenger, flight=flight)
    response = _name(web, hold, last_name_1="L" * 38)
    assert response.status_code == 302
    assert Ticket.objects.get(booking__user=passenger).last_name == "L" * 38


def test_booking_sold_out_flight_says_sold_out_and_books_nothing(web, airports, passenger):
    flight = FlightFactory(origin=airports[0], destination=airports[1], capacity=2)
    make_booking(flight=flight, passengers=2)
    before = db_state()
    response = _book(web, flight)
    assert response.status_code == 200
    assert_shows(response, "Sorry, this flight is sold out.", "This flight is sold out.")
    assert db_state() == before


def test_booking_more_passengers_than_seats_left_says_how_many_are_left(web, airports, passenger):
    flight = FlightFactory(origin=airports[0], destination=airports[1], capacity=3)
    make_booking(flight=flight, passengers=2)
    before = db_state()
    response = _book(web, flight, passengers="2", **_names(2))
    assert response.status_code == 200
    assert_shows(response, "Sorry, only 1 seat left on this flight.")
    assert db_state() == before


def test_booking_departed_flight_is_refused_with_message(web, airports, passenger):
    departed = timezone.now() - timedelta(hours=1)
    flight = FlightFactory(
        origin=airports[0], destination=airports[1], departs_at=departed, arrives_at=departed + timedelta(hours=7)
    )
    before = db_state()
    response = _book(web, flight)
    assert response.status_code == 200
    assert_shows(
        response, "This flight is no longer open for booking.", "This flight has departed and is closed for booking."
    )
    assert db_state() == before


def test_booking_cancelled_flight_is_refused_with_message(web, airports, passenger):
    flight = FlightFactory(origin=airports[0], destination=airports[1], status=Flight.Status.CANCELLED)
    before = db_state()
    response = _book(web, flight)
    assert response.status_code == 200
    assert_shows(response, "This flight is no longer open for booking.", "This flight has been cancelled.")
    assert db_state() == before


# --- booking detail and cancel ---------------------------------------------------------------


@pytest.fixture
def booking(flight, passenger):
    return make_booking(user=passenger, flight=flight, passengers=2)


def _tampered(reference: str) -> str:
    last = "A" if reference[-1] != "A" else "B"
    return reference[:-1] + last


@pytest.mark.parametrize(
    "reference",
    [
        pytest.param(lambda b: "ZZZZZZ", id="random"),
        pytest.param(lambda b: _tampered(b.reference), id="one_character_changed"),
        pytest.param(lambda b: b.reference + "X", id="too_long"),
        pytest.param(lambda b: b.reference[:5], id="too_short"),
        pytest.param(lambda b: "A" * 300, id="very_long"),
        pytest.param(lambda b: "%F0%9F%98%80", id="emoji"),
    ],
)
def test_booking_detail_and_cancel_with_unknown_reference_are_404(web, booking, reference):
    before = db_state()
    ref = reference(booking)
    assert web.get(f"/bookings/{ref}/").status_code == 404
    assert web.post(f"/bookings/{ref}/cancel/").status_code == 404
    assert db_state() == before


def test_booking_detail_and_cancel_with_nul_byte_in_reference_are_404(web, booking):
    before = db_state()
    assert web.get("/bookings/AB%00CD/").status_code == 404
    assert web.post("/bookings/AB%00CD/cancel/").status_code == 404
    assert db_state() == before


def test_cancelling_after_departure_shows_message_and_keeps_booking(web, booking):
    departed = timezone.now() - timedelta(minutes=5)
    Flight.objects.filter(pk=booking.flight_id).update(departs_at=departed, arrives_at=departed + timedelta(hours=7))
    before = db_state()
    response = web.post(reverse("bookings:cancel", args=[booking.reference]), _cancel_all(booking), follow=True)
    assert response.redirect_chain == [(reverse("bookings:detail", args=[booking.reference]), 302)]
    assert response.status_code == 200
    assert_shows(response, "the cancellation deadline has passed", "Confirmed")
    assert db_state() == before
    booking.refresh_from_db()
    assert booking.status == Booking.Status.CONFIRMED


def _cancel_all(booking) -> dict:
    tickets = [str(pk) for pk in booking.tickets.values_list("pk", flat=True)]
    return {"scope": "whole", "tickets": tickets, "confirm": "1"}  # everyone: the whole-booking choice


def test_cancelling_an_already_cancelled_booking_says_so_and_changes_nothing(web, booking):
    web.post(reverse("bookings:cancel", args=[booking.reference]), _cancel_all(booking))
    before = db_state()
    response = web.post(reverse("bookings:cancel", args=[booking.reference]), _cancel_all(booking), follow=True)
    assert response.status_code == 200
    assert_shows(response, f"Booking {booking.reference} was already cancelled.")
    assert db_state() == before


# --- staff: add and edit flights -------------------------------------------------------------


def _flight_form(**overrides) -> dict:
    day = (london_today() + timedelta(days=30)).isoformat()
    return {
        "number": "SK901",
        "origin": "LHR",
        "destination": "JFK",
        "departure_date": day,
        "departure_time": "10:30",
        "arrival_date": day,
        "arrival_time": "13:25",
        "capacity": "60",
        "layout": "3-3",
        "price": "499.00",
        **overrides,
    }


STAFF_ADD_CASES = [
    pytest.param(_flight_form(origin="XYZ"), ["No airport has the IATA code XYZ."], id="unknown_origin_code"),
    pytest.param(_flight_form(destination="qqq"), ["No airport has the IATA code QQQ."], id="unknown_destination_code"),
    pytest.param(
        _flight_form(origin="LH"),
        ["Ensure this value has at least 3 characters (it has 2)."],
        id="airport_code_too_short",
    ),
    pytest.param(
        _flight_form(destination="LHR"), ["Origin and destination must differ."], id="same_origin_and_destination"
    ),
    pytest.param(
        _flight_form(arrival_time="05:00"),
        ["Arrival must be after departure (times are local to each airport)."],
        id="arrival_before_departure",
    ),
    pytest.param(
        _flight_form(arrival_time="10:30", destination="LHR", origin="JFK", departure_time="15:30"),
        ["Arrival must be after departure (times are local to each airport)."],
        id="arrival_before_departure_across_zones",
    ),
    pytest.param(_flight_form(capacity="0"), ["Ensure this value is greater than or equal to 1."], id="capacity_zero"),
    pytest.param(
        _flight_form(capacity="-5"), ["Ensure this value is greater than or equal to 1."], id="capacity_negative"
    ),
    pytest.param(_flight_form(capacity="many"), ["Enter a whole number."], id="capacity_not_a_number"),
    pytest.param(
        _flight_form(price="-1.00"), ["Ensure this value is greater than or equal to 0."], id="negative_price"
    ),
    pytest.param(_flight_form(price="ten"), ["Enter a number."], id="price_not_a_number"),
    pytest.param(_flight_form(number="S1"), ["Use an airline code and a number, like SK123."], id="number_too_short"),
    pytest.param(
        _flight_form(number="SK12AB"), ["Use an airline code and a number, like SK123."], id="number_two_letter_suffix"
    ),
    pytest.param(
        _flight_form(number="SK-12"), ["Use an airline code and a number, like SK123."], id="number_with_dash"
    ),
    pytest.param(
        _flight_form(number="SKABCD"), ["Use an airline code and a number, like SK123."], id="number_letters_only"
    ),
    pytest.param(
        _flight_form(number="SK123456"), ["Use an airline code and a number, like SK123."], id="number_too_many_digits"
    ),
    pytest.param(_flight_form(departure_date="2026-02-30"), ["Enter a valid date."], id="malformed_departure_date"),
    pytest.param(_flight_form(departure_time="25:00"), ["Enter a valid time."], id="malformed_departure_time"),
    pytest.param({key: "" for key in _flight_form()}, ["This field is required."], id="all_fields_empty"),
]


@pytest.mark.parametrize(("data", "phrases"), STAFF_ADD_CASES)
def test_staff_add_flight_with_bad_input_shows_message_and_adds_nothing(web, airports, staff, data, phrases):
    before = db_state()
    response = web.post(reverse("staff:flight_add"), data)
    assert response.status_code == 200
    assert_shows(response, *phrases)
    assert db_state() == before


def test_staff_add_flight_duplicate_number_and_departure_is_refused(web, airports, staff):
    existing = FlightFactory(number="SK901", origin=airports[0], destination=airports[1])
    local = existing.departs_local()
    before = db_state()
    response = web.post(
        reverse("staff:flight_add"),
        _flight_form(
            departure_date=local.date().isoformat(),
            departure_time=local.strftime("%H:%M"),
            arrival_date=local.date().isoformat(),
            arrival_time=(local + timedelta(hours=3)).strftime("%H:%M"),
            number="sk 901",
        ),
    )
    assert response.status_code == 200
    assert_shows(response, "This flight number already departs at that time.")
    assert db_state() == before


def test_staff_add_flight_negative_control_valid_form_adds_it(web, airports, staff):
    response = web.post(reverse("staff:flight_add"), _flight_form())
    assert response.status_code == 302
    assert Flight.objects.filter(number="SK901").count() == 1


def _edit_form(flight: Flight, **overrides) -> dict:
    departs, arrives = flight.departs_local(), flight.arrives_local()
    return {
        "number": flight.number,
        "origin": flight.origin.iata,
        "destination": flight.destination.iata,
        "departure_date": departs.date().isoformat(),
        "departure_time": departs.strftime("%H:%M"),
        "arrival_date": arrives.date().isoformat(),
        "arrival_time": arrives.strftime("%H:%M"),
        "capacity": str(flight.capacity),
        "layout": flight.layout,
        "price": str(flight.price),
        **overrides,
    }


def test_staff_edit_capacity_below_seats_sold_shows_message_and_keeps_flight(web, flight, staff):
    make_booking(flight=flight, passengers=3)
    flight.refresh_from_db()
    before = db_state()
    response = web.post(reverse("staff:flight_edit", args=[flight.pk]), _edit_form(flight, capacity="2", price="1.00"))
    assert response.status_code == 200
    assert_shows(response, "3 seats are already booked; capacity cannot go below that.")
    assert db_state() == before
    flight.refresh_from_db()
    assert flight.capacity == 60 and flight.seats_booked == 3 and flight.price == Decimal("129.99")


def test_staff_edit_capacity_equal_to_seats_sold_is_accepted(web, flight, staff):
    """Negative control: the boundary is 'below', not 'at'."""
    make_booking(flight=flight, passengers=3)
    flight.refresh_from_db()
    response = web.post(reverse("staff:flight_edit", args=[flight.pk]), _edit_form(flight, capacity="3"))
    assert response.status_code == 302
    flight.refresh_from_db()
    assert flight.capacity == 3


def test_staff_edit_cancelled_flight_shows_message_and_changes_nothing(web, flight, staff):
    make_booking(flight=flight, passengers=1)
    web.post(reverse("staff:flight_remove", args=[flight.pk]))
    flight.refresh_from_db()
    before = db_state()
    response = web.post(reverse("staff:flight_edit", args=[flight.pk]), _edit_form(flight, price="1.00"))
    assert response.status_code == 200
    assert_shows(response, "This flight is cancelled and can no longer be edited.")
    assert db_state() == before


def test_staff_edit_unknown_flight_is_404(web, flight, staff):
    before = db_state()
    assert web.get(reverse("staff:flight_edit", args=[999999])).status_code == 404
    assert web.post(reverse("staff:flight_edit", args=[999999]), _edit_form(flight)).status_code == 404
    assert db_state() == before


# --- staff: remove ---------------------------------------------------------------------------


def test_staff_remove_already_cancelled_flight_says_so_and_changes_nothing(web, flight, staff):
    make_booking(flight=flight, passengers=2)
    web.post(reverse("staff:flight_remove", args=[flight.pk]))
    before = db_state()

    confirm = web.get(reverse("staff:flight_remove", args=[flight.pk]))
    assert confirm.status_code == 200
    assert_shows(confirm, "This flight is already cancelled.")

    response = web.post(reverse("staff:flight_remove", args=[flight.pk]), follow=True)
    assert response.redirect_chain == [(reverse("staff:schedule"), 302)]
    assert_shows(response, f"Flight {flight.number} was already cancelled.")
    assert db_state() == before


def test_staff_remove_unknown_flight_is_404(web, flight, staff):
    before = db_state()
    assert web.get(reverse("staff:flight_remove", args=[999999])).status_code == 404
    assert web.post(reverse("staff:flight_remove", args=[999999])).status_code == 404
    assert db_state() == before


# --- staff: manifest -------------------------------------------------------------------------


@pytest.mark.parametrize("day", ["2026-13-45", "tomorrow", "31/31/2026"])
def test_manifest_lookup_with_malformed_date_shows_message(web, flight, staff, day):
    before = db_state()
    response = web.get(reverse("staff:manifest_lookup"), {"number": flight.number, "date": day})
    assert response.status_code == 200
    assert_shows(response, "Enter a date like 2026-12-24.")
    assert response.context["flights"] is None
    assert db_state() == before


def test_manifest_lookup_with_unknown_flight_number_shows_empty_state(web, flight, staff):
    day = flight.departs_local().date()
    response = web.get(reverse("staff:manifest_lookup"), {"number": "zz999", "date": day.isoformat()})
    assert response.status_code == 200
    assert response.context["flights"] == []
    assert_shows(response, f"No flight ZZ999 departs on {day:%-d %b %Y}", "Check the number and date")


def test_manifest_lookup_with_missing_number_shows_message(web, flight, staff):
    response = web.get(reverse("staff:manifest_lookup"), {"date": flight.departs_local().date().isoformat()})
    assert response.status_code == 200
    assert_shows(response, "This field is required.")


@pytest.mark.parametrize("day", ["0001-01-01", "9999-12-31"])
def test_manifest_lookup_with_date_at_the_end_of_the_calendar_is_not_a_500(web, flight, staff, day):
    response = web.get(reverse("staff:manifest_lookup"), {"number": flight.number, "date": day})
    assert response.status_code == 200
    text = page_text(response)
    assert f"No flight {flight.number} departs on" in text or "Enter a date" in text


@pytest.mark.parametrize("day", ["0001-01-01", "9999-12-31"])
def test_staff_schedule_filter_with_date_at_the_end_of_the_calendar_is_not_a_500(web, flight, staff, day):
    response = web.get(reverse("staff:schedule"), {"date": day})
    assert response.status_code == 200
    if response.context["form"].is_valid():
        assert_shows(response, "No flights match these filters")
    else:  # a fix may instead refuse such a date in the filter form, visibly
        assert_a_form_error_is_visible(response)


def test_manifest_for_unknown_flight_is_404(web, flight, staff):
    assert web.get(reverse("staff:manifest", args=[999999])).status_code == 404


# --- sign-up ---------------------------------------------------------------------------------


def _signup(**overrides) -> dict:
    return {
        "first_name": "Ada",
        "last_name": "Lovelace",
        "email": "ada@example.test",
        "password1": "analytical-engine-1843",
        "password2": "analytical-engine-1843",
        **overrides,
    }


@pytest.mark.parametrize("email", ["taken@example.test", "TAKEN@Example.Test", "  Taken@example.test  "])
def test_signup_with_existing_email_in_any_case_is_refused(web, email):
    UserFactory(email="taken@example.test")
    before = db_state()
    response = web.post(reverse("accounts:signup"), _signup(email=email))
    assert response.status_code == 200
    assert_shows(response, "An account with this e-mail address already exists. Log in or reset your password.")
    assert db_state() == before
    assert "_auth_user_id" not in web.session


@pytest.mark.parametrize(
    ("password", "phrase"),
    [
        pytest.param("password", "This password is too common.", id="common"),
        pytest.param("x7", "This password is too short.", id="short"),
        pytest.param("83920174650", "This password is entirely numeric.", id="numeric"),
        pytest.param("ada@example.test", "The password is too similar to the", id="like_the_email"),
    ],
)
def test_signup_with_weak_password_is_refused(web, password, phrase):
    before = db_state()
    response = web.post(reverse("accounts:signup"), _signup(password1=password, password2=password))
    assert response.status_code == 200
    assert_shows(response, phrase)
    assert db_state() == before


def test_signup_with_mismatched_passwords_is_refused(web):
    before = db_state()
    response = web.post(reverse("accounts:signup"), _signup(password2="analytical-engine-1844"))
    assert response.status_code == 200
    assert_shows(response, "The two password fields didn’t match.")
    assert db_state() == before


def test_signup_with_malformed_email_is_refused(web):
    before = db_state()
    response = web.post(reverse("accounts:signup"), _signup(email="ada-at-example"))
    assert response.status_code == 200
    assert_shows(response, "Enter a valid email address.")
    assert db_state() == before


@pytest.mark.parametrize(("query", "count"), [("50", 9), ("-3", 1), ("abc", 1), ("", 1)])
def test_flight_page_with_tampered_passenger_query_clamps_to_what_one_booking_allows(web, flight, query, count):
    response = web.get(reverse("bookings:book", args=[flight.pk]), {"passengers": query})
    assert response.status_code == 200
    assert response.context["passengers"] == count
    assert len(response.context["form"].seat_fields()) == count


@pytest.mark.parametrize("action", ["change", "delete"])
def test_admin_with_an_empty_to_field_shows_the_object_not_a_500(client, action):
    """django-admin looks up a field named "" for `?_to_field=` (booking_site/middleware.py)."""
    verified_login(client, User.objects.create_superuser(email="root@example.test", password="x-secret-9"))
    flight = FlightFactory()
    response = client.get(reverse(f"admin:flights_flight_{action}", args=[flight.pk]), {"_to_field": ""})
    assert response.status_code == 200
    assert flight.number in response.content.decode()
