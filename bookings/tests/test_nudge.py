"""The evening nudge about new routes (bookings/services/nudge.py), with the clock moved by time-machine.

London changes clocks on Sunday 25 October 2026: 19:00 local is 18:00 UTC before, 19:00 UTC after.
"""

from datetime import datetime, timedelta
from decimal import Decimal
from urllib.parse import parse_qs, urlsplit
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.conf import settings as django_settings
from django.core import mail
from django.utils import timezone

from accounts.models import User
from accounts.tests.factories import StaffFactory, UserFactory
from accounts.unsubscribe import unsubscribe_user
from bookings import services
from bookings.services.nudge import nudges_send
from bookings.tasks import evening_nudge_send
from bookings.tests.factories import make_booking
from flights.models import Flight
from flights.tests.factories import AirportFactory, FlightFactory
from notifications.models import OutboxMessage

pytestmark = pytest.mark.django_db

LONDON = ZoneInfo("Europe/London")
UTC = ZoneInfo("UTC")


def london(*args) -> datetime:
    return datetime(*args, tzinfo=LONDON)


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _nudge_settings(settings):
    settings.NUDGE_HOUR = 19
    settings.NUDGE_TIME_ZONE = "Europe/London"
    settings.NUDGE_QUIET_DAYS = 7
    settings.CURRENCY = "EUR"


@pytest.fixture
def airports():
    return {
        "LHR": AirportFactory(iata="LHR", city="London", tz="Europe/London"),
        "JFK": AirportFactory(iata="JFK", city="New York", tz="America/New_York"),
        "CDG": AirportFactory(iata="CDG", city="Paris", tz="Europe/Paris"),
        "MAD": AirportFactory(iata="MAD", city="Madrid", tz="Europe/Madrid"),
        "NRT": AirportFactory(iata="NRT", city="Tokyo", tz="Asia/Tokyo"),
        "SYD": AirportFactory(iata="SYD", city="Sydney", tz="Australia/Sydney"),
        "DXB": AirportFactory(iata="DXB", city="Dubai", tz="Asia/Dubai"),
    }


def passenger_joined(moment: datetime, **fields) -> User:
    """A passenger who signed up (and was last seen) at `moment`."""
    with time_machine.travel(moment, tick=False):
        return UserFactory(date_joined=timezone.now(), **fields)


def route_opened(moment: datetime, origin, destination, *, departs_in=timedelta(days=60), **fields) -> Flight:
    """A flight added to the schedule at `moment` (its created_at), departing later."""
    with time_machine.travel(moment, tick=False):
        return FlightFactory(origin=origin, destination=destination, departs_at=timezone.now() + departs_in, **fields)


def run_at(moment: datetime) -> int:
    with time_machine.travel(moment, tick=False):
        return nudges_send()


def nudges_for(user: User) -> list[OutboxMessage]:
    return list(OutboxMessage.objects.filter(user_id=user.pk, template="evening_nudge").order_by("pk"))


def test_nudge_fires_at_the_local_hour_on_both_sides_of_the_clock_change(airports):
    ada = passenger_joined(utc(2026, 9, 1, 12))
    route_opened(utc(2026, 10, 1, 12), airports["LHR"], airports["JFK"])

    # Summer time: 19:00 in London is 18:00 UTC; 19:00 UTC is already 20:00 there.
    assert run_at(utc(2026, 10, 20, 17, 59)) == 0
    assert run_at(utc(2026, 10, 20, 19, 0)) == 0
    assert run_at(utc(2026, 10, 20, 18, 0)) == 1
    assert nudges_for(ada)[0].dedupe_key == f"nudge:{ada.pk}:2026-10-20"

    # After the clocks go back (25 October): 18:00 UTC is 18:00 in London, too early.
    route_opened(utc(2026, 10, 26, 9), airports["LHR"], airports["CDG"])
    assert run_at(utc(2026, 10, 27, 18, 0)) == 0
    assert run_at(utc(2026, 10, 27, 19, 0)) == 1
    assert [m.dedupe_key for m in nudges_for(ada)] == [f"nudge:{ada.pk}:2026-10-20", f"nudge:{ada.pk}:2026-10-27"]


def test_nudge_runs_through_the_beat_task_at_the_local_hour(airports):
    [entry] = [e for e in django_settings.CELERY_BEAT_SCHEDULE.values() if e["task"] == evening_nudge_send.name]
    assert entry["schedule"] == 15 * 60  # every quarter hour; it acts only in NUDGE_HOUR
    ada = passenger_joined(utc(2026, 9, 1, 12))
    route_opened(utc(2026, 10, 1, 12), airports["LHR"], airports["JFK"])
    with time_machine.travel(london(2026, 11, 3, 19, 15), tick=False):
        assert evening_nudge_send.delay().get() == 1
    assert len(nudges_for(ada)) == 1


def test_nudge_is_sent_once_per_local_day_however_often_it_runs(airports):
    ada = passenger_joined(utc(2026, 9, 1, 12))
    route_opened(utc(2026, 10, 1, 12), airports["LHR"], airports["JFK"])
    assert run_at(london(2026, 11, 3, 19, 0)) == 1
    # A route added later the same evening waits for another day.
    route_opened(london(2026, 11, 3, 19, 5), airports["LHR"], airports["CDG"])
    for minute in (15, 30, 45, 59):
        assert run_at(london(2026, 11, 3, 19, minute)) == 0
    # Even if last_nudged_at were lost (a second beat racing the first), the dedupe key holds.
    User.objects.filter(pk=ada.pk).update(last_nudged_at=None)
    assert run_at(london(2026, 11, 3, 19, 45)) == 0
    assert len(nudges_for(ada)) == 1
    User.objects.filter(pk=ada.pk).update(last_nudged_at=london(2026, 11, 3, 19, 0))

    # The next evening the route opened since counts as new.
    assert run_at(london(2026, 11, 4, 19, 0)) == 1
    latest = nudges_for(ada)[-1]
    assert [route["destination"] for route in latest.context["routes"]] == ["Paris (CDG)"]


def test_nudge_sets_last_nudged_at_and_lists_only_routes_opened_since(airports):
    ada = passenger_joined(utc(2026, 9, 1, 12))
    route_opened(utc(2026, 8, 1, 12), airports["LHR"], airports["MAD"])  # before she joined
    route_opened(utc(2026, 10, 1, 12), airports["LHR"], airports["JFK"])
    assert run_at(london(2026, 11, 3, 19, 0)) == 1
    ada.refresh_from_db()
    assert ada.last_nudged_at == london(2026, 11, 3, 19, 0)
    [message] = nudges_for(ada)
    assert [route["destination"] for route in message.context["routes"]] == ["New York (JFK)"]

    # Nothing opened since the last nudge: no e-mail, and last_nudged_at stays.
    assert run_at(london(2026, 11, 10, 19, 0)) == 0
    ada.refresh_from_db()
    assert ada.last_nudged_at == london(2026, 11, 3, 19, 0)


def test_nudge_lists_up_to_five_newest_routes_with_from_price_and_search_link(
    airports, django_capture_on_commit_callbacks
):
    ada = passenger_joined(utc(2026, 9, 1, 12), first_name="Ada")
    lhr = airports["LHR"]
    destinations = ["JFK", "CDG", "MAD", "NRT", "SYD", "DXB"]
    for day, iata in enumerate(destinations, start=1):
        route_opened(utc(2026, 10, day, 12), lhr, airports[iata], price=Decimal("300.00"))
    # Paris: a cheaper flight later (the from-price) and a cheaper one that is full or cancelled.
    cheap = route_opened(
        utc(2026, 10, 9, 12), lhr, airports["CDG"], departs_in=timedelta(days=40), price=Decimal("89.50")
    )
    route_opened(utc(2026, 10, 9, 13), lhr, airports["CDG"], price=Decimal("10.00"), status=Flight.Status.CANCELLED)
    full = route_opened(utc(2026, 10, 9, 14), lhr, airports["CDG"], price=Decimal("20.00"), capacity=1)
    Flight.objects.filter(pk=full.pk).update(seats_booked=1)

    with django_capture_on_commit_callbacks(execute=True):
        assert run_at(london(2026, 11, 3, 19, 0)) == 1
    [message] = nudges_for(ada)
    routes = message.context["routes"]
    # Newest first, by when each route's first flight was added; JFK (the oldest) left out.
    assert [route["destination"] for route in routes] == [
        "Dubai (DXB)",
        "Sydney (SYD)",
        "Tokyo (NRT)",
        "Madrid (MAD)",
        "Paris (CDG)",
    ]
    paris = routes[-1]
    assert paris["from_price"] == "89.50 EUR"
    link = urlsplit(paris["url"])
    assert f"{link.scheme}://{link.netloc}" == "http://testserver" and link.path == "/"
    # The search opens on the day of the route's first flight that can still be booked (local date).
    first_paris = Flight.objects.filter(destination=airports["CDG"], status="scheduled").exclude(pk=full.pk)
    first_day = min(f.departs_at for f in first_paris).astimezone(LONDON).date()
    assert parse_qs(link.query) == {
        "origin": ["LHR"],
        "destination": ["CDG"],
        "date": [first_day.isoformat()],
        "passengers": ["1"],
    }
    assert cheap.price == Decimal("89.50")

    [email] = mail.outbox
    assert email.to == [ada.email]
    assert "5 new routes" in email.subject
    assert "Hello Ada" in email.body and "London (LHR) to Paris (CDG): from 89.50 EUR" in email.body
    assert paris["url"] in email.body  # not HTML-escaped in the text part
    html = email.alternatives[0][0]
    assert "Dubai (DXB)" in html and message.context["unsubscribe_url"] in html
    # One-click unsubscribe (RFC 8058) for mail apps, and the link names this passenger.
    assert email.extra_headers["List-Unsubscribe"] == f"<{message.context['unsubscribe_url']}>"
    assert email.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    token = urlsplit(message.context["unsubscribe_url"]).path.rstrip("/").rsplit("/", 1)[1]
    assert unsubscribe_user(token=token) == ada


def test_nudge_skips_passengers_who_opted_out(airports):
    passenger_joined(utc(2026, 9, 1, 12), email_new_routes=False)
    ada = passenger_joined(utc(2026, 9, 1, 12))
    route_opened(utc(2026, 10, 1, 12), airports["LHR"], airports["JFK"])
    assert run_at(london(2026, 11, 3, 19, 0)) == 1
    assert OutboxMessage.objects.filter(template="evening_nudge").get().user_id == ada.pk


def test_nudge_skips_passengers_seen_or_logged_in_recently(airports):
    seen = passenger_joined(utc(2026, 9, 1, 12), last_seen_at=london(2026, 10, 30, 9))
    logged_in = passenger_joined(utc(2026, 9, 1, 12), last_login=london(2026, 11, 1, 9))
    quiet = passenger_joined(utc(2026, 9, 1, 12), last_seen_at=london(2026, 10, 26, 9), last_login=london(2026, 10, 1))
    route_opened(utc(2026, 10, 1, 12), airports["LHR"], airports["JFK"])
    assert run_at(london(2026, 11, 3, 19, 0)) == 1
    assert nudges_for(seen) == [] and nudges_for(logged_in) == []
    assert len(nudges_for(quiet)) == 1


def test_nudge_skips_passengers_with_an_upcoming_trip_but_not_a_cancelled_one(airports):
    travelling = passenger_joined(utc(2026, 9, 1, 12))
    cancelled = passenger_joined(utc(2026, 9, 1, 12))
    flew = passenger_joined(utc(2026, 9, 1, 12))
    route_opened(utc(2026, 10, 1, 12), airports["LHR"], airports["JFK"])
    with time_machine.travel(utc(2026, 10, 2, 12), tick=False):
        later = FlightFactory(origin=airports["JFK"], destination=airports["LHR"], departs_at=utc(2026, 12, 1, 12))
        soon = FlightFactory(origin=airports["JFK"], destination=airports["LHR"], departs_at=utc(2026, 10, 10, 12))
        make_booking(user=travelling, flight=later)
        gone = make_booking(user=cancelled, flight=later)
        services.booking_cancel(user=cancelled, booking_id=gone.pk)
        make_booking(user=flew, flight=soon)  # departed before the evening in question
    assert run_at(london(2026, 11, 3, 19, 0)) == 2
    assert nudges_for(travelling) == []
    assert len(nudges_for(cancelled)) == 1 and len(nudges_for(flew)) == 1


def test_nudge_skips_passengers_with_no_new_routes_and_staff(airports):
    route_opened(utc(2026, 10, 1, 12), airports["LHR"], airports["JFK"])
    newcomer = passenger_joined(utc(2026, 10, 2, 12))  # joined after the route opened
    with time_machine.travel(utc(2026, 9, 1, 12), tick=False):
        staff = StaffFactory(date_joined=timezone.now())
    assert run_at(london(2026, 11, 3, 19, 0)) == 0
    assert nudges_for(newcomer) == [] and nudges_for(staff) == []
    assert not OutboxMessage.objects.exists()


def test_nudge_ignores_a_route_that_only_reopened_or_cannot_be_booked(airports):
    passenger_joined(utc(2026, 9, 1, 12))
    # LHR-JFK flew long before she joined; a new flight on it is not a new route.
    route_opened(utc(2026, 1, 5, 12), airports["LHR"], airports["JFK"], departs_in=timedelta(days=3))
    route_opened(utc(2026, 10, 1, 12), airports["LHR"], airports["JFK"])
    # LHR-CDG opened after she joined, but its only flight is cancelled.
    route_opened(utc(2026, 10, 1, 12), airports["LHR"], airports["CDG"], status=Flight.Status.CANCELLED)
    assert run_at(london(2026, 11, 3, 19, 0)) == 0


@pytest.mark.parametrize("passengers", [3, 9])
def test_nudge_reads_do_not_grow_with_passengers(airports, django_assert_max_num_queries, passengers):
    users = [passenger_joined(utc(2026, 9, 1, 12)) for _ in range(passengers)]
    route_opened(utc(2026, 10, 1, 12), airports["LHR"], airports["JFK"])
    route_opened(utc(2026, 10, 2, 12), airports["LHR"], airports["CDG"])
    # Reads: the earliest cut-off, the routes and their airports, a batch of passengers and the
    # empty batch after it; the batch's savepoint and release, and its last_nudged_at UPDATE.
    # Per e-mail only the outbox's own writes (check, savepoint, insert, release).
    with django_assert_max_num_queries(3 + 2 + 3 + 4 * passengers):
        assert run_at(london(2026, 11, 3, 19, 0)) == passengers
    assert all(len(nudges_for(user)) == 1 for user in users)
