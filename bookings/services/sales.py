"""The daily sales summary (bookings.models.DailySales) the staff dashboard reads its history
from, and the one rule of what "sales" are: bookings confirmed in a span of time, by day and
route, with their bookings, seats and money taken."""

from datetime import date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import transaction
from django.db.models import Count, DecimalField, F, Min, Sum, Value
from django.db.models.functions import Coalesce, TruncDate
from django.utils import timezone

from ..models import Booking, DailySales, SalesSummaryMark

ZERO = Value(Decimal("0"), output_field=DecimalField(max_digits=14, decimal_places=2))
BATCH = 2000


def site_zone() -> ZoneInfo:
    return ZoneInfo(settings.TIME_ZONE)


def day_start(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=site_zone())


def sales_rows(*, start: datetime, end: datetime, using: str = "default"):
    """Bookings confirmed in [start, end), per day (the site's zone) and route: dicts of day,
    origin_id, destination_id, bookings, seats, revenue. One query."""
    return (
        Booking.objects.using(using)
        .filter(confirmed_at__gte=start, confirmed_at__lt=end)
        .annotate(day=TruncDate("confirmed_at", tzinfo=site_zone()))
        .values("day", origin_id=F("flight__origin_id"), destination_id=F("flight__destination_id"))
        .annotate(
            bookings=Count("id"), seats=Coalesce(Sum("seat_count"), 0), revenue=Coalesce(Sum("payment__amount"), ZERO)
        )
        .order_by()
    )


def summarised_through(*, using: str = "default") -> date | None:
    """The last day DailySales covers, or None before the first summary."""
    return SalesSummaryMark.objects.using(using).values_list("through", flat=True).first()


def sales_summarise(*, through: date | None = None) -> int:
    """Summarise every whole day after the mark up to `through` (default: yesterday, in the
    site's zone); returns how many days. Idempotent and safe to run twice at once (the mark's
    row lock serialises runs; a day is rewritten whole)."""
    through = through or timezone.now().astimezone(site_zone()).date() - timedelta(days=1)
    with transaction.atomic():
        SalesSummaryMark.objects.get_or_create(pk=1, defaults={"through": date.min})
        mark = SalesSummaryMark.objects.select_for_update().get(pk=1)
        first = mark.through + timedelta(days=1) if mark.through > date.min else _first_sales_day()
        if first is None or first > through:
            if first is None:
                mark.through = through
                mark.save(update_fields=["through", "updated_at"])
            return 0
        DailySales.objects.filter(day__gte=first, day__lte=through).delete()
        rows = sales_rows(start=day_start(first), end=day_start(through + timedelta(days=1)))
        batch = []
        for row in rows.iterator(chunk_size=BATCH):
            batch.append(DailySales(**row))
            if len(batch) >= BATCH:
                DailySales.objects.bulk_create(batch)
                batch = []
        DailySales.objects.bulk_create(batch)
        mark.through = through
        mark.save(update_fields=["through", "updated_at"])
    return (through - first).days + 1


def _first_sales_day() -> date | None:
    first = Booking.objects.aggregate(first=Min("confirmed_at"))["first"]
    return first.astimezone(site_zone()).date() if first else None
