"""Discovery pages: where we fly, anywhere from a place (part of the search page), and the
month fare calendar. Their data and its caching are flights.discovery's."""

import calendar
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from urllib.parse import urlencode

from django.conf import settings
from django.shortcuts import render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET

from .discovery import DISCOVERY_DAYS, cached, destinations_from, fare_month, month_days, network_key, network_routes
from .forms import SCHEDULE_HORIZON_DAYS, SearchForm


def route_url(name: str, *, origin: str, destination: str, day: date, passengers: int) -> str:
    """A route's results page ("flights:search") or fare calendar ("flights:fare_calendar") on
    `day` (the calendar: `day`'s month), for the party; places as typed: codes or cities."""
    query = urlencode({"origin": origin, "destination": destination, "date": day.isoformat(), "passengers": passengers})
    return f"{reverse(name)}?{query}"


def _route_links(route, passengers: int) -> tuple:
    """(route, its first day's results URL, its fare calendar URL) for flights/_route_list.html."""
    where = {"origin": route.origin.iata, "destination": route.destination.iata, "day": route.next_day}
    return (
        route,
        route_url("flights:search", **where, passengers=passengers),
        route_url("flights:fare_calendar", **where, passengers=passengers),
    )


def _route_rows(groups, passengers: int) -> list[tuple]:
    """(OriginRoutes, [_route_links(route), ...]) for each origin."""
    return [(group, [_route_links(route, passengers) for route in group.routes]) for group in groups]


@require_GET
def where_we_fly(request):
    """Every route served in the next DISCOVERY_DAYS days, by origin, with its lowest fare and
    a link to the first day it can be booked."""

    def routes_html() -> str:
        groups = network_routes()
        return render_to_string(
            "flights/_where_we_fly_routes.html",
            {
                "groups": _route_rows(groups, passengers=1),
                "route_count": sum(len(group.routes) for group in groups),
                "discovery_days": DISCOVERY_DAYS,
            },
        )

    # Rendering a big network's routes costs more than reading them: the HTML is what is
    # cached (it depends on no user), the page around it is rendered for each visitor.
    return render(request, "flights/where_we_fly.html", {"routes_html": cached(network_key(), routes_html)})


def anywhere_html(request, form: SearchForm) -> str:
    """The search page's answer to a valid search with From and no To: every destination
    bookable from there for the party in the DISCOVERY_DAYS days from the chosen date."""
    data = form.cleaned_data
    groups = destinations_from(origins=form.origin_airports, first_day=data["date"], passengers=data["passengers"])
    return render_to_string(
        "flights/_anywhere.html",
        {
            "origin": form.origin_name,
            "groups": _route_rows(groups, passengers=data["passengers"]),
            "several_origins": len(groups) > 1,
            "route_count": sum(len(group.routes) for group in groups),
            "first_day": data["date"],
            "last_day": data["date"] + timedelta(days=DISCOVERY_DAYS - 1),
            "passengers": data["passengers"],
        },
        request=request,
    )


@dataclass(frozen=True)
class CalendarDay:
    day: date
    lowest: Decimal | None  # None: no bookable flight that day (or it has passed)
    url: str | None  # the day's results, when it has a fare
    past: bool


def _month_start(day: date) -> date:
    return day.replace(day=1)


def _next_month(month: date) -> date:
    return (month.replace(day=28) + timedelta(days=4)).replace(day=1)


def _bookable_months(today: date) -> list[date]:
    """The first days of the months from today's to the schedule's horizon."""
    months = [_month_start(today)]
    while _next_month(months[-1]) <= today + timedelta(days=SCHEDULE_HORIZON_DAYS):
        months.append(_next_month(months[-1]))
    return months


@require_GET
def fare_calendar(request):
    """The lowest fare on each day of a month on one route, each day linking to its results,
    with links to the previous (never before today's) and next months (within the schedule's
    horizon). It takes a search's parameters: origin, destination, passengers, and a date that
    names the month. A link to a month carries its first day, or today in the current month,
    so it never names a past date (which the form refuses)."""
    form = SearchForm(request.GET or None, initial={"date": timezone.localdate(), "passengers": 1})
    valid = form.is_bound and form.is_valid()
    # Today where the route starts, as the search form judges a date.
    today = timezone.now().astimezone(form.origin_airports[0].zone).date() if valid else timezone.localdate()
    months = _bookable_months(today)
    context = {
        "form": form,
        "max_passengers": settings.MAX_PASSENGERS_PER_BOOKING,
        "months": [(max(month, today), month) for month in months],
        "month": None,
    }
    if not valid:
        return render(request, "flights/fare_calendar.html", context)

    data = form.cleaned_data

    def day_url(name: str, day: date) -> str:
        return route_url(
            name, origin=data["origin"], destination=data["destination"], day=day, passengers=data["passengers"]
        )

    month = _month_start(data["date"])
    fares = fare_month(
        origins=form.origin_airports,
        destinations=form.destination_airports,
        month=month,
        passengers=data["passengers"],
    )
    days = {
        day: CalendarDay(
            day=day,
            lowest=fares.get(day),
            url=day_url("flights:search", day) if day in fares else None,
            past=day < today,
        )
        for day in month_days(month)
    }
    lowest = min(fares.values(), default=None)
    previous_month, next_month = _month_start(month - timedelta(days=1)), _next_month(month)
    context.update(
        month=month,
        weeks=[
            [days.get(day) for day in week]
            for week in calendar.Calendar(calendar.MONDAY).monthdatescalendar(month.year, month.month)
        ],
        weekdays=[(calendar.day_abbr[index], calendar.day_name[index]) for index in range(7)],
        lowest=lowest,
        lowest_days=[(day, days[day].url) for day, fare in sorted(fares.items()) if fare == lowest],
        previous_month=previous_month if previous_month in months else None,
        previous_url=day_url("flights:fare_calendar", max(previous_month, today)),
        next_month=next_month if next_month in months else None,
        next_url=day_url("flights:fare_calendar", next_month),
        results_day=max(month, today),
        results_url=day_url("flights:search", max(month, today)),
    )
    return render(request, "flights/fare_calendar.html", context)
