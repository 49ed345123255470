"""The monthly activity report (bookings/services/monthly_report.py), with the clock moved by time-machine.

The site runs on London time here. October 2026 has 31 days and a clock change (25 October),
so "October" is 30 Sep 23:00 UTC to 1 Nov 00:00 UTC: a flight at 23:30 UTC on 30 September
departed on 1 October in London, and one at 00:30 UTC on 1 November did not.
"""

import email as email_parser
import io
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.conf import settings
from django.core import mail
from django_celery_beat.models import PeriodicTask
from django_celery_beat.schedulers import ModelEntry
from PIL import Image

from accounts.models import User
from accounts.tests.factories import UserFactory
from accounts.unsubscribe import REPORT, unsubscribe_read
from booking_site.celery import app
from bookings import services
from bookings.services.monthly_report import (
    CHART_ID,
    monthly_activity,
    monthly_report_contexts,
    monthly_reports_send,
    report_month,
)
from bookings.tasks import monthly_reports_send as monthly_reports_task
from bookings.tests.factories import book_at, flight_on_route
from flights.tests.factories import AirportFactory
from notifications.charts import chart_png
from notifications.models import OutboxMessage

pytestmark = pytest.mark.django_db

LONDON = ZoneInfo("Europe/London")
UTC = ZoneInfo("UTC")
REPORT_TIME = datetime(2026, 11, 1, 6, 0, tzinfo=LONDON)  # the beat's 06:00 on the 1st


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _site_in_london(settings):
    settings.TIME_ZONE = "Europe/London"
    settings.CURRENCY = "EUR"
    settings.REFUND_FULL_DAYS = 7


@pytest.fixture
def airports():
    return {
        "LHR": AirportFactory(iata="LHR", city="London", tz="Europe/London"),
        "JFK": AirportFactory(iata="JFK", city="New York", tz="America/New_York"),
        "CDG": AirportFactory(iata="CDG", city="Paris", tz="Europe/Paris"),
    }


def run_at(moment: datetime) -> int:
    with time_machine.travel(moment, tick=False):
        return monthly_reports_send()


@pytest.fixture
def ada(airports):
    """A passenger with a busy October 2026 (and some activity either side)."""
    ada = UserFactory(first_name="Ada")
    # August: one trip on LHR-JFK (for the chart and the most flown route).
    book_at(ada, flight_on_route(airports, "LHR-JFK", utc(2026, 8, 15, 9)), utc(2026, 8, 1, 12))
    # Booked and paid in September, flown on 1 October London time (30 September UTC).
    book_at(ada, flight_on_route(airports, "LHR-JFK", utc(2026, 9, 30, 23, 30)), utc(2026, 9, 20, 12))
    # Booked in September, departs in December: upcoming.
    book_at(ada, flight_on_route(airports, "CDG-LHR", utc(2026, 12, 10, 8)), utc(2026, 9, 21, 12))
    # Booked in October for two passengers, flown on 31 October (23:30 GMT): 200.00 paid.
    book_at(ada, flight_on_route(airports, "LHR-JFK", utc(2026, 10, 31, 23, 30)), utc(2026, 10, 10, 12), passengers=2)
    # Booked in October (150.00) for a flight at 00:30 on 1 November: not an October trip.
    book_at(ada, flight_on_route(airports, "JFK-LHR", utc(2026, 11, 1, 0, 30), "150.00"), utc(2026, 10, 12, 12))
    # Booked in October (80.00) and cancelled in October with a full refund.
    cancelled = book_at(ada, flight_on_route(airports, "LHR-CDG", utc(2026, 12, 5, 8), "80.00"), utc(2026, 10, 15, 12))
    with time_machine.travel(utc(2026, 10, 20, 12), tick=False):
        services.booking_cancel(user=ada, booking_id=cancelled.pk)
    return ada


def test_report_month_is_the_previous_local_calendar_month_across_the_clock_change():
    month = report_month(now=REPORT_TIME)
    assert month.key == "2026-10"
    assert month.starts_at == utc(2026, 9, 30, 23) and month.ends_at == utc(2026, 11, 1, 0)
    assert [f"{first:%Y-%m}" for first in month.chart_months] == [
        "2026-05",
        "2026-06",
        "2026-07",
        "2026-08",
        "2026-09",
        "2026-10",
    ]
    # 00:30 London on 1 November is still 31 October... nowhere: it is November already.
    assert report_month(now=datetime(2026, 11, 1, 0, 30, tzinfo=LONDON)).key == "2026-10"
    assert report_month(now=datetime(2026, 10, 31, 23, 30, tzinfo=LONDON)).key == "2026-09"
    # January reports on December of the year before.
    assert report_month(now=datetime(2027, 1, 1, 6, tzinfo=LONDON)).key == "2026-12"


def test_monthly_report_numbers_are_right(ada):
    assert run_at(REPORT_TIME) == 1
    message = OutboxMessage.objects.get(template="monthly_report")
    assert message.to == ada.email and message.dedupe_key == f"monthly:{ada.pk}:2026-10"
    context = message.context
    assert context["month"] == "October 2026"
    assert context["trips_taken"] == 2  # 1 October (London) and 31 October; not 1 November
    assert context["bookings_made"] == 3  # 10, 12 and 15 October
    assert context["paid"] == "430.00 EUR"  # 200 + 150 + 80
    assert context["refunded"] == "80.00 EUR"
    assert context["spent"] == "350.00 EUR"
    assert context["most_flown"] == {"route": "London (LHR) to New York (JFK)", "flights": 3}
    assert [trip["destination"] for trip in context["upcoming"]] == ["London (LHR)"]
    assert context["upcoming"][0]["departs"] == "Thu 10 Dec 2026, 09:00 CET"
    assert context["chart"] == [
        {"label": "May", "trips": 0},
        {"label": "Jun", "trips": 0},
        {"label": "Jul", "trips": 0},
        {"label": "Aug", "trips": 1},
        {"label": "Sep", "trips": 0},
        {"label": "Oct", "trips": 2},
    ]
    assert context["_charts"][CHART_ID] == {
        "labels": ["May", "Jun", "Jul", "Aug", "Sep", "Oct"],
        "series": {"Earlier months": [0, 0, 0, 1, 0, None], "Oct": [None, None, None, None, None, 2]},
        "stacked": True,
    }


def test_monthly_report_email_has_the_numbers_and_the_chart_inline(ada, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        assert run_at(REPORT_TIME) == 1
    [sent] = mail.outbox
    assert sent.to == [ada.email] and sent.subject == "Your October 2026 with Skyway"
    assert "Trips taken: 2" in sent.body and "Spent: 350.00 EUR" in sent.body
    assert "Most flown route: London (LHR) to New York (JFK) (3 flights)" in sent.body
    html = sent.alternatives[0][0]
    assert f'src="cid:{CHART_ID}"' in html and "350.00 EUR" in html

    # The wire format: multipart/related holding the text/HTML alternatives and the PNG.
    parsed = email_parser.message_from_bytes(sent.message().as_bytes())
    assert parsed.get_content_type() == "multipart/related"
    [image] = [part for part in parsed.walk() if part.get_content_type() == "image/png"]
    assert image["Content-ID"] == f"<{CHART_ID}>"
    assert image.get_content_disposition() == "inline"
    png = Image.open(io.BytesIO(image.get_payload(decode=True)))
    assert png.format == "PNG" and png.size == (600, 260)


BRAND, ACCENT = (11, 61, 145), (255, 179, 0)  # static/css/site.css --brand and --accent


def _bars(png: Image.Image, colour) -> list[int]:
    """Heights of the bars of one colour, left to right (runs of columns holding it; the
    legend's small squares are left out)."""
    pixels = png.convert("RGB").load()
    heights = [sum(1 for y in range(png.height) if pixels[x, y] == colour) for x in range(png.width)]
    bars, run = [], []
    for height in [*heights, 0]:
        if height:
            run.append(height)
        elif run:
            bars.append(max(run))
            run = []
    return [bar for bar in bars if bar > 20]


def test_email_chart_bars_are_as_tall_as_their_values_and_the_reported_month_stands_out():
    series = {"Earlier months": [0, 2, 4, None], "Dec": [None, None, None, 4]}
    png = Image.open(io.BytesIO(chart_png({"labels": ["Sep", "Oct", "Nov", "Dec"], "series": series, "stacked": True})))
    assert png.size == (600, 260)
    low, high = _bars(png, BRAND)
    assert abs(high - 2 * low) <= 2
    assert _bars(png, ACCENT) == [high]  # the last month, as tall as the one before, in its own colour


def test_email_chart_of_a_message_written_before_series():
    png = Image.open(io.BytesIO(chart_png({"title": "Trips", "labels": ["A", "B"], "values": [1, 2]})))
    low, high = _bars(png, BRAND)
    assert abs(high - 2 * low) <= 2


def test_chart_needs_one_value_per_label():
    with pytest.raises(ValueError):
        chart_png({"labels": ["A", "B"], "values": [1]})
    with pytest.raises(ValueError):
        chart_png({"labels": [], "values": []})


def test_monthly_report_runs_twice_and_writes_one(ada):
    assert run_at(REPORT_TIME) == 1
    assert run_at(REPORT_TIME + timedelta(minutes=1)) == 0
    with time_machine.travel(REPORT_TIME + timedelta(hours=1), tick=False):
        monthly_reports_task.delay()
    assert OutboxMessage.objects.filter(template="monthly_report").count() == 1
    # November is another report: Ada flew JFK-LHR at 00:30 on 1 November.
    assert run_at(datetime(2026, 12, 1, 6, tzinfo=LONDON)) == 1
    assert sorted(OutboxMessage.objects.filter(template="monthly_report").values_list("dedupe_key", flat=True)) == [
        f"monthly:{ada.pk}:2026-10",
        f"monthly:{ada.pk}:2026-11",
    ]


def test_passengers_without_activity_last_month_get_no_report(airports):
    quiet = UserFactory()
    september_only = UserFactory()
    book_at(september_only, flight_on_route(airports, "LHR-JFK", utc(2026, 9, 10, 9)), utc(2026, 9, 1, 12))
    # Booked in September for a December flight: an upcoming trip is not October activity.
    book_at(september_only, flight_on_route(airports, "LHR-CDG", utc(2026, 12, 10, 9)), utc(2026, 9, 2, 12))
    assert run_at(REPORT_TIME) == 0
    assert not OutboxMessage.objects.filter(template="monthly_report").exists()
    assert OutboxMessage.objects.filter(user_id=quiet.pk).count() == 0


def test_a_refund_alone_is_activity_and_spent_can_be_negative(airports):
    user = UserFactory()
    trip = book_at(user, flight_on_route(airports, "LHR-CDG", utc(2026, 12, 10, 9), "120.00"), utc(2026, 9, 20, 12))
    with time_machine.travel(utc(2026, 10, 3, 12), tick=False):
        services.booking_cancel(user=user, booking_id=trip.pk)
    assert run_at(REPORT_TIME) == 1
    context = OutboxMessage.objects.get(template="monthly_report").context
    assert (context["trips_taken"], context["bookings_made"]) == (0, 0)
    assert (context["paid"], context["refunded"], context["spent"]) == ("0.00 EUR", "120.00 EUR", "-120.00 EUR")
    assert context["most_flown"] is None and context["upcoming"] == []


def test_passengers_who_switched_the_report_off_get_none(ada, airports):
    grace = UserFactory(first_name="Grace")
    book_at(grace, flight_on_route(airports, "LHR-CDG", utc(2026, 10, 5, 9)), utc(2026, 10, 1, 12))
    # Ada had a busy October, but switched the report off.
    User.objects.filter(pk=ada.pk).update(email_monthly_report=False)
    assert sorted(monthly_activity(report_month(now=REPORT_TIME))) == [grace.pk]
    assert run_at(REPORT_TIME) == 1
    assert list(OutboxMessage.objects.filter(template="monthly_report").values_list("user_id", flat=True)) == [grace.pk]
    # Ada keeps her other e-mails' preference: the report is its own choice.
    assert User.objects.get(pk=ada.pk).email_new_routes is True


def test_a_passenger_who_switches_off_while_the_report_runs_gets_none(ada):
    month = report_month(now=REPORT_TIME)
    activity = monthly_activity(month)
    assert ada.pk in activity
    User.objects.filter(pk=ada.pk).update(email_monthly_report=False)
    assert monthly_report_contexts(user_ids=[ada.pk], activity=activity, month=month, now=REPORT_TIME) == {}


def test_monthly_report_carries_its_own_one_click_unsubscribe(ada, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        assert run_at(REPORT_TIME) == 1
    message = OutboxMessage.objects.get(template="monthly_report")
    link = message.context["unsubscribe_url"]
    assert link.startswith("http://") and "/accounts/unsubscribe/" in link
    token = link.rstrip("/").rsplit("/", 1)[1]
    target = unsubscribe_read(token=token)
    assert target.user == ada and target.email_list.key == REPORT
    [sent] = mail.outbox
    assert f"Unsubscribe with one click: {link}" in sent.body
    assert f'href="{link}"' in sent.alternatives[0][0]
    assert "monthly summary of my trips" in sent.body
    assert sent.extra_headers["List-Unsubscribe"] == f"<{link}>"
    assert sent.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    parsed = email_parser.message_from_bytes(sent.message().as_bytes())
    # On the wire the long header is folded before the link, never inside it.
    assert parsed["List-Unsubscribe"].strip() == f"<{link}>"


def test_following_the_report_link_stops_next_months_report_only(ada, client):
    assert run_at(REPORT_TIME) == 1
    link = OutboxMessage.objects.get(template="monthly_report").context["unsubscribe_url"]
    assert client.post(link.removeprefix(settings.SITE_URL)).status_code == 200
    ada.refresh_from_db()
    assert (ada.email_monthly_report, ada.email_new_routes) == (False, True)
    # Ada flew JFK-LHR in November: activity, but she asked for no more reports.
    assert run_at(datetime(2026, 12, 1, 6, tzinfo=LONDON)) == 0


@pytest.mark.parametrize("passengers", [3, 9])
def test_monthly_report_reads_do_not_grow_with_passengers(airports, django_assert_max_num_queries, passengers):
    users = [UserFactory() for _ in range(passengers)]
    october = flight_on_route(airports, "LHR-JFK", utc(2026, 10, 20, 9))
    december = flight_on_route(airports, "JFK-LHR", utc(2026, 12, 20, 9))
    for user in users:
        book_at(user, october, utc(2026, 10, 1, 12))
        book_at(user, december, utc(2026, 10, 2, 12))
    # As many again who switched the report off: left out by the same queries.
    for _ in range(passengers):
        quiet = UserFactory(email_monthly_report=False)
        book_at(quiet, october, utc(2026, 10, 1, 12))
    month = report_month(now=REPORT_TIME)
    with time_machine.travel(REPORT_TIME, tick=False):
        # Three aggregates over the month for everybody...
        with django_assert_max_num_queries(3):
            activity = monthly_activity(month)
        assert sorted(activity) == sorted(user.pk for user in users)
        # ...and three reads per batch of passengers (users, most flown routes, upcoming trips).
        with django_assert_max_num_queries(3):
            contexts = monthly_report_contexts(
                user_ids=sorted(activity), activity=activity, month=month, now=REPORT_TIME
            )
        assert len(contexts) == passengers
        assert all(context["trips_taken"] == 1 and context["bookings_made"] == 2 for context in contexts.values())
        # The whole run: those reads, one look-up of reports already written, and per report
        # the outbox's own writes (check, savepoint, insert, release).
        with django_assert_max_num_queries(3 + 1 + 3 + 2 + 4 * passengers):
            assert monthly_reports_send() == passengers


def test_the_beat_runs_the_report_at_six_on_the_first_in_the_site_time_zone():
    [entry] = [e for e in settings.CELERY_BEAT_SCHEDULE.values() if e["task"] == monthly_reports_task.name]
    schedule = entry["schedule"]
    assert (schedule.minute, schedule.hour, schedule.day_of_month) == ({0}, {6}, {1})
    # django-celery-beat stores it as a crontab (what staff see in django-admin).
    ModelEntry.from_entry("monthly-report", app=app, **entry)
    crontab_row = PeriodicTask.objects.get(task=monthly_reports_task.name).crontab
    assert (crontab_row.minute, crontab_row.hour, crontab_row.day_of_month) == ("0", "6", "1")
