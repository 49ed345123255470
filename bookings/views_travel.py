"""My travel: the signed-in passenger's trips in numbers and charts (bookings.selectors_travel)."""

import calendar

from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.views.decorators.http import require_safe

from booking_site.lib import charts

from . import selectors_travel

ROUTES_CHARTED = 10


def _travel_charts(summary: selectors_travel.TravelSummary) -> dict:
    years = sorted(summary.trips_per_month)
    routes = summary.routes[:ROUTES_CHARTED]
    # All zeros (only trips ahead so far) is an empty chart: the template says so in words.
    per_month = charts.bar_chart(
        title=f"Trips per month, {years[0]} and {years[-1]}",
        labels=list(calendar.month_abbr)[1:],
        series={str(year): summary.trips_per_month[year] for year in years},
    )
    return {
        "per_month_chart": per_month,
        "routes_chart": charts.bar_chart(
            title="Most flown routes",
            labels=[route.label for route in routes],
            series={"Trips": [route.trips for route in routes]},
            horizontal=True,
        ),
    }


@login_required
@require_safe
def my_travel(request):
    """Trips per month this year and last, money, routes, airports, kilometres and the trips
    ahead, for the signed-in passenger only (the page takes no id)."""
    summary = selectors_travel.travel_summary_cached(user=request.user)
    context = {"summary": summary}
    if not summary.empty:
        context.update(_travel_charts(summary), km=f"{summary.km:,.0f}")
    return render(request, "bookings/travel.html", context)
