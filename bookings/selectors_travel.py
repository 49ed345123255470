"""A passenger's travel in numbers, for "My travel" (bookings/views_travel.py).

A trip is a confirmed booking on a flight the airline still flies: the booking has at least
one active passenger (cancelling the last one cancels the booking), and a flight the airline
cancelled cancels its bookings. A booking is one trip however many passengers it carries;
two of the passenger's bookings on one flight are one trip. Past trips (departed by now)
make the history: trips per month, routes, airports and kilometres. Trips still to come are
"upcoming". Money counts every payment the passenger made, cancelled bookings included, so
a refund shows against what was paid for it.

A trip's month is the month of its departure on the departure airport's own calendar, as
every page shows a flight's date ("this year" is the site's current year).

One SQL query per tile or chart, whatever the number of trips; every function takes `using`,
the database alias to read from, so a read replica can serve them (a few minutes old is fine
here). `travel_summary_cached` keeps the whole for CACHE_SECONDS under a key that changes with
the passenger's bookings (see `travel_fingerprint`).
"""

import hashlib
import math
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import Count, DateField, DecimalField, F, Func, Max, Q, Sum, Value, Window
from django.db.models.functions import Coalesce
from django.utils import timezone

from accounts.models import User
from booking_site.lib.cache import get_or_compute
from flights.models import Flight

from .models import Booking, Payment, Ticket

CACHE_SECONDS = 5 * 60
CACHE_VERSION = 1  # bump when TravelSummary changes shape: old pickles are then never read
UPCOMING_SHOWN = 10
EARTH_RADIUS_KM = 6371.0088  # the mean radius (IUGG)

TRIP = Q(status=Booking.Status.CONFIRMED, flight__status=Flight.Status.SCHEDULED)
ZERO = Value(Decimal("0"), output_field=DecimalField(max_digits=14, decimal_places=2))


class _LocalMonth(Func):
    """The first day of the month a moment falls in on a time zone's calendar:
    LocalMonth(zone name, timestamptz) (PostgreSQL's timezone(zone, timestamptz))."""

    template = "date_trunc('month', timezone(%(expressions)s))::date"
    output_field = DateField()


@dataclass(frozen=True)
class Place:
    iata: str
    city: str
    tz: str
    latitude: float | None = None
    longitude: float | None = None

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.tz)

    def __str__(self) -> str:
        return f"{self.city or self.iata} ({self.iata})"


@dataclass(frozen=True)
class RouteFlown:
    origin: Place
    destination: Place
    trips: int
    last_departed_at: datetime

    @property
    def km(self) -> float | None:
        """The great-circle distance of one flight, None when an airport has no coordinates."""
        return great_circle_km(self.origin, self.destination)

    @property
    def label(self) -> str:
        return f"{self.origin.iata} → {self.destination.iata}"


@dataclass(frozen=True)
class UpcomingTrip:
    reference: str
    flight_number: str
    origin: Place
    destination: Place
    departs_at: datetime
    passengers: int


@dataclass(frozen=True)
class TravelSummary:
    this_year: int
    trips_per_month: dict[int, list[int]]  # year -> trips in January..December
    paid: Decimal
    refunded: Decimal
    routes: list[RouteFlown] = field(default_factory=list)  # most flown first
    upcoming: list[UpcomingTrip] = field(default_factory=list)  # soonest first, UPCOMING_SHOWN at most
    upcoming_total: int = 0

    @property
    def empty(self) -> bool:
        """Nothing to show: no trip taken or ahead and nothing ever paid."""
        return not (self.routes or self.upcoming_total or self.paid)

    @property
    def spent(self) -> Decimal:
        return self.paid - self.refunded

    @property
    def trips_taken(self) -> int:
        return sum(route.trips for route in self.routes)

    @property
    def trips_this_year(self) -> int:
        return sum(self.trips_per_month.get(self.this_year, []))

    @property
    def airports(self) -> list[Place]:
        """Every airport flown from or to, by city then code."""
        places = {place.iata: place for route in self.routes for place in (route.origin, route.destination)}
        return sorted(places.values(), key=lambda place: (place.city or place.iata, place.iata))

    @property
    def km(self) -> float:
        return sum(route.km * route.trips for route in self.routes if route.km is not None)

    @property
    def trips_without_distance(self) -> int:
        return sum(route.trips for route in self.routes if route.km is None)


def great_circle_km(origin: Place, destination: Place) -> float | None:
    """The haversine distance between two airports over a sphere of the Earth's mean radius
    (within about 0.5 % of the distance on the ellipsoid); None without coordinates."""
    coordinates = (origin.latitude, origin.longitude, destination.latitude, destination.longitude)
    if any(value is None for value in coordinates):
        return None
    lat1, lon1, lat2, lon2 = map(math.radians, coordinates)
    half_chord = math.sin((lat2 - lat1) / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(half_chord)))


def _place(row: dict, prefix: str, *, coordinates: bool = False) -> Place:
    return Place(
        iata=row[f"{prefix}__iata"],
        city=row[f"{prefix}__city"],
        tz=row[f"{prefix}__tz"],
        latitude=row[f"{prefix}__latitude"] if coordinates else None,
        longitude=row[f"{prefix}__longitude"] if coordinates else None,
    )


def trips_per_month(*, user: User, years: list[int], now: datetime, using: str = "default") -> dict[int, list[int]]:
    """Trips departed by `now` in each month of `years`, per year (twelve counts each). One query."""
    month = _LocalMonth(F("flight__origin__tz"), F("flight__departs_at"))
    rows = (
        Booking.objects.using(using)
        .filter(TRIP, user=user, flight__departs_at__lte=now)
        .annotate(month=month)
        .filter(month__gte=date(min(years), 1, 1), month__lte=date(max(years), 12, 1))
        .values("month")
        .annotate(trips=Count("flight_id", distinct=True))
        .order_by()
    )
    counts = {year: [0] * 12 for year in years}
    for row in rows:
        if row["month"].year in counts:
            counts[row["month"].year][row["month"].month - 1] = row["trips"]
    return counts


def money_totals(*, user: User, using: str = "default") -> dict[str, Decimal]:
    """What the passenger paid and was refunded, over every booking paid for. One query."""
    return (
        Payment.objects.using(using)
        .filter(booking__user=user)
        .aggregate(paid=Coalesce(Sum("amount"), ZERO), refunded=Coalesce(Sum("refunded_amount"), ZERO))
    )


def routes_flown(*, user: User, now: datetime, using: str = "default") -> list[RouteFlown]:
    """Every route (one direction) of the trips departed by `now`, with how often, most flown
    first (the latest flown first on a tie). One query: one row per route, not per trip."""
    airport = ("iata", "city", "tz", "latitude", "longitude")
    rows = (
        Booking.objects.using(using)
        .filter(TRIP, user=user, flight__departs_at__lte=now)
        .values(*(f"flight__{end}__{name}" for end in ("origin", "destination") for name in airport))
        .annotate(trips=Count("flight_id", distinct=True), last=Max("flight__departs_at"))
        .order_by()
    )
    routes = [
        RouteFlown(
            origin=_place(row, "flight__origin", coordinates=True),
            destination=_place(row, "flight__destination", coordinates=True),
            trips=row["trips"],
            last_departed_at=row["last"],
        )
        for row in rows
    ]
    return sorted(routes, key=lambda route: (-route.trips, -route.last_departed_at.timestamp(), route.label))


def trips_upcoming(
    *, user: User, now: datetime, limit: int = UPCOMING_SHOWN, using: str = "default"
) -> tuple[list[UpcomingTrip], int]:
    """The first `limit` trips departing after `now`, soonest first, each with its passengers
    still flying, and how many there are in all. One query."""
    airport = ("iata", "city", "tz")
    rows = list(
        Booking.objects.using(using)
        .filter(TRIP, user=user, flight__departs_at__gt=now)
        .values(
            "reference",
            "flight__number",
            "flight__departs_at",
            *(f"flight__{end}__{name}" for end in ("origin", "destination") for name in airport),
        )
        .annotate(
            passengers=Count("tickets", filter=Q(tickets__status=Ticket.Status.ACTIVE)),
            total=Window(Count("*")),  # every upcoming trip, counted before the LIMIT
        )
        .order_by("flight__departs_at", "reference")[:limit]
    )
    trips = [
        UpcomingTrip(
            reference=row["reference"],
            flight_number=row["flight__number"],
            origin=_place(row, "flight__origin"),
            destination=_place(row, "flight__destination"),
            departs_at=row["flight__departs_at"],
            passengers=row["passengers"],
        )
        for row in rows
    ]
    return trips, (rows[0]["total"] if rows else 0)


def travel_summary(*, user: User, now: datetime | None = None, using: str = "default") -> TravelSummary:
    """Everything "My travel" shows, read now (four queries)."""
    now = now or timezone.now()
    this_year = now.astimezone(ZoneInfo(settings.TIME_ZONE)).year
    money = money_totals(user=user, using=using)
    upcoming, upcoming_total = trips_upcoming(user=user, now=now, using=using)
    return TravelSummary(
        this_year=this_year,
        trips_per_month=trips_per_month(user=user, years=[this_year - 1, this_year], now=now, using=using),
        paid=money["paid"],
        refunded=money["refunded"],
        routes=routes_flown(user=user, now=now, using=using),
        upcoming=upcoming,
        upcoming_total=upcoming_total,
    )


def travel_fingerprint(*, user: User, using: str = "default") -> str | None:
    """A short digest that changes whenever something "My travel" counts changes for this
    passenger: a booking made, paid or cancelled (its count and latest timestamps), a passenger
    cancelled and refunded (the latest ticket cancellation), a flight rescheduled (its
    `updated_at`). None when the passenger has no booking at all. One indexed query over the
    passenger's own bookings. Time passing (a trip departing, a new year) is not in it: the
    cache's short expiry covers that."""
    state = (
        Booking.objects.using(using)
        .filter(user=user)
        .aggregate(
            bookings=Count("pk", distinct=True),
            created=Max("created_at"),
            confirmed=Max("confirmed_at"),
            cancelled=Max("cancelled_at"),
            tickets_cancelled=Max("tickets__cancelled_at"),
            flights_changed=Max("flight__updated_at"),
        )
    )
    if not state["bookings"]:
        return None
    text = "|".join(str(state[name]) for name in sorted(state))
    return hashlib.blake2b(text.encode(), digest_size=8).hexdigest()


def travel_summary_cached(*, user: User, using: str = "default") -> TravelSummary:
    """`travel_summary`, kept CACHE_SECONDS per passenger and state of their bookings: a change
    shows at once, the clock's own changes (a trip departing) within CACHE_SECONDS. A passenger
    with no booking gets the empty summary without further queries."""
    fingerprint = travel_fingerprint(user=user, using=using)
    if fingerprint is None:
        year = timezone.now().astimezone(ZoneInfo(settings.TIME_ZONE)).year
        return TravelSummary(
            this_year=year,
            trips_per_month={year - 1: [0] * 12, year: [0] * 12},
            paid=Decimal("0"),
            refunded=Decimal("0"),
        )
    key = f"travel:v{CACHE_VERSION}:{user.pk}:{fingerprint}"
    return get_or_compute(key, lambda: travel_summary(user=user, using=using), CACHE_SECONDS)
