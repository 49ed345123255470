"""The staff dashboard's numbers: one SQL query per tile group or chart, over a period of whole
days in the site's zone. Every function takes `using`, the database alias to read from (a
read replica can serve them: a minute-old figure is fine here)."""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import Avg, Count, DecimalField, ExpressionWrapper, F, FloatField, Q, Sum, Value
from django.db.models.functions import Cast, Coalesce, TruncDate
from django.utils import timezone

from bookings.models import Booking, Ticket
from flights.models import Flight
from notifications.models import OutboxMessage

ZERO = Value(Decimal("0"), output_field=DecimalField(max_digits=14, decimal_places=2))


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


def sales(period: Period, *, using: str = "default") -> dict:
    """Bookings confirmed in the period: how many, seats, and the money taken."""
    return (
        Booking.objects.using(using)
        .filter(confirmed_at__gte=period.start, confirmed_at__lt=period.end)
        .aggregate(
            bookings=Count("id"),
            seats=Coalesce(Sum("seat_count"), 0),
            revenue=Coalesce(Sum("payment__amount"), ZERO),
        )
    )


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


def sales_per_day(period: Period, *, using: str = "default") -> list[dict]:
    """Per day of the period (every day, zeros included): bookings, seats and money taken."""
    rows = (
        Booking.objects.using(using)
        .filter(confirmed_at__gte=period.start, confirmed_at__lt=period.end)
        .annotate(day=TruncDate("confirmed_at", tzinfo=period.zone))
        .values("day")
        .annotate(
            bookings=Count("id"), seats=Coalesce(Sum("seat_count"), 0), revenue=Coalesce(Sum("payment__amount"), ZERO)
        )
        .order_by("day")
    )
    by_day = {row["day"]: row for row in rows}
    return [by_day.get(day, {"day": day, "bookings": 0, "seats": 0, "revenue": Decimal("0")}) for day in period.days]


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


def routes(period: Period, *, using: str = "default") -> list[dict]:
    """Every route with bookings confirmed in the period: passengers and money, busiest first."""
    return list(
        Booking.objects.using(using)
        .filter(confirmed_at__gte=period.start, confirmed_at__lt=period.end)
        .values(origin=F("flight__origin__iata"), destination=F("flight__destination__iata"))
        .annotate(passengers=Coalesce(Sum("seat_count"), 0), revenue=Coalesce(Sum("payment__amount"), ZERO))
        .order_by("-passengers", "origin", "destination")
    )
