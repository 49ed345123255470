"""E-tickets and calendar files: pure functions from a ticket or booking to text or bytes.

Nothing here queries or writes: callers pass a ticket with its booking and flight (and the
flight's airports) loaded, or a booking with its flight, airports and tickets.
"""

from datetime import UTC, datetime, timedelta
from html import escape

import segno
from django.conf import settings
from icalendar import Calendar, Event

from booking_site.lib.formats import is_ambiguous_wall_time

from .models import Booking, Ticket
from .notifications import absolute_url

# Identifies our payload to a gate scanner; a format name, so it does not follow SITE_NAME.
QR_PAYLOAD_PREFIX = "SKYWAY"
QR_MODULE_PIXELS = 4
# The VTIMEZONE rules cover this much either side of the trip: enough for any client that
# reads them (most go by the TZID name) without the 1970-2038 default's pages of RDATEs.
TIMEZONE_MARGIN = timedelta(days=30)


def _field(value: str) -> str:
    """A value on one line with no "|": a passenger name cannot forge another field."""
    return " ".join(str(value).replace("|", " ").split())


def ticket_qr_payload(ticket: Ticket) -> str:
    """The text in a ticket's QR code: reference, passenger, flight, local departure day, seat.

    "SKYWAY|REF=ABC234|PAX=Ada Lovelace|FLT=SK101|DATE=2026-12-24|SEAT=7C". DATE is the
    departure airport's calendar day, as printed on the ticket.
    """
    flight = ticket.flight
    fields = {
        "REF": ticket.booking.reference,
        "PAX": ticket.passenger_name,
        "FLT": flight.number,
        "DATE": f"{flight.departs_local():%Y-%m-%d}",
        "SEAT": ticket.seat,
    }
    return "|".join([QR_PAYLOAD_PREFIX, *(f"{key}={_field(value)}" for key, value in fields.items())])


def ticket_qr_svg(ticket: Ticket) -> str:
    """The ticket's QR code as inline SVG for an HTML page (no XML declaration), labelled
    for screen readers. Every piece of text in it is escaped."""
    label = f"QR code for {ticket.passenger_name}, seat {ticket.seat}, booking {ticket.booking.reference}"
    qr = segno.make_qr(ticket_qr_payload(ticket), error="m")
    # A viewBox as well as a size (unit="px"), so CSS can scale it for print.
    svg = qr.svg_inline(scale=QR_MODULE_PIXELS, unit="px", title=label, svgclass="eticket-qr", lineclass=None)
    return svg.replace("<svg", f'<svg role="img" aria-label="{escape(label, quote=True)}"', 1)


def _place(airport) -> str:
    return airport.city or airport.name


def _ics_moment(moment: datetime, zone) -> datetime:
    """How an event time is written: on the airport's wall clock with its TZID, unless that
    wall time happens twice (the hour the clocks go back). RFC 5545 reads a repeated local
    time as its first occurrence and has no way to say "the second", so such a time is
    written in UTC ("...Z"), which names the instant for every calendar."""
    if is_ambiguous_wall_time(moment, zone):
        return moment.astimezone(UTC)
    return moment.astimezone(zone)


def booking_ics(booking: Booking) -> bytes:
    """An iCalendar file with the booking's flight as one event.

    Start and end are local wall-clock times with the origin's and destination's TZID (and
    their VTIMEZONE rules), so a calendar shows them right whatever its own zone; a time in
    the hour the clocks go back is written in UTC instead (see _ics_moment). The UID is
    stable per booking: importing the file again updates the event instead of doubling it.
    """
    flight = booking.flight
    origin, destination = flight.origin, flight.destination
    departs = _ics_moment(flight.departs_at, origin.zone)
    arrives = _ics_moment(flight.arrives_at, destination.zone)
    active = [ticket for ticket in booking.tickets.all() if ticket.status == Ticket.Status.ACTIVE]
    seats = ", ".join(f"{ticket.passenger_name} (seat {ticket.seat})" for ticket in active)
    url = absolute_url("bookings:detail", booking.reference)

    event = Event()
    event.add("uid", f"{booking.reference}@skyway")
    event.add("dtstamp", booking.created_at)
    event.add("dtstart", departs)
    event.add("dtend", arrives)
    event.add("summary", f"Flight {flight.number} {_place(origin)} → {_place(destination)}")
    event.add("location", f"{origin.name} ({origin.iata})")
    event.add(
        "description",
        f"Booking reference: {booking.reference}\n"
        f"Flight: {flight.number}, {origin.name} ({origin.iata}) → {destination.name} ({destination.iata})\n"
        f"Passengers: {seats}\n"
        f"Manage your booking: {url}",
    )
    event.add("url", url)

    calendar = Calendar()
    calendar.add("prodid", f"-//{settings.SITE_NAME}//Bookings//EN")
    calendar.add("version", "2.0")
    calendar.add("method", "PUBLISH")
    calendar.add_component(event)
    calendar.add_missing_timezones(
        first_date=departs.date() - TIMEZONE_MARGIN, last_date=arrives.date() + TIMEZONE_MARGIN
    )
    return calendar.to_ical()
