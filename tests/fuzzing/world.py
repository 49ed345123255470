"""The objects every fuzzed request can reach, made once per module: a flight with a full
day of others (so results have paging links), a passenger's confirmed booking, held checkouts,
an export, flight imports, alerts and an outbox message; their ids for the URLs; values valid
somewhere on the site; and the submissions known to work (`seeds`), per URL name."""

import uuid
from dataclasses import dataclass, field
from datetime import timedelta

from django.conf import settings as django_settings
from django.contrib.auth.tokens import default_token_generator
from django.contrib.contenttypes.models import ContentType
from django.core.files.base import ContentFile
from django.test import Client
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from accounts.tests.factories import PASSWORD, StaffFactory, UserFactory, verified_login
from accounts.unsubscribe import unsubscribe_token
from bookings import services as booking_services
from bookings.models import BookingExport
from bookings.tests.factories import TEST_CARD, make_booking, make_hold
from flights.imports.parsing import sample_csv
from flights.models import Flight, FlightImport
from flights.tests.factories import AirportFactory, FlightFactory
from notifications.models import Alert, OutboxMessage

from .routes import Route


@dataclass
class World:
    users: dict  # user kind -> User or None
    sessions: dict  # user kind -> session key (made once; an example that ends it is rolled back)
    slot_pools: dict[str, list[str]]  # URL parameter name -> real values
    field_pool: list[str]  # values valid somewhere on the site
    seeds: dict[str, list[list[tuple[str, str]]]]  # route key -> submissions that work
    samples: list[bytes]  # valid upload files
    routes: list[Route] = field(default_factory=list)
    site_paths: list[str] = field(default_factory=list)

    def pools_for(self, route: Route) -> dict[str, list[str]]:
        pools = {slot.name: list(self.slot_pools.get(slot.name, ())) for slot in route.slots}
        model_admin = getattr(route.callback, "model_admin", None)
        if model_admin is not None and "object_id" in pools:  # the admin's change/delete/history
            pools["object_id"] = [str(pk) for pk in model_admin.model._default_manager.values_list("pk", flat=True)[:3]]
        return pools

    def real_path(self, route: Route) -> str | None:
        """The route's path for real objects, if there are real values for all its slots."""
        pools = self.pools_for(route)
        if any(not pool for pool in pools.values()):
            return None
        return route.path({name: pool[0] for name, pool in pools.items()})

    def value_pool(self) -> list[str]:
        """Values valid somewhere on the site, the site's own paths among them."""
        if not self.site_paths:
            self.site_paths = sorted(
                {path for route in self.routes if (path := self.real_path(route)) and not route.admin}
            )
        return [*self.field_pool, *self.site_paths]


def build_world(routes: list[Route]) -> World:
    london = AirportFactory(iata="LHR", city="London", tz="Europe/London")
    new_york = AirportFactory(iata="JFK", city="New York", tz="America/New_York")
    AirportFactory(iata="CDG", city="Paris", tz="Europe/Paris")
    departs = (timezone.now() + timedelta(days=10)).replace(hour=9, minute=0, second=0, microsecond=0)
    flight = FlightFactory(number="SK100", origin=london, destination=new_york, capacity=60, departs_at=departs)
    # More than a page of results on the route and day, so the results have paging links.
    same_day = [
        FlightFactory(origin=london, destination=new_york, departs_at=departs + timedelta(minutes=minute + 5))
        for minute in range(0, 22 * 15, 15)
    ]
    departed = FlightFactory(origin=london, destination=new_york, departs_at=timezone.now() - timedelta(days=2))
    cancelled = FlightFactory(origin=new_york, destination=london, departs_at=departs + timedelta(days=1))

    passenger = UserFactory(email="passenger@example.test", last_name="Fuzz")
    staff = StaffFactory(email="staff@example.test")
    other = UserFactory(email="other@example.test")
    booking = make_booking(user=passenger, flight=flight, passengers=2)
    other_booking = make_booking(user=other, flight=flight)
    hold = make_hold(user=passenger, flight=flight)
    named_hold = make_hold(user=passenger, flight=same_day[0], passengers=2)  # one hold a flight
    booking_services.booking_set_passengers(
        user=passenger,
        booking_id=named_hold.pk,
        passengers=[booking_services.Passenger("Ada", "Fuzz"), booking_services.Passenger("Bo", "Fuzz")],
    )
    Flight.objects.filter(pk=cancelled.pk).update(status=Flight.Status.CANCELLED)

    export = BookingExport.objects.create(user=passenger)
    booking_services.export_run(export_id=export.pk)
    sample = sample_csv([("LHR", "Europe/London"), ("JFK", "America/New_York")]).encode()
    flight_import = FlightImport.objects.create(
        created_by=staff, file=ContentFile(sample, name="sample.csv"), file_name="sample.csv", status="done"
    )
    pending_import = FlightImport.objects.create(
        created_by=staff, file=ContentFile(sample, name="pending.csv"), file_name="pending.csv"
    )
    alert_ids = [str(pk) for pk in Alert.objects.values_list("pk", flat=True)[:3]]
    message = OutboxMessage.objects.filter(user_id=passenger.pk).first()
    tickets = [str(pk) for pk in booking.tickets.values_list("pk", flat=True)]
    local_day = flight.departs_local().date().isoformat()

    slot_pools = {
        "flight_id": [str(flight.pk), str(departed.pk), str(cancelled.pk)],
        "reference": [
            booking.reference,
            hold.reference,
            named_hold.reference,
            booking.reference.lower(),
            other_booking.reference,
        ],
        "ticket_id": tickets,
        "export_id": [str(export.pk)],
        "import_id": [str(flight_import.pk), str(pending_import.pk)],
        "pk": [str(message.pk)],
        "token": [
            unsubscribe_token(user_id=passenger.pk),
            default_token_generator.make_token(passenger),
            "set-password",
        ],
        "uidb64": [urlsafe_base64_encode(force_bytes(passenger.pk))],
        "content_type_id": [str(ContentType.objects.get_for_model(Flight).pk)],
        "object_id": [str(flight.pk)],
        "app_label": ["flights", "bookings", "accounts", "notifications", "auth", "django_celery_beat"],
        "url": ["flights/flight/", "nowhere/"],
    }
    field_pool = [
        "LHR",
        "JFK",
        "CDG",
        "lhr",
        "London",
        flight.number,
        str(flight.pk),
        local_day,
        timezone.now().date().isoformat(),
        booking.reference,
        hold.reference,
        *tickets,
        "1A",
        "1",
        "2",
        "9",
        "10",
        passenger.email,
        staff.email,
        PASSWORD,
        "Fuzz",
        "Passenger 2",
        TEST_CARD.number,
        "12/99",
        "123",
        "09:00",
        "129.00",
        "3-3",
        *alert_ids,
        str(uuid.uuid4()),
        "/bookings/",
        "/accounts/login/",
    ]
    search = [("origin", "LHR"), ("destination", "JFK"), ("date", local_day), ("passengers", "1")]
    seeds = {
        "flights:search": [search, [*search, ("sort", "price")]],
        "flights:airport_suggest": [[("q", "lon")]],
        "bookings:manage": [[("reference", booking.reference), ("last_name", "2")]],
        "bookings:book": [[("token", str(uuid.uuid4())), ("passengers", "1")]],
        "bookings:cancel": [[("tickets", tickets[0]), ("confirm", "1")]],
        "bookings:checkout_payment": [
            [("holder", "Ada Fuzz"), ("number", TEST_CARD.number), ("expiry", "12/99"), ("cvc", "123")]
        ],
        "accounts:login": [[("username", passenger.email), ("password", PASSWORD)]],
        "admin:login": [[("username", staff.email), ("password", PASSWORD)]],
        "accounts:signup": [
            [
                ("email", "new@example.test"),
                ("first_name", "New"),
                ("last_name", "Fuzz"),
                ("password1", "a-long-new-passphrase"),
                ("password2", "a-long-new-passphrase"),
            ]
        ],
        "accounts:password_reset": [[("email", passenger.email)]],
        "staff:manifest_lookup": [[("number", flight.number), ("date", local_day)]],
        "staff:flight_add": [
            [
                ("number", "SK901"),
                ("origin", "LHR"),
                ("destination", "JFK"),
                ("departure_date", local_day),
                ("departure_time", "10:30"),
                ("arrival_date", local_day),
                ("arrival_time", "13:45"),
                ("capacity", "60"),
                ("layout", "3-3"),
                ("price", "99.00"),
            ]
        ],
        "notifications:alerts_mark_read": [[("alert", alert_id)] for alert_id in alert_ids],
    }
    users = {"anonymous": None, "passenger": passenger, "staff": staff}
    return World(
        users=users,
        sessions={kind: _session_key(user) for kind, user in users.items()},
        slot_pools=slot_pools,
        field_pool=field_pool,
        seeds=seeds,
        samples=[sample, _long_import_file(sample)],
        routes=routes,
    )


def _session_key(user) -> str | None:
    if user is None:
        return None
    client = Client()
    verified_login(client, user) if user.is_staff else client.force_login(user)  # staff pages need the second factor
    return client.cookies[django_settings.SESSION_COOKIE_NAME].value


def _long_import_file(sample: bytes, size: int = 70_000) -> bytes:
    """The sample import file with its flights repeated (new numbers) past `size` bytes: past
    the first buffer or block a parser reads."""
    lines = sample.splitlines(keepends=True)
    rows = [line for line in lines if line[:2].isalpha() and not line.startswith(b"flight_number")]
    out, number = b"".join(lines), 2000
    while len(out) < size:
        for row in rows:
            out += b"SK%d" % number + row[row.index(b",") :]
            number += 1
    return out
