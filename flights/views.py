import hashlib
from dataclasses import replace
from datetime import timedelta
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.messages import get_messages
from django.core.cache import cache
from django.core.paginator import Paginator
from django.http import HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods

from accounts.decorators import staff_required

from . import services
from .exceptions import FlightError
from .forms import SearchForm, StaffFlightFilterForm, StaffFlightForm, flight_fields
from .models import Flight
from .search_cache import (
    FLEXIBLE_DAYS,
    SearchKeys,
    cached_airport_suggestions,
    search_keys,
)
from .selectors import (
    SORTS,
    TIME_WINDOWS,
    bookable_flights,
    departs_in_window,
    flights_for_staff,
    lowest_prices_by_day,
    page_after,
)

SEARCH_RESULTS_LIMIT = 500  # flights on one route and day; far above any real timetable
SEARCH_PAGE_SIZE = 20


# The parameters a results page depends on, in a fixed order: its links carry only these, and
# its cache key is made of them, so stray parameters can neither change nor multiply pages.
SEARCH_PARAMS = ("origin", "destination", "date", "window", "passengers", "sort", "max_price", "after")


def _search_url(path: str, params: dict, **changes) -> str:
    """The current search with some parameters changed (None removes one)."""
    merged = {**params, **changes}
    return f"{path}?{urlencode({name: value for name, value in merged.items() if value not in (None, '')})}"


def search(request):
    """The home page: the search form, and the results when it is filled in.

    Results come from the cache when nothing on the route changed since (flights.search_cache).
    The rendered results serve everyone; anonymous visitors with no message waiting, who all
    see the same page for the same search, get the whole page from the cache.
    """
    form = SearchForm(request.GET or None, initial={"date": timezone.localdate(), "passengers": 1})
    context = {
        "form": form,
        "results_html": None,
        "max_passengers": settings.MAX_PASSENGERS_PER_BOOKING,
        "time_windows": [(key, label) for key, (label, *_) in TIME_WINDOWS.items()],
    }
    if not (form.is_bound and form.is_valid()):
        return render(request, "flights/flight_search.html", context)

    query = form.search_query()
    params = {name: request.GET.get(name, "") for name in SEARCH_PARAMS}
    keys = search_keys(replace(query, window="any"), limit=SEARCH_RESULTS_LIMIT, params=urlencode(params))
    whole_page = None
    if keys and not request.user.is_authenticated and not len(get_messages(request)):
        whole_page = f"{keys.page}:anonymous:{hashlib.sha256(request.get_full_path().encode()).hexdigest()}"
    found = cache.get_many([key for key in (whole_page, keys and keys.page) if key])
    if whole_page in found:
        return HttpResponse(found[whole_page])
    context["results_html"] = found.get(keys.page) if keys else None
    to_cache = {}
    if context["results_html"] is None:
        context["results_html"], to_cache = _results_html(request, form, query, params, keys)
    response = render(request, "flights/flight_search.html", context)
    if whole_page:
        to_cache[whole_page] = response.content.decode()
    if to_cache:
        cache.set_many(to_cache, settings.SEARCH_CACHE_SECONDS)
    return response


def _results_html(request, form: SearchForm, query, params: dict, keys: SearchKeys | None) -> tuple[str, dict]:
    """The rendered results for a valid search, and what to cache: the page, and apart from
    it the day's bookable flights and the fare strip, as one cached day serves every time
    window, price filter, sort and page of it."""
    data = form.cleaned_data
    path = reverse("flights:search")
    found = cache.get_many([keys.whole_day, keys.fares]) if keys else {}

    zone = form.origin_airports[0].zone
    whole_day = found.get(keys.whole_day) if keys else None
    if whole_day is None:
        whole_day = bookable_flights(
            query=replace(query, window="any"),
            origins=form.origin_airports,
            destinations=form.destination_airports,
            limit=SEARCH_RESULTS_LIMIT,
        )
    lowest = found.get(keys.fares) if keys else None
    if lowest is None:
        lowest = lowest_prices_by_day(query=query, origin_zone=zone, days_around=FLEXIBLE_DAYS)

    flights = [
        flight
        for flight in whole_day
        if departs_in_window(flight, query.window) and (data["max_price"] is None or flight.price <= data["max_price"])
    ]
    flights.sort(key=SORTS[data["sort"]][1])
    total = len(flights)
    flights, next_cursor = page_after(flights, sort=data["sort"], cursor=params["after"], size=SEARCH_PAGE_SIZE)
    local_today = timezone.now().astimezone(zone).date()
    html = render_to_string(
        "flights/_search_results.html",
        {
            "flights": flights,
            "origin": data["origin"],
            "destination": data["destination"],
            "day": query.day,
            "passengers": query.passengers,
            "total": total,
            "hidden_count": len(whole_day) - total,
            "params": params,
            "max_price": data["max_price"],
            "next_url": _search_url(path, params, after=next_cursor) if next_cursor else None,
            "first_page_url": _search_url(path, params, after=None) if params["after"] else None,
            "sort_links": [
                (label, _search_url(path, params, sort=key, after=None), key == data["sort"])
                for key, (label, _) in SORTS.items()
            ],
            "flexible_days": [
                (day, lowest.get(day), _search_url(path, params, date=day.isoformat(), after=None), day == query.day)
                for day in (query.day + timedelta(days=offset) for offset in range(-FLEXIBLE_DAYS, FLEXIBLE_DAYS + 1))
                if day >= local_today
            ],
            "reset_url": _search_url(path, params, window=None, max_price=None, after=None),
        },
        request=request,
    )
    return html, ({keys.page: html, keys.whole_day: whole_day, keys.fares: lowest} if keys else {})


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
