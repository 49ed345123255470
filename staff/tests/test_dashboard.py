"""The staff dashboard (issue 15): staff land on it; its tiles count what happened in the
period and link to the lists behind them; its charts are inline SVG with the numbers as a
table; the period can be chosen and a bad choice is a message; the query count does not grow
with the data; figures are cached."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.cache import cache
from django.db.models import Sum
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.tests.factories import PASSWORD, StaffFactory, UserFactory, authenticator_code, authenticator_for
from booking_site.lib import formats
from bookings.models import Booking, Ticket
from bookings.services.cancel import booking_cancel
from bookings.tests.factories import make_booking, make_hold
from flights.tests.factories import FlightFactory
from notifications.models import OutboxMessage
from notifications.services import outbox_enqueue

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff(staff):
    staff.is_superuser = True  # the tiles link into django-admin lists too
    staff.save()
    return staff


@pytest.fixture
def world():
    soon = timezone.now() + timedelta(days=3)
    full = FlightFactory(number="SK100", capacity=10, price=Decimal("100.00"), departs_at=soon)
    empty = FlightFactory(number="SK200", capacity=10, price=Decimal("50.00"), departs_at=soon + timedelta(hours=2))
    kept = make_booking(flight=full, passengers=3)
    cancelled = make_booking(flight=full, passengers=2)
    booking_cancel(user=cancelled.user, booking_id=cancelled.pk)
    make_hold(flight=empty, passengers=1)
    OutboxMessage.objects.update(status=OutboxMessage.Status.SENT)  # the bookings' e-mails went out
    failed = outbox_enqueue(to="ops@example.test", template="welcome", context={"name": "Ops"})
    OutboxMessage.objects.filter(pk=failed.pk).update(status=OutboxMessage.Status.FAILED)
    return {"full": full, "empty": empty, "kept": kept, "cancelled": cancelled}


def tiles(response) -> dict[str, str]:
    return {tile.label: tile.value for tile in response.context["tiles"]}


def test_staff_land_on_the_dashboard_and_passengers_on_search():
    staff = StaffFactory()
    device = authenticator_for(staff)
    client = Client()
    response = client.post(reverse("accounts:login"), {"username": staff.email, "password": PASSWORD})
    assert response.url == reverse("staff:home")
    response = client.post(reverse("accounts:two_factor_verify"), {"code": authenticator_code(device)})
    assert response.url == reverse("staff:home")  # the two-step page goes on to the same place

    passenger = Client()
    response = passenger.post(reverse("accounts:login"), {"username": UserFactory().email, "password": PASSWORD})
    assert response.url == reverse("flights:search")
    # A safe `next` wins over the role.
    response = Client().post(
        reverse("accounts:login") + "?next=/bookings/", {"username": StaffFactory().email, "password": PASSWORD}
    )
    assert response.url == "/bookings/"


def test_tiles_count_the_period(staff_client, world):
    response = staff_client.get(reverse("staff:home"))
    assert response.status_code == 200
    values = tiles(response)
    assert values["Seats sold"] == "5"  # both bookings were sold; one was cancelled later
    assert values["Revenue"] == "€500.00"
    assert values["Seats cancelled"] == "2"
    refunded = Ticket.objects.aggregate(total=Sum("refund_amount"))["total"]  # as the fare rules allow
    assert refunded and values["Refunds"] == formats.money(refunded)
    assert values["Holds open now"] == "1"
    assert values["E-mails waiting / failed"] == "0 / 1"


def test_every_tile_links_to_a_list_that_opens(staff_client, world):
    response = staff_client.get(reverse("staff:home"))
    for tile in response.context["tiles"]:
        assert staff_client.get(tile.url).status_code == 200, tile


def test_the_emptiest_flights_ahead_are_listed_to_sell(staff_client, world):
    response = staff_client.get(reverse("staff:home"))
    assert [flight.number for flight in response.context["to_sell"]] == ["SK200", "SK100"]  # 10 % and 30 %
    page = response.content.decode()
    assert reverse("staff:manifest", args=[world["empty"].pk]) in page


def test_charts_are_inline_svg_without_script_or_style_and_carry_their_numbers(staff_client, world):
    page = staff_client.get(reverse("staff:home")).content.decode()
    assert page.count("<svg") >= 7
    assert "<script" not in page.split("</main>")[0].split("<main")[-1]
    assert "<style" not in page and ' style="' not in page
    assert "Show as a table" in page
    # The route chart's table says what the picture shows.
    route = f"{world['full'].origin.iata}–{world['full'].destination.iata}"
    assert f'<th scope="row">{route}</th>' in page


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ({"period": "custom", "first": "2026-05-10", "last": "2026-05-01"}, "must end on or after"),
        ({"period": "custom", "first": "2026-05-10"}, "Choose both days"),
        ({"period": "custom", "first": "2020-01-01", "last": "2026-01-01"}, "at most 366 days"),
        ({"period": "custom", "first": "0001-01-01", "last": "0001-01-02"}, "Enter a date between"),
        ({"period": "365"}, "Select a valid choice"),
    ],
)
def test_a_bad_period_is_a_message_and_the_default_is_shown(staff_client, query, message):
    response = staff_client.get(reverse("staff:home"), query)
    assert response.status_code == 200
    assert message in response.content.decode()
    period = response.context["period"]
    assert (period.last - period.first).days == 29


def test_a_chosen_period_is_used(staff_client, world):
    today = timezone.now().date()
    response = staff_client.get(
        reverse("staff:home"), {"period": "custom", "first": (today - timedelta(days=3)).isoformat(), "last": today}
    )
    assert len(response.context["bookings_chart"].rows) == 4
    last_year = staff_client.get(
        reverse("staff:home"), {"period": "custom", "first": "2025-01-01", "last": "2025-01-31"}
    )
    assert tiles(last_year)["Seats sold"] == "0"


@pytest.mark.parametrize("bookings", [2, 12])
def test_the_query_count_does_not_grow_with_bookings(staff_client, django_assert_max_num_queries, bookings):
    from bookings.services.sales import sales_summarise

    flight = FlightFactory(capacity=60, departs_at=timezone.now() + timedelta(days=2))
    for index in range(bookings):
        booking = make_booking(flight=flight)
        Booking.objects.filter(pk=booking.pk).update(confirmed_at=timezone.now() - timedelta(days=index % 5))
    sales_summarise()  # finished days from the summary, today from the bookings: both read
    cache.clear()
    # session, user, device, alert count; the summary's mark; 11 figures (one per tile group or
    # chart), three of them also reading the summary
    with django_assert_max_num_queries(19):
        assert staff_client.get(reverse("staff:home")).status_code == 200


def test_figures_are_cached_for_a_minute(staff_client, world, django_assert_max_num_queries):
    staff_client.get(reverse("staff:home"))
    make_booking(flight=world["full"])
    with django_assert_max_num_queries(4):  # the session, user, device and alert count only
        cached = staff_client.get(reverse("staff:home"))
    assert tiles(cached)["Seats sold"] == "5"


def test_passengers_and_staff_without_a_second_factor_cannot_see_it(client):
    client.force_login(UserFactory())
    assert client.get(reverse("staff:home")).status_code == 403
    client.force_login(StaffFactory())
    response = client.get(reverse("staff:home"))
    assert response.status_code == 302 and response.url.startswith(reverse("accounts:two_factor_verify"))


def test_a_new_airline_sees_empty_states(staff_client):
    page = staff_client.get(reverse("staff:home")).content.decode()
    assert "No flights scheduled in the next 14 days." in page
    assert "No bookings in this period." in page
    assert Booking.objects.count() == 0


def test_the_daily_summary_gives_the_same_figures_as_the_bookings(world):
    """Finished days come from DailySales once the nightly job ran; today from the bookings."""
    from zoneinfo import ZoneInfo

    from bookings.models import DailySales
    from bookings.services.sales import sales_summarise
    from staff import selectors_dashboard as figures

    Booking.objects.filter(pk=world["kept"].pk).update(confirmed_at=timezone.now() - timedelta(days=3))
    Booking.objects.filter(pk=world["cancelled"].pk).update(confirmed_at=timezone.now() - timedelta(days=10))
    period = figures.Period.ending_today(30, zone=ZoneInfo("UTC"))

    def read():
        return figures.sales(period), figures.sales_per_day(period), figures.routes(period)

    from_bookings = read()
    assert sales_summarise() >= 10 and DailySales.objects.exists()
    assert read() == from_bookings
    assert sales_summarise() == 0  # nothing new: a second run is a no-op

    make_booking(flight=world["full"], passengers=2)  # today: not summarised, still counted
    assert figures.sales(period)["seats"] == from_bookings[0]["seats"] + 2


def test_staff_choose_the_zone_their_dashboard_counts_days_in(staff_client, staff, world):
    profile = staff_client.get(reverse("accounts:profile")).content.decode()
    assert "Your time zone" in profile and "The staff dashboard counts days in it" in profile
    form = {"first_name": "Olive", "last_name": "Ops", "email_new_routes": "on", "time_zone": "Asia/Tokyo"}
    assert staff_client.post(reverse("accounts:profile"), form).status_code == 302
    staff.refresh_from_db()
    assert staff.time_zone == "Asia/Tokyo"
    response = staff_client.get(reverse("staff:home"))
    assert response.context["period"].zone.key == "Asia/Tokyo" and "(Asia/Tokyo)" in response.content.decode()
    assert tiles(response)["Seats sold"] == "5"  # the same bookings, counted on Tokyo's calendar

    refused = staff_client.post(reverse("accounts:profile"), {**form, "time_zone": "Mars/Olympus"})
    assert "Select a valid choice" in refused.content.decode()


def test_passengers_choose_a_zone_but_hear_nothing_of_the_staff_dashboard(client):
    client.force_login(UserFactory())
    profile = client.get(reverse("accounts:profile")).content.decode()
    assert "Your time zone" in profile and "staff dashboard" not in profile
