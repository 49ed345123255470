"""The staff dashboard, assembled: tiles (each linking to the list behind it) and charts, for a
period. The figures come from staff.selectors_dashboard; the whole is cached for
DASHBOARD_CACHE_SECONDS per period, so a busy operations room costs the database one set of
queries a minute, and a figure is at most that old."""

from dataclasses import dataclass
from urllib.parse import urlencode

from django.conf import settings
from django.core.cache import cache
from django.urls import reverse

from booking_site.lib import charts, formats

from . import selectors_dashboard as figures
from .selectors_dashboard import Period

LOAD_THRESHOLD = 0.5  # flights ahead under half full are listed to sell
CACHE_VERSION = 1


@dataclass(frozen=True)
class Tile:
    label: str
    value: str
    url: str
    note: str = ""


def _list_url(name: str, **query) -> str:
    url = reverse(name)
    return f"{url}?{urlencode(query)}" if query else url


def _percent(share: float | None) -> str:
    return "–" if share is None else f"{share:.0%}"


def _day_label(day) -> str:
    return f"{day.day} {day:%b}"


def dashboard(period: Period) -> dict:
    """Tiles and charts for `period` (cached)."""
    key = f"staff-dashboard:v{CACHE_VERSION}:{period.first}:{period.last}:{period.zone.key}"
    return cache.get_or_set(key, lambda: _build(period), settings.DASHBOARD_CACHE_SECONDS)


def _build(period: Period) -> dict:
    where = figures.history(period)  # read once: where the sales figures come from
    sales = figures.sales(period, where=where)
    cancelled = figures.cancellations(period)
    now = figures.today_at_a_glance(zone=period.zone)
    in_period = {"first": period.start.isoformat(), "after": period.end.isoformat()}  # aware: no naive dates
    bookings_url = _list_url(
        "admin:bookings_booking_changelist", confirmed_at__gte=in_period["first"], confirmed_at__lt=in_period["after"]
    )
    tickets_url = _list_url(
        "admin:bookings_ticket_changelist", cancelled_at__gte=in_period["first"], cancelled_at__lt=in_period["after"]
    )
    tiles = [
        Tile("Seats sold", f"{sales['seats']:,}", bookings_url, f"{sales['bookings']:,} bookings"),
        Tile("Revenue", formats.money(sales["revenue"]), bookings_url),
        Tile("Refunds", formats.money(cancelled["refunds"]), tickets_url),
        Tile("Seats cancelled", f"{cancelled['seats']:,}", tickets_url),
        Tile(
            "Average load factor",
            _percent(figures.load_factor_departed(period)),
            reverse("staff:schedule"),
            "of flights departed in the period",
        ),
        Tile(
            "Flights today",
            f"{now['flights_today']:,}",
            _list_url("staff:schedule", date=figures.Period.ending_today(1, zone=period.zone).first.isoformat()),
        ),
        Tile(
            "E-mails waiting / failed",
            f"{now['pending']:,} / {now['failed']:,}",
            _list_url("staff:mail_list", status="failed" if now["failed"] else "pending"),
        ),
        Tile(
            "Holds open now",
            f"{now['holds_holds']:,}",
            _list_url("admin:bookings_booking_changelist", status__exact="held"),
            f"{now['holds_seats']:,} seats",
        ),
    ]
    return {"tiles": tiles, **_charts(period, where)}


def _charts(period: Period, where: figures.History) -> dict:
    per_day = figures.sales_per_day(period, where=where)
    labels = [_day_label(row["day"]) for row in per_day]
    every = max(1, len(labels) // 10)
    cancelled_per_day = figures.cancellations_per_day(period)
    ahead = figures.emptiest_flights_ahead()
    routes = figures.routes(period, where=where)
    by_revenue = sorted(routes, key=lambda row: (-row["revenue"], row["origin"], row["destination"]))[:10]

    def route(row) -> str:
        return f"{row['origin']}–{row['destination']}"

    return {
        "bookings_chart": charts.bar_chart(
            title="Bookings per day",
            labels=labels,
            series={"Bookings": [row["bookings"] for row in per_day], "Seats": [row["seats"] for row in per_day]},
            label_every=every,
        ),
        "revenue_chart": charts.line_chart(
            title=f"Revenue per day ({settings.CURRENCY})",
            labels=labels,
            series={"Revenue": [float(row["revenue"]) for row in per_day]},
            value_format=formats.money,
            label_every=every,
        ),
        "cancellations_chart": charts.bar_chart(
            title="Seats cancelled per day",
            labels=labels,
            series={"Seats cancelled": [row["seats"] for row in cancelled_per_day]},
            label_every=every,
        ),
        "refunds_chart": charts.line_chart(
            title=f"Refunds per day ({settings.CURRENCY})",
            labels=labels,
            series={"Refunds": [float(row["refunds"]) for row in cancelled_per_day]},
            value_format=formats.money,
            label_every=every,
        ),
        "load_chart": charts.bar_chart(
            title="Emptiest flights of the next 14 days (share of seats sold)",
            labels=[f"{flight.number} {flight.departs_local():%d %b %H:%M}" for flight in ahead[:10]],
            series={"Load factor": [round(flight.load * 100) for flight in ahead[:10]]},
            value_format=lambda value: f"{value:.0f} %",
            horizontal=True,
        ),
        "to_sell": [flight for flight in ahead if flight.load < LOAD_THRESHOLD],
        "load_threshold": LOAD_THRESHOLD,
        "routes_passengers_chart": charts.bar_chart(
            title="Top routes by passengers",
            labels=[route(row) for row in routes[:10]],
            series={"Passengers": [row["passengers"] for row in routes[:10]]},
            horizontal=True,
        ),
        "routes_revenue_chart": charts.bar_chart(
            title=f"Top routes by revenue ({settings.CURRENCY})",
            labels=[route(row) for row in by_revenue],
            series={"Revenue": [float(row["revenue"]) for row in by_revenue]},
            value_format=formats.money,
            horizontal=True,
        ),
    }
