"""The JSON context our booking e-mails are rendered from (the outbox stores it as it is)."""

from collections.abc import Iterable

from django.conf import settings
from django.urls import reverse

from flights.models import Flight

from .models import Booking, Ticket


def _local(moment, zone) -> str:
    return moment.astimezone(zone).strftime("%a %d %b %Y, %H:%M %Z")


def booking_email_context(booking: Booking, flight: Flight, tickets: Iterable[Ticket], *, name: str) -> dict:
    return {
        "name": name,
        "reference": booking.reference,
        "flight_number": flight.number,
        "origin": f"{flight.origin.city or flight.origin.name} ({flight.origin.iata})",
        "destination": f"{flight.destination.city or flight.destination.name} ({flight.destination.iata})",
        "departs": _local(flight.departs_at, flight.origin.zone),
        "arrives": _local(flight.arrives_at, flight.destination.zone),
        "passengers": [{"name": t.passenger_name, "seat": t.seat} for t in tickets],
        "total": f"{booking.total_price:,.2f} {settings.CURRENCY}",
        "url": settings.SITE_URL + reverse("bookings:detail", args=[booking.reference]),
    }
