"""The schedule: list and filter flights, add, edit and remove one."""

from urllib.parse import urlencode

from auditlog.models import LogEntry
from django.conf import settings
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from booking_site.lib import formats
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

SCHEDULE_PAGE_SIZE = 50
# ?added=<id> / ?saved=<id>: the flight just written, marked in its day's list with these words.
JUST_WRITTEN = {"added": "Just added", "saved": "Just saved"}


def _flight_or_404(flight_id: int) -> Flight:
    return get_object_or_404(Flight.objects.select_related("origin", "destination"), pk=flight_id)


def _flight_on_its_day(flight: Flight, marker: str) -> HttpResponseRedirect:
    """The schedule of the flight's local departure day, the flight marked (`marker`: a key of
    JUST_WRITTEN) and scrolled to: where a staff member looks for what they just wrote."""
    query = urlencode({"date": flight.departs_local_date().isoformat(), marker: flight.pk})
    return HttpResponseRedirect(f"{reverse('staff:schedule')}?{query}#flight-{flight.pk}")


def _just_written(request) -> tuple[int | None, str]:
    for marker, words in JUST_WRITTEN.items():
        value = request.GET.get(marker, "")
        if value.isdigit() and len(value) < 12:
            return int(value), words
    return None, ""


@staff_required
def schedule(request):
    form = StaffFlightFilterForm(request.GET or None)
    if form.is_bound and not form.is_valid():
        # A filter that cannot be read lists nothing rather than everything: its message says why.
        page = Paginator(Flight.objects.none(), SCHEDULE_PAGE_SIZE).get_page(1)
        return render(request, "staff/flight_list.html", {"form": form, "page": page, "filters_invalid": True})
    filters = form.cleaned_data if form.is_bound else {}
    flights = flights_for_staff(
        number=filters.get("number") or "",
        day=filters.get("date"),
        origins=filters.get("origin"),
        destinations=filters.get("destination"),
    )
    if not any(filters.values()):
        flights = flights.filter(departs_at__gte=timezone.now())
    written_id, written_words = _just_written(request)
    page_number = request.GET.get("page")
    if written_id and page_number is None:
        # The page the flight just written is on (a busy day has more than one).
        ids = list(flights.values_list("pk", flat=True))
        if written_id in ids:
            page_number = ids.index(written_id) // SCHEDULE_PAGE_SIZE + 1
    page = Paginator(flights, SCHEDULE_PAGE_SIZE).get_page(page_number)
    return render(
        request,
        "staff/flight_list.html",
        {"form": form, "page": page, "written_id": written_id, "written_words": written_words},
    )


@staff_required
@require_http_methods(["GET", "POST"])
def flight_add(request):
    form = StaffFlightForm(request.POST or None, initial={"capacity": settings.DEFAULT_FLIGHT_CAPACITY})
    if request.method == "POST" and form.is_valid():
        flight = flight_services.flight_create(**flight_fields(form.cleaned_data))
        departs = (flight.departs_at, flight.origin.zone)
        messages.success(
            request,
            f"Flight {flight.number} added to the schedule. It departs {flight.origin.iata} on "
            f"{formats.format_local(*departs, 'D j M Y')} at {formats.format_local(*departs, 'H:i T')}.",
        )
        return _flight_on_its_day(flight, "added")
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
            return _flight_on_its_day(_flight_or_404(flight.pk), "saved")
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
