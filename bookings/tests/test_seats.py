"""Cabin layouts, seats chosen by passengers, and parties seated together."""

import random
import uuid

import pytest

from accounts.tests.factories import UserFactory
from bookings.exceptions import FlightBusy, SeatTaken, SeatUnknown, SoldOut
from bookings.models import Booking, Ticket
from bookings.tests.factories import booking_create, make_booking
from bookings.tests.test_concurrency import overbooking_problems
from bookings.tests.threads import run_threads
from flights.exceptions import CapacityBelowBooked
from flights.models import Flight
from flights.seating import assign_together, cabin, nearest_free, rows, seat_labels, seats_by_label
from flights.services import flight_update
from flights.tests.factories import FlightFactory


def _book(flight, seats, user=None):
    return booking_create(
        user=user or UserFactory(),
        flight_id=flight.pk,
        passenger_names=[f"Passenger {i}" for i in range(len(seats))],
        token=uuid.uuid4(),
        seats=seats,
    )


def _state(flight_id):
    return (
        Flight.objects.values_list("seats_booked", flat=True).get(pk=flight_id),
        sorted(Ticket.objects.filter(flight_id=flight_id).values_list("seat", "status")),
        Booking.objects.count(),
    )


# --- layouts --------------------------------------------------------------------------------


def test_sixty_seats_are_ten_rows_of_six_with_windows_and_aisles():
    seats = cabin(60)
    assert len(seats) == 60 and seats[0].label == "1A" and seats[-1].label == "10F"
    by_label = seats_by_label(60)
    assert by_label["7A"].kind == by_label["7F"].kind == "window"
    assert by_label["7C"].kind == by_label["7D"].kind == "aisle"
    assert by_label["7B"].kind == "middle"
    assert by_label["7C"].aisle_after and not by_label["7D"].aisle_after
    assert [row for row, _ in rows(60)] == list(range(1, 11))


def test_other_capacities_and_layouts():
    assert seat_labels(62)[-2:] == ("11A", "11B")  # a short last row
    assert seat_labels(8, "2-2") == ("1A", "1C", "1D", "1F", "2A", "2C", "2D", "2F")
    wide = seats_by_label(20, "3-4-3")
    assert [s.label for s in cabin(20, "3-4-3") if s.aisle and s.row == 1] == ["1C", "1D", "1G", "1H"]
    assert wide["1K"].window and "1I" not in wide  # no I: it reads as a 1


# --- assigning seats to a party ---------------------------------------------------------------


def test_a_party_gets_one_row_when_one_has_room_even_if_a_hole_is_earlier():
    free = [s for s in cabin(60) if s.label in {"1A", "2D", "2E", "2F", "3A"}]
    assert [s.label for s in assign_together(free, 3)] == ["2D", "2E", "2F"]


def test_a_party_spills_into_the_next_row_before_anything_further():
    free = [s for s in cabin(60) if s.label in {"1E", "1F", "2A", "2B", "5A", "5B"}]
    assert [s.label for s in assign_together(free, 4)] == ["1E", "1F", "2A", "2B"]


def test_a_scattered_cabin_gives_the_first_free_seats():
    free = [s for s in cabin(60) if s.label in {"1A", "4A", "8A"}]
    assert [s.label for s in assign_together(free, 3)] == ["1A", "4A", "8A"]


def test_nearest_free_seats_are_in_the_same_row_first():
    by_label = seats_by_label(60)
    free = [by_label[label] for label in ("1A", "7A", "7E", "8C", "10F")]
    assert [s.label for s in nearest_free(by_label["7C"], free)] == ["7A", "7E", "8C"]


# --- booking chosen seats -------------------------------------------------------------------


@pytest.mark.django_db
def test_chosen_seats_are_booked_and_the_site_seats_the_rest_together():
    flight = FlightFactory()
    booking = _book(flight, ["7C", None, None])
    seats = [t.seat for t in booking.tickets.order_by("pk")]
    assert seats[0] == "7C"
    assert seats[1:] == ["1A", "1B"]
    flight.refresh_from_db()
    assert flight.seats_booked == 3


@pytest.mark.django_db
def test_a_taken_seat_is_refused_naming_it_and_nothing_changes():
    flight = FlightFactory()
    _book(flight, ["7C"])
    before = _state(flight.pk)
    with pytest.raises(SeatTaken) as raised:
        _book(flight, ["7D", "7C"])
    assert raised.value.seats == ("7C",)
    assert "7C" in raised.value.message
    assert _state(flight.pk) == before


@pytest.mark.django_db
@pytest.mark.parametrize(("seats", "message"), [(["99Z"], "99Z does not exist"), (["3A", "3A"], "different seat")])
def test_a_seat_that_does_not_exist_or_twice_is_refused(seats, message):
    flight = FlightFactory()
    before = _state(flight.pk)
    with pytest.raises(SeatUnknown, match=message):
        _book(flight, seats)
    assert _state(flight.pk) == before


@pytest.mark.django_db
def test_automatic_seats_skip_chosen_ones():
    flight = FlightFactory(capacity=12)
    _book(flight, ["1B"])
    booking = make_booking(flight=flight, passengers=3)
    assert sorted(t.seat for t in booking.tickets.all()) == ["1C", "1D", "1E"]  # the tightest block in row 1


@pytest.mark.django_db
def test_staff_cannot_shrink_or_relayout_a_cabin_under_a_passenger():
    flight = FlightFactory(capacity=60)
    _book(flight, ["10E"])
    fields = {
        "number": flight.number,
        "origin": flight.origin,
        "destination": flight.destination,
        "departs_at": flight.departs_at,
        "arrives_at": flight.arrives_at,
        "price": flight.price,
    }
    with pytest.raises(CapacityBelowBooked, match="10E"):
        flight_update(flight_id=flight.pk, capacity=54, **fields)
    with pytest.raises(CapacityBelowBooked, match="10E"):
        flight_update(flight_id=flight.pk, capacity=60, layout="2-2", **fields)  # 2-2 has no B or E
    flight_update(flight_id=flight.pk, capacity=90, **fields)  # growing keeps every seat
    flight.refresh_from_db()
    assert flight.capacity == 90 and flight.layout == "3-3"


# --- racing for the same seats ----------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_fifty_threads_choosing_overlapping_seats_never_share_one():
    flight = FlightFactory(capacity=60)
    users = UserFactory.create_batch(50)
    popular = ["1A", "1B", "1C", "1D", "1E", "1F", "2A", "2B"]  # everyone wants the front
    picks = [random.Random(i).sample(popular, random.randint(1, 3)) for i in range(50)]

    results = run_threads(50, lambda i: _book(flight, picks[i], user=users[i]))

    booked = [r for r in results if isinstance(r, Booking)]
    refused = [r for r in results if isinstance(r, SeatTaken)]
    busy = [r for r in results if isinstance(r, FlightBusy | SoldOut)]
    assert len(booked) + len(refused) + len(busy) == 50, [r for r in results if not isinstance(r, Booking)]
    assert booked and refused
    assert all(error.seats for error in refused)  # every refusal names the seat
    assert overbooking_problems(flight.pk) == []
    sold = list(Ticket.objects.filter(flight=flight, status=Ticket.Status.ACTIVE).values_list("seat", flat=True))
    assert len(sold) == len(set(sold)) <= len(popular)
    for booking in booked:  # each winner got exactly the seats they chose
        assert sorted(t.seat for t in booking.tickets.all()) == sorted(picks[results.index(booking)])


# --- the one-statement hold (bookings/services/checkout/hold_fast.py) ------------------------


def _statements(captured):
    return [q["sql"] for q in captured.captured_queries if "SAVEPOINT" not in q["sql"]]


def _hold(flight, seats, user=None):
    from bookings.services import booking_hold

    return booking_hold(user=user or UserFactory(), flight_id=flight.pk, seats=seats, token=uuid.uuid4())


def _captured_hold(flight, seats):
    """The hold's statements from its flight lock on (COMMIT aside)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    user = UserFactory()
    with CaptureQueriesContext(connection) as captured:
        booking = _hold(flight, seats, user)
    statements = [sql for sql in _statements(captured) if sql != "COMMIT"]
    lock = next(index for index, sql in enumerate(statements) if "FOR UPDATE" in sql)
    return booking, statements[lock:]


@pytest.mark.django_db
def test_a_hold_on_free_seats_is_the_lock_and_one_prepared_write():
    flight = FlightFactory(capacity=60)
    _hold(FlightFactory(), ["1A", "1B", "1C"])  # this session has prepared the statement for three
    user = UserFactory()
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from bookings.services import booking_hold

    with CaptureQueriesContext(connection) as captured:
        booking = booking_hold(user=user, flight_id=flight.pk, seats=["7C", "2A", "9F"], token=uuid.uuid4())
    statements = _statements(captured)
    assert len(statements) == 2, statements
    assert "FOR UPDATE" in statements[0] and statements[1].startswith("EXECUTE skyway_hold_3 ")
    # The passengers' seats in the order they were chosen, as the names step pairs them up.
    assert list(booking.tickets.order_by("pk").values_list("seat", "status")) == [
        ("7C", "held"),
        ("2A", "held"),
        ("9F", "held"),
    ]
    stored = Booking.objects.get(pk=booking.pk)
    assert (stored.reference, stored.status, stored.seat_count, stored.total_price, stored.hold_expires_at) == (
        booking.reference,
        "held",
        3,
        flight.price * 3,
        booking.hold_expires_at,
    )
    assert booking.flight.origin == flight.origin  # the flight loads when asked
    assert Flight.objects.get(pk=flight.pk).seats_booked == 3


@pytest.mark.django_db
def test_without_prepared_statements_the_hold_sends_the_statement_itself(settings):
    from django.db import connection

    flight = FlightFactory(capacity=60)
    connection.settings_dict["DISABLE_SERVER_SIDE_CURSORS"] = True  # as behind a transaction pooler
    try:
        booking, statements = _captured_hold(flight, [None, None])
    finally:
        del connection.settings_dict["DISABLE_SERVER_SIDE_CURSORS"]
    assert len(statements) == 2 and statements[1].lstrip().startswith("WITH"), statements
    assert sorted(booking.tickets.values_list("seat", flat=True)) == ["1A", "1B"]


@pytest.mark.django_db(transaction=True)
def test_a_new_database_session_prepares_the_statement_again():
    from django.db import connection

    flight = FlightFactory(capacity=60)
    _hold(flight, ["1A"])
    connection.close()  # the next hold runs on a new session, where nothing is prepared
    booking, statements = _captured_hold(flight, ["2A"])
    assert [sql.split(" ")[0] for sql in statements[1:]] == ["PREPARE", "EXECUTE"], statements
    assert list(booking.tickets.values_list("seat", flat=True)) == ["2A"]
    booking, statements = _captured_hold(flight, ["3A"])
    assert [sql.split(" ")[0] for sql in statements[1:]] == ["EXECUTE"], statements


@pytest.mark.django_db
def test_a_lapsed_hold_sends_the_hold_down_the_general_path_which_releases_it(time_machine):
    from django.utils import timezone

    from bookings.services import booking_hold

    time_machine.move_to(timezone.now(), tick=False)
    flight = FlightFactory(capacity=3)
    lapsing = booking_hold(user=UserFactory(), flight_id=flight.pk, seats=[None, None], token=uuid.uuid4())
    _book(flight, ["1C"])
    time_machine.shift(60 * 60)
    # Only 1 seat is left by the counter until the lapsed hold is released, under the lock.
    booking = booking_hold(user=UserFactory(), flight_id=flight.pk, seats=[None, None], token=uuid.uuid4())
    lapsing.refresh_from_db()
    assert lapsing.status == Booking.Status.EXPIRED
    assert sorted(booking.tickets.values_list("seat", flat=True)) == ["1A", "1B"]
    assert Flight.objects.get(pk=flight.pk).seats_booked == 3
    assert Ticket.objects.filter(flight=flight, status__in=Ticket.IN_USE).count() == 3


@pytest.mark.django_db
def test_the_next_hold_releases_a_lapsed_hold_even_with_seats_to_spare(time_machine):
    from django.utils import timezone

    from bookings.services import booking_hold

    time_machine.move_to(timezone.now(), tick=False)
    flight = FlightFactory(capacity=60)
    lapsing = booking_hold(user=UserFactory(), flight_id=flight.pk, seats=[None, None], token=uuid.uuid4())
    time_machine.shift(60 * 60)
    booking_hold(user=UserFactory(), flight_id=flight.pk, seats=[None], token=uuid.uuid4())
    lapsing.refresh_from_db()
    assert lapsing.status == Booking.Status.EXPIRED
    assert Flight.objects.get(pk=flight.pk).seats_booked == 1
