"""What the API keeps of its own: the responses behind Idempotency-Keys, and cancellation
quotes. Everything else is the domain apps' models, reached through their services."""

import uuid

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.db.models.functions import Now


class IdempotencyKey(models.Model):
    """One client request, by the caller's Idempotency-Key (per user). While it runs,
    `response_status` is NULL; afterwards the response is kept for API_IDEMPOTENCY_HOURS and
    replayed for the same key and the same request (api/idempotency.py)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=255)
    fingerprint = models.CharField(max_length=64, help_text="sha256 of the method, path and body")
    started_at = models.DateTimeField(db_default=Now())
    response_status = models.PositiveSmallIntegerField(null=True, blank=True)
    response_body = models.JSONField(null=True, blank=True, encoder=DjangoJSONEncoder)
    response_headers = models.JSONField(default=dict, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "key"], name="idempotency_key_per_user")]
        indexes = [models.Index(fields=["started_at"], name="idempotency_started_idx")]

    def __str__(self) -> str:
        return f"{self.user_id}:{self.key}"


class CancellationQuote(models.Model):
    """The refund for cancelling some passengers of a booking, as quoted at `created_at`;
    confirming it (before `expires_at`) cancels them (bookings.services.booking_cancel)."""

    class Status(models.TextChoices):
        QUOTED = "quoted", "Quoted"
        CONFIRMED = "confirmed", "Confirmed"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    booking = models.ForeignKey("bookings.Booking", on_delete=models.CASCADE, related_name="+")
    ticket_ids = ArrayField(models.BigIntegerField())
    refund_total = models.DecimalField(max_digits=12, decimal_places=2)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUOTED)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    confirmed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["created_at"], name="quote_created_idx")]

    def __str__(self) -> str:
        return f"Quote {self.pk} for {self.booking_id}"
