"""The flight page's seat map: its legend from the cabin's layout, rows with no free seat
folded, and the party's seats kept across logging in or signing up (flights.seating.seat_kinds,
bookings.selectors.flight_seat_map, bookings.views.flight_book)."""

import re
import uuid
from datetime import timedelta
from urllib.parse import parse_qs, quote, urlsplit

import pytest
from django.urls import reverse

from accounts.tests.factories import PASSWORD, UserFactory
from bookings import selectors
from bookings.models import Booking
from bookings.tests.factories import make_booking
from flights.seating import seat_kinds
from flights.tests.factories import FlightFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("capacity", "layout", "kinds"),
    [
        (180, "3-3", {"window": ("A", "F"), "aisle": ("C", "D"), "middle": ("B", "E")}),
        (60, "2-2", {"window": ("A", "F"), "aisle": ("C", "D")}),
        (70, "2-3-2", {"window": ("A", "K"), "aisle": ("C", "D", "F", "H"), "middle": ("E",)}),
        (300, "3-4-3", {"window": ("A", "K"), "aisle": ("C", "D", "G", "H"), "middle": ("B", "E", "F", "J")}),
        # Smaller than one row: only the seats the cabin has, and no second window.
        (4, "3-3", {"window": ("A",), "aisle": ("C", "D"), "middle": ("B",)}),
    ],
)
def test_seat_kinds_name_the_letters_of_each_kind_the_cabin_has_and_leave_out_the_rest(capacity, layout, kinds):
    assert seat_kinds(capacity, layout) == kinds
    assert list(seat_kinds(capacity, layout)) == [kind for kind in ("window", "aisle", "middle") if kind in kinds]


def test_the_legend_has_taken_seats_only_when_some_seat_is_taken():
    flight = FlightFactory(capacity=12)
    empty = selectors.flight_seat_map(flight=flight, taken=set())
    assert (empty.any_free, empty.any_taken) == (True, False)
    assert empty.kinds == [("window", "A and F"), ("aisle", "C and D"), ("middle", "B and E")]
    full = selectors.flight_seat_map(flight=flight, taken=set(flight.seat_labels()))
    assert (full.any_free, full.any_taken) == (False, True)


def test_runs_of_fully_taken_rows_fold_into_one_section_but_a_single_full_row_stays():
    flight = FlightFactory(capacity=48)  # eight rows of six
    full_rows = {2, 3, 4, 6}
    taken = {label for label in flight.seat_labels() if int(label[:-1]) in full_rows} | {"8A"}
    seat_map = selectors.flight_seat_map(flight=flight, taken=taken)
    assert [section.get("row", section.get("taken_rows")) for section in seat_map.sections] == [
        1,
        (2, 4),
        5,
        6,
        7,
        8,
    ]
    assert [item["seat"].letter for item in seat_map.sections[0]["seats"]] == list("ABCDEF")
    assert [seat.letter for seat in seat_map.columns] == list("ABCDEF")


def test_chosen_seats_carry_their_passengers_number_but_a_taken_seat_never_does():
    flight = FlightFactory(capacity=12)
    seat_map = selectors.flight_seat_map(flight=flight, taken={"1A"}, chosen={"1A": 1, "2C": 2})
    seats = {item["seat"].label: item for section in seat_map.sections for item in section["seats"]}
    assert (seats["1A"]["taken"], seats["1A"]["passenger"]) == (True, None)
    assert (seats["2C"]["taken"], seats["2C"]["passenger"]) == (False, 2)
    assert seats["2D"]["passenger"] is None


def test_the_page_folds_full_rows_into_one_line_and_crosses_out_taken_seats(client):
    flight = FlightFactory(capacity=60)
    make_booking(flight=flight, passengers=9, seats=[f"{row}{letter}" for row in (2, 3) for letter in "ABCDEF"][:9])
    make_booking(flight=flight, passengers=4, seats=["3D", "3E", "3F", "5A"])
    page = client.get(reverse("bookings:book", args=[flight.pk])).content.decode()
    assert "Rows 2–3: no free seats" in page
    assert 'data-seat="2A"' not in page and 'data-seat="4A"' in page
    assert re.search(
        r'class="seat taken" data-seat="5A"[^>]*aria-label="Seat 5A, window, taken" aria-disabled="true"', page
    )
    assert 'class="seat" data-seat="5B"' in page
    assert "Taken or on hold" in page  # the legend shows the taken look once a seat is taken


def test_a_flight_page_for_one_passenger_says_one_seat(client):
    flight = FlightFactory(capacity=60)
    client.force_login(UserFactory())
    page = client.get(reverse("bookings:book", args=[flight.pk]), {"passengers": 1}).content.decode()
    assert "Hold 1 seat and continue" in page and "Total for 1 passenger<" in page


def test_a_seat_taken_meanwhile_with_one_free_seat_left_nearby_names_one_seat(client):
    flight = FlightFactory(capacity=3)  # 1A 1B 1C
    make_booking(flight=flight, passengers=2)  # 1A, 1B
    client.force_login(UserFactory())
    response = client.post(
        reverse("bookings:book", args=[flight.pk]), {"token": str(uuid.uuid4()), "passengers": "1", "seat_1": "1B"}
    )
    assert "Seat 1B was just taken by someone else. Nearby free seat: 1C." in response.content.decode()


# Logging in or signing up from the flight page, and back.


def _flight_page_after(response) -> tuple[str, dict]:
    """(account page path, the query of the `next` it carries) from a redirect to log in or sign up."""
    location = urlsplit(response["Location"])
    next_url = urlsplit(parse_qs(location.query)["next"][0])
    return location.path, {"path": next_url.path, **{key: value[0] for key, value in parse_qs(next_url.query).items()}}


@pytest.mark.parametrize(("button", "page"), [("login", "accounts:login"), ("signup", "accounts:signup")])
def test_log_in_or_sign_up_to_book_keeps_the_party_size_and_the_seats_chosen(client, button, page):
    flight = FlightFactory(capacity=60)
    form = {"token": str(uuid.uuid4()), "passengers": "2", "seat_1": "7C", "seat_2": "7D"}
    response = client.post(f"{reverse('bookings:book', args=[flight.pk])}?account={button}", form)
    assert response.status_code == 302
    assert _flight_page_after(response) == (
        reverse(page),
        {"path": reverse("bookings:book", args=[flight.pk]), "passengers": "2", "seat_1": "7C", "seat_2": "7D"},
    )
    assert not Booking.objects.exists()


def test_a_seat_that_is_not_on_the_plane_is_not_carried_to_the_login_page(client):
    flight = FlightFactory(capacity=60)
    form = {"passengers": "99", "seat_1": "//evil.example", "seat_2": "7D"}
    response = client.post(f"{reverse('bookings:book', args=[flight.pk])}?account=anything", form)
    path, query = _flight_page_after(response)
    assert path == reverse("accounts:login")
    assert {key: value for key, value in query.items() if key != "path"} == {"passengers": "9", "seat_2": "7D"}


def test_logging_in_returns_to_the_flight_with_the_party_and_its_seats_chosen(client):
    flight = FlightFactory(capacity=60)
    user = UserFactory()
    to_login = client.post(
        f"{reverse('bookings:book', args=[flight.pk])}?account=login",
        {"passengers": "2", "seat_1": "7C", "seat_2": "7D"},
    )
    next_url = parse_qs(urlsplit(to_login["Location"]).query)["next"][0]
    login_page = client.get(to_login["Location"]).content.decode()
    assert 'name="next" value="' + next_url.replace("&", "&amp;") + '"' in login_page
    logged_in = client.post(reverse("accounts:login"), {"username": user.email, "password": PASSWORD, "next": next_url})
    assert logged_in.status_code == 302 and logged_in["Location"] == next_url
    page = client.get(next_url).content.decode()
    assert '<option value="7C" selected>' in page and '<option value="7D" selected>' in page
    assert 'data-seat="7C" data-kind="aisle" aria-label="Seat 7C, aisle, selected for passenger 1"' in page
    assert "Hold 2 seats and continue" in page


def test_signing_up_returns_to_the_flight_with_the_party_and_its_seats_chosen(client):
    flight = FlightFactory(capacity=60)
    next_url = f"{reverse('bookings:book', args=[flight.pk])}?passengers=2&seat_1=7C&seat_2=7D"
    signed_up = client.post(
        reverse("accounts:signup"),
        {
            "first_name": "Ada",
            "last_name": "Lovelace",
            "email": "ada@example.test",
            "password1": "analytical-engine-1843",
            "password2": "analytical-engine-1843",
            "next": next_url,
        },
    )
    assert signed_up.status_code == 302 and signed_up["Location"] == next_url
    page = client.get(next_url).content.decode()
    assert '<option value="7C" selected>' in page and '<option value="7D" selected>' in page


def test_a_seat_taken_while_logging_in_is_named_and_the_other_seat_kept(client):
    flight = FlightFactory(capacity=60)
    make_booking(flight=flight, passengers=1, seats=["7C"])
    page = client.get(
        reverse("bookings:book", args=[flight.pk]), {"passengers": 2, "seat_1": "7C", "seat_2": "7D"}
    ).content.decode()
    assert "Seat 7C has been taken since you chose it. Choose another seat" in page
    assert '<option value="7D" selected>' in page
    assert 'aria-label="Seat 7C, window, taken"' not in page  # 7C is an aisle seat
    assert 'aria-label="Seat 7C, aisle, taken"' in page


@pytest.mark.parametrize(
    ("query", "seats"),
    [
        ({"seat_1": "99Z"}, [None, None]),
        ({"seat_1": "<script>", "seat_2": "7d"}, [None, "7D"]),
        ({"seat_1": "7C", "seat_2": "7C"}, ["7C", None]),  # the same seat twice: the second passenger gets none
        ({"seat_1": "", "seat_3": "7E"}, [None, None]),  # no third passenger
    ],
)
def test_a_link_with_odd_seats_shows_the_page_with_those_passengers_unseated(client, query, seats):
    flight = FlightFactory(capacity=60)
    response = client.get(reverse("bookings:book", args=[flight.pk]), {"passengers": 2, **query})
    assert response.status_code == 200
    assert [field.value() for field in response.context["form"].seat_fields()] == seats
    assert "has been taken since" not in response.content.decode()


def test_the_menus_log_in_and_sign_up_links_come_back_to_the_flight_page(client):
    flight = FlightFactory(capacity=60)
    page = client.get(reverse("bookings:book", args=[flight.pk]), {"passengers": 2}).content.decode()
    back = quote(f"{reverse('bookings:book', args=[flight.pk])}?passengers=2")
    assert f'href="{reverse("accounts:login")}?next={back}"' in page
    assert f'href="{reverse("accounts:signup")}?next={back}"' in page


def test_a_flight_landing_the_next_day_says_so_in_words_not_day_s(client):
    flight = FlightFactory(capacity=60)
    flight.arrives_at = flight.departs_at + timedelta(days=1, hours=1)
    flight.save()
    page = client.get(reverse("bookings:book", args=[flight.pk])).content.decode()
    assert "(arrives the next day)" in page and 'title="Arrives the next day"' in page
    assert "day(s)" not in page
