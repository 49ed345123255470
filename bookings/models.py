import uuid
from datetime import timedelta

from auditlog.registry import auditlog
from django.conf import settings
from django.db import models
from django.db.models import Q

from booking_site.lib.jobs import Job
from flights.models import Flight


class Booking(models.Model):
    """One checkout: seats held, then paid (confirmed); later cancelled, or the hold expires.

    held -> confirmed -> cancelled (all passengers cancelled)
    held -> expired (the hold ran out or was given up) | cancelled (staff cancelled the flight)
    """

    class Status(models.TextChoices):
        HELD = "held", "Seats on hold"
        CONFIRMED = "confirmed", "Confirmed"
        CANCELLED = "cancelled", "Cancelled"
        EXPIRED = "expired", "Hold expired"

    reference = models.CharField(max_length=6, unique=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="bookings")
    flight = models.ForeignKey(Flight, on_delete=models.PROTECT, related_name="bookings")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.HELD)
    seat_count = models.PositiveSmallIntegerField()
    total_price = models.DecimalField(max_digits=12, decimal_places=2)
    # One-time token from the seat form: a second submit finds this booking instead of a new one.
    token = models.UUIDField(default=uuid.uuid4, editable=False)
    # While held, the seats are the passenger's until then; kept afterwards as history.
    hold_expires_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    confirmed_at = models.DateTimeField(null=True, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    cancelled_by_staff = models.BooleanField(default=False)
    # Who held the seats, counted against the hold limits per client network
    # (bookings/services/checkout/hold_limits.py): a keyed hash, never the address itself. "" when the
    # hold did not come from a web request.
    hold_client = models.CharField(max_length=16, blank=True, default="", db_default="", editable=False)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["user", "token"], name="booking_user_token_unique"),
            models.CheckConstraint(condition=Q(seat_count__gte=1), name="booking_has_seats"),
            models.CheckConstraint(condition=Q(total_price__gte=0), name="booking_total_not_negative"),
            models.CheckConstraint(
                condition=~Q(status="held") | Q(hold_expires_at__isnull=False), name="booking_hold_has_expiry"
            ),
        ]
        indexes = [
            models.Index(fields=["user", "-created_at"], name="booking_user_idx"),
            # Lapsed holds: per flight under its lock (booking), and site-wide (the cleanup task).
            models.Index(
                fields=["flight", "hold_expires_at"], condition=Q(status="held"), name="booking_flight_hold_idx"
            ),
            models.Index(fields=["hold_expires_at"], condition=Q(status="held"), name="booking_hold_expiry_idx"),
            # Hold limits: a user's and a client's open checkouts, in all and per flight.
            models.Index(fields=["user", "flight"], condition=Q(status="held"), name="booking_user_held_idx"),
            models.Index(
                fields=["hold_client", "flight"],
                condition=Q(status="held") & ~Q(hold_client=""),
                name="booking_client_held_idx",
            ),
            # The staff dashboard: sales and cancellations over a period of days.
            models.Index(
                fields=["confirmed_at"], condition=Q(confirmed_at__isnull=False), name="booking_confirmed_idx"
            ),
        ]

    def __str__(self) -> str:
        return self.reference

    @property
    def is_cancelled(self) -> bool:
        return self.status == self.Status.CANCELLED

    @property
    def is_confirmed(self) -> bool:
        return self.status == self.Status.CONFIRMED

    @property
    def is_held(self) -> bool:
        return self.status == self.Status.HELD


class Ticket(models.Model):
    """One passenger on one seat of one flight. A held ticket becomes active when paid."""

    class Status(models.TextChoices):
        HELD = "held", "On hold"
        ACTIVE = "active", "Active"
        CANCELLED = "cancelled", "Cancelled"
        EXPIRED = "expired", "Hold expired"

    # A seat is in use (no one else may have it) while its ticket is held or active.
    IN_USE = (Status.HELD, Status.ACTIVE)

    booking = models.ForeignKey(Booking, on_delete=models.PROTECT, related_name="tickets")
    # Denormalised from the booking so the database can forbid two tickets in use on one seat.
    flight = models.ForeignKey(Flight, on_delete=models.PROTECT, related_name="tickets")
    # Blank while the seat is only held: the names come in the next checkout step.
    passenger_name = models.CharField(max_length=100, blank=True)
    last_name = models.CharField(max_length=60, blank=True)
    date_of_birth = models.DateField(null=True, blank=True)
    seat = models.CharField(max_length=4)
    price = models.DecimalField(max_digits=10, decimal_places=2)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.HELD)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    refund_amount = models.DecimalField(max_digits=10, decimal_places=2, null=True, blank=True)

    class Meta:
        ordering = ["booking", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["flight", "seat"],
                condition=Q(status__in=["held", "active"]),
                name="ticket_one_per_seat_in_use",
            ),
            models.CheckConstraint(
                condition=Q(refund_amount__isnull=True) | Q(refund_amount__gte=0, refund_amount__lte=models.F("price")),
                name="ticket_refund_within_price",
            ),
        ]
        indexes = [
            models.Index(fields=["flight", "status"], name="ticket_flight_status_idx"),
            # The staff dashboard: seats cancelled and refunds over a period of days.
            models.Index(fields=["cancelled_at"], condition=Q(cancelled_at__isnull=False), name="ticket_cancelled_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.passenger_name or 'Passenger'} {self.seat}"

    @property
    def is_active(self) -> bool:
        return self.status == self.Status.ACTIVE


class Payment(models.Model):
    """What the payment provider charged for a booking. No card number is ever stored: only
    the provider's reference and what a receipt shows (brand, last four digits)."""

    booking = models.OneToOneField(Booking, on_delete=models.PROTECT, related_name="payment")
    provider = models.CharField(max_length=40)
    reference = models.CharField(max_length=100)
    amount = models.DecimalField(max_digits=12, decimal_places=2)
    currency = models.CharField(max_length=3)
    card_brand = models.CharField(max_length=20, blank=True)
    card_last4 = models.CharField(max_length=4, blank=True)
    refunded_amount = models.DecimalField(max_digits=12, decimal_places=2, default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["provider", "reference"], name="payment_provider_reference_unique"),
            models.CheckConstraint(
                condition=Q(refunded_amount__gte=0, refunded_amount__lte=models.F("amount")),
                name="payment_refund_within_amount",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.provider} {self.reference}"


def _export_file_name(export: "BookingExport", filename: str) -> str:
    # A random folder: the name is never guessable, even on a storage that serves files publicly.
    return f"exports/{uuid.uuid4().hex}/{filename}"


class BookingExport(Job):
    """A CSV export job (a passenger's "export my bookings", a staff member's users list): its
    progress, then the file until it expires.

    pending -> running -> done -> expired (file deleted) | failed
    The run, heartbeat and progress columns and the rules for them are the toolbox's
    (booking_site/lib/jobs.py); progress counts bookings written. The file lives in Django's
    default storage (an object store in production), never on a web host's disk; only its
    owner may download it (bookings/views_export.py).
    """

    class Status(models.TextChoices):
        PENDING = "pending", "Waiting to start"
        RUNNING = "running", "In progress"
        DONE = "done", "Ready"
        FAILED = "failed", "Failed"
        EXPIRED = "expired", "Expired"

    WAITING = (Status.PENDING,)
    RUNNING = (Status.RUNNING,)
    FINISHED = (Status.DONE, Status.FAILED, Status.EXPIRED)
    # A chunk of bookings takes well under a second, so ten minutes without a heartbeat is
    # a worker that died; a pending export not picked up within a minute lost its task.
    STALE_AFTER = timedelta(minutes=10)
    WAITING_AFTER = timedelta(minutes=1)
    # At most one of these per user at a time (the constraint below).
    IN_PROGRESS = (Status.PENDING, Status.RUNNING)

    class Kind(models.TextChoices):
        BOOKINGS = "bookings", "My bookings"
        USERS = "users", "Registered users (staff)"

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="booking_exports")
    # What is exported: the owner's bookings, or (staff only) the users list with `params`'
    # filters (bookings/services/exports.py, KINDS).
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.BOOKINGS, db_default=Kind.BOOKINGS)
    params = models.JSONField(default=dict, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    file = models.FileField(upload_to=_export_file_name, max_length=255, blank=True)
    updated_at = models.DateTimeField(auto_now=True)
    expires_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            *Job.Meta.constraints,
            models.UniqueConstraint(
                fields=["user"], condition=Q(status__in=["pending", "running"]), name="export_one_in_progress_per_user"
            ),
        ]
        indexes = [
            models.Index(fields=["expires_at"], condition=Q(status="done"), name="export_expiry_idx"),
            models.Index(
                fields=["heartbeat_at"], condition=Q(status__in=["pending", "running"]), name="export_stalled_idx"
            ),
        ]

    def __str__(self) -> str:
        return f"Export {self.pk} ({self.status})"

    @property
    def percent(self) -> int:
        return 100 if self.status == self.Status.DONE else super().percent

    def is_expired(self, now) -> bool:
        return self.status == self.Status.EXPIRED or (
            self.status == self.Status.DONE and self.expires_at is not None and self.expires_at <= now
        )


# The audit trail (django-auditlog): a booking's status changes (a staff cancellation says so)
# and any edit of a ticket's passenger or seat (django-admin). Counters and bulk updates are not.
auditlog.register(Booking, include_fields=["status", "cancelled_at", "cancelled_by_staff"])
auditlog.register(Ticket, include_fields=["passenger_name", "last_name", "date_of_birth", "seat", "status"])


class DailySales(models.Model):
    """Bookings confirmed per whole day (in the site's zone, TIME_ZONE) and route: the staff
    dashboard's history, written once a day is over by the `sales-summarise` beat job
    (bookings/services/sales.py), so a 90-day period reads a few thousand rows, not a million
    bookings. A confirmed booking's day, route and payment never change, so a summarised day
    stays right; the days not summarised yet (today at least) are read from the bookings."""

    day = models.DateField()
    origin = models.ForeignKey("flights.Airport", on_delete=models.PROTECT, related_name="+")
    destination = models.ForeignKey("flights.Airport", on_delete=models.PROTECT, related_name="+")
    bookings = models.PositiveIntegerField()
    seats = models.PositiveIntegerField()
    revenue = models.DecimalField(max_digits=14, decimal_places=2)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["day", "origin", "destination"], name="daily_sales_day_route_unique")
        ]

    def __str__(self) -> str:
        return f"{self.day} {self.origin_id}-{self.destination_id}: {self.bookings}"


class SalesSummaryMark(models.Model):
    """How far DailySales goes: every day up to `through` (included) is summarised. One row."""

    through = models.DateField()
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"Sales summarised through {self.through}"
