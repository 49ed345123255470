from datetime import UTC, date, datetime, timedelta
from urllib.parse import urlsplit

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone
from icalendar import Calendar

from accounts.tests.factories import UserFactory
from bookings.eticket import booking_ics, ticket_qr_payload, ticket_qr_svg
from bookings.models import Ticket
from bookings.selectors import booking_for_owner
from bookings.services import booking_cancel, flight_remove
from bookings.tests.factories import make_booking
from flights.tests.factories import AirportFactory, FlightFactory
from notifications.models import OutboxMessage

pytestmark = pytest.mark.django_db

NEXT_YEAR = timezone.now().year + 1


@pytest.fixture
def london():
    return AirportFactory(iata="LHR", name="London Heathrow Airport", city="London", tz="Europe/London")


@pytest.fixture
def new_york():
    return AirportFactory(
        iata="JFK", name="John F Kennedy International Airport", city="New York", tz="America/New_York"
    )


@pytest.fixture
def transatlantic(london, new_york):
    """Leaves London 10:15 GMT, lands in New York 13:05 EST (18:05 UTC)."""
    departs = datetime(NEXT_YEAR, 1, 15, 10, 15, tzinfo=UTC)
    return FlightFactory(
        number="SK101",
        origin=london,
        destination=new_york,
        departs_at=departs,
        arrives_at=departs + timedelta(hours=7, minutes=50),
    )


@pytest.fixture
def late_evening_in_los_angeles(new_york):
    """Leaves Los Angeles 23:30 PST on 24 December: already 25 December in UTC."""
    los_angeles = AirportFactory(
        iata="LAX", name="Los Angeles International Airport", city="Los Angeles", tz="America/Los_Angeles"
    )
    departs = datetime(NEXT_YEAR, 12, 25, 7, 30, tzinfo=UTC)
    return FlightFactory(
        number="SK101",
        origin=los_angeles,
        destination=new_york,
        departs_at=departs,
        arrives_at=departs + timedelta(hours=5, minutes=20),
    )


def _ics_for(booking) -> Calendar:
    return Calendar.from_ical(booking_ics(booking_for_owner(user=booking.user, reference=booking.reference)))


def _last_sunday_of_march(year: int) -> date:
    last = date(year, 3, 31)
    return last - timedelta(days=(last.weekday() + 1) % 7)


# The QR payload and SVG


def test_ticket_qr_payload_holds_reference_passenger_flight_local_departure_day_and_seat(late_evening_in_los_angeles):
    booking = make_booking(flight=late_evening_in_los_angeles, names=["Ada Lovelace"])
    ticket = booking.tickets.get()
    assert ticket_qr_payload(ticket) == (
        f"SKYWAY|REF={booking.reference}|PAX=Ada Lovelace|FLT=SK101|DATE={NEXT_YEAR}-12-24|SEAT={ticket.seat}"
    )


def test_ticket_qr_payload_keeps_a_field_separator_in_a_name_from_forging_a_field(transatlantic):
    booking = make_booking(flight=transatlantic, names=["Ada |SEAT=1A Lovelace"])
    payload = ticket_qr_payload(booking.tickets.get())
    assert payload.count("|") == 5
    assert "PAX=Ada SEAT=1A Lovelace|" in payload


def test_ticket_qr_svg_is_inline_svg_labelled_for_screen_readers(transatlantic):
    booking = make_booking(flight=transatlantic, names=["Ada <b>Lovelace</b>"])
    svg = ticket_qr_svg(booking.tickets.get())
    assert svg.startswith("<svg ")
    assert "<?xml" not in svg
    assert 'role="img"' in svg and "viewBox=" in svg
    assert f"<title>QR code for Ada &lt;b&gt;Lovelace&lt;/b&gt;, seat 1A, booking {booking.reference}</title>" in svg
    assert f'aria-label="QR code for Ada &lt;b&gt;Lovelace&lt;/b&gt;, seat 1A, booking {booking.reference}"' in svg
    assert "<b>" not in svg


def test_ticket_qr_svg_differs_per_passenger(transatlantic):
    first, second = make_booking(flight=transatlantic, names=["Ada Lovelace", "Alan Turing"]).tickets.order_by("pk")
    first_svg, second_svg = ticket_qr_svg(first), ticket_qr_svg(second)
    assert first_svg[first_svg.index("<path") :] != second_svg[second_svg.index("<path") :]


# The calendar file


def test_booking_ics_has_one_event_in_the_airports_local_times(transatlantic):
    booking = make_booking(flight=transatlantic, names=["Ada Lovelace", "Alan Turing"])
    calendar = _ics_for(booking)
    [event] = calendar.events
    assert str(event["UID"]) == f"{booking.reference}@skyway"
    assert str(event["SUMMARY"]) == "Flight SK101 London → New York"
    assert str(event["LOCATION"]) == "London Heathrow Airport (LHR)"
    assert event["DTSTART"].params["TZID"] == "Europe/London"
    assert event["DTEND"].params["TZID"] == "America/New_York"
    assert event.start.replace(tzinfo=None) == datetime(NEXT_YEAR, 1, 15, 10, 15)
    assert event.end.replace(tzinfo=None) == datetime(NEXT_YEAR, 1, 15, 13, 5)
    assert event.start == transatlantic.departs_at and event.end == transatlantic.arrives_at
    description = str(event["DESCRIPTION"])
    assert booking.reference in description
    assert "Ada Lovelace (seat 1A)" in description and "Alan Turing (seat 1B)" in description
    assert {tz.tz_name for tz in calendar.timezones} == {"Europe/London", "America/New_York"}
    assert calendar.get_missing_tzids() == set()


def test_booking_ics_writes_wall_clock_times_with_tzid_not_utc(transatlantic):
    booking = make_booking(flight=transatlantic)
    text = booking_ics(booking_for_owner(user=booking.user, reference=booking.reference)).decode()
    assert f"DTSTART;TZID=Europe/London:{NEXT_YEAR}0115T101500\r\n" in text
    assert f"DTEND;TZID=America/New_York:{NEXT_YEAR}0115T130500\r\n" in text


def test_booking_ics_keeps_the_flight_duration_across_a_clock_change(london):
    """Leaves London 00:30 GMT on the night clocks go forward; lands in Paris 04:45 CEST."""
    paris = AirportFactory(iata="CDG", name="Paris Charles de Gaulle Airport", city="Paris", tz="Europe/Paris")
    night = _last_sunday_of_march(NEXT_YEAR)
    departs = datetime(night.year, night.month, night.day, 0, 30, tzinfo=UTC)
    flight = FlightFactory(
        origin=london, destination=paris, departs_at=departs, arrives_at=departs + timedelta(hours=2, minutes=15)
    )
    [event] = _ics_for(make_booking(flight=flight)).events
    assert event.start.replace(tzinfo=None) == datetime(night.year, night.month, night.day, 0, 30)
    assert event.end.replace(tzinfo=None) == datetime(night.year, night.month, night.day, 4, 45)
    assert event.end - event.start == timedelta(hours=2, minutes=15)
    assert event.start.utcoffset() == timedelta(0) and event.end.utcoffset() == timedelta(hours=2)


def test_booking_ics_uid_is_stable_per_booking(transatlantic):
    booking = make_booking(flight=transatlantic)
    other = make_booking(flight=transatlantic)
    first, again = _ics_for(booking).events[0], _ics_for(booking).events[0]
    assert str(first["UID"]) == str(again["UID"]) != str(_ics_for(other).events[0]["UID"])


# The e-ticket page


def _eticket_url(booking, ticket) -> str:
    return reverse("bookings:eticket", args=[booking.reference, ticket.pk])


def test_owner_sees_a_printable_eticket_with_qr_code(client, transatlantic):
    booking = make_booking(flight=transatlantic, names=["Ada Lovelace", "Alan Turing"])
    ticket = booking.tickets.order_by("pk").last()
    client.force_login(booking.user)
    response = client.get(_eticket_url(booking, ticket))
    assert response.status_code == 200
    page = response.content.decode()
    assert "Alan Turing" in page and "Ada Lovelace" not in page
    assert booking.reference in page and ticket.seat in page and "SK101" in page
    assert "<svg " in page and 'class="eticket-qr"' in page
    assert "data-print hidden>Print this e-ticket</button>" in page and "js/print.js" in page
    assert f"{transatlantic.departs_local():%A} 15 January {NEXT_YEAR}" in page
    assert "10:15" in page and "GMT" in page and "13:05" in page and "EST" in page


def test_eticket_shows_the_departure_airports_local_day(client, late_evening_in_los_angeles):
    booking = make_booking(flight=late_evening_in_los_angeles)
    client.force_login(booking.user)
    page = client.get(_eticket_url(booking, booking.tickets.get())).content.decode()
    local = late_evening_in_los_angeles.departs_local()
    assert f"{local:%A} 24 December {NEXT_YEAR}" in page
    assert "23:30" in page and "PST" in page


def test_eticket_is_not_found_for_another_passenger(client, transatlantic):
    booking = make_booking(flight=transatlantic)
    client.force_login(UserFactory())
    assert client.get(_eticket_url(booking, booking.tickets.get())).status_code == 404


def test_eticket_sends_anonymous_visitor_to_log_in(client, transatlantic):
    booking = make_booking(flight=transatlantic)
    url = _eticket_url(booking, booking.tickets.get())
    response = client.get(url)
    assert response.status_code == 302
    assert urlsplit(response.url).path == reverse("accounts:login") and "next=" in response.url


def test_eticket_is_not_found_once_the_booking_is_cancelled(client, transatlantic):
    booking = make_booking(flight=transatlantic)
    booking_cancel(user=booking.user, booking_id=booking.pk)
    client.force_login(booking.user)
    assert client.get(_eticket_url(booking, booking.tickets.get())).status_code == 404


def test_eticket_is_not_found_for_a_cancelled_ticket_of_a_confirmed_booking(client, transatlantic):
    booking = make_booking(flight=transatlantic, passengers=2)
    first, second = booking.tickets.order_by("pk")
    # No service cancels one passenger yet; the page must still refuse such a ticket.
    Ticket.objects.filter(pk=first.pk).update(status=Ticket.Status.CANCELLED)
    client.force_login(booking.user)
    assert client.get(_eticket_url(booking, first)).status_code == 404
    assert client.get(_eticket_url(booking, second)).status_code == 200


def test_eticket_is_not_found_under_another_booking_of_the_same_owner(client, transatlantic):
    user = UserFactory()
    mine = make_booking(user=user, flight=transatlantic)
    also_mine = make_booking(user=user, flight=transatlantic)
    client.force_login(user)
    assert client.get(_eticket_url(mine, also_mine.tickets.get())).status_code == 404


def test_eticket_accepts_a_lower_case_reference(client, transatlantic):
    booking = make_booking(flight=transatlantic)
    client.force_login(booking.user)
    url = reverse("bookings:eticket", args=[booking.reference.lower(), booking.tickets.get().pk])
    assert client.get(url).status_code == 200


# The calendar download


def test_calendar_downloads_an_ics_file_named_after_the_reference(client, transatlantic):
    booking = make_booking(flight=transatlantic)
    client.force_login(booking.user)
    response = client.get(reverse("bookings:calendar", args=[booking.reference]))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/calendar")
    assert response["Content-Disposition"] == f'attachment; filename="{booking.reference}.ics"'
    [event] = Calendar.from_ical(response.content).events
    assert str(event["UID"]) == f"{booking.reference}@skyway"


def test_calendar_is_not_found_for_another_user_or_a_cancelled_booking(client, transatlantic):
    booking = make_booking(flight=transatlantic)
    url = reverse("bookings:calendar", args=[booking.reference])
    client.force_login(UserFactory())
    assert client.get(url).status_code == 404
    booking_cancel(user=booking.user, booking_id=booking.pk)
    client.force_login(booking.user)
    assert client.get(url).status_code == 404


def test_calendar_sends_anonymous_visitor_to_log_in(client, transatlantic):
    booking = make_booking(flight=transatlantic)
    response = client.get(reverse("bookings:calendar", args=[booking.reference]))
    assert response.status_code == 302 and urlsplit(response.url).path == reverse("accounts:login")


# The booking page links them


def test_booking_page_links_each_active_ticket_and_the_calendar(client, transatlantic):
    booking = make_booking(flight=transatlantic, passengers=2)
    client.force_login(booking.user)
    page = client.get(reverse("bookings:detail", args=[booking.reference])).content.decode()
    for ticket in booking.tickets.all():
        assert f'href="{_eticket_url(booking, ticket)}"' in page
    assert f'href="{reverse("bookings:calendar", args=[booking.reference])}"' in page


def test_booking_page_drops_the_links_once_cancelled(client, transatlantic):
    booking = make_booking(flight=transatlantic)
    booking_cancel(user=booking.user, booking_id=booking.pk)
    client.force_login(booking.user)
    page = client.get(reverse("bookings:detail", args=[booking.reference])).content.decode()
    assert "/tickets/" not in page and "calendar.ics" not in page


def test_booking_page_heading_shows_the_departure_airports_local_day(client, late_evening_in_los_angeles):
    booking = make_booking(flight=late_evening_in_los_angeles)
    client.force_login(booking.user)
    page = client.get(reverse("bookings:detail", args=[booking.reference])).content.decode()
    local = late_evening_in_los_angeles.departs_local()
    assert f"Flight SK101 · {local:%A} 24 December {NEXT_YEAR}" in page


# The confirmation e-mail links them, absolutely


def test_confirmation_email_links_etickets_and_calendar_with_absolute_urls(
    transatlantic, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        booking = make_booking(flight=transatlantic, names=["Ada Lovelace", "Alan Turing"])
    [email] = mail.outbox
    html = email.alternatives[0][0]
    calendar_url = "http://testserver" + reverse("bookings:calendar", args=[booking.reference])
    for ticket in booking.tickets.all():
        url = "http://testserver" + _eticket_url(booking, ticket)
        assert f"{ticket.passenger_name}, seat {ticket.seat}: {url}" in email.body
        assert f'href="{url}"' in html
    assert calendar_url in email.body and f'href="{calendar_url}"' in html


def test_cancellation_emails_carry_no_eticket_or_calendar_links(transatlantic):
    cancelled = make_booking(flight=transatlantic)
    booking_cancel(user=cancelled.user, booking_id=cancelled.pk)
    make_booking(flight=transatlantic, passengers=2)
    flight_remove(flight_id=transatlantic.pk)
    for template in ("booking_cancelled", "flight_cancelled"):
        context = OutboxMessage.objects.get(template=template).context
        assert "calendar_url" not in context
        assert all("eticket_url" not in passenger for passenger in context["passengers"])
