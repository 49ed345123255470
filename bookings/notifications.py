"""The JSON context our booking e-mails are rendered from (the outbox stores it as it is)."""

from collections.abc import Iterable
from decimal import Decimal

from django.conf import settings
from django.urls import reverse

from accounts.unsubscribe import unsubscribe_token
from booking_site.lib.formats import local_datetime, money
from flights.models import Flight

from .models import Booking, Payment, Ticket
from .payments import REFUND_ARRIVES_WITHIN, card_words


def _local(moment, zone) -> str:
    """A time as every booking e-mail shows it, "Sun 31 Oct 2027, 01:30 GMT" (flight-change
    e-mails use it for the old times too)."""
    return local_datetime(moment, zone)


def absolute_url(name: str, *args) -> str:
    """A link for an e-mail or a file: no request to take the host from (SITE_URL)."""
    return settings.SITE_URL + reverse(name, args=args)


def unsubscribe_context(*, user_id: int, email_list: str) -> dict:
    """The one-click unsubscribe link of an e-mail list, for the message and for mail apps
    (RFC 8058 headers, read by notifications.services._render). Staff never see the link in
    Sent mail (notifications/selectors_mail.py): it acts for the passenger."""
    url = absolute_url("accounts:unsubscribe", unsubscribe_token(user_id=user_id, email_list=email_list))
    return {
        "unsubscribe_url": url,
        "_headers": {"List-Unsubscribe": f"<{url}>", "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"},
    }


def _passenger(booking: Booking, ticket: Ticket) -> dict:
    passenger = {"name": ticket.passenger_name, "seat": ticket.seat}
    # Checked in memory: a booking being cancelled may hold tickets read before the update.
    if not booking.is_cancelled and ticket.status == Ticket.Status.ACTIVE:
        passenger["eticket_url"] = absolute_url("bookings:eticket", booking.reference, ticket.pk)
    return passenger


def booking_email_context(booking: Booking, flight: Flight, tickets: Iterable[Ticket], *, name: str) -> dict:
    """Links are absolute (SITE_URL): the worker renders the mail, with no request to go by.
    E-ticket and calendar links are left out once the booking is cancelled."""
    context = {
        "name": name,
        "reference": booking.reference,
        "flight_number": flight.number,
        "origin": f"{flight.origin.city or flight.origin.name} ({flight.origin.iata})",
        "destination": f"{flight.destination.city or flight.destination.name} ({flight.destination.iata})",
        "departs": _local(flight.departs_at, flight.origin.zone),
        "arrives": _local(flight.arrives_at, flight.destination.zone),
        "passengers": [_passenger(booking, ticket) for ticket in tickets],
        "total": money(booking.total_price, style="code"),
        "url": absolute_url("bookings:detail", booking.reference),
    }
    if not booking.is_cancelled:
        context["calendar_url"] = absolute_url("bookings:calendar", booking.reference)
    return context


def refund_context(booking: Booking, payment: Payment | None, *, refund: Decimal, refunded_before: Decimal) -> dict:
    """What a cancellation e-mail says about money: what was charged, what goes back now
    (`refund`), what went back earlier (`refunded_before`), to which card and how soon."""
    charged = payment.amount if payment is not None else booking.total_price
    brand, last4 = (payment.card_brand, payment.card_last4) if payment is not None else ("", "")
    return {
        "charged": money(charged, style="code"),
        "refund": money(refund, style="code") if refund else "",
        "refunded_before": money(refunded_before, style="code") if refunded_before else "",
        "refund_to": card_words(brand=brand, last4=last4),
        "refund_within": REFUND_ARRIVES_WITHIN,
    }
