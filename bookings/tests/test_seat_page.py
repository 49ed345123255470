"""The flight page's seat map and seat choice, as a passenger uses them (no JavaScript)."""

import re
import uuid

import pytest
from django.urls import reverse

from accounts.tests.factories import UserFactory
from bookings.models import Booking, Ticket
from bookings.tests.factories import make_booking
from flights.tests.factories import FlightFactory

pytestmark = pytest.mark.django_db


def _post(client, flight, **data):
    return client.post(
        reverse("bookings:book", args=[flight.pk]),
        {"token": str(uuid.uuid4()), "passengers": "2"} | data,
    )


def test_the_map_marks_taken_seats_and_the_lists_offer_only_free_ones(client):
    flight = FlightFactory()
    make_booking(flight=flight, passengers=2)  # 1A, 1B
    page = client.get(reverse("bookings:book", args=[flight.pk]), {"passengers": 2}).content.decode()
    assert re.search(r'data-seat="1A"[^>]*aria-label="Seat 1A, window, taken"[^>]*\saria-disabled="true"', page)
    assert 'aria-label="Seat 1C, aisle, free"' in page
    assert '<option value="1A"' not in page and '<option value="1C">1C (aisle)</option>' in page
    assert page.count('name="seat_') == 2


def test_chosen_seats_are_held_for_the_passengers_and_checkout_goes_on_to_their_names(client):
    flight = FlightFactory()
    client.force_login(UserFactory())
    response = _post(client, flight, seat_1="7C", seat_2="7D")
    booking = Booking.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("bookings:checkout_passengers", args=[booking.reference])
    assert booking.status == Booking.Status.HELD
    assert [(t.status, t.seat) for t in booking.tickets.order_by("pk")] == [("held", "7C"), ("held", "7D")]


def test_seats_held_by_someone_else_show_as_taken_and_free_again_once_the_hold_lapses(client):
    from datetime import timedelta

    from django.utils import timezone

    from bookings.tests.factories import make_hold

    flight = FlightFactory()
    hold = make_hold(flight=flight, seats=["3C"])
    page = client.get(reverse("bookings:book", args=[flight.pk])).content.decode()
    assert re.search(r'data-seat="3C"[^>]*taken', page) and "59 of 60" in page
    Booking.objects.filter(pk=hold.pk).update(hold_expires_at=timezone.now() - timedelta(seconds=1))
    page = client.get(reverse("bookings:book", args=[flight.pk])).content.decode()
    assert not re.search(r'data-seat="3C"[^>]*taken', page) and "60 of 60" in page


def test_the_same_seat_for_two_passengers_is_refused_on_the_form(client):
    flight = FlightFactory()
    client.force_login(UserFactory())
    response = _post(client, flight, seat_1="7C", seat_2="7C")
    assert response.status_code == 200
    assert "Seat 7C is already chosen for another passenger." in response.content.decode()
    assert not Booking.objects.exists()


def test_a_seat_taken_since_the_page_was_shown_offers_nearby_ones_and_keeps_the_other_seat(client):
    flight = FlightFactory()
    client.force_login(UserFactory())
    make_booking(flight=flight, passengers=1)  # 1A
    Ticket.objects.filter(seat="1A").update(seat="7C")  # someone else got 7C meanwhile
    response = _post(client, flight, seat_1="7C", seat_2="7D")
    page = response.content.decode()
    assert response.status_code == 200
    assert "Seat 7C was just taken by someone else. Nearby free seats: 7B, 7A, 7E." in page
    assert '<option value="7D" selected>' in page  # the other passenger keeps their seat
    assert re.search(r'data-seat="7C"[^>]*taken', page)
    assert Booking.objects.count() == 1


def test_a_seat_that_is_not_on_the_plane_is_refused(client):
    flight = FlightFactory()
    client.force_login(UserFactory())
    response = _post(client, flight, seat_1="42Z")
    assert response.status_code == 200
    assert "There is no such seat on this flight." in response.content.decode()
    assert not Booking.objects.exists()


def test_the_flight_page_dates_the_flight_by_its_local_day_not_utc(client):
    from datetime import datetime, timedelta

    from flights.tests.factories import AirportFactory

    los_angeles = AirportFactory(iata="LAX", city="Los Angeles", tz="America/Los_Angeles")
    departs = datetime.combine(
        (datetime.now(los_angeles.zone) + timedelta(days=30)).date(), datetime.min.time(), tzinfo=los_angeles.zone
    ).replace(hour=23, minute=30)  # 07:30 UTC the next day
    flight = FlightFactory(origin=los_angeles, departs_at=departs, arrives_at=departs + timedelta(hours=5))
    page = client.get(reverse("bookings:book", args=[flight.pk])).content.decode()
    assert f"{departs:%A} {departs.day} {departs:%B %Y}" in page
    assert f"date={departs:%Y-%m-%d}" in page  # the way back to the search results


@pytest.mark.parametrize(
    ("layout", "kinds"),
    [
        ("3-3", ["Window A and F", "Aisle C and D", "Middle B and E"]),
        ("2-2", ["Window A and F", "Aisle C and D"]),  # four abreast: no middle seats to name
        ("2-3-2", ["Window A and K", "Aisle C, D, F and H", "Middle E"]),
        ("3-4-3", ["Window A and K", "Aisle C, D, G and H", "Middle B, E, F and J"]),
    ],
)
def test_the_seat_map_legend_names_the_kinds_of_seat_the_flights_layout_has(client, layout, kinds):
    flight = FlightFactory(layout=layout, capacity=60)
    page = client.get(reverse("bookings:book", args=[flight.pk])).content.decode()
    legend = re.search(r'<ul class="seat-kinds.*?</ul>', page, re.S).group(0)
    assert [re.sub(r"<[^>]+>", "", item).strip() for item in re.findall(r"<li>(.*?)</li>", legend)] == kinds
