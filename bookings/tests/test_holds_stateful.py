"""Random sequences of checkout steps on a small flight keep the seats right.

A hypothesis state machine holds, pays (sometimes with a declined card), lets holds lapse,
sweeps them, releases and cancels, predicting each outcome from the database before the call,
and checks the seat invariants after every step.
"""

import uuid
from collections import Counter
from datetime import timedelta

import pytest
from django.db.models import Count, Q
from django.utils import timezone
from hypothesis import HealthCheck, event
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule, run_state_machine_as_test

from accounts.tests.factories import UserFactory
from bookings import services
from bookings.exceptions import (
    CheckoutIncomplete,
    HoldExpired,
    HoldLimitReached,
    PaymentDeclined,
    SeatTaken,
    SeatUnknown,
    SoldOut,
)
from bookings.models import Booking, Payment, Ticket
from bookings.selectors import taken_seats
from bookings.services import Passenger
from bookings.tests.factories import DECLINED_CARD, TEST_CARD
from flights.models import Flight
from flights.seating import seat_labels
from flights.tests.factories import FlightFactory

pytestmark = pytest.mark.django_db

CAPACITY = 8
LAYOUT = "2-2"  # 1A 1C 1D 1F 2A 2C 2D 2F
LABELS = seat_labels(CAPACITY, LAYOUT)

# A party of 1-3 (drawn first, so parties of two and three are as common as one), each
# passenger with a chosen seat or None for the site's choice.
seat_choices = st.integers(1, 3).flatmap(
    lambda size: st.lists(st.one_of(st.none(), st.sampled_from(LABELS)), min_size=size, max_size=size)
)


class CheckoutMachine(RuleBasedStateMachine):
    def __init__(self):
        super().__init__()
        # Far enough out that any passenger may cancel; a flight of its own per example.
        self.flight = FlightFactory(capacity=CAPACITY, layout=LAYOUT, departs_at=timezone.now() + timedelta(days=30))
        self.users = UserFactory.create_batch(3)

    # What the rules choose from, read from the database.

    def bookings(self, status: str):
        return Booking.objects.filter(flight=self.flight, status=status).order_by("pk")

    def live_holds(self):
        return self.bookings(Booking.Status.HELD).filter(hold_expires_at__gt=timezone.now())

    def confirmed_with_passengers(self):
        return self.bookings(Booking.Status.CONFIRMED).filter(tickets__status=Ticket.Status.ACTIVE).distinct()

    def has_holds(self) -> bool:
        return self.bookings(Booking.Status.HELD).exists()

    def has_live_holds(self) -> bool:
        return self.live_holds().exists()

    def has_confirmed(self) -> bool:
        return self.confirmed_with_passengers().exists()

    def in_use(self) -> int:
        return Ticket.objects.filter(flight=self.flight, status__in=Ticket.IN_USE).count()

    # Rules

    @rule(user=st.integers(0, 2), chosen=seat_choices)
    def hold(self, user, chosen):
        taken = taken_seats(flight_id=self.flight.pk)
        wanted = [label for label in chosen if label]
        try:
            booking = services.booking_hold(
                user=self.users[user], flight_id=self.flight.pk, seats=chosen, token=uuid.uuid4()
            )
        except HoldLimitReached:
            event("hold: limit reached")
            open_here = self.live_holds().filter(user=self.users[user]).count()
            assert open_here >= HOLDS_PER_FLIGHT, open_here
            return
        except SoldOut:
            event("hold: sold out")
            assert CAPACITY - len(taken) < len(chosen), (taken, chosen)
            return
        except SeatUnknown:
            event("hold: same seat twice")
            assert CAPACITY - len(taken) >= len(chosen)
            assert len(set(wanted)) < len(wanted), chosen
            return
        except SeatTaken as error:
            event("hold: seat taken")
            assert CAPACITY - len(taken) >= len(chosen)
            assert len(set(wanted)) == len(wanted)
            assert error.seats and set(error.seats) <= taken & set(wanted), (error.seats, taken, chosen)
            return
        event("hold: held")
        assert self.live_holds().filter(user=self.users[user]).count() <= HOLDS_PER_FLIGHT
        assert CAPACITY - len(taken) >= len(chosen), (taken, chosen)
        assert len(set(wanted)) == len(wanted)
        assert not taken & set(wanted)
        assert booking.status == Booking.Status.HELD and booking.hold_expires_at > timezone.now()
        seats = list(booking.tickets.order_by("pk").values_list("seat", flat=True))
        assert len(seats) == len(chosen) == booking.seat_count
        assert all(label is None or label == seat for label, seat in zip(chosen, seats, strict=True))
        assert not taken & set(seats), (taken, seats)

    @precondition(has_holds)
    @rule(data=st.data(), declined=st.booleans())
    def name_and_pay(self, data, declined):
        self.pay(data.draw(st.sampled_from(list(self.bookings(Booking.Status.HELD)))), True, declined)

    @precondition(has_holds)
    @rule(data=st.data(), declined=st.booleans())
    def pay_without_naming(self, data, declined):
        # Names may be there from an earlier declined attempt; otherwise checkout is incomplete.
        self.pay(data.draw(st.sampled_from(list(self.bookings(Booking.Status.HELD)))), False, declined)

    def pay(self, booking, name_first, declined):
        lapsed = booking.hold_expires_at <= timezone.now()
        if name_first:
            try:
                services.booking_set_passengers(
                    user=booking.user,
                    booking_id=booking.pk,
                    passengers=[Passenger(first_names="Ada", last_name=f"L{i}") for i in range(booking.seat_count)],
                )
            except HoldExpired:
                event("pay: lapsed before naming")
                assert lapsed
                return
        unnamed = booking.tickets.filter(status=Ticket.Status.HELD, last_name="").exists()
        card = DECLINED_CARD if declined else TEST_CARD
        try:
            paid = services.booking_pay(user=booking.user, booking_id=booking.pk, card=card)
        except HoldExpired:
            event("pay: lapsed")
            assert lapsed
            return
        except CheckoutIncomplete:
            event("pay: names missing")
            assert not lapsed and unnamed
            return
        except PaymentDeclined:
            event("pay: declined")
            assert not lapsed and not unnamed and declined
            booking.refresh_from_db()
            assert booking.status == Booking.Status.HELD
            assert not Payment.objects.filter(booking=booking).exists()
            return
        event("pay: confirmed")
        assert not lapsed and not unnamed and not declined
        assert paid.status == Booking.Status.CONFIRMED
        assert set(paid.tickets.values_list("status", flat=True)) == {Ticket.Status.ACTIVE}

    @precondition(has_live_holds)
    @rule(data=st.data(), sweep=st.booleans())
    def expire(self, data, sweep):
        booking = data.draw(st.sampled_from(list(self.live_holds())))
        # Time passes for this one hold.
        Booking.objects.filter(pk=booking.pk).update(hold_expires_at=timezone.now() - timedelta(seconds=1))
        assert not taken_seats(flight_id=self.flight.pk) & set(booking.tickets.values_list("seat", flat=True))
        if not sweep:
            return
        event("expire: swept")
        # The sweep is site-wide: earlier examples' flights may hold lapsed seats too.
        lapsed_everywhere = Ticket.objects.filter(
            status=Ticket.Status.HELD,
            booking__status=Booking.Status.HELD,
            booking__hold_expires_at__lte=timezone.now(),
        ).count()
        live_before = set(self.live_holds().values_list("pk", flat=True))
        assert services.holds_expire() == lapsed_everywhere
        assert services.holds_expire() == 0
        assert not self.bookings(Booking.Status.HELD).filter(hold_expires_at__lte=timezone.now()).exists()
        assert set(self.bookings(Booking.Status.HELD).values_list("pk", flat=True)) == live_before
        booking.refresh_from_db()
        assert booking.status == Booking.Status.EXPIRED

    @precondition(has_confirmed)
    @rule(data=st.data())
    def cancel_some(self, data):
        booking = data.draw(st.sampled_from(list(self.confirmed_with_passengers())))
        active = list(booking.tickets.filter(status=Ticket.Status.ACTIVE).order_by("pk").values_list("pk", flat=True))
        # Mostly a strict subset: the others must stay confirmed.
        most = len(active) - 1 if len(active) > 1 and data.draw(st.booleans()) else len(active)
        chosen = data.draw(st.lists(st.sampled_from(active), min_size=1, max_size=most, unique=True))
        before = self.in_use()
        cancelled = services.booking_cancel(user=booking.user, booking_id=booking.pk, ticket_ids=chosen)
        assert sorted(t.pk for t in cancelled) == sorted(chosen)
        assert self.in_use() == before - len(chosen)
        booking.refresh_from_db()
        left = len(active) - len(chosen)
        event("cancel some: booking cancelled" if not left else "cancel some: others kept")
        assert booking.status == (Booking.Status.CONFIRMED if left else Booking.Status.CANCELLED)
        assert booking.tickets.filter(status=Ticket.Status.ACTIVE).count() == left
        # A repeat does nothing.
        assert services.booking_cancel(user=booking.user, booking_id=booking.pk, ticket_ids=chosen) == []
        assert self.in_use() == before - len(chosen)

    @precondition(has_confirmed)
    @rule(data=st.data())
    def cancel_all(self, data):
        booking = data.draw(st.sampled_from(list(self.confirmed_with_passengers())))
        active = set(booking.tickets.filter(status=Ticket.Status.ACTIVE).values_list("pk", flat=True))
        before = self.in_use()
        cancelled = services.booking_cancel(user=booking.user, booking_id=booking.pk)
        event("cancel all")
        assert {t.pk for t in cancelled} == active
        assert self.in_use() == before - len(active)
        booking.refresh_from_db()
        assert booking.status == Booking.Status.CANCELLED
        payment = Payment.objects.get(booking=booking)
        assert payment.refunded_amount == sum(t.refund_amount for t in booking.tickets.all())
        assert services.booking_cancel(user=booking.user, booking_id=booking.pk) == []

    @precondition(has_holds)
    @rule(data=st.data())
    def release(self, data):
        booking = data.draw(st.sampled_from(list(self.bookings(Booking.Status.HELD))))
        seats = set(booking.tickets.values_list("seat", flat=True))
        before = self.in_use()
        event("release")
        released = services.booking_release(user=booking.user, booking_id=booking.pk)
        assert released.status == Booking.Status.EXPIRED
        assert self.in_use() == before - booking.seat_count
        assert not taken_seats(flight_id=self.flight.pk) & seats

    # Invariants, read from the database after every step

    @invariant()
    def counter_is_the_tickets_in_use(self):
        flight = Flight.objects.get(pk=self.flight.pk)
        assert flight.seats_booked == self.in_use()

    @invariant()
    def seats_live_within_capacity(self):
        live = Ticket.objects.filter(
            Q(status=Ticket.Status.ACTIVE) | Q(status=Ticket.Status.HELD, booking__hold_expires_at__gt=timezone.now()),
            flight=self.flight,
        ).count()
        assert live <= CAPACITY
        assert live == len(taken_seats(flight_id=self.flight.pk))

    @invariant()
    def no_seat_used_twice(self):
        seats = Ticket.objects.filter(flight=self.flight, status__in=Ticket.IN_USE).values_list("seat", flat=True)
        assert [seat for seat, n in Counter(seats).items() if n > 1] == []

    @invariant()
    def confirmed_bookings_have_one_payment_and_unpaid_ones_none(self):
        bookings = Booking.objects.filter(flight=self.flight).annotate(payments=Count("payment"))
        for status, payments in bookings.values_list("status", "payments"):
            if status == Booking.Status.CONFIRMED:
                assert payments == 1
            elif status in (Booking.Status.HELD, Booking.Status.EXPIRED):
                assert payments == 0

    @invariant()
    def tickets_match_their_booking(self):
        tickets = Ticket.objects.filter(flight=self.flight)
        assert not tickets.filter(status=Ticket.Status.HELD).exclude(booking__status=Booking.Status.HELD).exists()
        assert (
            not tickets.filter(status=Ticket.Status.ACTIVE).exclude(booking__status=Booking.Status.CONFIRMED).exists()
        )
        assert not tickets.filter(booking__status=Booking.Status.HELD).exclude(status=Ticket.Status.HELD).exists()


# Two open checkouts per passenger on the flight, so the machine still reaches states with
# several holds of one passenger, and the limit refusing the third.
HOLDS_PER_FLIGHT = 2


def test_random_checkout_steps_keep_the_seats_right(settings):
    settings.HOLD_LIMIT_PER_FLIGHT = HOLDS_PER_FLIGHT
    run_state_machine_as_test(
        CheckoutMachine,
        settings=hypothesis_settings(
            max_examples=25,
            stateful_step_count=25,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow],
            database=None,  # no example database written into the working tree
        ),
    )
