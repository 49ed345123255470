"""Hold limits: one account, or one client network, cannot hold a flight's seats without paying."""

import uuid
from datetime import timedelta

import pytest
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from accounts.tests.factories import StaffFactory, UserFactory
from bookings.exceptions import HoldLimitReached
from bookings.models import Booking
from bookings.services import booking_hold
from bookings.tests.factories import make_booking
from bookings.tests.threads import run_threads
from flights.models import Flight
from flights.tests.factories import FlightFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _limits(settings):
    settings.HOLD_LIMIT_PER_FLIGHT = 1
    settings.HOLD_LIMIT_PER_ACCOUNT = 3
    settings.HOLD_LIMIT_PER_FLIGHT_PER_CLIENT = 2
    settings.HOLD_LIMIT_PER_CLIENT = 6


def _hold(user, flight, *, passengers=1, client="", token=None, seats=None):
    return booking_hold(
        user=user, flight_id=flight.pk, seats=seats or [None] * passengers, token=token or uuid.uuid4(), client=client
    )


def _held_seats(flight) -> int:
    return Flight.objects.get(pk=flight.pk).seats_booked


# One account


@pytest.mark.parametrize("seats", [None, ["9A"]], ids=["site-chosen", "chosen"])
def test_a_second_checkout_on_the_same_flight_is_refused_naming_the_open_one(seats):
    user, flight = UserFactory(), FlightFactory()
    first = _hold(user, flight, seats=seats)
    with pytest.raises(HoldLimitReached) as refused:
        _hold(user, flight, seats=["3C"] if seats else None)
    assert refused.value.open_reference == first.reference
    assert "already have seats held on this flight" in refused.value.message
    assert _held_seats(flight) == 1 and Booking.objects.count() == 1


def test_the_same_form_again_at_the_limit_returns_its_checkout():
    user, flight, token = UserFactory(), FlightFactory(), uuid.uuid4()
    first = _hold(user, flight, token=token)
    assert _hold(user, flight, token=token).pk == first.pk
    assert _held_seats(flight) == 1


def test_a_lapsed_or_paid_checkout_does_not_count():
    user, flight = UserFactory(), FlightFactory()
    lapsed = _hold(user, flight)
    Booking.objects.filter(pk=lapsed.pk).update(hold_expires_at=timezone.now() - timedelta(seconds=1))
    held = _hold(user, flight)
    assert held.status == Booking.Status.HELD
    paid = make_booking(user=user, flight=FlightFactory())
    assert paid.status == Booking.Status.CONFIRMED
    _hold(user, paid.flight)  # the paid booking is not an open checkout


def test_an_account_has_at_most_three_checkouts_open_in_all():
    user = UserFactory()
    flights = FlightFactory.create_batch(4)
    for flight in flights[:3]:
        _hold(user, flight)
    with pytest.raises(HoldLimitReached) as refused:
        _hold(user, flights[3])
    assert "already have 3 checkouts holding seats" in refused.value.message
    assert refused.value.open_reference == ""
    assert _held_seats(flights[3]) == 0


def test_staff_are_exempt():
    staff, flight = StaffFactory(), FlightFactory()
    for _ in range(5):
        _hold(staff, flight, passengers=2, client="203.0.113.9")
    assert _held_seats(flight) == 10


def test_without_prepared_statements_the_limit_holds_too():
    user, flight = UserFactory(), FlightFactory()
    connection.settings_dict["DISABLE_SERVER_SIDE_CURSORS"] = True  # as behind a transaction pooler
    try:
        _hold(user, flight)
        with pytest.raises(HoldLimitReached):
            _hold(user, flight)
    finally:
        del connection.settings_dict["DISABLE_SERVER_SIDE_CURSORS"]


# One client network


def test_one_client_may_hold_two_checkouts_on_a_flight_whatever_the_accounts():
    flight = FlightFactory()
    for _ in range(2):
        _hold(UserFactory(), flight, client="203.0.113.5")
    with pytest.raises(HoldLimitReached) as refused:
        _hold(UserFactory(), flight, client="203.0.113.5")
    assert "from your network" in refused.value.message
    _hold(UserFactory(), flight, client="203.0.113.6")  # another client is not affected
    assert _held_seats(flight) == 3


def test_one_ipv6_client_is_its_whole_slash_64():
    flight = FlightFactory()
    _hold(UserFactory(), flight, client="2001:db8:1:2::/64")
    _hold(UserFactory(), flight, client="2001:db8:1:2::/64")
    with pytest.raises(HoldLimitReached):
        _hold(UserFactory(), flight, client="2001:db8:1:2::/64")


def test_one_client_may_hold_six_checkouts_in_all():
    for _ in range(6):
        _hold(UserFactory(), FlightFactory(), client="198.51.100.1")
    with pytest.raises(HoldLimitReached):
        _hold(UserFactory(), FlightFactory(), client="198.51.100.1")


def test_the_client_address_is_not_stored():
    booking = _hold(UserFactory(), FlightFactory(), client="198.51.100.1")
    stored = Booking.objects.get(pk=booking.pk).hold_client
    assert stored and "198" not in stored and len(stored) == 16


# Over HTTP, as the hoarding was found


def _post_hold(client, flight, passengers=9, ip="203.0.113.77"):
    return client.post(
        reverse("bookings:book", args=[flight.pk]),
        {"token": str(uuid.uuid4()), "passengers": str(passengers)},
        REMOTE_ADDR=ip,
    )


def test_seven_forms_of_nine_from_one_account_hold_nine_seats_and_lead_back_to_the_checkout(client):
    flight = FlightFactory(capacity=60)
    client.force_login(UserFactory())
    responses = [_post_hold(client, flight) for _ in range(7)]
    booking = Booking.objects.get()
    checkout = reverse("bookings:checkout_passengers", args=[booking.reference])
    assert {response.url for response in responses} == {checkout}
    assert _held_seats(flight) == 9
    page = client.get(checkout).content.decode()
    assert "You already have seats held on this flight" in page


def test_seven_accounts_from_one_address_hold_at_most_two_checkouts_on_a_flight(client):
    flight = FlightFactory(capacity=60)
    for _ in range(7):
        client.force_login(UserFactory())
        _post_hold(client, flight)
    assert _held_seats(flight) == 18
    client.force_login(UserFactory())
    page = _post_hold(client, flight)
    assert page.status_code == 200
    assert "Too many seats are on hold from your network" in page.content.decode()


def test_the_proxy_header_names_the_client_when_configured(client, settings):
    settings.RATELIMIT_IP_META_KEY = "HTTP_X_REAL_IP"
    flight = FlightFactory(capacity=60)
    for index in range(4):
        client.force_login(UserFactory())
        client.post(
            reverse("bookings:book", args=[flight.pk]),
            {"token": str(uuid.uuid4()), "passengers": "1"},
            REMOTE_ADDR="10.0.0.1",  # the proxy
            HTTP_X_REAL_IP=f"198.51.100.{index}",
        )
    assert _held_seats(flight) == 4


# Racing past the limit


@pytest.mark.django_db(transaction=True)
def test_eight_holds_at_once_by_one_account_on_eight_flights_open_three():
    user = UserFactory()
    flights = FlightFactory.create_batch(8)
    results = run_threads(8, lambda i: _hold(user, flights[i]))
    held = [r for r in results if isinstance(r, Booking)]
    refused = [r for r in results if isinstance(r, HoldLimitReached)]
    assert len(held) == 3 and len(refused) == 5, results
    assert Booking.objects.filter(user=user, status=Booking.Status.HELD).count() == 3


@pytest.mark.django_db(transaction=True)
def test_eight_holds_at_once_by_one_account_on_one_flight_open_one():
    user, flight = UserFactory(), FlightFactory()
    results = run_threads(8, lambda i: _hold(user, flight, passengers=9))
    assert sum(isinstance(r, Booking) for r in results) == 1, results
    assert sum(isinstance(r, HoldLimitReached) for r in results) == 7, results
    assert _held_seats(flight) == 9


@pytest.mark.django_db(transaction=True)
def test_eight_accounts_at_once_from_one_client_on_eight_flights_open_six():
    users = UserFactory.create_batch(8)
    flights = FlightFactory.create_batch(8)
    results = run_threads(8, lambda i: _hold(users[i], flights[i], client="203.0.113.200"))
    assert sum(isinstance(r, Booking) for r in results) == 6, results
