"""Real threads on real PostgreSQL: the flight lock and the constraints keep bookings right."""

import random
import threading
import uuid
from collections import Counter

import pytest
from django.db import connection, connections, transaction
from django.db.models import F

from accounts.tests.factories import UserFactory
from bookings.exceptions import FlightBusy, SoldOut
from bookings.models import Booking, Ticket
from bookings.tests.factories import booking_create
from flights.models import Flight
from flights.tests.factories import FlightFactory

pytestmark = pytest.mark.django_db(transaction=True)


def run_threads(count: int, work) -> list:
    """Start `count` threads together at a barrier; each returns work(i) or the exception it raised."""
    barrier = threading.Barrier(count)
    results: list = [None] * count

    def target(index: int) -> None:
        try:
            barrier.wait()
            results[index] = work(index)
        except Exception as error:  # collected and asserted on by the test
            results[index] = error
        finally:
            connection.close()

    threads = [threading.Thread(target=target, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return results


def overbooking_problems(flight_id: int) -> list[str]:
    """Every way the flight's seats could be wrong; empty when all invariants hold."""
    flight = Flight.objects.get(pk=flight_id)
    # Held seats count as taken until paid or released: with no checkout left half-way, as
    # here, every seat in use is an active ticket.
    active = Ticket.objects.filter(flight_id=flight_id, status__in=Ticket.IN_USE)
    problems = []
    if active.count() > flight.capacity:
        problems.append(f"{active.count()} active tickets on {flight.capacity} seats")
    if flight.seats_booked != active.count():
        problems.append(f"counter {flight.seats_booked} != {active.count()} active tickets")
    doubled = [seat for seat, n in Counter(active.values_list("seat", flat=True)).items() if n > 1]
    if doubled:
        problems.append(f"seats sold twice: {doubled}")
    booked = sum(
        Booking.objects.filter(flight_id=flight_id, status=Booking.Status.CONFIRMED).values_list(
            "seat_count", flat=True
        )
    )
    if booked != active.count():
        problems.append(f"confirmed bookings hold {booked} seats but {active.count()} tickets are active")
    return problems


def test_last_seat_with_eight_racers_goes_to_exactly_one():
    flight = FlightFactory(capacity=1)
    users = UserFactory.create_batch(8)

    results = run_threads(
        8,
        lambda i: booking_create(
            user=users[i], flight_id=flight.pk, passenger_names=[f"Racer {i}"], token=uuid.uuid4()
        ),
    )

    winners = [r for r in results if isinstance(r, Booking)]
    losers = [r for r in results if isinstance(r, SoldOut)]
    assert len(winners) == 1, results
    assert len(losers) == 7, results
    assert overbooking_problems(flight.pk) == []
    assert Flight.objects.get(pk=flight.pk).seats_booked == 1


def test_two_hundred_attempts_from_sixteen_threads_never_oversell():
    flight = FlightFactory(capacity=60)
    users = UserFactory.create_batch(16)
    rng = random.Random(20261121)
    parties = [[rng.randint(1, 4) for _ in range(13)] for _ in range(16)]  # 208 attempts

    def attempts(i: int) -> list:
        outcomes = []
        for size in parties[i]:
            try:
                outcomes.append(
                    booking_create(
                        user=users[i],
                        flight_id=flight.pk,
                        passenger_names=[f"T{i} P{n}" for n in range(size)],
                        token=uuid.uuid4(),
                    )
                )
            except SoldOut as error:
                outcomes.append(error)
        return outcomes

    results = run_threads(16, attempts)

    unexpected = [r for r in results if isinstance(r, Exception)]
    assert unexpected == [], f"a thread failed with something other than SoldOut: {unexpected}"
    outcomes = [o for thread in results for o in thread]
    assert len(outcomes) == 208
    assert all(isinstance(o, Booking | SoldOut) for o in outcomes)
    sold = sum(o.seat_count for o in outcomes if isinstance(o, Booking))
    flight.refresh_from_db()
    assert flight.seats_booked == sold <= 60
    assert overbooking_problems(flight.pk) == []
    # Demand (~500 seats) far exceeds supply: the flight must end full or nearly so (no lost seats).
    assert flight.seats_left < 4


def _book_without_lock(*, user, flight_id: int, names: list[str]) -> None:
    """A deliberately broken booking: check-then-write with no row lock and a lost-update counter."""
    with transaction.atomic():
        flight = Flight.objects.get(pk=flight_id)  # no select_for_update
        if flight.seats_left < len(names):
            raise SoldOut()
        booking = Booking.objects.create(
            reference=uuid.uuid4().hex[:6].upper(),
            user=user,
            flight=flight,
            status=Booking.Status.CONFIRMED,
            seat_count=len(names),
            total_price=flight.price * len(names),
        )
        for name in names:
            # Seat labels outside the layout, so only the missing lock (not the seat index) is tested.
            Ticket.objects.create(
                booking=booking,
                flight=flight,
                passenger_name=name,
                seat=uuid.uuid4().hex[:4],
                price=flight.price,
                status=Ticket.Status.ACTIVE,
            )
        threading.Event().wait(0.05)  # widen the race window
        Flight.objects.filter(pk=flight_id).update(seats_booked=flight.seats_booked + len(names))


def test_negative_control_unlocked_booking_is_caught_as_overbooking():
    """Proves the invariant check above can fail: the same race without the lock oversells."""
    flight = FlightFactory(capacity=1)
    users = UserFactory.create_batch(8)

    results = run_threads(8, lambda i: _book_without_lock(user=users[i], flight_id=flight.pk, names=[f"Racer {i}"]))

    assert sum(r is None for r in results) > 1, "expected several unlocked bookings to slip through"
    problems = overbooking_problems(flight.pk)
    assert any("active tickets on 1 seats" in p for p in problems), problems


def test_negative_control_database_constraint_stops_counter_overflow_without_lock():
    """Even code that forgets the lock cannot push the counter past capacity: the CHECK refuses."""
    from django.db import IntegrityError

    flight = FlightFactory(capacity=3)

    def unlocked_increment(i: int):
        with transaction.atomic():
            Flight.objects.filter(pk=flight.pk).update(seats_booked=F("seats_booked") + 1)

    results = run_threads(6, unlocked_increment)
    assert sum(isinstance(r, IntegrityError) for r in results) == 3
    assert Flight.objects.get(pk=flight.pk).seats_booked == 3


def test_lock_wait_past_timeout_becomes_flight_busy(settings):
    settings.BOOKING_LOCK_TIMEOUT_MS = 200
    flight = FlightFactory()
    user = UserFactory()
    holder = connections.create_connection("default")
    try:
        holder.set_autocommit(False)
        with holder.cursor() as cursor:
            cursor.execute("SELECT id FROM flights_flight WHERE id = %s FOR UPDATE", [flight.pk])
        with pytest.raises(FlightBusy):
            booking_create(user=user, flight_id=flight.pk, passenger_names=["Patient Passenger"], token=uuid.uuid4())
    finally:
        holder.rollback()
        holder.close()
    assert not Booking.objects.exists()
    # Once the lock is released the same booking goes through.
    booking_create(user=user, flight_id=flight.pk, passenger_names=["Patient Passenger"], token=uuid.uuid4())
    assert Flight.objects.get(pk=flight.pk).seats_booked == 1


def test_same_form_submitted_twice_at_once_makes_one_booking():
    flight = FlightFactory()
    user = UserFactory()
    token = uuid.uuid4()

    results = run_threads(
        4,
        lambda i: booking_create(
            user=user, flight_id=flight.pk, passenger_names=["Ada Lovelace", "Alan Turing"], token=token
        ),
    )

    assert all(isinstance(r, Booking) for r in results), results
    assert len({r.pk for r in results}) == 1
    assert Flight.objects.get(pk=flight.pk).seats_booked == 2
    assert overbooking_problems(flight.pk) == []
