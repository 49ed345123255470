"""A passenger's printable e-tickets and the booking's calendar file (owner only, 404 otherwise)."""

from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_safe

from . import selectors
from .access import booking_for_request, booking_visitor_required
from .eticket import booking_ics, ticket_qr_svg
from .models import Ticket


@booking_visitor_required
@require_safe
def ticket_eticket(request, reference: str, ticket_id: int):
    """One active ticket of the visitor's confirmed booking, laid out to print, with its QR code."""
    booking = booking_for_request(request, reference)
    try:
        ticket = selectors.ticket_active_for_booking(booking=booking, ticket_id=ticket_id)
    except Ticket.DoesNotExist:
        raise Http404("No active ticket with that number on your booking.") from None
    # segno writes the SVG itself and escapes the one piece of text in it (the title);
    # ticket_qr_svg escapes the aria-label it adds.
    qr_svg = mark_safe(ticket_qr_svg(ticket))  # noqa: S308
    return render(
        request,
        "bookings/ticket_eticket.html",
        {"ticket": ticket, "booking": ticket.booking, "flight": ticket.flight, "qr_svg": qr_svg},
    )


@booking_visitor_required
@require_safe
def booking_calendar(request, reference: str):
    """The visitor's confirmed booking as an .ics file to add to a calendar."""
    booking = booking_for_request(request, reference)
    if not booking.is_confirmed:
        raise Http404("This booking is cancelled.")
    return HttpResponse(
        booking_ics(booking),
        content_type="text/calendar; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{booking.reference}.ics"'},
    )
