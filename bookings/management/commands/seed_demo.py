"""Demo data: real airports, ~30 routes between busy airports, 60 days of flights, demo users.

Idempotent: airports are upserted, flights are keyed by (number, departure), users by e-mail,
and the demo passenger's sample bookings are made once. Refuses to run with DEBUG off unless
--force is given, since it creates accounts with published passwords.
"""

import math
import uuid
from datetime import datetime, time, timedelta
from decimal import Decimal

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from accounts.models import User
from accounts.services import operations_group_ensure
from bookings.models import Booking
from bookings.payments import Card
from bookings.services import booking_create
from flights.airport_data import airports_load
from flights.models import Airport, Flight
from flights.services import airport_traffic_refresh

DEMO_PASSENGER = ("passenger@example.com", "skyway-demo", "Ada", "Lovelace")
DEMO_STAFF = ("staff@example.com", "skyway-staff", "Grace", "Hopper")
DAYS = 60

# Pairs flown both ways: 15 pairs -> 30 routes. Local departure times per direction.
ROUTE_PAIRS = [
    ("LHR", "JFK"),
    ("LHR", "CDG"),
    ("LGW", "BCN"),
    ("CDG", "FCO"),
    ("FRA", "MAD"),
    ("AMS", "LIS"),
    ("DXB", "SIN"),
    ("SIN", "SYD"),
    ("JFK", "LAX"),
    ("ORD", "ATL"),
    ("SFO", "JFK"),
    ("YYZ", "LHR"),
    ("EWR", "LHR"),
    ("MUC", "IST"),
    ("HND", "SIN"),
]
DEPARTURE_SLOTS = [time(7, 15), time(12, 40), time(18, 55)]


def _distance_km(a: Airport, b: Airport) -> float:
    lat1, lon1, lat2, lon2 = map(math.radians, (a.latitude, a.longitude, b.latitude, b.longitude))
    h = math.sin((lat2 - lat1) / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    return 6371 * 2 * math.asin(math.sqrt(h))


def _block_time(km: float) -> timedelta:
    minutes = km / 820 * 60 + 35  # cruise plus taxi, climb and descent
    return timedelta(minutes=round(minutes / 5) * 5)


def _fare(km: float) -> Decimal:
    return Decimal(round(39 + km * 0.085)) - Decimal("0.01")


# The test payment provider's card that always succeeds (docs/payments.md); demo data only.
DEMO_CARD = Card(number="4242424242424242", expiry_month=12, expiry_year=2099, cvc="123", holder="Ada Lovelace")


class Command(BaseCommand):
    help = "Load demo airports, routes, 60 days of flights and demo accounts (idempotent)."

    def add_arguments(self, parser):
        parser.add_argument("--force", action="store_true", help="Run even with DEBUG off.")
        parser.add_argument("--days", type=int, default=DAYS)

    def handle(self, *args, force=False, days=DAYS, **options):
        if not settings.DEBUG and not force:
            raise CommandError("seed_demo creates accounts with published passwords; use --force outside development.")
        count = airports_load()
        flights = self._flights(days)
        airport_traffic_refresh()
        users = self._users()
        self._sample_bookings(users[0])
        self.stdout.write(self.style.SUCCESS(f"Demo data ready: {count} airports, {flights} new flights, demo users."))

    def _flights(self, days: int) -> int:
        codes = {code for pair in ROUTE_PAIRS for code in pair}
        airports = Airport.objects.in_bulk(codes, field_name="iata")
        today = timezone.now().date()
        rows = []
        for index, (a, b) in enumerate(ROUTE_PAIRS):
            for direction, (origin, destination) in enumerate(((airports[a], airports[b]), (airports[b], airports[a]))):
                km = _distance_km(origin, destination)
                block, fare = _block_time(km), _fare(km)
                slots = DEPARTURE_SLOTS if km < 3000 else DEPARTURE_SLOTS[::2]
                for slot_index, slot in enumerate(slots):
                    number = f"SK{100 + index * 10 + direction * 5 + slot_index}"
                    for offset in range(days):
                        departs = datetime.combine(today + timedelta(days=offset), slot, tzinfo=origin.zone)
                        # Busier days cost more: Fridays and Sundays +15%.
                        price = fare * Decimal("1.15") if departs.weekday() in (4, 6) else fare
                        rows.append(
                            Flight(
                                number=number,
                                origin=origin,
                                destination=destination,
                                departs_at=departs,
                                arrives_at=departs + block,
                                price=price.quantize(Decimal("1")) - Decimal("0.01"),
                            )
                        )
        before = Flight.objects.count()
        Flight.objects.bulk_create(rows, batch_size=2000, ignore_conflicts=True)
        return Flight.objects.count() - before

    def _users(self) -> list[User]:
        operations = operations_group_ensure()
        users = []
        for email, password, first, last in (DEMO_PASSENGER, DEMO_STAFF):
            user, created = User.objects.get_or_create(email=email, defaults={"first_name": first, "last_name": last})
            if created:
                user.set_password(password)
                user.is_staff = email == DEMO_STAFF[0]
                user.save()
                if user.is_staff:
                    user.groups.add(operations)
            users.append(user)
        return users

    def _sample_bookings(self, passenger: User) -> None:
        if Booking.objects.filter(user=passenger).exists():
            return
        soon = timezone.now() + timedelta(days=3)
        for number, names in (("SK100", ["Ada Lovelace", "Charles Babbage"]), ("SK110", ["Ada Lovelace"])):
            flight = Flight.objects.filter(number=number, departs_at__gte=soon).order_by("departs_at").first()
            if flight:
                booking_create(
                    user=passenger, flight_id=flight.pk, passenger_names=names, token=uuid.uuid4(), card=DEMO_CARD
                )
