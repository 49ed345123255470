"""The staff seat view: the cabin with each seat free, held (until when) or sold (to whom)."""

import re
from datetime import timedelta
from html import unescape

import pytest
import time_machine
from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from accounts.tests.factories import StaffFactory, UserFactory
from booking_site.lib.formats import format_local
from bookings import services
from bookings.models import Booking
from bookings.selectors_seats import FREE, HELD, SOLD, flight_seats
from bookings.tests.factories import make_booking, make_hold
from flights.tests.factories import AirportFactory, FlightFactory

pytestmark = pytest.mark.django_db


def _seat_text(page: str, label: str) -> str:
    """The words in seat `label`'s box, tags dropped and spaces squeezed."""
    match = re.search(rf'data-seat="{label}">(.*?)</div>', page, re.S)
    assert match, f"no seat {label} on the page"
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", match.group(1))).split())


def _page(client, flight) -> str:
    response = client.get(reverse("staff:seats", args=[flight.pk]))
    assert response.status_code == 200
    return response.content.decode()


def test_staff_see_sold_seats_with_passenger_and_booking_link_held_with_expiry_and_free(staff_client):
    flight = FlightFactory(capacity=12, origin=AirportFactory(iata="JFK", tz="America/New_York"))
    booking = make_booking(flight=flight, names=["Ada Lovelace", "Alan Turing"], seats=["1A", "1B"])
    hold = make_hold(flight=flight, seats=["2C"])
    page = _page(staff_client, flight)

    assert _seat_text(page, "1A") == f"Seat 1A (window): Sold to Ada Lovelace booking {booking.reference}"
    assert _seat_text(page, "1B") == f"Seat 1B (middle): Sold to Alan Turing booking {booking.reference}"
    assert reverse("admin:bookings_booking_change", args=[booking.pk]) in page
    until = format_local(hold.hold_expires_at, flight.origin.zone, "H:i T")
    assert until.endswith(("EST", "EDT"))  # the departure airport's clock, not the server's
    assert _seat_text(page, "2C") == f"Seat 2C (aisle): Held until {until}"
    assert hold.reference not in page  # a hold shows no booking and no names
    assert _seat_text(page, "1C") == "Seat 1C (aisle): Free"
    assert page.count("Free</span>") == 9
    assert reverse("staff:manifest", args=[flight.pk]) in page


def test_a_held_seat_shows_no_name_even_once_the_passengers_are_named(staff_client):
    flight = FlightFactory(capacity=6)
    hold = make_hold(flight=flight, seats=["1D"])
    services.booking_set_passengers(
        user=hold.user, booking_id=hold.pk, passengers=[services.Passenger.from_full_name("Grace Hopper")]
    )
    page = _page(staff_client, flight)
    assert _seat_text(page, "1D").startswith("Seat 1D (aisle): Held until")
    assert "Grace Hopper" not in page


def test_a_lapsed_hold_shows_free_before_the_cleanup_releases_it(staff_client):
    flight = FlightFactory(capacity=6)
    hold = make_hold(flight=flight, seats=["1A"])
    with time_machine.travel(timezone.now() + timedelta(minutes=settings.BOOKING_HOLD_MINUTES + 1)):
        page = _page(staff_client, flight)
    assert Booking.objects.get(pk=hold.pk).status == Booking.Status.HELD  # not released yet
    assert _seat_text(page, "1A") == "Seat 1A (window): Free"


def test_a_cancelled_tickets_seat_shows_free(staff_client):
    flight = FlightFactory(capacity=6)
    booking = make_booking(flight=flight, names=["Ada Lovelace", "Alan Turing"], seats=["1A", "1B"])
    turing = booking.tickets.get(seat="1B")
    services.booking_cancel(user=booking.user, booking_id=booking.pk, ticket_ids=[turing.pk])
    page = _page(staff_client, flight)
    assert _seat_text(page, "1B") == "Seat 1B (middle): Free"
    assert "Alan Turing" not in page
    assert _seat_text(page, "1A").startswith("Seat 1A (window): Sold to Ada Lovelace")


def test_a_short_last_row_and_other_layouts_keep_their_columns():
    flight = FlightFactory(capacity=9, layout="2-3-2")
    seats = flight_seats(flight=flight)
    assert [column.letter for column in seats.columns] == list("ACDEFHK")
    assert [column.letter for column in seats.columns if column.aisle_after] == ["C", "F"]
    (row_1, first), (row_2, last) = seats.rows
    assert (row_1, row_2) == (1, 2)
    assert [cell.seat.label for _, cell in first] == ["1A", "1C", "1D", "1E", "1F", "1H", "1K"]
    assert [cell and cell.seat.label for _, cell in last] == ["2A", "2C", None, None, None, None, None]
    assert (seats.free, seats.held, seats.sold) == (9, 0, 0)


def test_the_counts_add_up_and_the_states_are_named():
    flight = FlightFactory(capacity=12)
    make_booking(flight=flight, passengers=3)
    make_hold(flight=flight, passengers=2)
    seats = flight_seats(flight=flight)
    states = [cell.state for _, cells in seats.rows for _, cell in cells]
    assert (states.count(SOLD), states.count(HELD), states.count(FREE)) == (3, 2, 7)
    assert (seats.sold, seats.held, seats.free) == (3, 2, 7)


def test_the_manifest_links_to_the_seat_view(staff_client):
    flight = FlightFactory()
    page = staff_client.get(reverse("staff:manifest", args=[flight.pk])).content.decode()
    assert reverse("staff:seats", args=[flight.pk]) in page


def test_the_page_has_no_inline_script_or_style(staff_client):
    flight = FlightFactory(capacity=6)
    make_booking(flight=flight)
    page = _page(staff_client, flight)
    assert "style=" not in page and "<style" not in page
    assert re.findall(r"<script(?![^>]*\bsrc=)", page) == []
    assert "css/staff_seats.css" in page and "js/print.js" in page


def test_a_passenger_gets_403(client):
    flight = FlightFactory()
    client.force_login(UserFactory())
    assert client.get(reverse("staff:seats", args=[flight.pk])).status_code == 403


def test_an_anonymous_visitor_is_sent_to_log_in(client):
    flight = FlightFactory()
    url = reverse("staff:seats", args=[flight.pk])
    response = client.get(url)
    assert response.status_code == 302
    assert response.url.startswith(reverse("accounts:login")) and "next=" in response.url


def test_staff_without_their_second_factor_are_sent_to_the_two_step_page(client):
    flight = FlightFactory()
    client.force_login(StaffFactory())
    response = client.get(reverse("staff:seats", args=[flight.pk]))
    assert response.status_code == 302
    assert response.url.startswith(reverse("accounts:two_factor_verify"))


def test_an_unknown_flight_is_404(staff_client):
    assert staff_client.get(reverse("staff:seats", args=[999999])).status_code == 404


# Measured: session, user, second-factor device, unread alerts (every staff page), then the
# flight with its airports and the seats: one query for all of them.
QUERIES = 6


def test_the_query_count_does_not_grow_with_bookings(staff_client, django_assert_max_num_queries):
    flight = FlightFactory(capacity=60)
    make_booking(flight=flight)
    make_hold(flight=flight)
    url = reverse("staff:seats", args=[flight.pk])
    staff_client.get(url)  # warm the session and the caches a first request fills
    with django_assert_max_num_queries(QUERIES) as few:
        staff_client.get(url)
    for _ in range(8):
        make_booking(flight=flight, passengers=3)
        make_hold(flight=flight, passengers=2)
    with django_assert_max_num_queries(len(few.captured_queries)):
        page = _page(staff_client, flight)
    assert page.count("Sold</span>") == 25 and page.count("Held</span>") == 17
