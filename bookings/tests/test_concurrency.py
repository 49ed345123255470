"""Real threads on real PostgreSQL: the flight lock and the constraints keep bookings right."""

import random
import threading
import uuid
from collections import Counter
from contextlib import contextmanager
from datetime import timedelta

import pytest
from django.db import connections, transaction
from django.db.models import F
from django.utils import timezone

from accounts.tests.factories import UserFactory
from bookings import services
from bookings.exceptions import FlightBusy, SoldOut
from bookings.models import Booking, Ticket
from bookings.tests.factories import TEST_CARD, booking_create, make_booking, make_hold
from bookings.tests.threads import run_threads
from flights.exceptions import FlightNotEditable
from flights.models import Flight
from flights.services import flight_update
from flights.tests.factories import FlightFactory

pytestmark = pytest.mark.django_db(transaction=True)


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


@contextmanager
def row_locked_elsewhere(table: str, row_id: int):
    """Another database session holds the row's lock (a long transaction) inside the block."""
    holder = connections.create_connection("default")
    try:
        holder.set_autocommit(False)
        with holder.cursor() as cursor:
            cursor.execute(f"SELECT id FROM {table} WHERE id = %s FOR UPDATE", [row_id])  # noqa: S608
        yield
    finally:
        holder.rollback()
        holder.close()


def _cancel(booking, hold):
    return services.booking_cancel(user=booking.user, booking_id=booking.pk)


def _release(booking, hold):
    return services.booking_release(user=hold.user, booking_id=hold.pk)


def _remove(booking, hold):
    return services.flight_remove(flight_id=booking.flight_id)


def _edit(booking, hold):
    flight = Flight.objects.get(pk=booking.flight_id)
    fields = ("number", "origin", "destination", "departs_at", "arrives_at", "price", "capacity")
    return flight_update(flight_id=flight.pk, **{name: getattr(flight, name) for name in fields})


@pytest.mark.parametrize(
    ("write", "refused"),
    [(_cancel, FlightBusy), (_release, FlightBusy), (_remove, FlightBusy), (_edit, FlightNotEditable)],
)
def test_every_write_that_locks_a_flight_says_busy_when_the_lock_waits_too_long_and_changes_nothing(
    settings, write, refused
):
    settings.BOOKING_LOCK_TIMEOUT_MS = 200
    flight = FlightFactory()
    booking = make_booking(flight=flight, passengers=2)
    hold = make_hold(flight=flight)
    with row_locked_elsewhere("flights_flight", flight.pk):
        with pytest.raises(refused, match="right now"):
            write(booking, hold)
    assert [b.status for b in Booking.objects.order_by("pk")] == [Booking.Status.CONFIRMED, Booking.Status.HELD]
    assert Flight.objects.get(pk=flight.pk).seats_booked == 3
    assert sorted(Ticket.objects.filter(flight=flight).values_list("status", flat=True)) == ["active", "active", "held"]


def test_a_cancellation_waiting_too_long_on_the_booking_row_after_the_flight_says_busy(settings):
    """The flight lock's timeout and its "busy" message cover every row locked after it."""
    settings.BOOKING_LOCK_TIMEOUT_MS = 200
    booking = make_booking(passengers=1)
    with row_locked_elsewhere("bookings_booking", booking.pk):
        with pytest.raises(FlightBusy):
            services.booking_cancel(user=booking.user, booking_id=booking.pk)
    assert Booking.objects.get(pk=booking.pk).status == Booking.Status.CONFIRMED


def test_a_flight_busy_during_the_holds_sweep_is_left_for_the_next_run(settings):
    settings.BOOKING_LOCK_TIMEOUT_MS = 200
    hold = make_hold(flight=FlightFactory())
    Booking.objects.filter(pk=hold.pk).update(hold_expires_at=timezone.now() - timedelta(minutes=1))
    with row_locked_elsewhere("flights_flight", hold.flight_id):
        assert services.holds_expire() == 0
    assert Booking.objects.get(pk=hold.pk).status == Booking.Status.HELD
    assert services.holds_expire() == 1  # the next run, the flight free again


@pytest.mark.parametrize("step", ["names", "payment"])
def test_a_checkout_step_waiting_on_its_own_booking_too_long_asks_to_try_again(settings, step):
    settings.BOOKING_LOCK_TIMEOUT_MS = 200
    hold = make_hold(passengers=1)
    with row_locked_elsewhere("bookings_booking", hold.pk):  # the same booking's payment is going through
        with pytest.raises(FlightBusy, match="still working on your last request"):
            if step == "names":
                services.booking_set_passengers(
                    user=hold.user, booking_id=hold.pk, passengers=[services.Passenger("Ada", "Lovelace")]
                )
            else:
                services.booking_pay(user=hold.user, booking_id=hold.pk, card=TEST_CARD)
    assert Booking.objects.get(pk=hold.pk).status == Booking.Status.HELD
    assert list(Ticket.objects.filter(booking=hold).values_list("last_name", flat=True)) == [""]


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
