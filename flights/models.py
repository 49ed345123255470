from datetime import timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from auditlog.registry import auditlog
from django.conf import settings
from django.core.validators import MinValueValidator, RegexValidator
from django.db import models
from django.db.models import F, Q

from booking_site.lib.formats import local_moment
from booking_site.lib.jobs import Job
from booking_site.lib.text import fold

from .seating import DEFAULT_LAYOUT, LAYOUT_CHOICES, seat_labels, window_letters

# An airline designator (two characters, at least one a letter), 1-4 digits, optional suffix.
FLIGHT_NUMBER_RE = r"^([A-Z]{2}|[A-Z][0-9]|[0-9][A-Z])[0-9]{1,4}[A-Z]?$"


class Airport(models.Model):
    iata = models.CharField("IATA code", max_length=3, unique=True)
    icao = models.CharField("ICAO code", max_length=4, blank=True)
    name = models.CharField(max_length=200)
    city = models.CharField(max_length=200, blank=True, db_index=True)
    country = models.CharField(max_length=2, help_text="ISO 3166-1 alpha-2 code")
    tz = models.CharField("time zone", max_length=64)
    latitude = models.FloatField(null=True, blank=True)
    longitude = models.FloatField(null=True, blank=True)
    # Folded copies (no accents, lower case) for autosuggest; kept in step by save() and the loader.
    city_folded = models.CharField(max_length=200, blank=True, editable=False)
    name_folded = models.CharField(max_length=200, blank=True, editable=False)
    # Scheduled departures, refreshed hourly (airport_traffic_refresh): ranks suggestions only.
    scheduled_departures = models.PositiveIntegerField(default=0, editable=False)

    class Meta:
        ordering = ["iata"]
        indexes = [
            models.Index(fields=["city_folded"], name="airport_city_folded_idx", opclasses=["varchar_pattern_ops"]),
            models.Index(fields=["name_folded"], name="airport_name_folded_idx", opclasses=["varchar_pattern_ops"]),
        ]

    def __str__(self) -> str:
        return f"{self.city or self.name} ({self.iata})"

    def save(self, *args, **kwargs):
        self.city_folded, self.name_folded = fold(self.city), fold(self.name)
        super().save(*args, **kwargs)

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.tz)


class AirportName(models.Model):
    """Another name a passenger may type for the place an airport serves, loaded with the
    airports (flights.airport_data): the city's names in other languages and spellings
    ("München", "Frankfurt"), and the metropolitan area it belongs to ("New York" for Newark)."""

    class Kind(models.TextChoices):
        METRO = "metro", "Metropolitan area"
        CITY = "city", "Another name of the city"

    airport = models.ForeignKey(Airport, on_delete=models.CASCADE, related_name="other_names")
    name = models.CharField(max_length=200)
    name_folded = models.CharField(max_length=200)
    kind = models.CharField(max_length=5, choices=Kind.choices)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["airport", "name_folded"], name="airport_name_unique"),
        ]
        indexes = [
            models.Index(fields=["name_folded"], name="airport_other_name_idx", opclasses=["varchar_pattern_ops"]),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.airport.iata}, {self.kind})"


class Flight(models.Model):
    class Status(models.TextChoices):
        SCHEDULED = "scheduled", "Scheduled"
        CANCELLED = "cancelled", "Cancelled"

    number = models.CharField(
        max_length=8,
        validators=[RegexValidator(FLIGHT_NUMBER_RE, "Use an airline code and a number, like SK123.")],
    )
    origin = models.ForeignKey(Airport, on_delete=models.PROTECT, related_name="departures")
    destination = models.ForeignKey(Airport, on_delete=models.PROTECT, related_name="arrivals")
    departs_at = models.DateTimeField(help_text="Stored in UTC.")
    arrives_at = models.DateTimeField(help_text="Stored in UTC.")
    capacity = models.PositiveSmallIntegerField(
        default=settings.DEFAULT_FLIGHT_CAPACITY, validators=[MinValueValidator(1)]
    )
    layout = models.CharField(
        "cabin layout",
        max_length=8,
        choices=LAYOUT_CHOICES,
        default=DEFAULT_LAYOUT,
        db_default=DEFAULT_LAYOUT,
        help_text="Seat letters per row; the capacity fills whole rows from the front.",
    )
    # Moved only by booking services under the flight's row lock, with F() expressions.
    seats_booked = models.PositiveSmallIntegerField(default=0, editable=False)
    price = models.DecimalField(max_digits=10, decimal_places=2, validators=[MinValueValidator(Decimal("0"))])
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.SCHEDULED)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["departs_at", "number"]
        constraints = [
            models.CheckConstraint(
                condition=Q(seats_booked__gte=0) & Q(seats_booked__lte=F("capacity")),
                name="flight_seats_within_capacity",
            ),
            models.CheckConstraint(condition=Q(capacity__gte=1), name="flight_capacity_positive"),
            models.CheckConstraint(condition=Q(price__gte=0), name="flight_price_not_negative"),
            models.CheckConstraint(condition=Q(arrives_at__gt=F("departs_at")), name="flight_arrives_after_departure"),
            models.CheckConstraint(condition=~Q(origin=F("destination")), name="flight_origin_not_destination"),
            models.UniqueConstraint(fields=["number", "departs_at"], name="flight_number_departure_unique"),
        ]
        indexes = [
            # Search: route + departure range, scheduled flights only.
            models.Index(
                fields=["origin", "destination", "departs_at"],
                name="flight_search_idx",
                condition=Q(status="scheduled"),
            ),
            # Staff schedule and manifest look-ups by number and date.
            models.Index(fields=["number", "departs_at"], name="flight_number_idx"),
            models.Index(fields=["departs_at"], name="flight_departs_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.origin.iata}→{self.destination.iata} {self.departs_at:%Y-%m-%d %H:%M}Z"

    @property
    def seats_left(self) -> int:
        return self.capacity - self.seats_booked

    @property
    def duration(self):
        return self.arrives_at - self.departs_at

    @property
    def is_cancelled(self) -> bool:
        return self.status == self.Status.CANCELLED

    # On the airport's wall clock with `fold` set: the hour the clocks go back stays two hours.
    def departs_local(self):
        return local_moment(self.departs_at, self.origin.zone)

    def arrives_local(self):
        return local_moment(self.arrives_at, self.destination.zone)

    # For templates: `{{ flight.departs_local|date }}` would convert back to the site's zone
    # (UTC) and show the wrong day; a date or a time keeps the airport's local value.
    def departs_local_date(self):
        return self.departs_local().date()

    def departs_local_time(self):
        return self.departs_local().time()

    def seat_labels(self) -> tuple[str, ...]:
        return seat_labels(self.capacity, self.layout)

    def window_letters(self) -> str:
        """ "A and F" for a 3-3 cabin, "A and K" for 3-4-3: the seat map's legend."""
        return " and ".join(window_letters(self.layout))


class FlightImport(Job):
    """A staff CSV upload of flights and how its import went (flights.imports).

    pending -> validating -> importing -> done | invalid | failed
    The run, heartbeat and progress columns and the rules for them are the toolbox's
    (booking_site/lib/jobs.py). Progress counts the rows of the file in the current phase:
    checked while validating, written while importing; `progress_total` is the file's rows
    from the upload on.
    """

    class Status(models.TextChoices):
        PENDING = "pending", "Waiting for a worker"
        VALIDATING = "validating", "Checking rows"
        IMPORTING = "importing", "Importing"
        DONE = "done", "Imported"
        INVALID = "invalid", "Not imported: the file has errors"
        FAILED = "failed", "Not imported: the import stopped"

    WAITING = (Status.PENDING,)
    RUNNING = (Status.VALIDATING, Status.IMPORTING)
    FINISHED = (Status.DONE, Status.INVALID, Status.FAILED)
    # The heartbeat moves at least every second or so in both phases (the import transaction's
    # reports go through a connection of their own), and a lock wait gives up after seconds:
    # five minutes of silence is a worker that died. A pending import this old lost its task.
    STALE_AFTER = timedelta(minutes=5)
    WAITING_AFTER = timedelta(minutes=1)

    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="flight_imports"
    )
    # Through the default storage (an object store in production), never a local path.
    file = models.FileField(upload_to="flight-imports/%Y/%m/")
    file_name = models.CharField("file name as uploaded", max_length=255)
    file_size = models.PositiveIntegerField(default=0)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.PENDING)
    created_count = models.PositiveIntegerField(default=0)
    updated_count = models.PositiveIntegerField(default=0)
    unchanged_count = models.PositiveIntegerField(default=0)
    error_count = models.PositiveIntegerField(default=0, help_text="All errors found; `errors` keeps the first ones.")
    errors = models.JSONField(default=list, blank=True)
    # The upload form's one-time token and the file's bytes, hashed together: the same form
    # sent twice with the same file (a double click) starts one import, while the form sent
    # again with another file (back, choose the corrected file) starts another.
    upload_key = models.CharField(max_length=64, null=True, blank=True, editable=False)  # noqa: DJ001 (NULL: no key, never a duplicate)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["status", "created_at"], name="flight_import_status_idx")]
        constraints = [
            *Job.Meta.constraints,
            models.UniqueConstraint(fields=["created_by", "upload_key"], name="flight_import_upload_unique"),
        ]

    def __str__(self) -> str:
        return f"Import {self.pk}: {self.file_name} ({self.get_status_display()})"


# The audit trail (django-auditlog): every change to a flight or an import, with who and from
# where; the seat counter moves with each booking and is not the schedule's history.
auditlog.register(Flight, exclude_fields=["seats_booked", "updated_at", "created_at"])
auditlog.register(FlightImport, include_fields=["status", "created_count", "updated_count", "error_count"])
