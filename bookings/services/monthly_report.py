"""The monthly activity report, on the 1st: last month in numbers, per passenger with activity.

Last month is the previous calendar month in the site's TIME_ZONE, as a half-open UTC range,
so a month in which the clocks change is still exactly that month.

- trips taken: flights (not passengers) that departed last month on which the passenger held
  an active ticket;
- bookings made: bookings paid (confirmed) last month;
- money: paid last month, refunded last month, and spent = paid minus refunded (Decimal,
  the site's CURRENCY; a month of refunds only can be negative);
- most flown route: over every trip taken until the end of last month;
- upcoming trips: active tickets on scheduled flights not yet departed;
- a chart of trips per month over the last six months (drawn when the e-mail is sent).

Activity means a trip taken, a booking made or a refund last month; nobody else gets one,
and neither does a passenger who switched "E-mail me a monthly summary of my trips" off (the
profile page, or the one-click unsubscribe link each report carries): the aggregates read only
those who kept it on.
Reads are aggregate queries: three over last month for everybody, then three per batch of
REPORT_BATCH passengers, never one per passenger. Each report is written once per passenger
and month, whatever runs twice: the outbox dedupe key `monthly:<user id>:<yyyy-mm>`.
"""

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import transaction
from django.db.models import Count, Max, Sum
from django.db.models.functions import TruncMonth
from django.utils import timezone

from accounts.models import User
from accounts.unsubscribe import REPORT
from booking_site.lib.formats import local_datetime, money
from flights.models import Flight
from notifications.models import OutboxMessage
from notifications.services import outbox_enqueue

from ..models import Booking, Ticket
from ..notifications import absolute_url, unsubscribe_context

CHART_MONTHS = 6
UPCOMING_SHOWN = 5
REPORT_BATCH = 500
CHART_ID = "trips-chart"


@dataclass(frozen=True)
class ReportMonth:
    first_day: date  # the 1st of the month reported on
    starts_at: datetime  # its first instant (UTC-comparable, aware)
    ends_at: datetime  # the first instant of the next month
    chart_starts_at: datetime  # the first instant of the chart's first month
    chart_months: tuple[date, ...]  # the 1st of each month in the chart, oldest first

    @property
    def key(self) -> str:
        return f"{self.first_day:%Y-%m}"


def _month_back(first: date, months: int) -> date:
    index = first.year * 12 + first.month - 1 - months
    return date(index // 12, index % 12 + 1, 1)


def report_month(*, now: datetime) -> ReportMonth:
    """The calendar month before the one `now` falls in, in the site's time zone."""
    zone = ZoneInfo(settings.TIME_ZONE)
    this_month = now.astimezone(zone).date().replace(day=1)
    first = _month_back(this_month, 1)
    months = tuple(_month_back(first, back) for back in range(CHART_MONTHS - 1, -1, -1))
    return ReportMonth(
        first_day=first,
        starts_at=datetime.combine(first, time.min, tzinfo=zone),
        ends_at=datetime.combine(this_month, time.min, tzinfo=zone),
        chart_starts_at=datetime.combine(months[0], time.min, tzinfo=zone),
        chart_months=months,
    )


def _place(city: str, iata: str) -> str:
    return f"{city or iata} ({iata})"


@dataclass
class _Activity:
    trips_by_month: dict  # date (1st of month) -> flights taken
    bookings_made: int = 0
    paid: Decimal = Decimal("0")
    refunded: Decimal = Decimal("0")


def monthly_activity(month: ReportMonth) -> dict[int, _Activity]:
    """Everybody's numbers for the report (three aggregate queries), keyed by user id; only
    users with activity last month who want the report."""
    zone = ZoneInfo(settings.TIME_ZONE)
    activity: dict[int, _Activity] = defaultdict(lambda: _Activity(trips_by_month={}))
    trips = (
        Ticket.objects.filter(
            booking__user__email_monthly_report=True,
            status=Ticket.Status.ACTIVE,
            flight__status=Flight.Status.SCHEDULED,
            flight__departs_at__gte=month.chart_starts_at,
            flight__departs_at__lt=month.ends_at,
        )
        .values("booking__user_id", month_start=TruncMonth("flight__departs_at", tzinfo=zone))
        .annotate(flights=Count("flight_id", distinct=True))
        .order_by()
    )
    active_ids = set()
    for row in trips:
        first_day = row["month_start"].astimezone(zone).date()
        activity[row["booking__user_id"]].trips_by_month[first_day] = row["flights"]
        if first_day == month.first_day:
            active_ids.add(row["booking__user_id"])
    made = (
        Booking.objects.filter(
            user__email_monthly_report=True, confirmed_at__gte=month.starts_at, confirmed_at__lt=month.ends_at
        )
        .values("user_id")
        .annotate(bookings=Count("pk"), paid=Sum("payment__amount"))
        .order_by()
    )
    for row in made:
        activity[row["user_id"]].bookings_made = row["bookings"]
        activity[row["user_id"]].paid = row["paid"] or Decimal("0")
        active_ids.add(row["user_id"])
    refunds = (
        Ticket.objects.filter(
            booking__user__email_monthly_report=True,
            cancelled_at__gte=month.starts_at,
            cancelled_at__lt=month.ends_at,
            refund_amount__gt=0,
        )
        .values("booking__user_id")
        .annotate(refunded=Sum("refund_amount"))
        .order_by()
    )
    for row in refunds:
        activity[row["booking__user_id"]].refunded = row["refunded"]
        active_ids.add(row["booking__user_id"])
    return {user_id: activity[user_id] for user_id in active_ids}


def _most_flown(user_ids: list[int], month: ReportMonth) -> dict[int, dict]:
    """Per user, the route flown on most flights up to the end of the month (the most recent
    one on a tie). One query."""
    rows = (
        Ticket.objects.filter(
            booking__user_id__in=user_ids,
            status=Ticket.Status.ACTIVE,
            flight__status=Flight.Status.SCHEDULED,
            flight__departs_at__lt=month.ends_at,
        )
        .values(
            "booking__user_id",
            "flight__origin__iata",
            "flight__origin__city",
            "flight__destination__iata",
            "flight__destination__city",
        )
        .annotate(flights=Count("flight_id", distinct=True), last=Max("flight__departs_at"))
        .order_by()
    )
    best: dict[int, dict] = {}
    for row in rows:
        user_id = row["booking__user_id"]
        if user_id not in best or (row["flights"], row["last"]) > (best[user_id]["flights"], best[user_id]["last"]):
            best[user_id] = row
    return {
        user_id: {
            "route": f"{_place(row['flight__origin__city'], row['flight__origin__iata'])} to "
            f"{_place(row['flight__destination__city'], row['flight__destination__iata'])}",
            "flights": row["flights"],
        }
        for user_id, row in best.items()
    }


def _upcoming(user_ids: list[int], now: datetime) -> dict[int, list[dict]]:
    """Per user, their bookings with an active ticket on a flight still to come, soonest
    first. One query."""
    rows = (
        Ticket.objects.filter(
            booking__user_id__in=user_ids,
            booking__status=Booking.Status.CONFIRMED,
            status=Ticket.Status.ACTIVE,
            flight__status=Flight.Status.SCHEDULED,
            flight__departs_at__gt=now,
        )
        .values(
            "booking__user_id",
            "booking__reference",
            "flight__number",
            "flight__departs_at",
            "flight__origin__iata",
            "flight__origin__city",
            "flight__origin__tz",
            "flight__destination__iata",
            "flight__destination__city",
        )
        .annotate(passengers=Count("pk"))
        .order_by("booking__user_id", "flight__departs_at", "booking__reference")
    )
    trips: dict[int, list[dict]] = defaultdict(list)
    for row in rows:
        trips[row["booking__user_id"]].append(
            {
                "reference": row["booking__reference"],
                "flight_number": row["flight__number"],
                "origin": _place(row["flight__origin__city"], row["flight__origin__iata"]),
                "destination": _place(row["flight__destination__city"], row["flight__destination__iata"]),
                "departs": local_datetime(row["flight__departs_at"], ZoneInfo(row["flight__origin__tz"])),
                "passengers": row["passengers"],
                "url": absolute_url("bookings:detail", row["booking__reference"]),
            }
        )
    return trips


def monthly_report_contexts(*, user_ids: list[int], activity: dict[int, _Activity], month: ReportMonth, now) -> dict:
    """The e-mail context per user id for these users (three queries, however many users).
    Leaves out anyone inactive or who switched the report off since `activity` was read."""
    users = User.objects.filter(pk__in=user_ids, is_active=True, email_monthly_report=True).only(
        "pk", "email", "first_name"
    )
    most_flown = _most_flown(user_ids, month)
    upcoming = _upcoming(user_ids, now)
    labels = [f"{first:%b}" for first in month.chart_months]
    contexts = {}
    for user in users:
        numbers = activity[user.pk]
        values = [numbers.trips_by_month.get(first, 0) for first in month.chart_months]
        trips = upcoming.get(user.pk, [])
        contexts[user.pk] = {
            "email": user.email,
            "name": user.first_name or user.email,
            "month": f"{month.first_day:%B %Y}",
            "trips_taken": numbers.trips_by_month.get(month.first_day, 0),
            "bookings_made": numbers.bookings_made,
            "paid": money(numbers.paid, style="code"),
            "refunded": money(numbers.refunded, style="code"),
            "spent": money(numbers.paid - numbers.refunded, style="code"),
            "most_flown": most_flown.get(user.pk),
            "upcoming": trips[:UPCOMING_SHOWN],
            "upcoming_more": max(0, len(trips) - UPCOMING_SHOWN),
            "chart": [{"label": label, "trips": value} for label, value in zip(labels, values, strict=True)],
            "chart_cid": CHART_ID,
            "bookings_url": absolute_url("bookings:list"),
            "search_url": absolute_url("flights:search"),
            "profile_url": absolute_url("accounts:profile"),
            **unsubscribe_context(user_id=user.pk, email_list=REPORT),
            # Drawn into a PNG and attached inline when sent (notifications/charts.py): the
            # month this report is about stands out in the second colour, with a legend.
            "_charts": {
                CHART_ID: {
                    "labels": labels,
                    "series": {
                        "Earlier months": [*values[:-1], None],
                        labels[-1]: [*(None for _ in values[:-1]), values[-1]],
                    },
                    "stacked": True,
                }
            },
        }
    return contexts


def monthly_reports_send(*, now: datetime | None = None) -> int:
    """Write last month's report to the outbox for every passenger with activity in it who
    kept the report on. Returns how many this call wrote.

    Guarantees one report per passenger and month however often (or concurrently) it runs:
    reports written before are skipped up front and the outbox dedupe key backs that up.
    One transaction per batch of passengers.
    """
    now = now or timezone.now()
    month = report_month(now=now)
    activity = monthly_activity(month)
    pending = sorted(activity)
    written = 0
    for start in range(0, len(pending), REPORT_BATCH):
        batch = pending[start : start + REPORT_BATCH]
        keys = {user_id: f"monthly:{user_id}:{month.key}" for user_id in batch}
        done = set(OutboxMessage.objects.filter(dedupe_key__in=keys.values()).values_list("dedupe_key", flat=True))
        batch = [user_id for user_id in batch if keys[user_id] not in done]
        if not batch:
            continue
        contexts = monthly_report_contexts(user_ids=batch, activity=activity, month=month, now=now)
        with transaction.atomic():
            for user_id, context in contexts.items():
                message = outbox_enqueue(
                    to=context.pop("email"),
                    template="monthly_report",
                    context=context,
                    user_id=user_id,
                    dedupe_key=keys[user_id],
                )
                written += message is not None
    return written
