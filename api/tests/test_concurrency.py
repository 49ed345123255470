"""No overbooking through the API: real threads, one client and one user each, real PostgreSQL.

The services' own race tests are in bookings/tests/test_concurrency.py; these check the same
guarantee end to end (authentication, idempotency rows, the error mapping): every request
either gets seats or a 409 it can act on (503 busy at worst), never a 5xx, and the flight's
counter, its tickets and its seats agree afterwards.
"""

import uuid
from collections import Counter
from decimal import Decimal

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from accounts.tests.factories import UserFactory
from bookings import services
from bookings.models import Booking, Ticket
from bookings.tests.factories import make_booking
from bookings.tests.threads import run_threads
from flights.models import Flight
from flights.tests.factories import FlightFactory

from .helpers import GOOD_CARD, bearer_client, post

pytestmark = pytest.mark.django_db(transaction=True)

LOSING_CODES = {"sold_out", "seat_taken", "busy"}


def post_hold(client: APIClient, flight_id: int, passengers: int, seats=None):
    data = {"flight": flight_id, "passengers": passengers}
    if seats is not None:
        data["seats"] = seats
    return post(client, reverse("api:holds"), data)


def post_booking(client: APIClient, reference: str, passengers: int):
    data = {
        "hold": reference,
        "passengers": [{"first_names": "Racer", "last_name": f"Number{n}"} for n in range(passengers)],
        "payment": {"card": GOOD_CARD},
    }
    return post(client, reverse("api:bookings"), data)


def seat_problems(flight_id: int) -> list[str]:
    """Every way the flight's seats could be wrong; empty when all invariants hold. Held and
    active tickets both occupy a seat."""
    flight = Flight.objects.get(pk=flight_id)
    in_use = list(Ticket.objects.filter(flight_id=flight_id, status__in=Ticket.IN_USE).values_list("seat", flat=True))
    problems = []
    if flight.seats_booked > flight.capacity:
        problems.append(f"counter {flight.seats_booked} past capacity {flight.capacity}")
    if len(in_use) > flight.capacity:
        problems.append(f"{len(in_use)} seats in use on {flight.capacity}")
    if flight.seats_booked != len(in_use):
        problems.append(f"counter {flight.seats_booked} != {len(in_use)} held or active tickets")
    doubled = sorted(seat for seat, n in Counter(in_use).items() if n > 1)
    if doubled:
        problems.append(f"seats given twice: {doubled}")
    labels = set(flight.seat_labels())
    outside = sorted(set(in_use) - labels)
    if outside:
        problems.append(f"seats not in the cabin: {outside}")
    orphans = Ticket.objects.filter(flight_id=flight_id, status__in=Ticket.IN_USE).exclude(
        booking__status__in=[Booking.Status.HELD, Booking.Status.CONFIRMED]
    )
    if orphans.exists():
        problems.append(f"{orphans.count()} seats in use by bookings that are not held or confirmed")
    for booking in Booking.objects.filter(flight_id=flight_id, status=Booking.Status.HELD).prefetch_related("tickets"):
        held = sum(ticket.status == Ticket.Status.HELD for ticket in booking.tickets.all())
        if held != booking.seat_count:
            problems.append(f"hold {booking.reference} is for {booking.seat_count} seats but has {held}")
    return problems


def assert_only_expected_losers(responses, winning_status: int = 201) -> None:
    """Every response is a win or a 409/503 with one of the codes a client can act on."""
    for response in responses:
        assert not isinstance(response, Exception), f"a request raised: {response!r}"
        assert response.status_code < 500 or response.status_code == 503, (response.status_code, response.content)
        if response.status_code != winning_status:
            assert response.status_code in (409, 503), (response.status_code, response.content)
            assert response.json()["code"] in LOSING_CODES, response.content


def nearly_full_flight(*, capacity: int, left: int) -> Flight:
    """A flight with `left` seats free, one of them a hole in the middle of the cabin (a
    cancelled passenger), so the site's first guess (the seats after the counter) is taken and
    the hold takes the general path too."""
    flight = FlightFactory(capacity=capacity)
    to_sell = capacity - left + 1
    while to_sell:
        party = min(to_sell, 9)
        make_booking(flight=flight, passengers=party)
        to_sell -= party
    hole = Ticket.objects.filter(flight=flight).order_by("pk")[capacity // 3]
    services.booking_cancel(user=hole.booking.user, booking_id=hole.booking_id, ticket_ids=[hole.pk])
    flight.refresh_from_db()
    assert flight.seats_left == left
    return flight


def test_twenty_four_clients_holding_the_last_seats_never_oversell():
    flight = nearly_full_flight(capacity=60, left=3)
    users = UserFactory.create_batch(24)
    clients = [bearer_client(user, REMOTE_ADDR=f"10.1.0.{i + 1}") for i, user in enumerate(users)]
    parties = [1 + i % 2 for i in range(24)]  # twelve of 1, twelve of 2: 36 seats wanted, 3 left

    responses = run_threads(24, lambda i: post_hold(clients[i], flight.pk, parties[i]))

    assert_only_expected_losers(responses)
    won = [(i, r.json()) for i, r in enumerate(responses) if r.status_code == 201]
    assert won, "somebody must get the seats that were left"
    assert sum(body["passengers"] for _, body in won) == sum(parties[i] for i, _ in won) <= 3
    given = [seat for _, body in won for seat in body["seats"]]
    assert len(given) == len(set(given))
    assert seat_problems(flight.pk) == []
    flight.refresh_from_db()
    assert flight.seats_booked <= flight.capacity
    if not any(r.status_code == 503 for r in responses):
        # Seats only go (nobody releases here), so a seat left over means a party of one was
        # refused while it was free.
        assert flight.seats_left == 0


def test_clients_racing_for_the_same_seat_one_wins_the_rest_hear_seat_taken(settings):
    # All from one address: the per-address hold limits raised, so the seat decides, not them.
    settings.HOLD_LIMIT_PER_FLIGHT_PER_CLIENT = 1000
    settings.HOLD_LIMIT_PER_CLIENT = 1000
    flight = FlightFactory(capacity=60)
    users = UserFactory.create_batch(12)
    clients = [bearer_client(user, REMOTE_ADDR="10.2.0.1") for user in users]

    responses = run_threads(12, lambda i: post_hold(clients[i], flight.pk, 1, seats=["5C"]))

    assert_only_expected_losers(responses)
    winners = [r for r in responses if r.status_code == 201]
    assert len(winners) == 1, [r.status_code for r in responses]
    assert winners[0].json()["seats"] == ["5C"]
    losers = [r.json() for r in responses if r.status_code == 409]
    assert all(body["code"] == "seat_taken" and body["seats"] == ["5C"] for body in losers), losers
    assert len(losers) + sum(r.status_code == 503 for r in responses) == 11
    assert list(Ticket.objects.filter(flight=flight, status__in=Ticket.IN_USE).values_list("seat", flat=True)) == ["5C"]
    assert seat_problems(flight.pk) == []


def test_clients_holding_and_booking_the_last_seats_confirm_exactly_what_is_left(mailoutbox):
    flight = nearly_full_flight(capacity=30, left=4)
    users = UserFactory.create_batch(10)
    clients = [bearer_client(user, REMOTE_ADDR=f"10.3.0.{i + 1}") for i, user in enumerate(users)]
    parties = [1 + (i % 3 == 0) for i in range(10)]

    def hold_then_book(i: int):
        held = post_hold(clients[i], flight.pk, parties[i])
        if held.status_code != 201:
            return held, None
        return held, post_booking(clients[i], held.json()["id"], parties[i])

    results = run_threads(10, hold_then_book)

    assert not [r for r in results if isinstance(r, Exception)], results
    assert_only_expected_losers([held for held, _ in results])
    booked = [booking for _, booking in results if booking is not None]
    assert booked
    for response in booked:
        assert response.status_code == 201, response.content
        assert response.json()["status"] == "confirmed"
    assert seat_problems(flight.pk) == []
    flight.refresh_from_db()
    confirmed_seats = sum(len(r.json()["passengers"]) for r in booked)
    assert Booking.objects.filter(flight=flight, status=Booking.Status.HELD).count() == 0
    assert Ticket.objects.filter(flight=flight, status=Ticket.Status.ACTIVE).count() == 30 - 4 + confirmed_seats
    assert flight.seats_booked == 30 - 4 + confirmed_seats <= 30
    # Each confirmed booking's e-mail went out once (after commit, from its own thread).
    confirmed_refs = {r.json()["reference"] for r in booked}
    assert sum(1 for mail in mailoutbox if any(ref in mail.body for ref in confirmed_refs)) == len(booked)


def test_negative_control_the_seat_check_catches_what_the_database_lets_through():
    """The invariant check above can fail: the database would refuse a seat given twice (the
    partial unique index), but a counter that no longer matches the tickets, a ticket on a seat
    the cabin does not have, or a seat kept by a booking that no longer holds it, are written
    without complaint and must be caught."""
    flight = FlightFactory(capacity=6)
    booking = make_booking(flight=flight, seats=["1A"])
    assert seat_problems(flight.pk) == []

    Flight.objects.filter(pk=flight.pk).update(seats_booked=2)
    assert any("counter 2 != 1" in problem for problem in seat_problems(flight.pk))

    Flight.objects.filter(pk=flight.pk).update(seats_booked=1)
    ticket = booking.tickets.get()
    Ticket.objects.filter(pk=ticket.pk).update(seat="9Z")
    assert any("seats not in the cabin: ['9Z']" in problem for problem in seat_problems(flight.pk))

    Ticket.objects.filter(pk=ticket.pk).update(seat="1A")
    Booking.objects.filter(pk=booking.pk).update(status=Booking.Status.EXPIRED)
    assert any("not held or confirmed" in problem for problem in seat_problems(flight.pk))


def test_the_same_hold_sent_at_once_with_one_key_holds_once():
    """A client's retry racing its first attempt (same Idempotency-Key): one hold; every answer
    is that hold (first or replayed) or "still running, retry"."""
    flight = FlightFactory(capacity=60)
    user = UserFactory()
    clients = [bearer_client(user, REMOTE_ADDR="10.4.0.1") for _ in range(6)]
    key = str(uuid.uuid4())
    body = {"flight": flight.pk, "passengers": 2}

    responses = run_threads(6, lambda i: post(clients[i], reverse("api:holds"), body, key=key))

    assert not [r for r in responses if isinstance(r, Exception)], responses
    statuses = Counter(r.status_code for r in responses)
    assert set(statuses) <= {201, 409}, [(r.status_code, r.content) for r in responses]
    assert all(r.json()["code"] == "idempotency_key_in_use" for r in responses if r.status_code == 409)
    assert len({r.json()["id"] for r in responses if r.status_code == 201}) == 1
    assert Booking.objects.filter(user=user).count() == 1
    assert Flight.objects.get(pk=flight.pk).seats_booked == 2
    assert seat_problems(flight.pk) == []


def test_one_quote_confirmed_at_once_with_different_keys_cancels_and_refunds_once():
    flight = FlightFactory(capacity=60)
    booking = make_booking(flight=flight, passengers=2)
    user = booking.user
    clients = [bearer_client(user, REMOTE_ADDR="10.5.0.1") for _ in range(6)]
    quote_id = clients[0].post(reverse("api:cancellations", args=[booking.reference]), {}, format="json").json()["id"]
    url = reverse("api:cancellation_confirm", args=[booking.reference, quote_id])

    responses = run_threads(6, lambda i: post(clients[i], url))

    assert not [r for r in responses if isinstance(r, Exception)], responses
    assert all(r.status_code == 200 for r in responses), [(r.status_code, r.content) for r in responses]
    assert {r.json()["status"] for r in responses} == {"confirmed"}
    assert len({r.json()["refund_total"]["amount"] for r in responses}) == 1
    booking.refresh_from_db()
    assert booking.status == Booking.Status.CANCELLED
    assert booking.payment.refunded_amount == Decimal(responses[0].json()["refund_total"]["amount"]) > 0
    assert Flight.objects.get(pk=flight.pk).seats_booked == 0
    assert seat_problems(flight.pk) == []
