import uuid

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from accounts.decorators import staff_required
from flights.models import Flight
from flights.selectors import flights_by_number_on_local_day

from . import selectors, services
from .exceptions import BookingError
from .forms import BookingForm, ManifestLookupForm, passenger_count
from .models import Booking


def _bookable_flight(flight_id: int) -> Flight:
    return get_object_or_404(Flight.objects.select_related("origin", "destination"), pk=flight_id)


@require_http_methods(["GET", "POST"])
def flight_book(request, flight_id: int):
    """The flight page: live seats left and the passenger form. POST books (signed-in only)."""
    flight = _bookable_flight(flight_id)
    if request.method == "POST":
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        count = passenger_count(request.POST.get("passengers"))
        form = BookingForm(request.POST, passengers=count)
        if not form.is_valid() and "token" in form.errors:
            # Re-render with a fresh one-time token so that the corrected form can be sent.
            form.data = form.data.copy()
            form.data["token"] = str(uuid.uuid4())
        elif form.is_valid():
            try:
                booking = services.booking_create(
                    user=request.user,
                    flight_id=flight.pk,
                    passenger_names=form.passenger_names(),
                    token=form.cleaned_data["token"],
                )
            except BookingError as error:
                messages.error(request, error.message)
                flight.refresh_from_db()
            else:
                messages.success(request, f"Booked! Your booking reference is {booking.reference}.")
                return redirect("bookings:detail", reference=booking.reference)
    else:
        count = passenger_count(request.GET.get("passengers"))
        form = BookingForm(passengers=count)
    open_for_booking = not flight.is_cancelled and flight.departs_at > timezone.now()
    return render(
        request,
        "bookings/flight_book.html",
        {
            "flight": flight,
            "form": form,
            "passengers": count,
            "total": flight.price * count,
            "open_for_booking": open_for_booking,
            "enough_seats": flight.seats_left >= count,
            "passenger_choices": range(1, settings.MAX_PASSENGERS_PER_BOOKING + 1),
        },
    )


@login_required
def booking_list(request):
    return render(
        request,
        "bookings/booking_list.html",
        {
            "upcoming": selectors.bookings_upcoming(user=request.user),
            "past": selectors.bookings_past(user=request.user),
        },
    )


@login_required
def booking_detail(request, reference: str):
    try:
        booking = selectors.booking_for_owner(user=request.user, reference=reference)
    except Booking.DoesNotExist:
        raise Http404("No booking with that reference.") from None
    can_cancel = not booking.is_cancelled and booking.flight.departs_at > timezone.now()
    return render(request, "bookings/booking_detail.html", {"booking": booking, "can_cancel": can_cancel})


@login_required
@require_POST
def booking_cancel(request, reference: str):
    booking = get_object_or_404(Booking, reference=reference.upper(), user=request.user)
    was_cancelled = booking.is_cancelled
    try:
        services.booking_cancel(user=request.user, booking_id=booking.pk)
    except BookingError as error:
        messages.error(request, error.message)
    else:
        if was_cancelled:
            messages.info(request, f"Booking {booking.reference} was already cancelled.")
        else:
            messages.success(request, f"Booking {booking.reference} is cancelled. We have e-mailed you a confirmation.")
    return redirect("bookings:detail", reference=booking.reference)


@staff_required
def staff_manifest_lookup(request):
    """Pick a flight by number and local departure date; one match opens its manifest."""
    form = ManifestLookupForm(request.GET or None)
    flights = None
    if form.is_bound and form.is_valid():
        flights = flights_by_number_on_local_day(number=form.cleaned_data["number"], day=form.cleaned_data["date"])
        if len(flights) == 1:
            return redirect("bookings:staff_manifest", flight_id=flights[0].pk)
    return render(request, "bookings/manifest_lookup.html", {"form": form, "flights": flights})


@staff_required
def staff_manifest(request, flight_id: int):
    flight = _bookable_flight(flight_id)
    tickets = selectors.flight_manifest(flight=flight)
    active = [ticket for ticket in tickets if ticket.status == ticket.Status.ACTIVE]
    return render(
        request, "bookings/flight_manifest.html", {"flight": flight, "tickets": tickets, "active_count": len(active)}
    )


@staff_required
@require_http_methods(["GET", "POST"])
def staff_flight_remove(request, flight_id: int):
    """Confirm, then delete an unbooked flight or cancel a booked one (and tell its passengers)."""
    flight = _bookable_flight(flight_id)
    if request.method == "POST":
        if flight.is_cancelled:
            messages.info(request, f"Flight {flight.number} was already cancelled.")
            return redirect("flights:staff_list")
        try:
            outcome = services.flight_remove(flight_id=flight.pk)
        except BookingError as error:
            messages.error(request, error.message)
            return redirect("bookings:staff_flight_remove", flight_id=flight.pk)
        if outcome == "deleted":
            messages.success(request, f"Flight {flight.number} had no bookings and was deleted.")
        else:
            messages.success(request, f"Flight {flight.number} is cancelled; its passengers are being e-mailed.")
        return redirect("flights:staff_list")
    confirmed = flight.bookings.filter(status=Booking.Status.CONFIRMED).count()
    has_history = flight.bookings.exists()
    return render(
        request,
        "bookings/flight_remove_confirm.html",
        {"flight": flight, "confirmed": confirmed, "has_history": has_history},
    )
