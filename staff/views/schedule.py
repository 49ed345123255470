"""The schedule: list and filter flights, add, edit and remove one."""

from auditlog.models import LogEntry
from django.conf import settings
from django.contrib import messages
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from bookings import services as booking_services
from bookings.exceptions import BookingError
from bookings.models import Booking
from flights import services as flight_services
from flights.exceptions import FlightError
from flights.forms import StaffFlightForm, flight_fields
from flights.models import Flight
from flights.selectors import flights_for_staff

from ..decorators import staff_required
from ..forms import StaffFlightFilterForm


def _flight_or_404(flight_id: int) -> Flight:
    return get_object_or_404(Flight.objects.select_related("origin", "destination"), pk=flight_id)


@staff_required
def schedule(request):
    form = StaffFlightFilterForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    flights = flights_for_staff(
        number=filters.get("number") or "",
        day=filters.get("date"),
        origin=filters.get("origin") or "",
        destination=filters.get("destination") or "",
    )
    if not any(filters.values()):
        flights = flights.filter(departs_at__gte=timezone.now())
    page = Paginator(flights, 50).get_page(request.GET.get("page"))
    return render(request, "staff/flight_list.html", {"form": form, "page": page})


@staff_required
@require_http_methods(["GET", "POST"])
def flight_add(request):
    form = StaffFlightForm(request.POST or None, initial={"capacity": settings.DEFAULT_FLIGHT_CAPACITY})
    if request.method == "POST" and form.is_valid():
        flight = flight_services.flight_create(**flight_fields(form.cleaned_data))
        messages.success(request, f"Flight {flight.number} added to the schedule.")
        return redirect("staff:schedule")
    return render(request, "staff/flight_form.html", {"form": form, "title": "Add a flight"})


@staff_required
@require_http_methods(["GET", "POST"])
def flight_edit(request, flight_id: int):
    flight = _flight_or_404(flight_id)
    form = StaffFlightForm(request.POST or None, initial=StaffFlightForm.initial_for(flight), flight_id=flight.pk)
    if request.method == "POST" and form.is_valid():
        try:
            flight_services.flight_update(flight_id=flight.pk, **flight_fields(form.cleaned_data))
        except FlightError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, f"Flight {form.cleaned_data['number']} saved.")
            return redirect("staff:schedule")
    return render(
        request,
        "staff/flight_form.html",
        {
            "form": form,
            "flight": flight,
            "title": f"Edit flight {flight.number}",
            "history": LogEntry.objects.get_for_object(flight).select_related("actor")[:50],
        },
    )


@staff_required
@require_http_methods(["GET", "POST"])
def flight_remove(request, flight_id: int):
    """Confirm, then delete an unbooked flight or cancel a booked one (and tell its passengers)."""
    flight = _flight_or_404(flight_id)
    if request.method == "POST":
        if flight.is_cancelled:
            messages.info(request, f"Flight {flight.number} was already cancelled.")
            return redirect("staff:schedule")
        try:
            outcome = booking_services.flight_remove(flight_id=flight.pk)
        except BookingError as error:
            messages.error(request, error.message)
            return redirect("staff:flight_remove", flight_id=flight.pk)
        if outcome == "deleted":
            messages.success(request, f"Flight {flight.number} had no bookings and was deleted.")
        else:
            messages.success(request, f"Flight {flight.number} is cancelled; its passengers are being e-mailed.")
        return redirect("staff:schedule")
    confirmed = flight.bookings.filter(status=Booking.Status.CONFIRMED).count()
    has_history = flight.bookings.exists()
    return render(
        request,
        "staff/flight_remove_confirm.html",
        {"flight": flight, "confirmed": confirmed, "has_history": has_history},
    )
