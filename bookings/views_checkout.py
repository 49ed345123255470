"""Checkout steps 2-4 for a held booking: passenger details, payment, confirmation.
Signed-in owner only (404 for anyone else's booking)."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from booking_site.lib.formats import local_moment

from . import selectors, services
from .airport_times import airport_steps
from .exceptions import BookingError, HoldExpired, PaymentDeclined
from .fares import cancellation_deadline, fare_rule_text
from .forms import PassengerForm, PaymentForm
from .models import Booking, Ticket
from .payments import TestPaymentProvider


def checkout_url(booking: Booking) -> str:
    """Where the passenger goes on with this booking: the first unfinished step."""
    if booking.status != Booking.Status.HELD:
        return reverse("bookings:detail", args=[booking.reference])
    unnamed = booking.tickets.filter(status=Ticket.Status.HELD, last_name="").exists()
    step = "bookings:checkout_passengers" if unnamed else "bookings:checkout_payment"
    return reverse(step, args=[booking.reference])


def _held_booking(request, reference: str):
    """The user's booking, or a redirect when it is not a live hold any more."""
    try:
        booking = selectors.booking_for_owner(user=request.user, reference=reference)
    except Booking.DoesNotExist:
        raise Http404("No booking with that reference.") from None
    if booking.status == Booking.Status.HELD and booking.hold_expires_at > timezone.now():
        return booking, None
    if booking.status == Booking.Status.CONFIRMED:
        return booking, redirect("bookings:detail", reference=booking.reference)
    if booking.status == Booking.Status.CANCELLED:  # the airline cancelled the flight
        messages.error(request, "This flight has been cancelled, so your seats were released.")
    else:
        messages.error(request, HoldExpired.message)
    return booking, redirect("bookings:book", flight_id=booking.flight_id)


def _held_tickets(booking: Booking) -> list[Ticket]:
    return [ticket for ticket in booking.tickets.all() if ticket.status == Ticket.Status.HELD]


def _context(booking: Booking, step: int, **extra) -> dict:
    return {
        "booking": booking,
        "flight": booking.flight,
        "tickets": _held_tickets(booking),
        "step": step,
        "seconds_left": max(int((booking.hold_expires_at - timezone.now()).total_seconds()), 0),
        **extra,
    }


@login_required
@require_http_methods(["GET", "POST"])
def checkout_passengers(request, reference: str):
    booking, elsewhere = _held_booking(request, reference)
    if elsewhere:
        return elsewhere
    tickets = _held_tickets(booking)
    ask = settings.ASK_DATE_OF_BIRTH
    form = PassengerForm(request.POST or None, tickets=tickets, ask_date_of_birth=ask, holder=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            services.booking_set_passengers(user=request.user, booking_id=booking.pk, passengers=form.passengers())
        except HoldExpired as error:
            messages.error(request, error.message)
            return redirect("bookings:book", flight_id=booking.flight_id)
        except BookingError as error:
            form.add_error(None, error.message)
        else:
            return redirect("bookings:checkout_payment", reference=booking.reference)
    return render(request, "bookings/checkout_passengers.html", _context(booking, 2, form=form))


@login_required
@sensitive_post_parameters("number", "cvc", "expiry", "holder")
@require_http_methods(["GET", "POST"])
def checkout_payment(request, reference: str):
    """Pay by card. A declined card keeps the hold and says why; the card number is never
    written back into the page."""
    booking, elsewhere = _held_booking(request, reference)
    if elsewhere:
        return elsewhere
    if any(not ticket.last_name for ticket in _held_tickets(booking)):
        return redirect("bookings:checkout_passengers", reference=booking.reference)
    form = PaymentForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.booking_pay(user=request.user, booking_id=booking.pk, card=form.card())
        except PaymentDeclined as error:
            form.add_error(None, error.message)
        except HoldExpired as error:
            messages.error(request, error.message)
            return redirect("bookings:book", flight_id=booking.flight_id)
        except BookingError as error:
            messages.error(request, error.message)
            return redirect("bookings:detail", reference=booking.reference)
        else:
            return redirect("bookings:checkout_done", reference=booking.reference)
    test_cards = settings.PAYMENT_PROVIDER.endswith("TestPaymentProvider")
    return render(
        request,
        "bookings/checkout_payment.html",
        _context(booking, 3, form=form, test_cards=test_cards, declines=TestPaymentProvider.DECLINES),
    )


@login_required
@require_POST
def checkout_release(request, reference: str):
    """Leave checkout: the held seats go back at once."""
    try:
        booking = selectors.booking_for_owner(user=request.user, reference=reference)
    except Booking.DoesNotExist:
        raise Http404("No booking with that reference.") from None
    try:
        services.booking_release(user=request.user, booking_id=booking.pk)
    except BookingError as error:
        messages.error(request, error.message)
        return redirect(checkout_url(booking))
    if booking.status == Booking.Status.HELD:
        messages.info(request, "Your seats were released.")
    return redirect("bookings:book", flight_id=booking.flight_id)


@login_required
@require_safe
def checkout_done(request, reference: str):
    """Step 4: the confirmation, with each passenger's e-ticket and the calendar file."""
    try:
        booking = selectors.booking_for_owner(user=request.user, reference=reference)
    except Booking.DoesNotExist:
        raise Http404("No booking with that reference.") from None
    if not booking.is_confirmed:
        return redirect("bookings:detail", reference=booking.reference)
    tickets = [ticket for ticket in booking.tickets.all() if ticket.is_active]
    flight = booking.flight
    departure_day = flight.departs_local_date()
    steps = [
        (step, local_moment(step.at, flight.origin.zone).date() != departure_day)
        for step in airport_steps(flight.departs_at)
    ]
    return render(
        request,
        "bookings/checkout_done.html",
        {
            "booking": booking,
            "flight": flight,
            "tickets": tickets,
            "step": 4,
            "airport_steps": steps,  # (step, falls on the day before departure)
            "cancellation_deadline": cancellation_deadline(flight.departs_at),
            "fare_rule": fare_rule_text(),
        },
    )
