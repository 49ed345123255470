from django.conf import settings
from django.contrib import messages
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from accounts.decorators import staff_required

from . import services
from .exceptions import FlightError
from .forms import SearchForm, StaffFlightFilterForm, StaffFlightForm, flight_fields
from .models import Airport, Flight
from .search_cache import cached_flight_search
from .selectors import flights_for_staff

SEARCH_RESULTS_LIMIT = 100


def search(request):
    """The home page: the search form, and the results when it is filled in."""
    form = SearchForm(request.GET or None, initial={"date": timezone.localdate(), "passengers": 1})
    flights = None
    if form.is_bound and form.is_valid():
        query = form.search_query()
        flights = cached_flight_search(
            query=query, origin_zone=form.origin_airports[0].zone, limit=SEARCH_RESULTS_LIMIT
        )
    airports = Airport.objects.filter(departures__isnull=False).distinct().order_by("city")
    return render(
        request,
        "flights/flight_search.html",
        {
            "form": form,
            "flights": flights,
            "airports": airports,
            "passengers": form.cleaned_data.get("passengers", 1) if form.is_bound and form.is_valid() else 1,
            "max_passengers": settings.MAX_PASSENGERS_PER_BOOKING,
        },
    )


@staff_required
def staff_flight_list(request):
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
    return render(request, "flights/flight_staff_list.html", {"form": form, "page": page})


@staff_required
@require_http_methods(["GET", "POST"])
def staff_flight_create(request):
    form = StaffFlightForm(request.POST or None, initial={"capacity": settings.DEFAULT_FLIGHT_CAPACITY})
    if request.method == "POST" and form.is_valid():
        flight = services.flight_create(**flight_fields(form.cleaned_data))
        messages.success(request, f"Flight {flight.number} added to the schedule.")
        return redirect("flights:staff_list")
    return render(request, "flights/flight_staff_form.html", {"form": form, "title": "Add a flight"})


@staff_required
@require_http_methods(["GET", "POST"])
def staff_flight_edit(request, flight_id: int):
    flight = get_object_or_404(Flight.objects.select_related("origin", "destination"), pk=flight_id)
    form = StaffFlightForm(request.POST or None, initial=StaffFlightForm.initial_for(flight), flight_id=flight.pk)
    if request.method == "POST" and form.is_valid():
        try:
            services.flight_update(flight_id=flight.pk, **flight_fields(form.cleaned_data))
        except FlightError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, f"Flight {form.cleaned_data['number']} saved.")
            return redirect("flights:staff_list")
    return render(
        request,
        "flights/flight_staff_form.html",
        {"form": form, "flight": flight, "title": f"Edit flight {flight.number}"},
    )
