"""A broker outage delays mail, never fails or loses a booking (real Celery, unreachable Redis)."""

import time

import pytest
from django.core import mail
from django.utils import timezone

from booking_site.lib.broker import publish_breaker
from bookings.services import flight_remove
from bookings.tests.factories import make_booking
from flights.tests.factories import FlightFactory
from notifications.models import OutboxMessage
from notifications.tasks import outbox_sweep
from notifications.tests.brokers import UNREACHABLE, broker

pytestmark = pytest.mark.django_db


@pytest.fixture
def broker_down():
    with broker(UNREACHABLE):  # real Celery publishing, to a port nothing listens on
        yield


def test_booking_succeeds_while_broker_is_down_and_mail_follows_with_the_sweep(
    broker_down, django_capture_on_commit_callbacks
):
    started = time.monotonic()
    with django_capture_on_commit_callbacks(execute=True):
        booking = make_booking(passengers=2)
    elapsed = time.monotonic() - started
    print(f"booking with the broker down took {elapsed:.2f}s")  # a figure, not an assertion

    booking.refresh_from_db()
    assert booking.status == booking.Status.CONFIRMED
    message = OutboxMessage.objects.get(template="booking_confirmed")
    assert message.status == OutboxMessage.Status.PENDING
    assert mail.outbox == []

    # The broker is back (beat runs the sweep through it); the sweep sends what was missed.
    OutboxMessage.objects.filter(pk=message.pk).update(next_attempt_at=timezone.now())  # the grace period is over
    assert outbox_sweep() == 1
    message.refresh_from_db()
    assert message.status == OutboxMessage.Status.SENT
    assert [m.to for m in mail.outbox] == [[booking.user.email]]


def test_removing_a_flight_with_many_bookings_while_the_broker_is_down_tries_one_publish(
    django_capture_on_commit_callbacks,
):
    flight = FlightFactory(capacity=60)
    for _ in range(25):
        make_booking(flight=flight)
    with broker(UNREACHABLE):
        with django_capture_on_commit_callbacks(execute=True):
            assert flight_remove(flight_id=flight.pk) == "cancelled"
        assert (publish_breaker.attempts, publish_breaker.skipped) == (1, 24)
    pending = OutboxMessage.objects.filter(template="flight_cancelled", status=OutboxMessage.Status.PENDING)
    assert pending.count() == 25  # all left to the sweep, none lost
