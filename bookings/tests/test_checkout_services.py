"""The checkout model: hold seats, name the passengers, pay; cancel, release, expire.

Every test checks the seat counter against the tickets in use (held or active) after each step.
"""

import uuid
from datetime import timedelta
from decimal import Decimal

import pytest
import time_machine
from django.apps import apps
from django.core import mail
from django.utils import timezone

from accounts.tests.factories import UserFactory
from bookings import services, tasks
from bookings.exceptions import (
    BookingClosed,
    BookingError,
    CancellationClosed,
    CheckoutIncomplete,
    HoldExpired,
    PaymentDeclined,
    SeatTaken,
    SoldOut,
)
from bookings.fares import cancellation_deadline, full_refund_until
from bookings.models import Booking, Payment, Ticket
from bookings.payments import TestPaymentProvider
from bookings.selectors import taken_seats
from bookings.services import Passenger
from bookings.tests.factories import DECLINED_CARD, TEST_CARD, make_booking, make_hold
from bookings.tests.threads import run_threads
from flights.models import Flight
from flights.tests.factories import FlightFactory
from notifications.models import OutboxMessage

pytestmark = pytest.mark.django_db


def in_use(flight: Flight) -> int:
    return Ticket.objects.filter(flight=flight, status__in=Ticket.IN_USE).count()


def assert_counter_right(flight: Flight) -> None:
    """The counter is exactly the tickets in use: held (lapsed or not) plus active."""
    flight.refresh_from_db()
    assert flight.seats_booked == in_use(flight)


def far_flight(**kwargs) -> Flight:
    """Departs well beyond REFUND_FULL_DAYS: cancelling gives the full fare back."""
    kwargs.setdefault("departs_at", (timezone.now() + timedelta(days=30)).replace(microsecond=0))
    return FlightFactory(**kwargs)


def name_all(booking: Booking) -> None:
    count = booking.tickets.filter(status=Ticket.Status.HELD).count()
    services.booking_set_passengers(
        user=booking.user,
        booking_id=booking.pk,
        passengers=[Passenger(first_names="Grace", last_name=f"Hopper{i}") for i in range(count)],
    )


def pay(booking: Booking, card=TEST_CARD) -> Booking:
    return services.booking_pay(user=booking.user, booking_id=booking.pk, card=card)


def confirmations(booking: Booking) -> int:
    return OutboxMessage.objects.filter(template="booking_confirmed", context__reference=booking.reference).count()


# Holding seats


def test_held_seats_count_as_taken_for_others():
    flight = far_flight()
    hold = make_hold(flight=flight, seats=["1A", "1B"])

    assert hold.status == Booking.Status.HELD
    assert set(hold.tickets.values_list("status", flat=True)) == {Ticket.Status.HELD}
    assert taken_seats(flight_id=flight.pk) == {"1A", "1B"}
    flight.refresh_from_db()
    assert flight.seats_booked == 2
    assert_counter_right(flight)


def test_booking_hold_sets_expiry_from_booking_hold_minutes(settings):
    settings.BOOKING_HOLD_MINUTES = 4
    moment = timezone.now().replace(microsecond=0)
    with time_machine.travel(moment, tick=False):
        hold = make_hold(flight=far_flight())
    assert hold.hold_expires_at == moment + timedelta(minutes=4)


def test_booking_hold_raises_seat_taken_for_a_held_seat():
    flight = far_flight()
    make_hold(flight=flight, seats=["1A"])

    with pytest.raises(SeatTaken) as caught:
        make_hold(flight=flight, seats=["1A", None])

    assert caught.value.seats == ("1A",)
    assert Booking.objects.filter(flight=flight).count() == 1
    assert_counter_right(flight)
    assert flight.seats_booked == 1


def test_site_chosen_seats_skip_held_seats():
    flight = far_flight()
    make_hold(flight=flight, seats=["1A"])
    second = make_hold(flight=flight, passengers=1)
    assert [t.seat for t in second.tickets.all()] == ["1B"]
    assert_counter_right(flight)


def test_booking_hold_raises_sold_out_when_holds_fill_the_flight():
    flight = far_flight(capacity=3)
    make_hold(flight=flight, passengers=2)

    with pytest.raises(SoldOut, match="only 1 seat left"):
        make_hold(flight=flight, passengers=2)
    make_hold(flight=flight, passengers=1)
    with pytest.raises(SoldOut, match="sold out"):
        make_hold(flight=flight, passengers=1)

    assert Booking.objects.filter(flight=flight).count() == 2
    assert_counter_right(flight)
    assert flight.seats_booked == 3


def test_booking_hold_with_a_replayed_token_returns_the_first_hold():
    flight = far_flight()
    user, token = UserFactory(), uuid.uuid4()
    first = services.booking_hold(user=user, flight_id=flight.pk, seats=[None], token=token)
    again = services.booking_hold(user=user, flight_id=flight.pk, seats=[None, None], token=token)
    assert again.pk == first.pk
    assert_counter_right(flight)
    assert flight.seats_booked == 1


# Lapsed holds


def test_lapsed_hold_reads_as_free_at_once():
    flight = far_flight()
    hold = make_hold(flight=flight, seats=["1A"])

    with time_machine.travel(hold.hold_expires_at - timedelta(seconds=1), tick=False):
        assert taken_seats(flight_id=flight.pk) == {"1A"}
    with time_machine.travel(hold.hold_expires_at, tick=False):
        assert taken_seats(flight_id=flight.pk) == set()
        # Free for others, though nothing has released it yet: the counter still counts it.
        hold.refresh_from_db()
        assert hold.status == Booking.Status.HELD
        assert_counter_right(flight)
        assert flight.seats_booked == 1


def test_next_hold_releases_a_lapsed_hold_with_the_counter_right():
    flight = far_flight(capacity=2)
    other_flight = far_flight(capacity=2)
    lapsed = make_hold(flight=flight, seats=["1A", "1B"])
    lapsed_elsewhere = make_hold(flight=other_flight, passengers=1)

    with time_machine.travel(lapsed.hold_expires_at + timedelta(seconds=1), tick=False):
        fresh = make_hold(flight=flight, seats=["1A", None])

    assert sorted(t.seat for t in fresh.tickets.all()) == ["1A", "1B"]
    lapsed.refresh_from_db()
    assert lapsed.status == Booking.Status.EXPIRED
    assert set(lapsed.tickets.values_list("status", flat=True)) == {Ticket.Status.EXPIRED}
    assert_counter_right(flight)
    assert flight.seats_booked == 2
    # Only the flight being booked is cleaned up under its lock.
    lapsed_elsewhere.refresh_from_db()
    assert lapsed_elsewhere.status == Booking.Status.HELD
    assert_counter_right(other_flight)
    assert other_flight.seats_booked == 1


def test_holds_expire_releases_lapsed_holds_leaves_live_ones_and_runs_twice_as_a_no_op(settings):
    settings.BOOKING_HOLD_MINUTES = 10
    flight = far_flight()
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        lapsing = make_hold(flight=flight, passengers=2)
    with time_machine.travel(start + timedelta(minutes=6), tick=False):
        live = make_hold(flight=flight, passengers=1)

    with time_machine.travel(start + timedelta(minutes=11), tick=False):
        assert services.holds_expire() == 2
        lapsing.refresh_from_db()
        live.refresh_from_db()
        assert lapsing.status == Booking.Status.EXPIRED
        assert set(lapsing.tickets.values_list("status", flat=True)) == {Ticket.Status.EXPIRED}
        assert live.status == Booking.Status.HELD
        assert set(live.tickets.values_list("status", flat=True)) == {Ticket.Status.HELD}
        assert_counter_right(flight)
        assert flight.seats_booked == 1

        assert services.holds_expire() == 0
        assert_counter_right(flight)
        assert flight.seats_booked == 1
        assert Ticket.objects.filter(flight=flight, status=Ticket.Status.EXPIRED).count() == 2


def test_holds_expire_task_releases_lapsed_holds():
    flight = far_flight()
    hold = make_hold(flight=flight, passengers=3)
    with time_machine.travel(hold.hold_expires_at + timedelta(minutes=1), tick=False):
        assert tasks.holds_expire.delay().get() == 3
    assert_counter_right(flight)
    assert flight.seats_booked == 0


# Paying


def test_booking_pay_confirms_tickets_and_records_the_payment(settings):
    flight = far_flight()
    hold = make_hold(flight=flight, passengers=2)
    name_all(hold)

    booking = pay(hold)

    assert booking.status == Booking.Status.CONFIRMED and booking.confirmed_at
    assert set(booking.tickets.values_list("status", flat=True)) == {Ticket.Status.ACTIVE}
    payment = Payment.objects.get(booking=booking)
    assert payment.amount == booking.total_price == flight.price * 2
    assert payment.currency == settings.CURRENCY
    assert (payment.card_brand, payment.card_last4) == ("Visa", "4242")
    assert payment.refunded_amount == 0
    assert confirmations(booking) == 1
    assert_counter_right(flight)
    assert flight.seats_booked == 2


def test_booking_pay_with_declined_card_raises_and_keeps_the_hold():
    flight = far_flight()
    hold = make_hold(flight=flight, seats=["3C"])
    name_all(hold)

    with pytest.raises(PaymentDeclined) as caught:
        pay(hold, card=DECLINED_CARD)

    assert caught.value.message == TestPaymentProvider.DECLINES[DECLINED_CARD.number]
    assert str(caught.value) == caught.value.message
    hold.refresh_from_db()
    assert hold.status == Booking.Status.HELD
    assert set(hold.tickets.values_list("status", flat=True)) == {Ticket.Status.HELD}
    assert not Payment.objects.filter(booking=hold).exists()
    assert confirmations(hold) == 0
    assert taken_seats(flight_id=flight.pk) == {"3C"}
    assert_counter_right(flight)
    assert flight.seats_booked == 1

    # The kept hold can still be paid with another card.
    assert pay(hold).status == Booking.Status.CONFIRMED
    assert Payment.objects.filter(booking=hold).count() == 1


def test_booking_pay_twice_returns_the_same_booking_with_one_payment_and_one_confirmation():
    flight = far_flight()
    hold = make_hold(flight=flight, passengers=2)
    name_all(hold)

    first = pay(hold)
    second = pay(hold)

    assert first.pk == second.pk == hold.pk
    assert second.status == Booking.Status.CONFIRMED
    assert Payment.objects.filter(booking=hold).count() == 1
    assert confirmations(hold) == 1
    assert OutboxMessage.objects.filter(template="booking_confirmed").count() == 1
    assert_counter_right(flight)
    assert flight.seats_booked == 2


def test_booking_pay_after_the_hold_lapsed_raises_hold_expired():
    flight = far_flight()
    hold = make_hold(flight=flight, passengers=1)
    name_all(hold)

    with time_machine.travel(hold.hold_expires_at, tick=False):
        with pytest.raises(HoldExpired):
            pay(hold)
        assert not Payment.objects.filter(booking=hold).exists()
        assert confirmations(hold) == 0
        assert_counter_right(flight)

        services.holds_expire()
        assert_counter_right(flight)
        assert flight.seats_booked == 0
        with pytest.raises(HoldExpired):
            pay(hold)
    hold.refresh_from_db()
    assert hold.status == Booking.Status.EXPIRED
    assert not Payment.objects.filter(booking=hold).exists()


def test_booking_pay_without_passenger_names_raises_checkout_incomplete():
    flight = far_flight()
    hold = make_hold(flight=flight, passengers=2)

    with pytest.raises(CheckoutIncomplete):
        pay(hold)

    hold.refresh_from_db()
    assert hold.status == Booking.Status.HELD
    assert not Payment.objects.filter(booking=hold).exists()
    assert_counter_right(flight)


def test_booking_set_passengers_needs_one_name_per_held_seat():
    hold = make_hold(flight=far_flight(), passengers=2)
    with pytest.raises(BookingError, match="all 2 passengers"):
        services.booking_set_passengers(
            user=hold.user, booking_id=hold.pk, passengers=[Passenger(first_names="A", last_name="B")]
        )
    assert not hold.tickets.exclude(last_name="").exists()


def test_no_card_number_is_stored_anywhere(django_capture_on_commit_callbacks):
    number = TEST_CARD.number
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        hold = make_hold(flight=far_flight(), passengers=1)
        name_all(hold)
        with pytest.raises(PaymentDeclined):
            pay(hold, card=DECLINED_CARD)
        booking = pay(hold)

    payment = Payment.objects.get(booking=booking)
    assert payment.card_last4 == number[-4:]
    assert number not in str(Payment.objects.values().get(pk=payment.pk))
    message = OutboxMessage.objects.get(template="booking_confirmed")
    assert number not in str(message.context)
    assert len(mail.outbox) == 1
    assert number not in mail.outbox[0].body
    # Every row of every table: neither the good nor the declined number, nor the CVC-bearing card.
    for model in apps.get_models():
        for row in model.objects.values():
            text = str(row)
            assert number not in text, f"card number stored in {model.__name__}"
            assert DECLINED_CARD.number not in text, f"declined card number stored in {model.__name__}"


# Cancelling


def test_partial_cancel_keeps_the_others_returns_the_seats_and_refunds_in_full():
    flight = far_flight()
    booking = make_booking(flight=flight, passengers=3)
    first, second, third = booking.tickets.order_by("pk")

    cancelled = services.booking_cancel(user=booking.user, booking_id=booking.pk, ticket_ids=[first.pk])

    assert [t.pk for t in cancelled] == [first.pk]
    first.refresh_from_db()
    assert first.status == Ticket.Status.CANCELLED and first.cancelled_at
    assert first.refund_amount == first.price
    assert set(Ticket.objects.filter(pk__in=[second.pk, third.pk]).values_list("status", flat=True)) == {
        Ticket.Status.ACTIVE
    }
    booking.refresh_from_db()
    assert booking.status == Booking.Status.CONFIRMED and booking.cancelled_at is None
    assert Payment.objects.get(booking=booking).refunded_amount == first.price
    assert taken_seats(flight_id=flight.pk) == {second.seat, third.seat}
    assert_counter_right(flight)
    assert flight.seats_booked == 2
    # The seat is free for the next passenger at once.
    assert [t.seat for t in make_hold(flight=flight, seats=[first.seat]).tickets.all()] == [first.seat]
    assert_counter_right(flight)


def test_cancel_refund_is_full_until_refund_full_days_before_departure_then_late_percent(settings):
    settings.REFUND_FULL_DAYS = 7
    settings.REFUND_LATE_PERCENT = 25
    flight = far_flight(price=Decimal("129.99"))
    early = make_booking(flight=flight)
    late = make_booking(flight=flight)
    last_full_moment = full_refund_until(flight.departs_at)

    with time_machine.travel(last_full_moment, tick=False):
        [early_ticket] = services.booking_cancel(user=early.user, booking_id=early.pk)
    with time_machine.travel(last_full_moment + timedelta(seconds=1), tick=False):
        [late_ticket] = services.booking_cancel(user=late.user, booking_id=late.pk)

    assert early_ticket.refund_amount == Decimal("129.99")
    assert late_ticket.refund_amount == Decimal("32.50")  # 25% of 129.99, rounded half up
    late_ticket.refresh_from_db()
    assert late_ticket.refund_amount == Decimal("32.50")
    assert Payment.objects.get(booking=late).refunded_amount == Decimal("32.50")
    assert_counter_right(flight)
    assert flight.seats_booked == 0


def test_cancel_refund_follows_the_refund_full_days_setting(settings):
    flight = FlightFactory(departs_at=timezone.now() + timedelta(days=5), price=Decimal("100.00"))
    settings.REFUND_LATE_PERCENT = 50
    settings.REFUND_FULL_DAYS = 7
    late = make_booking(flight=flight)
    [ticket] = services.booking_cancel(user=late.user, booking_id=late.pk)
    assert ticket.refund_amount == Decimal("50.00")

    settings.REFUND_FULL_DAYS = 2
    early = make_booking(flight=flight)
    [ticket] = services.booking_cancel(user=early.user, booking_id=early.pk)
    assert ticket.refund_amount == Decimal("100.00")


def test_cancelling_the_last_passenger_cancels_the_booking():
    flight = far_flight()
    booking = make_booking(flight=flight, passengers=2)
    first, second = booking.tickets.order_by("pk")

    services.booking_cancel(user=booking.user, booking_id=booking.pk, ticket_ids=[first.pk])
    booking.refresh_from_db()
    assert booking.status == Booking.Status.CONFIRMED
    services.booking_cancel(user=booking.user, booking_id=booking.pk, ticket_ids=[second.pk])

    booking.refresh_from_db()
    assert booking.status == Booking.Status.CANCELLED and booking.cancelled_at
    assert not booking.tickets.filter(status__in=Ticket.IN_USE).exists()
    assert Payment.objects.get(booking=booking).refunded_amount == booking.total_price
    assert OutboxMessage.objects.filter(template="booking_cancelled", to=booking.user.email).count() == 2
    assert_counter_right(flight)
    assert flight.seats_booked == 0


def test_cancelling_again_returns_nothing_and_changes_nothing():
    flight = far_flight()
    booking = make_booking(flight=flight, passengers=2)
    first, second = booking.tickets.order_by("pk")
    services.booking_cancel(user=booking.user, booking_id=booking.pk, ticket_ids=[first.pk])
    first.refresh_from_db()
    refunded = Payment.objects.get(booking=booking).refunded_amount
    messages = OutboxMessage.objects.count()

    assert services.booking_cancel(user=booking.user, booking_id=booking.pk, ticket_ids=[first.pk]) == []

    again = Ticket.objects.get(pk=first.pk)
    assert (again.status, again.cancelled_at, again.refund_amount) == (
        first.status,
        first.cancelled_at,
        first.refund_amount,
    )
    assert Ticket.objects.get(pk=second.pk).status == Ticket.Status.ACTIVE
    assert Payment.objects.get(booking=booking).refunded_amount == refunded
    assert OutboxMessage.objects.count() == messages
    assert_counter_right(flight)
    assert flight.seats_booked == 1

    # Once the whole booking is cancelled, a repeat of either form does nothing either.
    assert services.booking_cancel(user=booking.user, booking_id=booking.pk) == [second]
    assert services.booking_cancel(user=booking.user, booking_id=booking.pk) == []
    assert services.booking_cancel(user=booking.user, booking_id=booking.pk, ticket_ids=[second.pk]) == []
    assert Payment.objects.get(booking=booking).refunded_amount == booking.total_price
    assert_counter_right(flight)
    assert flight.seats_booked == 0


def test_cancel_after_the_cutoff_raises_cancellation_closed():
    flight = far_flight()
    in_time = make_booking(flight=flight)
    too_late = make_booking(flight=flight)
    deadline = cancellation_deadline(flight.departs_at)

    with time_machine.travel(deadline - timedelta(seconds=1), tick=False):
        assert len(services.booking_cancel(user=in_time.user, booking_id=in_time.pk)) == 1
    with time_machine.travel(deadline, tick=False), pytest.raises(CancellationClosed):
        services.booking_cancel(user=too_late.user, booking_id=too_late.pk)

    too_late.refresh_from_db()
    assert too_late.status == Booking.Status.CONFIRMED
    assert too_late.tickets.get().status == Ticket.Status.ACTIVE
    assert Payment.objects.get(booking=too_late).refunded_amount == 0
    assert_counter_right(flight)
    assert flight.seats_booked == 1


def test_cancel_with_tickets_of_another_booking_raises_booking_error():
    flight = far_flight()
    user = UserFactory()
    mine = make_booking(user=user, flight=flight, passengers=2)
    other = make_booking(user=user, flight=flight, passengers=1)
    other_ticket = other.tickets.get()

    with pytest.raises(BookingError, match="Choose the passengers"):
        services.booking_cancel(user=user, booking_id=mine.pk, ticket_ids=[mine.tickets.first().pk, other_ticket.pk])
    with pytest.raises(BookingError):
        services.booking_cancel(user=user, booking_id=mine.pk, ticket_ids=[])

    assert Ticket.objects.filter(flight=flight, status=Ticket.Status.ACTIVE).count() == 3
    assert Payment.objects.get(booking=mine).refunded_amount == 0
    assert_counter_right(flight)
    assert flight.seats_booked == 3


def test_cancel_of_a_held_booking_does_nothing():
    flight = far_flight()
    hold = make_hold(flight=flight, passengers=1)
    assert services.booking_cancel(user=hold.user, booking_id=hold.pk) == []
    hold.refresh_from_db()
    assert hold.status == Booking.Status.HELD
    assert_counter_right(flight)
    assert flight.seats_booked == 1


# Staff removing a flight


def test_flight_remove_releases_holds_and_cancels_confirmed_bookings_with_full_refund():
    # Two days out: a passenger cancelling now would get only REFUND_LATE_PERCENT back.
    flight = FlightFactory(departs_at=timezone.now() + timedelta(days=2), price=Decimal("100.00"))
    confirmed = make_booking(flight=flight, passengers=2)
    early_quitter, stayer = confirmed.tickets.order_by("pk")
    services.booking_cancel(user=confirmed.user, booking_id=confirmed.pk, ticket_ids=[early_quitter.pk])
    held = make_hold(flight=flight, passengers=2)
    lapsed = make_hold(flight=flight, passengers=1)
    Booking.objects.filter(pk=lapsed.pk).update(hold_expires_at=timezone.now() - timedelta(minutes=1))
    assert_counter_right(flight)
    assert flight.seats_booked == 4

    assert services.flight_remove(flight_id=flight.pk) == "cancelled"

    flight.refresh_from_db()
    assert flight.status == Flight.Status.CANCELLED
    assert_counter_right(flight)
    assert flight.seats_booked == 0
    for booking in (confirmed, held, lapsed):
        booking.refresh_from_db()
        assert booking.status == Booking.Status.CANCELLED and booking.cancelled_by_staff
    stayer.refresh_from_db()
    early_quitter.refresh_from_db()
    assert stayer.status == Ticket.Status.CANCELLED and stayer.refund_amount == Decimal("100.00")
    assert early_quitter.refund_amount == Decimal("50.00")  # kept from the passenger's own cancel
    assert Payment.objects.get(booking=confirmed).refunded_amount == Decimal("150.00")
    assert set(Ticket.objects.filter(booking__in=[held, lapsed]).values_list("status", "refund_amount")) == {
        (Ticket.Status.CANCELLED, None)
    }
    assert not Payment.objects.filter(booking__in=[held, lapsed]).exists()
    assert list(OutboxMessage.objects.filter(template="flight_cancelled").values_list("to", flat=True)) == [
        confirmed.user.email
    ]
    with pytest.raises(BookingClosed):
        name_all(held)
    with pytest.raises(BookingClosed):
        pay(held)


# Releasing a hold


def test_booking_release_frees_the_seats_at_once():
    flight = far_flight(capacity=2)
    hold = make_hold(flight=flight, seats=["1A", "1B"])

    released = services.booking_release(user=hold.user, booking_id=hold.pk)

    assert released.status == Booking.Status.EXPIRED
    assert set(hold.tickets.values_list("status", flat=True)) == {Ticket.Status.EXPIRED}
    assert taken_seats(flight_id=flight.pk) == set()
    assert_counter_right(flight)
    assert flight.seats_booked == 0
    assert sorted(t.seat for t in make_hold(flight=flight, seats=["1A", "1B"]).tickets.all()) == ["1A", "1B"]
    assert_counter_right(flight)
    assert flight.seats_booked == 2

    # Releasing again, or releasing a paid booking, changes nothing.
    assert services.booking_release(user=hold.user, booking_id=hold.pk).status == Booking.Status.EXPIRED
    assert_counter_right(flight)
    assert flight.seats_booked == 2
    with pytest.raises(HoldExpired):
        pay(hold)


def test_booking_release_leaves_a_paid_booking_alone():
    flight = far_flight()
    booking = make_booking(flight=flight, passengers=2)
    assert services.booking_release(user=booking.user, booking_id=booking.pk).status == Booking.Status.CONFIRMED
    assert set(booking.tickets.values_list("status", flat=True)) == {Ticket.Status.ACTIVE}
    assert_counter_right(flight)
    assert flight.seats_booked == 2


def test_booking_release_refuses_another_users_hold():
    flight = far_flight()
    hold = make_hold(flight=flight, passengers=1)
    with pytest.raises(Booking.DoesNotExist):
        services.booking_release(user=UserFactory(), booking_id=hold.pk)
    hold.refresh_from_db()
    assert hold.status == Booking.Status.HELD
    assert_counter_right(flight)
    assert flight.seats_booked == 1


# Real threads on real PostgreSQL


@pytest.mark.django_db(transaction=True)
def test_eight_concurrent_payments_of_one_hold_charge_once():
    flight = far_flight()
    hold = make_hold(flight=flight, passengers=2)
    name_all(hold)

    results = run_threads(8, lambda _: pay(hold))

    assert all(isinstance(r, Booking) for r in results), results
    assert {r.pk for r in results} == {hold.pk}
    assert {r.status for r in results} == {Booking.Status.CONFIRMED}
    assert Payment.objects.filter(booking=hold).count() == 1
    assert OutboxMessage.objects.filter(template="booking_confirmed").count() == 1
    hold.refresh_from_db()
    assert hold.status == Booking.Status.CONFIRMED
    assert set(hold.tickets.values_list("status", flat=True)) == {Ticket.Status.ACTIVE}
    assert_counter_right(flight)
    assert flight.seats_booked == 2


@pytest.mark.django_db(transaction=True)
def test_eight_concurrent_cancels_of_one_passenger_cancel_it_once():
    flight = far_flight()
    booking = make_booking(flight=flight, passengers=2)
    target, other = booking.tickets.order_by("pk")

    results = run_threads(
        8, lambda _: services.booking_cancel(user=booking.user, booking_id=booking.pk, ticket_ids=[target.pk])
    )

    assert all(isinstance(r, list) for r in results), results
    assert sorted(len(r) for r in results) == [0] * 7 + [1]
    assert Ticket.objects.get(pk=target.pk).status == Ticket.Status.CANCELLED
    assert Ticket.objects.get(pk=other.pk).status == Ticket.Status.ACTIVE
    assert Payment.objects.get(booking=booking).refunded_amount == target.price
    assert OutboxMessage.objects.filter(template="booking_cancelled").count() == 1
    assert_counter_right(flight)
    assert flight.seats_booked == 1


@pytest.mark.django_db(transaction=True)
def test_eight_concurrent_cancels_of_different_passengers_each_cancel_their_own():
    # The control for the test above: when the passengers differ, every thread does its work.
    flight = far_flight()
    booking = make_booking(flight=flight, passengers=8)
    tickets = list(booking.tickets.order_by("pk"))

    results = run_threads(
        8,
        lambda i: services.booking_cancel(user=booking.user, booking_id=booking.pk, ticket_ids=[tickets[i].pk]),
    )

    assert [[t.pk for t in r] for r in results] == [[t.pk] for t in tickets], results
    booking.refresh_from_db()
    assert booking.status == Booking.Status.CANCELLED
    assert Payment.objects.get(booking=booking).refunded_amount == booking.total_price
    assert_counter_right(flight)
    assert flight.seats_booked == 0
