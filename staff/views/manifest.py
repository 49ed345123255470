"""The manifest: find a flight by number and local date, and list who is on it."""

from django.shortcuts import get_object_or_404, redirect, render

from bookings.selectors import flight_manifest
from flights.models import Flight
from flights.selectors import flights_by_number_on_local_day

from ..decorators import staff_required
from ..forms import ManifestLookupForm


@staff_required
def manifest_lookup(request):
    """Pick a flight by number and local departure date; one match opens its manifest."""
    form = ManifestLookupForm(request.GET or None)
    flights = None
    if form.is_bound and form.is_valid():
        flights = flights_by_number_on_local_day(number=form.cleaned_data["number"], day=form.cleaned_data["date"])
        if len(flights) == 1:
            return redirect("staff:manifest", flight_id=flights[0].pk)
    return render(request, "staff/manifest_lookup.html", {"form": form, "flights": flights})


@staff_required
def manifest(request, flight_id: int):
    flight = get_object_or_404(Flight.objects.select_related("origin", "destination"), pk=flight_id)
    tickets = flight_manifest(flight=flight)
    active = [ticket for ticket in tickets if ticket.status == ticket.Status.ACTIVE]
    return render(request, "staff/manifest.html", {"flight": flight, "tickets": tickets, "active_count": len(active)})
