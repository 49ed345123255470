import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q

from flights.models import Flight


class Booking(models.Model):
    class Status(models.TextChoices):
        CONFIRMED = "confirmed", "Confirmed"
        CANCELLED = "cancelled", "Cancelled"

    reference = models.CharField(max_length=6, unique=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="bookings")
    flight = models.ForeignKey(Flight, on_delete=models.PROTECT, related_name="bookings")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.CONFIRMED)
    seat_count = models.PositiveSmallIntegerField()
    total_price = models.DecimalField(max_digits=12, decimal_places=2)
    # One-time token from the booking form: a second submit finds this booking instead of a new one.
    token = models.UUIDField(default=uuid.uuid4, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    cancelled_by_staff = models.BooleanField(default=False)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["user", "token"], name="booking_user_token_unique"),
            models.CheckConstraint(condition=Q(seat_count__gte=1), name="booking_has_seats"),
            models.CheckConstraint(condition=Q(total_price__gte=0), name="booking_total_not_negative"),
        ]
        indexes = [models.Index(fields=["user", "-created_at"], name="booking_user_idx")]

    def __str__(self) -> str:
        return self.reference

    @property
    def is_cancelled(self) -> bool:
        return self.status == self.Status.CANCELLED


class Ticket(models.Model):
    """One passenger on one seat of one flight."""

    class Status(models.TextChoices):
        ACTIVE = "active", "Active"
        CANCELLED = "cancelled", "Cancelled"

    booking = models.ForeignKey(Booking, on_delete=models.PROTECT, related_name="tickets")
    # Denormalised from the booking so the database can forbid two active tickets on one seat.
    flight = models.ForeignKey(Flight, on_delete=models.PROTECT, related_name="tickets")
    passenger_name = models.CharField(max_length=100)
    seat = models.CharField(max_length=4)
    price = models.DecimalField(max_digits=10, decimal_places=2)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.ACTIVE)

    class Meta:
        ordering = ["booking", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["flight", "seat"], condition=Q(status="active"), name="ticket_one_active_per_seat"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.passenger_name} {self.seat}"
