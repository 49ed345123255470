"""A passenger's printable e-tickets and the booking's calendar file (owner only, 404 otherwise)."""

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_safe

from . import selectors
from .eticket import booking_ics, ticket_qr_svg
from .models import Booking, Ticket


@login_required
@require_safe
def ticket_eticket(request, reference: str, ticket_id: int):
    """One active ticket of the user's confirmed booking, laid out to print, with its QR code."""
    try:
        ticket = selectors.ticket_active_for_owner(user=request.user, reference=reference, ticket_id=ticket_id)
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


@login_required
@require_safe
def booking_calendar(request, reference: str):
    """The user's confirmed booking as an .ics file to add to a calendar."""
    try:
        booking = selectors.booking_for_owner(user=request.user, reference=reference)
    except Booking.DoesNotExist:
        raise Http404("No booking with that reference.") from None
    if booking.is_cancelled:
        raise Http404("This booking is cancelled.")
    return HttpResponse(
        booking_ics(booking),
        content_type="text/calendar; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{booking.reference}.ics"'},
    )
