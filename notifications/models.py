import uuid

from django.contrib.postgres.functions import RandomUUID
from django.db import models


class OutboxMessage(models.Model):
    """An e-mail written in the same transaction as the change it reports (the outbox).

    The worker sends it after commit; the periodic sweep sends whatever a broker outage missed.
    `status` decides: a message is sent only while it is pending, so a second run is a no-op.
    `next_attempt_at` decides when the sweep may (re)try it: a failed send moves it out with
    exponential backoff, so retries never run early or twice at once.
    """

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        SENT = "sent", "Sent"
        FAILED = "failed", "Failed"

    to = models.EmailField()
    template = models.CharField(max_length=100, help_text="Name under templates/emails/, without extension.")
    context = models.JSONField(default=dict, blank=True)
    user_id = models.BigIntegerField(null=True, blank=True, db_index=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.TextField(blank=True)
    subject = models.CharField(max_length=255, blank=True, help_text="Filled in when rendered.")
    # A message that must exist at most once (a reminder per booking, a report per month): the
    # unique key decides, so a job that runs twice writes it once.
    dedupe_key = models.CharField(max_length=200, null=True, blank=True, unique=True)
    # The e-mail's Message-ID header is built from it: every send of this row carries the same
    # id, so a copy sent twice (the worker died between SMTP accepting and the row being
    # marked sent) is recognisable downstream.
    # db_default too: during a rolling deploy, web hosts still on the previous release write
    # rows without this column, and must not fail the booking whose e-mail it is.
    message_id = models.UUIDField(default=uuid.uuid4, db_default=RandomUUID(), unique=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    # When the sweep may next try this message. A new message gets a short grace period (the
    # on-commit task sends it first); a failed one gets an exponentially growing delay.
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["next_attempt_at"], name="outbox_due_idx", condition=models.Q(status="pending")),
        ]

    def __str__(self) -> str:
        return f"{self.template} to {self.to} ({self.status})"


class Alert(models.Model):
    """An on-site notification for one user (the bell in the navbar): "your export is ready".

    Written in the same transaction as the change it reports, like an outbox row."""

    user_id = models.BigIntegerField()
    text = models.CharField(max_length=300)
    url = models.CharField(max_length=500, blank=True, help_text="Where the alert leads (a path on this site).")
    created_at = models.DateTimeField(auto_now_add=True)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["user_id", "-created_at"], name="alert_user_idx"),
            models.Index(fields=["user_id"], name="alert_unread_idx", condition=models.Q(read_at__isnull=True)),
        ]

    def __str__(self) -> str:
        return self.text

    @property
    def is_read(self) -> bool:
        return self.read_at is not None
