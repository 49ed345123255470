"""The only place that sends mail. Takes ids, addresses and templates; imports no app above it."""

import logging
from datetime import timedelta

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.utils import timezone

from .models import Alert, OutboxMessage

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 8


def outbox_enqueue(
    *, to: str, template: str, context: dict, user_id: int | None = None, dedupe_key: str | None = None
) -> OutboxMessage | None:
    """Write an e-mail to the outbox inside the caller's transaction; send it after commit.

    `context` must be JSON-serialisable. If the broker is down the message stays pending and
    the sweep sends it later: a broker outage never fails the caller.

    With `dedupe_key`, the message is written at most once ever: if a message with that key
    exists (or a concurrent transaction is writing one), nothing is written and None is
    returned. The caller's transaction is unaffected either way.
    """
    fields = {"to": to, "template": template, "context": context, "user_id": user_id}
    if dedupe_key is None:
        message = OutboxMessage.objects.create(**fields)
    else:
        if OutboxMessage.objects.filter(dedupe_key=dedupe_key).exists():
            return None
        try:
            with transaction.atomic():  # a savepoint: a duplicate key leaves the caller's work intact
                message = OutboxMessage.objects.create(**fields, dedupe_key=dedupe_key)
        except IntegrityError:
            return None
    transaction.on_commit(lambda: _enqueue_send(message.pk), robust=True)
    return message


def _enqueue_send(message_id: int) -> None:
    from .tasks import outbox_send

    try:
        outbox_send.delay(message_id)
    except Exception:  # broker unreachable: the sweep will pick the message up
        logger.warning("Could not enqueue outbox message %s; the sweep will send it", message_id, exc_info=True)


def _render(message: OutboxMessage) -> EmailMultiAlternatives:
    context = {**message.context, "SITE_NAME": settings.SITE_NAME, "SITE_URL": settings.SITE_URL}
    subject = render_to_string(f"emails/{message.template}_subject.txt", context).strip()
    text = render_to_string(f"emails/{message.template}.txt", context)
    html = render_to_string(f"emails/{message.template}.html", context)
    email = EmailMultiAlternatives(subject=subject, body=text, to=[message.to])
    email.attach_alternative(html, "text/html")
    return email


def outbox_send(*, message_id: int) -> bool:
    """Send one pending message. Returns True if this call sent it.

    Locks the row (skipping a row another worker holds), so concurrent or repeated runs send
    it once. A failed attempt stays pending for the sweep until MAX_ATTEMPTS, then `failed`.
    """
    with transaction.atomic():
        message = (
            OutboxMessage.objects.select_for_update(skip_locked=True)
            .filter(pk=message_id, status=OutboxMessage.Status.PENDING)
            .first()
        )
        if message is None:
            return False
        message.attempts += 1
        try:
            email = _render(message)
            email.send()
        except Exception as exc:
            logger.exception("Sending outbox message %s failed", message_id)
            message.last_error = f"{type(exc).__name__}: {exc}"[:2000]
            if message.attempts >= MAX_ATTEMPTS:
                message.status = OutboxMessage.Status.FAILED
            message.save(update_fields=["attempts", "last_error", "status"])
            return False
        message.subject = email.subject[:255]
        message.status = OutboxMessage.Status.SENT
        message.sent_at = timezone.now()
        message.save(update_fields=["attempts", "subject", "status", "sent_at", "last_error"])
        return True


def outbox_pending_ids(*, older_than: timedelta = timedelta(seconds=30), limit: int = 500) -> list[int]:
    """Pending messages the on-commit path should have sent by now (oldest first)."""
    cutoff = timezone.now() - older_than
    return list(
        OutboxMessage.objects.filter(status=OutboxMessage.Status.PENDING, created_at__lte=cutoff)
        .order_by("created_at")
        .values_list("pk", flat=True)[:limit]
    )


def alert_create(*, user_id: int, text: str, url: str = "") -> Alert:
    """Show `text` (linking to `url`) to the user in the navbar's alerts, inside the caller's
    transaction."""
    return Alert.objects.create(user_id=user_id, text=text[:300], url=url)


def alerts_mark_read(*, user_id: int, alert_ids: list[int] | None = None) -> int:
    """Mark the user's alerts read (all unread ones, or those of `alert_ids`). Returns how many."""
    alerts = Alert.objects.filter(user_id=user_id, read_at__isnull=True)
    if alert_ids is not None:
        alerts = alerts.filter(pk__in=alert_ids)
    return alerts.update(read_at=timezone.now())


def alerts_unread_count(*, user_id: int) -> int:
    return Alert.objects.filter(user_id=user_id, read_at__isnull=True).count()
