"""The evening nudge: passengers with no trip ahead hear about routes opened since last time.

Who: active passengers (not staff) who kept the "E-mail me about new routes" preference, have
no confirmed booking with an active ticket on a future scheduled flight, and have not been on
the site for NUDGE_QUIET_DAYS (the later of the middleware's `last_seen_at` and `last_login`;
the date they joined if neither).

What is a new route: an origin -> destination pair whose first flight (cancelled ones aside)
was added to the schedule after the passenger's last nudge (after they joined, for a first
one), and that can be booked now: a scheduled future flight with a seat left, whose lowest
fare is the "from" price. Taking the route's first flight ever, not its first future one,
keeps a long-running route with a rolling schedule from looking new every week. No new route
for a passenger: no e-mail, and their last nudge stays where it was.

When: the beat runs this every 15 minutes; it acts only during NUDGE_HOUR in NUDGE_TIME_ZONE
(the site's TIME_ZONE when unset), so the UTC hour follows daylight saving time. Once per
local day: `last_nudged_at` filters out those already nudged today, and the outbox dedupe key
`nudge:<user id>:<local date>` makes a second run (or a second beat) write nothing.
"""

from dataclasses import dataclass
from datetime import datetime, time, timedelta
from decimal import Decimal
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import transaction
from django.db.models import Exists, F, Min, OuterRef, Q, QuerySet
from django.db.models.functions import Coalesce, Greatest
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from accounts.unsubscribe import ROUTES
from booking_site.lib.formats import money
from flights.models import Airport, Flight
from notifications.services import outbox_enqueue

from ..models import Booking, Ticket
from ..notifications import absolute_url, unsubscribe_context

NUDGE_MAX_ROUTES = 5
# Passengers are read and written in batches of this many: one transaction each.
NUDGE_BATCH = 500


@dataclass(frozen=True)
class NewRoute:
    origin: Airport
    destination: Airport
    opened_at: datetime
    from_price: Decimal
    first_departure: datetime

    def context(self) -> dict:
        day = self.first_departure.astimezone(self.origin.zone).date()
        query = urlencode(
            {"origin": self.origin.iata, "destination": self.destination.iata, "date": day.isoformat(), "passengers": 1}
        )
        return {
            "origin": f"{self.origin.city or self.origin.name} ({self.origin.iata})",
            "destination": f"{self.destination.city or self.destination.name} ({self.destination.iata})",
            "from_price": money(self.from_price, style="code"),
            "first_date": f"{day:%a} {day.day} {day:%b %Y}",
            "url": f"{settings.SITE_URL}{reverse('flights:search')}?{query}",
        }


def nudge_zone() -> ZoneInfo:
    return ZoneInfo(settings.NUDGE_TIME_ZONE or settings.TIME_ZONE)


def routes_opened_since(*, since: datetime, now: datetime) -> list[NewRoute]:
    """Bookable routes whose first flight was added after `since`, newest first. Two queries."""
    bookable = Q(status=Flight.Status.SCHEDULED, departs_at__gt=now, seats_booked__lt=F("capacity"))
    rows = list(
        Flight.objects.exclude(status=Flight.Status.CANCELLED)
        .values("origin_id", "destination_id")
        .annotate(
            opened_at=Min("created_at"),
            from_price=Min("price", filter=bookable),
            first_departure=Min("departs_at", filter=bookable),
        )
        .filter(opened_at__gt=since, from_price__isnull=False)
        .order_by("-opened_at", "origin_id", "destination_id")
    )
    airports = Airport.objects.in_bulk({row["origin_id"] for row in rows} | {row["destination_id"] for row in rows})
    return [
        NewRoute(
            origin=airports[row["origin_id"]],
            destination=airports[row["destination_id"]],
            opened_at=row["opened_at"],
            from_price=row["from_price"],
            first_departure=row["first_departure"],
        )
        for row in rows
    ]


def nudge_candidates(*, now: datetime, day_start: datetime) -> QuerySet[User]:
    """Passengers who may be nudged now (not yet today), each annotated with `routes_since`:
    routes opened after that moment are new to them."""
    quiet_since = now - timedelta(days=settings.NUDGE_QUIET_DAYS)
    upcoming_trip = Ticket.objects.filter(
        booking__user=OuterRef("pk"),
        booking__status=Booking.Status.CONFIRMED,
        status=Ticket.Status.ACTIVE,
        flight__status=Flight.Status.SCHEDULED,
        flight__departs_at__gt=now,
    )
    return (
        User.objects.filter(is_active=True, is_staff=False, email_new_routes=True)
        .filter(Q(last_nudged_at__isnull=True) | Q(last_nudged_at__lt=day_start))
        # PostgreSQL's GREATEST skips NULLs: the later of the two that are set.
        .alias(seen=Coalesce(Greatest("last_seen_at", "last_login"), "date_joined"))
        .filter(seen__lt=quiet_since)
        .exclude(Exists(upcoming_trip))
        .annotate(routes_since=Coalesce("last_nudged_at", "date_joined"))
        .order_by("pk")
    )


def _nudge_context(user: User, routes: list[NewRoute]) -> dict:
    return {
        "name": user.first_name or user.email,
        "routes": [route.context() for route in routes],
        "search_url": absolute_url("flights:search"),
        "profile_url": absolute_url("accounts:profile"),
        **unsubscribe_context(user_id=user.pk, email_list=ROUTES),
    }


def nudges_send(*, now: datetime | None = None) -> int:
    """E-mail each passenger who qualifies (module docstring) up to NUDGE_MAX_ROUTES routes
    opened since their last nudge, if it is NUDGE_HOUR in the nudge time zone. Returns how
    many e-mails this call wrote to the outbox.

    Guarantees at most one nudge per passenger per local day, however often or concurrently
    it runs (the outbox dedupe key), and sets `last_nudged_at` in the same transaction as the
    e-mail. Outside the hour it does nothing.
    """
    now = now or timezone.now()
    zone = nudge_zone()
    local_now = now.astimezone(zone)
    if local_now.hour != settings.NUDGE_HOUR:
        return 0
    local_date = local_now.date()
    day_start = datetime.combine(local_date, time.min, tzinfo=zone)
    candidates = nudge_candidates(now=now, day_start=day_start)
    earliest = candidates.aggregate(earliest=Min("routes_since"))["earliest"]
    if earliest is None:
        return 0
    routes = routes_opened_since(since=earliest, now=now)
    if not routes:
        return 0
    sent = 0
    after_pk = 0
    while True:
        batch = list(candidates.filter(pk__gt=after_pk).only("pk", "email", "first_name")[:NUDGE_BATCH])
        if not batch:
            return sent
        after_pk = batch[-1].pk
        with transaction.atomic():
            nudged = []
            for user in batch:
                new = [route for route in routes if route.opened_at > user.routes_since][:NUDGE_MAX_ROUTES]
                if not new:
                    continue
                message = outbox_enqueue(
                    to=user.email,
                    template="evening_nudge",
                    context=_nudge_context(user, new),
                    user_id=user.pk,
                    dedupe_key=f"nudge:{user.pk}:{local_date.isoformat()}",
                )
                if message is not None:
                    nudged.append(user.pk)
            User.objects.filter(pk__in=nudged).update(last_nudged_at=now)
            sent += len(nudged)
