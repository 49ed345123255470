"""The only place that sends mail. Takes ids, addresses and templates; imports no app above it."""

import logging
from datetime import timedelta

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone

from .models import OutboxMessage

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 8


def outbox_enqueue(*, to: str, template: str, context: dict, user_id: int | None = None) -> OutboxMessage:
    """Write an e-mail to the outbox inside the caller's transaction; send it after commit.

    `context` must be JSON-serialisable. If the broker is down the message stays pending and
    the sweep sends it later: a broker outage never fails the caller.
    """
    message = OutboxMessage.objects.create(to=to, template=template, context=context, user_id=user_id)
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
