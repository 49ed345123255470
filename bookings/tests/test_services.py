import uuid
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core import mail
from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.tests.factories import UserFactory
from bookings.exceptions import BookingClosed, CancellationClosed, SoldOut
from bookings.models import Booking, Ticket
from bookings.services import REFERENCE_ALPHABET, booking_cancel, flight_remove
from bookings.tests.factories import booking_create, make_booking
from flights.models import Flight
from flights.tests.factories import FlightFactory
from notifications.models import OutboxMessage
from notifications.services import outbox_send

pytestmark = pytest.mark.django_db


def test_booking_create_assigns_front_seats_and_moves_counter():
    flight = FlightFactory(capacity=60)
    booking = make_booking(flight=flight, names=["Ada Lovelace", "Alan Turing"])
    flight.refresh_from_db()
    assert flight.seats_booked == 2
    assert [t.seat for t in booking.tickets.order_by("pk")] == ["1A", "1B"]
    assert booking.total_price == flight.price * 2
    assert booking.status == Booking.Status.CONFIRMED
    assert len(booking.reference) == 6 and set(booking.reference) <= set(REFERENCE_ALPHABET)


def test_booking_create_skips_taken_seats():
    flight = FlightFactory()
    make_booking(flight=flight, passengers=3)
    second = make_booking(flight=flight, passengers=2)
    assert sorted(t.seat for t in second.tickets.all()) == ["1D", "1E"]


def test_booking_create_raises_sold_out_when_flight_full():
    flight = FlightFactory(capacity=2)
    make_booking(flight=flight, passengers=2)
    with pytest.raises(SoldOut):
        make_booking(flight=flight, passengers=1)
    flight.refresh_from_db()
    assert flight.seats_booked == 2
    assert Booking.objects.filter(flight=flight).count() == 1


def test_booking_create_raises_sold_out_when_party_larger_than_seats_left():
    flight = FlightFactory(capacity=3)
    make_booking(flight=flight, passengers=2)
    with pytest.raises(SoldOut, match="only 1 seat left"):
        make_booking(flight=flight, passengers=2)


def test_booking_create_raises_booking_closed_for_departed_or_cancelled_flight():
    departed = FlightFactory(departs_at=timezone.now() - timedelta(hours=1))
    with pytest.raises(BookingClosed):
        make_booking(flight=departed)
    cancelled = FlightFactory(status=Flight.Status.CANCELLED)
    with pytest.raises(BookingClosed):
        make_booking(flight=cancelled)
    assert not Booking.objects.exists()


def test_booking_create_with_same_token_returns_the_first_booking():
    user, flight, token = UserFactory(), FlightFactory(), uuid.uuid4()
    first = booking_create(user=user, flight_id=flight.pk, passenger_names=["A B"], token=token)
    again = booking_create(user=user, flight_id=flight.pk, passenger_names=["A B"], token=token)
    assert again.pk == first.pk
    flight.refresh_from_db()
    assert flight.seats_booked == 1
    assert Booking.objects.count() == 1


def test_booking_create_queues_confirmation_email_in_outbox(django_capture_on_commit_callbacks):
    user = UserFactory()
    with django_capture_on_commit_callbacks(execute=True):
        booking = make_booking(user=user, passengers=2)
    message = OutboxMessage.objects.get(template="booking_confirmed")
    assert message.to == user.email
    assert message.status == OutboxMessage.Status.SENT
    assert len(mail.outbox) == 1
    assert booking.reference in mail.outbox[0].subject
    assert booking.reference in mail.outbox[0].body


def test_booking_create_rejects_zero_or_too_many_passengers():
    flight = FlightFactory()
    for names in ([], [f"P {i}" for i in range(10)]):
        with pytest.raises(SoldOut):
            booking_create(user=UserFactory(), flight_id=flight.pk, passenger_names=names, token=uuid.uuid4())
    flight.refresh_from_db()
    assert flight.seats_booked == 0


def test_booking_cancel_returns_seats_and_keeps_history(django_capture_on_commit_callbacks):
    booking = make_booking(passengers=3)
    with django_capture_on_commit_callbacks(execute=True):
        booking_cancel(user=booking.user, booking_id=booking.pk)
    booking.refresh_from_db()
    booking.flight.refresh_from_db()
    assert booking.status == Booking.Status.CANCELLED and booking.cancelled_at
    assert booking.flight.seats_booked == 0
    assert booking.tickets.filter(status=Ticket.Status.ACTIVE).count() == 0
    assert booking.tickets.count() == 3
    assert OutboxMessage.objects.filter(template="booking_cancelled", to=booking.user.email).exists()


def test_cancellation_email_states_the_refund_in_the_sites_currency(settings):
    settings.CURRENCY = "EUR"
    flight = FlightFactory(price=Decimal("1234.50"), departs_at=timezone.now() + timedelta(days=60))
    booking = make_booking(flight=flight, passengers=1)
    booking_cancel(user=booking.user, booking_id=booking.pk)
    message = OutboxMessage.objects.get(template="booking_cancelled")
    assert outbox_send(message_id=message.pk) is True
    assert (
        "A refund of 1,234.50 EUR is on its way to your Visa card ending 4242. "
        "It usually arrives within 5–10 working days." in mail.outbox[-1].body
    )
    assert "<strong>1,234.50 EUR</strong>" in mail.outbox[-1].alternatives[0][0]


def test_cancellation_email_written_before_the_refund_carried_its_currency_still_reads_right():
    # A row written by the previous release (refund and currency apart) and sent by this one.
    message = OutboxMessage.objects.create(
        to="ada@example.test",
        template="booking_cancelled",
        context={"name": "Ada", "refund": "12.50", "currency": "EUR", "still_flying": False},
    )
    assert outbox_send(message_id=message.pk) is True
    assert "A refund of 12.50 EUR is on its way to your card." in mail.outbox[-1].body


def test_booking_cancel_twice_releases_seats_once():
    flight = FlightFactory()
    booking = make_booking(flight=flight, passengers=2)
    make_booking(flight=flight, passengers=1)
    booking_cancel(user=booking.user, booking_id=booking.pk)
    booking_cancel(user=booking.user, booking_id=booking.pk)
    flight.refresh_from_db()
    assert flight.seats_booked == 1
    assert OutboxMessage.objects.filter(template="booking_cancelled").count() == 1


def test_cancelled_seats_can_be_booked_again():
    flight = FlightFactory(capacity=1)
    booking = make_booking(flight=flight)
    booking_cancel(user=booking.user, booking_id=booking.pk)
    again = make_booking(flight=flight)
    assert again.tickets.get().seat == "1A"


def test_booking_cancel_refuses_other_users_booking():
    booking = make_booking()
    with pytest.raises(Booking.DoesNotExist):
        booking_cancel(user=UserFactory(), booking_id=booking.pk)
    booking.refresh_from_db()
    assert booking.status == Booking.Status.CONFIRMED


def test_booking_cancel_raises_after_departure():
    flight = FlightFactory()
    booking = make_booking(flight=flight)
    Flight.objects.filter(pk=flight.pk).update(departs_at=timezone.now() - timedelta(minutes=5))
    with pytest.raises(CancellationClosed):
        booking_cancel(user=booking.user, booking_id=booking.pk)
    flight.refresh_from_db()
    assert flight.seats_booked == 1


def test_flight_remove_deletes_a_flight_nobody_booked():
    flight = FlightFactory()
    assert flight_remove(flight_id=flight.pk) == "deleted"
    assert not Flight.objects.filter(pk=flight.pk).exists()


def test_flight_remove_cancels_booked_flight_and_tells_passengers(django_capture_on_commit_callbacks):
    flight = FlightFactory()
    first, second = make_booking(flight=flight, passengers=2), make_booking(flight=flight)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        assert flight_remove(flight_id=flight.pk) == "cancelled"
    flight.refresh_from_db()
    assert flight.status == Flight.Status.CANCELLED
    assert flight.seats_booked == 0
    for booking in (first, second):
        booking.refresh_from_db()
        assert booking.status == Booking.Status.CANCELLED and booking.cancelled_by_staff
    assert sorted(m.to[0] for m in mail.outbox) == sorted([first.user.email, second.user.email])
    assert Ticket.objects.filter(flight=flight).count() == 3


def test_flight_remove_keeps_a_flight_whose_bookings_were_all_cancelled():
    booking = make_booking()
    booking_cancel(user=booking.user, booking_id=booking.pk)
    assert flight_remove(flight_id=booking.flight_id) == "cancelled"
    assert Flight.objects.filter(pk=booking.flight_id).exists()


def test_database_rejects_counter_above_capacity():
    flight = FlightFactory(capacity=2)
    with pytest.raises(IntegrityError), transaction.atomic():
        Flight.objects.filter(pk=flight.pk).update(seats_booked=3)


def test_database_rejects_negative_counter():
    flight = FlightFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        Flight.objects.filter(pk=flight.pk).update(seats_booked=-1)


def test_database_rejects_two_active_tickets_on_one_seat():
    booking = make_booking()
    ticket = booking.tickets.get()
    with pytest.raises(IntegrityError), transaction.atomic():
        Ticket.objects.create(booking=booking, flight=booking.flight, passenger_name="X Y", seat=ticket.seat, price=1)


def test_database_allows_a_seat_again_once_its_ticket_is_cancelled():
    booking = make_booking()
    ticket = booking.tickets.get()
    Ticket.objects.filter(pk=ticket.pk).update(status=Ticket.Status.CANCELLED)
    Ticket.objects.create(booking=booking, flight=booking.flight, passenger_name="X Y", seat=ticket.seat, price=1)


def test_a_party_sits_together_and_a_freed_seat_goes_to_someone_travelling_alone():
    flight = FlightFactory()
    first = make_booking(flight=flight, passengers=1)
    make_booking(flight=flight, passengers=2)  # 1B, 1C
    booking_cancel(user=first.user, booking_id=first.pk)  # 1A is a hole now
    pair = make_booking(flight=flight, passengers=2)
    assert sorted(t.seat for t in pair.tickets.all()) == ["1D", "1E"]  # side by side, not 1A + 1D
    single = make_booking(flight=flight, passengers=1)
    assert [t.seat for t in single.tickets.all()] == ["1A"]  # the front fills first


def test_large_cabin_books_seats_after_the_last_sold():
    flight = FlightFactory(capacity=600)
    for _ in range(5):
        make_booking(flight=flight, passengers=4)
    booking = make_booking(flight=flight, passengers=3)
    assert [t.seat for t in booking.tickets.order_by("pk")] == ["4C", "4D", "4E"]
