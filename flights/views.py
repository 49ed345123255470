from dataclasses import replace
from datetime import timedelta

from django.conf import settings
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods

from accounts.decorators import staff_required

from . import services
from .exceptions import FlightError
from .forms import SearchForm, StaffFlightFilterForm, StaffFlightForm, flight_fields
from .models import Flight
from .search_cache import cached_airport_suggestions, cached_flight_search
from .selectors import SORTS, departs_in_window, flights_for_staff, lowest_prices_by_day, page_after

SEARCH_RESULTS_LIMIT = 500  # flights on one route and day; far above any real timetable
SEARCH_PAGE_SIZE = 20


def _search_url(request, **changes) -> str:
    """The current search with some parameters changed (None removes one)."""
    params = request.GET.copy()
    for name, value in changes.items():
        params.pop(name, None)
        if value is not None:
            params[name] = value
    return f"{reverse('flights:search')}?{params.urlencode()}"


def search(request):
    """The home page: the search form, and the results when it is filled in.

    The whole day's bookable flights come from the cache; the time window, maximum price and
    sort are applied to that list, so one cached page serves every filter and order.
    """
    form = SearchForm(request.GET or None, initial={"date": timezone.localdate(), "passengers": 1})
    context = {"form": form, "flights": None, "max_passengers": settings.MAX_PASSENGERS_PER_BOOKING, "passengers": 1}
    if form.is_bound and form.is_valid():
        data = form.cleaned_data
        query = form.search_query()
        zone = form.origin_airports[0].zone
        whole_day = cached_flight_search(
            query=replace(query, window="any"), origin_zone=zone, limit=SEARCH_RESULTS_LIMIT
        )
        flights = [
            flight
            for flight in whole_day
            if departs_in_window(flight, query.window)
            and (data["max_price"] is None or flight.price <= data["max_price"])
        ]
        flights.sort(key=SORTS[data["sort"]][1])
        total = len(flights)
        flights, next_cursor = page_after(
            flights, sort=data["sort"], cursor=request.GET.get("after"), size=SEARCH_PAGE_SIZE
        )
        lowest = lowest_prices_by_day(query=query, origin_zone=zone)
        local_today = timezone.now().astimezone(zone).date()
        context.update(
            flights=flights,
            hidden_count=len(whole_day) - total,
            total=total,
            next_url=_search_url(request, after=next_cursor) if next_cursor else None,
            first_page_url=_search_url(request, after=None) if request.GET.get("after") else None,
            passengers=query.passengers,
            sort_links=[
                (label, _search_url(request, sort=key, after=None), key == data["sort"])
                for key, (label, _) in SORTS.items()
            ],
            flexible_days=[
                (day, lowest.get(day), _search_url(request, date=day.isoformat(), after=None), day == query.day)
                for day in (query.day + timedelta(days=offset) for offset in range(-3, 4))
                if day >= local_today
            ],
            reset_url=_search_url(request, window=None, max_price=None, after=None),
            filtered=query.window != "any" or data["max_price"] is not None,
        )
    return render(request, "flights/flight_search.html", context)


@require_GET
def airport_suggest(request):
    """JSON for the From/To autosuggest: {"results": [{value, label, detail, kind}, ...]}."""
    text = request.GET.get("q", "")[:100]
    response = JsonResponse({"results": cached_airport_suggestions(text)})
    response["Cache-Control"] = "public, max-age=300"
    return response


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
