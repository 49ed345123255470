"""The staff dashboard's numbers: one SQL query per tile group or chart, over a period of whole
days in the site's zone. Every function takes `using`, the database alias to read from (a
read replica can serve them: a minute-old figure is fine here)."""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import Avg, Count, ExpressionWrapper, FloatField, Q, Sum
from django.db.models.functions import Cast, Coalesce, TruncDate
from django.utils import timezone

from bookings.models import Booking, DailySales, Ticket
from bookings.services import sales as sales_summary
from flights.models import Airport, Flight
from notifications.models import OutboxMessage

ZERO = sales_summary.ZERO


@dataclass(frozen=True)
class Period:
    """Whole days, `first` to `last` included, in `zone`."""

    first: date
    last: date
    zone: ZoneInfo

    @classmethod
    def ending_today(cls, days: int, *, zone: ZoneInfo | None = None) -> "Period":
        zone = zone or ZoneInfo(settings.TIME_ZONE)
        today = timezone.now().astimezone(zone).date()
        return cls(first=today - timedelta(days=days - 1), last=today, zone=zone)

    @property
    def start(self) -> datetime:
        return datetime.combine(self.first, time.min, tzinfo=self.zone)

    @property
    def end(self) -> datetime:
        """The first instant after the period."""
        return datetime.combine(self.last + timedelta(days=1), time.min, tzinfo=self.zone)

    @property
    def days(self) -> list[date]:
        return [self.first + timedelta(days=offset) for offset in range((self.last - self.first).days + 1)]


@dataclass(frozen=True)
class History:
    """Where a period's sales come from: DailySales up to `through` (None: not at all), then
    the bookings themselves from `since` (today at least: bookings.services.sales), read once
    for every figure as `live`, rows per day and route."""

    through: date | None
    since: datetime
    live: list[dict]


def history(period: Period, *, using: str = "default") -> History:
    through = sales_summary.summarised_through(using=using)
    if through is None or through < period.first or period.zone.key != sales_summary.site_zone().key:
        through, since = None, period.start
    else:
        through = min(through, period.last)
        since = sales_summary.day_start(through + timedelta(days=1))
    live = list(sales_summary.sales_rows(start=since, end=period.end, using=using)) if since < period.end else []
    return History(through=through, since=since, live=live)


def _summary(period: Period, through: date, *, using: str):
    return DailySales.objects.using(using).filter(day__gte=period.first, day__lte=through)


def sales(period: Period, *, using: str = "default", where: History | None = None) -> dict:
    """Bookings confirmed in the period: how many, seats, and the money taken."""
    where = where or history(period, using=using)
    totals = {"bookings": 0, "seats": 0, "revenue": Decimal("0")}
    for row in where.live:
        for key in totals:
            totals[key] += row[key]
    if where.through is not None:
        past = _summary(period, where.through, using=using).aggregate(
            bookings=Coalesce(Sum("bookings"), 0),
            seats=Coalesce(Sum("seats"), 0),
            revenue=Coalesce(Sum("revenue"), ZERO),
        )
        for key in totals:
            totals[key] += past[key]
    return totals


def cancellations(period: Period, *, using: str = "default") -> dict:
    """Seats cancelled in the period (whole bookings or single passengers) and what they refunded."""
    return (
        Ticket.objects.using(using)
        .filter(cancelled_at__gte=period.start, cancelled_at__lt=period.end)
        .aggregate(
            seats=Count("id"),
            refunds=Coalesce(Sum("refund_amount"), ZERO),
        )
    )


def load_factor_departed(period: Period, *, using: str = "default") -> float | None:
    """The average share of seats sold on the flights that departed in the period (cancelled
    flights left out); None when none did."""
    now = timezone.now()
    result = (
        Flight.objects.using(using)
        .filter(departs_at__gte=period.start, departs_at__lt=min(period.end, now), capacity__gt=0)
        .exclude(status=Flight.Status.CANCELLED)
        .aggregate(load=Avg(Cast("seats_booked", FloatField()) / Cast("capacity", FloatField())))
    )
    return result["load"]


def today_at_a_glance(*, zone: ZoneInfo, using: str = "default") -> dict:
    """Now, whatever the period: flights departing today, holds open, e-mails waiting or failed."""
    now = timezone.now()
    today = Period.ending_today(1, zone=zone)
    flights = (
        Flight.objects.using(using)
        .filter(departs_at__gte=today.start, departs_at__lt=today.end)
        .exclude(status=Flight.Status.CANCELLED)
        .count()
    )
    holds = (
        Booking.objects.using(using)
        .filter(status=Booking.Status.HELD, hold_expires_at__gt=now)
        .aggregate(holds=Count("id"), seats=Coalesce(Sum("seat_count"), 0))
    )
    mail = OutboxMessage.objects.using(using).aggregate(
        pending=Count("id", filter=Q(status=OutboxMessage.Status.PENDING)),
        failed=Count("id", filter=Q(status=OutboxMessage.Status.FAILED)),
    )
    return {"flights_today": flights, **{f"holds_{key}": value for key, value in holds.items()}, **mail}


def sales_per_day(period: Period, *, using: str = "default", where: History | None = None) -> list[dict]:
    """Per day of the period (every day, zeros included): bookings, seats and money taken."""
    where = where or history(period, using=using)
    rows = list(where.live)
    if where.through is not None:
        rows += list(
            _summary(period, where.through, using=using)
            .values("day")
            .annotate(bookings=Sum("bookings"), seats=Sum("seats"), revenue=Sum("revenue"))
            .order_by()
        )
    by_day = {day: {"day": day, "bookings": 0, "seats": 0, "revenue": Decimal("0")} for day in period.days}
    for row in rows:
        if row["day"] in by_day:
            for key in ("bookings", "seats", "revenue"):
                by_day[row["day"]][key] += row[key]
    return list(by_day.values())


def cancellations_per_day(period: Period, *, using: str = "default") -> list[dict]:
    rows = (
        Ticket.objects.using(using)
        .filter(cancelled_at__gte=period.start, cancelled_at__lt=period.end)
        .annotate(day=TruncDate("cancelled_at", tzinfo=period.zone))
        .values("day")
        .annotate(seats=Count("id"), refunds=Coalesce(Sum("refund_amount"), ZERO))
        .order_by("day")
    )
    by_day = {row["day"]: row for row in rows}
    return [by_day.get(day, {"day": day, "seats": 0, "refunds": Decimal("0")}) for day in period.days]


def emptiest_flights_ahead(*, days: int = 14, limit: int = 50, using: str = "default") -> list[Flight]:
    """The scheduled flights of the next `days` days, emptiest first (then soonest): the ones
    that need selling. Airports loaded with them."""
    now = timezone.now()
    load = ExpressionWrapper(Cast("seats_booked", FloatField()) / Cast("capacity", FloatField()), FloatField())
    return list(
        Flight.objects.using(using)
        .filter(departs_at__gte=now, departs_at__lt=now + timedelta(days=days), status=Flight.Status.SCHEDULED)
        .filter(capacity__gt=0)
        .select_related("origin", "destination")
        .annotate(load=load)
        .order_by("load", "departs_at", "pk")[:limit]
    )


def routes(period: Period, *, using: str = "default", where: History | None = None) -> list[dict]:
    """Every route with bookings confirmed in the period: passengers and money, busiest first."""
    where = where or history(period, using=using)
    rows = [(row["origin_id"], row["destination_id"], row["seats"], row["revenue"]) for row in where.live]
    if where.through is not None:
        rows += list(
            _summary(period, where.through, using=using)
            .values("origin_id", "destination_id")
            .annotate(passengers=Sum("seats"), money=Sum("revenue"))
            .values_list("origin_id", "destination_id", "passengers", "money")
            .order_by()
        )
    merged: dict[tuple[int, int], list] = {}
    for origin, destination, passengers, revenue in rows:
        total = merged.setdefault((origin, destination), [0, Decimal("0")])
        total[0] += passengers
        total[1] += revenue
    ids = {airport for pair in merged for airport in pair}
    codes = dict(Airport.objects.using(using).filter(pk__in=ids).values_list("pk", "iata")) if ids else {}
    found = [
        {"origin": codes[origin], "destination": codes[destination], "passengers": passengers, "revenue": revenue}
        for (origin, destination), (passengers, revenue) in merged.items()
    ]
    return sorted(found, key=lambda row: (-row["passengers"], row["origin"], row["destination"]))
