import hashlib
from urllib.parse import urlencode

from django.conf import settings
from django.contrib.messages import get_messages
from django.core.cache import cache
from django.http import HttpResponse, JsonResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET

from .forms import SCHEDULE_HORIZON_DAYS, SearchForm
from .search import SearchResult, search_flights, search_keys
from .search_alternatives import search_alternatives
from .search_cache import cached_airport_suggestions
from .selectors import SORTS, TIME_WINDOWS
from .views_discovery import anywhere_html

# The parameters a results page depends on, in a fixed order: its links carry only these, and
# its cache key is made of them, so stray parameters can neither change nor multiply pages.
SEARCH_PARAMS = ("origin", "destination", "date", "window", "passengers", "sort", "max_price", "after")


def _search_url(path: str, params: dict, **changes) -> str:
    """The current search with some parameters changed (None removes one)."""
    merged = {**params, **changes}
    return f"{path}?{urlencode({name: value for name, value in merged.items() if value not in (None, '')})}"


def search(request):
    """The home page: the search form, and the results when it is filled in.

    The search itself, with its data caches, is flights.search. This view caches only what it
    renders, under a key that changes with the search's data (`SearchKeys.page`): the results
    HTML serves everyone; anonymous visitors with no message waiting, who all see the same
    page for the same search, get the whole page from the cache (no SQL at all).
    """
    form = SearchForm(request.GET or None, initial={"date": timezone.localdate(), "passengers": 1}, allow_anywhere=True)
    context = {
        "form": form,
        "results_html": None,
        "max_passengers": settings.MAX_PASSENGERS_PER_BOOKING,
        "time_windows": [(key, label) for key, (label, *_) in TIME_WINDOWS.items()],
    }
    if not (form.is_bound and form.is_valid()):
        return render(request, "flights/flight_search.html", context)
    if form.anywhere:  # From with no To: every destination from there, not a form error
        context.update(results_html=anywhere_html(request, form), anywhere=True)
        return render(request, "flights/flight_search.html", context)

    params = {name: request.GET.get(name, "") for name in SEARCH_PARAMS}
    query = form.search_query(cursor=params["after"])
    keys = search_keys(query)
    page_key = keys.page(urlencode(params))
    whole_page = None
    if page_key and not request.user.is_authenticated and not len(get_messages(request)):
        whole_page = f"{page_key}:anonymous:{hashlib.sha256(request.get_full_path().encode()).hexdigest()}"
    found = cache.get_many([key for key in (whole_page, page_key) if key])
    if whole_page in found:
        return HttpResponse(found[whole_page])
    context["results_html"] = found.get(page_key)
    to_cache = {}
    if context["results_html"] is None:
        context["results_html"] = _results_html(request, form, search_flights(query, keys=keys), params)
        if page_key:
            to_cache[page_key] = context["results_html"]
    response = render(request, "flights/flight_search.html", context)
    if whole_page:
        to_cache[whole_page] = response.content.decode()
    if to_cache:
        cache.set_many(to_cache, settings.SEARCH_CACHE_SECONDS)
    return response


def _empty_day_context(form: SearchForm, result: SearchResult, params: dict, path: str) -> dict:
    """What an empty page says instead of a dead end: the filters that hide the day's flights
    (with a way to clear them), else the nearest days with flights, else the routes from the
    origin (flights.search_alternatives)."""
    data = form.cleaned_data
    if result.hidden_count:
        return {"window_label": TIME_WINDOWS[data["window"]][0] if data["window"] != "any" else None}
    alternatives = search_alternatives(form.search_query(), horizon_days=SCHEDULE_HORIZON_DAYS)
    return {
        "alternatives": alternatives,
        "earlier_url": _day_url(path, params, alternatives.earlier),
        "later_url": _day_url(path, params, alternatives.later),
        "route_links": [
            (
                route,
                _search_url(
                    path,
                    params,
                    destination=route.destination.iata,
                    date=route.next_day.isoformat(),
                    window=None,
                    max_price=None,
                    after=None,
                ),
            )
            for route in alternatives.routes
        ],
    }


def _day_url(path: str, params: dict, day) -> str | None:
    """The same search, sort and filters on another day."""
    return _search_url(path, params, date=day.isoformat(), after=None) if day else None


def _results_html(request, form: SearchForm, result: SearchResult, params: dict) -> str:
    """The rendered results of a valid search (flights/_search_results.html)."""
    data = form.cleaned_data
    path = reverse("flights:search")
    return render_to_string(
        "flights/_search_results.html",
        {
            **(_empty_day_context(form, result, params, path) if not result.total else {}),
            "flights": result.flights,
            "origin": form.origin_name,
            "destination": form.destination_name,
            "day": data["date"],
            "passengers": data["passengers"],
            "total": result.total,
            "hidden_count": result.hidden_count,
            "params": params,
            "max_price": data["max_price"],
            "next_url": _search_url(path, params, after=result.next_cursor) if result.next_cursor else None,
            "first_page_url": _search_url(path, params, after=None) if params["after"] else None,
            "sort_links": [
                (label, _search_url(path, params, sort=key, after=None), key == data["sort"])
                for key, (label, _) in SORTS.items()
            ],
            "flexible_days": [
                (
                    fare.day,
                    fare.lowest,
                    _day_url(path, params, fare.day),
                    fare.day == data["date"],
                )
                for fare in result.fares
            ],
            "reset_url": _search_url(path, params, window=None, max_price=None, after=None),
        },
        request=request,
    )


@require_GET
def airport_suggest(request):
    """JSON for the From/To autosuggest: {"results": [{value, label, detail, kind}, ...]}.
    `origin`: what From holds, when suggesting for To (its destinations come first)."""
    text, origin = request.GET.get("q", "")[:100], request.GET.get("origin", "")[:100]
    response = JsonResponse({"results": cached_airport_suggestions(text, origin=origin)})
    response["Cache-Control"] = "public, max-age=300"
    return response
