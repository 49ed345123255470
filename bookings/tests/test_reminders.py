"""Departure reminders: the 24-hour window in UTC, exactly once per booking, DST, races."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.conf import settings
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext

from bookings import services
from bookings.services.reminders import departure_reminders_send, reminder_dedupe_key
from bookings.tasks import departure_reminders_send as departure_reminders_task
from bookings.tests.factories import make_booking, make_hold
from bookings.tests.threads import run_threads
from flights.tests.factories import AirportFactory, FlightFactory
from notifications.models import OutboxMessage

pytestmark = pytest.mark.django_db

# A fixed "today" far from any DST change, so only the tests that want one meet one.
BASE = datetime(2027, 6, 1, 8, 0, tzinfo=UTC)


def _reminders() -> list[OutboxMessage]:
    return list(OutboxMessage.objects.filter(template="departure_reminder").order_by("pk"))


def _booked(time_machine, *, departs_at: datetime, booked_at: datetime, origin=None, **booking):
    """A confirmed booking made at `booked_at` on a flight leaving at `departs_at`."""
    time_machine.move_to(booked_at, tick=False)
    flight = FlightFactory(departs_at=departs_at, **({"origin": origin} if origin else {}))
    return make_booking(flight=flight, **booking)


def test_reminder_goes_out_once_just_inside_24_hours_before_departure(time_machine):
    departs = BASE + timedelta(days=5)
    booking = _booked(time_machine, departs_at=departs, booked_at=BASE)
    time_machine.move_to(departs - timedelta(hours=24, minutes=5))
    assert departure_reminders_send() == 0
    time_machine.move_to(departs - timedelta(hours=23, minutes=55))
    assert departure_reminders_send() == 1
    time_machine.move_to(departs - timedelta(hours=23, minutes=40))
    assert departure_reminders_send() == 0  # the next run: already reminded
    [reminder] = _reminders()
    assert reminder.dedupe_key == f"reminder:{booking.pk}:{departs:%Y%m%dT%H%M}"
    assert reminder.to == booking.user.email and reminder.user_id == booking.user_id


def test_a_flight_moved_after_its_reminder_is_reminded_again_before_its_new_time(time_machine):
    from flights.models import Flight

    departs = BASE + timedelta(days=5)
    booking = _booked(time_machine, departs_at=departs, booked_at=BASE)
    time_machine.move_to(departs - timedelta(hours=23, minutes=55))
    assert departure_reminders_send() == 1
    from django.db import transaction
    from django.utils import timezone

    from bookings.services.reminders import _due_reminders

    with transaction.atomic():  # the query itself skips it now, not only the outbox's unique key
        assert list(_due_reminders(now=timezone.now(), after_id=0, limit=10)) == []
    later = departs + timedelta(days=3)
    Flight.objects.filter(pk=booking.flight_id).update(departs_at=later, arrives_at=later + timedelta(hours=3))
    assert departure_reminders_send() == 0  # more than a day away now
    time_machine.move_to(later - timedelta(hours=23, minutes=55))
    assert departure_reminders_send() == 1
    time_machine.move_to(later - timedelta(hours=23, minutes=40))
    assert departure_reminders_send() == 0
    assert [r.dedupe_key for r in _reminders()] == [
        f"reminder:{booking.pk}:{departs:%Y%m%dT%H%M}",
        f"reminder:{booking.pk}:{later:%Y%m%dT%H%M}",
    ]


def test_reminder_email_has_local_time_zone_seats_passengers_absolute_links_and_guidance(
    time_machine, django_capture_on_commit_callbacks
):
    origin = AirportFactory(iata="QLD", name="Heathrow", city="London", tz="Europe/London")
    departs = datetime(2027, 7, 10, 9, 30, tzinfo=UTC)  # 10:30 BST
    booking = _booked(
        time_machine, departs_at=departs, booked_at=BASE, origin=origin, names=["Ada Lovelace", "Alan Turing"]
    )
    time_machine.move_to(departs - timedelta(hours=23, minutes=50))
    with django_capture_on_commit_callbacks(execute=True):
        departure_reminders_send()
    [email] = mail.outbox
    tickets = list(booking.tickets.order_by("pk"))
    text, html = email.body, email.alternatives[0][0]
    assert booking.reference in email.subject and "Sat 10 Jul 2027, 10:30 BST" in email.subject
    for part in (text, html):
        assert "Sat 10 Jul 2027, 10:30 BST" in part
        assert "Heathrow (QLD)" in part and "08:30 BST" in part  # be at the airport 2 h before
        assert "Ada Lovelace" in part and "Alan Turing" in part
        for ticket in tickets:
            assert ticket.seat in part
            assert f"{settings.SITE_URL}/bookings/{booking.reference}/tickets/{ticket.pk}/" in part
        assert f"{settings.SITE_URL}/bookings/{booking.reference}/" in part
        assert f"{settings.SITE_URL}/bookings/{booking.reference}/calendar.ics" in part
        assert "check in" in part and "photo ID" in part


def test_reminder_names_only_the_passengers_still_flying(time_machine):
    departs = BASE + timedelta(days=10)
    booking = _booked(time_machine, departs_at=departs, booked_at=BASE, names=["Ada Lovelace", "Alan Turing"])
    alan = booking.tickets.get(passenger_name="Alan Turing")
    services.booking_cancel(user=booking.user, booking_id=booking.pk, ticket_ids=[alan.pk])
    time_machine.move_to(departs - timedelta(hours=23))
    assert departure_reminders_send() == 1
    [reminder] = _reminders()
    assert [p["name"] for p in reminder.context["passengers"]] == ["Ada Lovelace"]


def test_london_autumn_clock_change_reminds_24_real_hours_before_not_the_same_wall_time(time_machine):
    # Clocks go back at 01:00 UTC on Sun 25 Oct 2026. The flight leaves at 01:30 UTC = 01:30 GMT.
    # "The same local time the day before" would be 01:30 BST = 00:30 UTC, 25 real hours before.
    origin = AirportFactory(iata="QLA", name="Gatwick", city="London", tz="Europe/London")
    departs = datetime(2026, 10, 25, 1, 30, tzinfo=UTC)
    _booked(time_machine, departs_at=departs, booked_at=datetime(2026, 10, 18, 12, tzinfo=UTC), origin=origin)
    time_machine.move_to(datetime(2026, 10, 24, 0, 45, tzinfo=UTC))  # 24 h 45 min before
    assert departure_reminders_send() == 0
    time_machine.move_to(datetime(2026, 10, 24, 1, 35, tzinfo=UTC))  # 23 h 55 min before
    assert departure_reminders_send() == 1
    [reminder] = _reminders()
    assert reminder.context["departs"] == "Sun 25 Oct 2026, 01:30 GMT"
    # Two hours before, in UTC, shown in London time: before the change, so BST.
    assert reminder.context["be_at_airport"] == "00:30 BST"


def test_new_york_spring_clock_change_reminds_24_real_hours_before_not_the_same_wall_time(time_machine):
    # Clocks go forward at 07:00 UTC on Sun 14 Mar 2027. The flight leaves at 08:00 EDT = 12:00 UTC.
    # "The same local time the day before" would be 08:00 EST = 13:00 UTC, 23 real hours before.
    origin = AirportFactory(iata="QNY", name="Kennedy", city="New York", country="US", tz="America/New_York")
    departs = datetime(2027, 3, 14, 12, 0, tzinfo=UTC)
    _booked(time_machine, departs_at=departs, booked_at=datetime(2027, 3, 1, 12, tzinfo=UTC), origin=origin)
    time_machine.move_to(datetime(2027, 3, 13, 11, 50, tzinfo=UTC))  # 24 h 10 min before
    assert departure_reminders_send() == 0
    time_machine.move_to(datetime(2027, 3, 13, 12, 5, tzinfo=UTC))  # 23 h 55 min before
    assert departure_reminders_send() == 1
    [reminder] = _reminders()
    assert reminder.context["departs"] == "Sun 14 Mar 2027, 08:00 EDT"
    assert reminder.context["be_at_airport"] == "06:00 EDT"


def test_a_late_run_still_reminds_until_an_hour_before_departure(time_machine):
    departs = BASE + timedelta(days=3)
    early = _booked(time_machine, departs_at=departs, booked_at=BASE)
    later = _booked(time_machine, departs_at=departs + timedelta(hours=2), booked_at=BASE)
    # Beat was down for 21 hours: the first run after it still finds both.
    time_machine.move_to(departs - timedelta(hours=1, minutes=5))
    assert departure_reminders_send() == 2
    assert {m.dedupe_key for m in _reminders()} == {
        reminder_dedupe_key(early.pk, early.flight.departs_at),
        reminder_dedupe_key(later.pk, later.flight.departs_at),
    }


def test_no_reminder_within_the_last_hour_before_departure(time_machine):
    departs = BASE + timedelta(days=3)
    _booked(time_machine, departs_at=departs, booked_at=BASE)
    time_machine.move_to(departs - timedelta(minutes=55))
    assert departure_reminders_send() == 0


def test_no_reminder_for_a_flight_that_has_left(time_machine):
    departs = BASE + timedelta(days=3)
    _booked(time_machine, departs_at=departs, booked_at=BASE)
    time_machine.move_to(departs + timedelta(hours=1))
    assert departure_reminders_send() == 0
    assert _reminders() == []


def test_no_reminder_for_a_cancelled_booking(time_machine):
    departs = BASE + timedelta(days=3)
    booking = _booked(time_machine, departs_at=departs, booked_at=BASE)
    services.booking_cancel(user=booking.user, booking_id=booking.pk)
    time_machine.move_to(departs - timedelta(hours=20))
    assert departure_reminders_send() == 0


def test_no_reminder_for_a_cancelled_flight(time_machine):
    departs = BASE + timedelta(days=3)
    booking = _booked(time_machine, departs_at=departs, booked_at=BASE)
    services.flight_remove(flight_id=booking.flight_id)
    time_machine.move_to(departs - timedelta(hours=20))
    assert departure_reminders_send() == 0
    assert OutboxMessage.objects.filter(template="flight_cancelled").count() == 1


def test_no_reminder_for_seats_only_held(time_machine):
    departs = BASE + timedelta(days=3)
    time_machine.move_to(departs - timedelta(hours=20, minutes=5), tick=False)
    make_hold(flight=FlightFactory(departs_at=departs))
    time_machine.move_to(departs - timedelta(hours=20))
    assert departure_reminders_send() == 0


@pytest.mark.parametrize(
    ("booked_before_departure", "reminded"),
    [
        (timedelta(hours=25, minutes=10), True),  # more than an hour before the window opened
        (timedelta(hours=24, minutes=30), False),  # its confirmation is half an hour old
        (timedelta(hours=6), False),  # booked inside the window
    ],
)
def test_a_booking_made_less_than_an_hour_before_its_window_gets_no_reminder(
    time_machine, booked_before_departure, reminded
):
    departs = BASE + timedelta(days=3)
    _booked(time_machine, departs_at=departs, booked_at=departs - booked_before_departure)
    time_machine.move_to(departs - timedelta(hours=2))
    assert departure_reminders_send() == int(reminded)


def test_the_beat_task_is_scheduled_every_15_minutes_and_sends(time_machine):
    [entry] = [e for e in settings.CELERY_BEAT_SCHEDULE.values() if e["task"] == departure_reminders_task.name]
    assert entry["schedule"] == 15 * 60
    departs = BASE + timedelta(days=3)
    _booked(time_machine, departs_at=departs, booked_at=BASE)
    time_machine.move_to(departs - timedelta(hours=12))
    assert departure_reminders_task.delay().get() == 1


def _reads(queries) -> int:
    """Queries other than the outbox writes (a fixed few per message, inside savepoints)."""
    return sum(
        1
        for q in queries
        if "notifications_outboxmessage" not in q["sql"].split(" WHERE ")[0]
        and not q["sql"].startswith(("SAVEPOINT", "RELEASE SAVEPOINT"))
    )


def test_candidates_are_read_in_one_query_plus_one_prefetch_however_many(time_machine):
    departs = BASE + timedelta(days=3)
    _booked(time_machine, departs_at=departs, booked_at=BASE)
    time_machine.move_to(departs - timedelta(hours=12))
    with CaptureQueriesContext(connection) as one:
        assert departure_reminders_send() == 1
    for hours in range(5):  # different flights and airports, up to three passengers each
        _booked(time_machine, departs_at=departs + timedelta(hours=hours), booked_at=BASE, passengers=1 + hours % 3)
    time_machine.move_to(departs - timedelta(hours=12))
    with CaptureQueriesContext(connection) as five:
        assert departure_reminders_send() == 5
    assert _reads(five.captured_queries) == _reads(one.captured_queries)
    # Four more messages cost four outbox writes each (exists check, savepoint, insert, release).
    assert len(five.captured_queries) - len(one.captured_queries) == 4 * 4


def test_batches_together_remind_every_booking_once(time_machine):
    departs = BASE + timedelta(days=3)
    for hours in range(5):
        _booked(time_machine, departs_at=departs + timedelta(hours=hours), booked_at=BASE)
    time_machine.move_to(departs - timedelta(hours=12))
    assert departure_reminders_send(batch_size=2) == 5
    assert departure_reminders_send(batch_size=2) == 0
    assert len(_reminders()) == 5


@pytest.mark.django_db(transaction=True)
def test_two_runs_at_once_remind_each_booking_once():
    """Two beats (or a re-delivered task) firing together, on real PostgreSQL connections."""
    now = datetime.now(UTC)
    departs = now + timedelta(hours=12)
    with time_machine.travel(now - timedelta(days=3), tick=False):
        bookings = [make_booking(flight=FlightFactory(departs_at=departs + timedelta(minutes=i))) for i in range(12)]
    results = run_threads(2, lambda _: departure_reminders_send(batch_size=3))
    assert [result for result in results if isinstance(result, Exception)] == []
    assert sum(results) == len(bookings)
    keys = sorted(m.dedupe_key for m in _reminders())
    assert keys == sorted(reminder_dedupe_key(b.pk, b.flight.departs_at) for b in bookings)
    assert len([m for m in mail.outbox if m.subject.startswith("Reminder:")]) == len(bookings)
    assert departure_reminders_send() == 0
