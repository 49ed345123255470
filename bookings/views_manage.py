"""Manage booking without an account: booking reference + a passenger's last name."""

import logging

from django.conf import settings
from django.contrib import messages
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods
from django_ratelimit.core import is_ratelimited
from redis.exceptions import RedisError

from accounts import lockout

from . import selectors
from .access import grant_managed
from .forms import ManageBookingForm
from .models import Booking

logger = logging.getLogger(__name__)

NOT_FOUND = (
    "We could not find a booking with that reference and last name. Check both against your "
    "confirmation e-mail; the reference has 6 letters and digits."
)
TOO_MANY = "Too many attempts. Please wait a few minutes and try again."
UNAVAILABLE = "Manage booking is unavailable for a moment. Please try again shortly, or log in to see your bookings."


def _limited(request, reference: str) -> bool:
    """Counts this attempt against the client's address and against the reference, so that
    neither one client nor many clients can try names or references for long."""
    by_ip = is_ratelimited(
        request, group="manage-booking-ip", key="ip", rate=settings.MANAGE_BOOKING_RATE_IP, increment=True
    )
    by_reference = is_ratelimited(
        request,
        group="manage-booking-reference",
        key=lambda _group, _request: reference,
        rate=settings.MANAGE_BOOKING_RATE_REFERENCE,
        increment=True,
    )
    return by_ip or by_reference


@require_http_methods(["GET", "POST"])
def manage_lookup(request):
    form = ManageBookingForm(request.POST or None)
    status = 200
    if request.method == "POST" and form.is_valid():
        reference = form.cleaned_data["reference"]
        if lockout.guard_locked(request, lockout.MANAGE_BOOKING, reference):
            return lockout.lockout_page(request, lockout.MANAGE_BOOKING)
        try:
            limited = _limited(request, reference)
        except RedisError:
            # Without the counters there is no limit: refuse rather than allow unlimited guessing.
            logger.warning("Manage booking refused: the rate-limit store is unreachable")
            form.add_error(None, UNAVAILABLE)
            status = 503
            limited = None
        if limited:
            form.add_error(None, TOO_MANY)
            status = 429
        elif limited is False:
            try:
                booking = selectors.booking_for_manage(reference=reference, last_name=form.cleaned_data["last_name"])
            except Booking.DoesNotExist:
                form.add_error(None, NOT_FOUND)
                # Five wrong names for one reference from one address lock that pair (axes).
                lockout.guard_attempt(request, lockout.MANAGE_BOOKING, reference)
            else:
                grant_managed(request, booking)
                messages.success(request, f"Welcome back. Here is booking {booking.reference}.")
                return redirect("bookings:detail", reference=booking.reference)
    return render(request, "bookings/manage_lookup.html", {"form": form}, status=status)
