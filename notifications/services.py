"""The only place that sends mail. Takes ids, addresses and templates; imports no app above it."""

import logging
import random
import time
from datetime import timedelta
from urllib.parse import urlsplit

from auditlog.models import LogEntry
from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.template.loader import render_to_string
from django.utils import timezone

from booking_site.lib.broker import task_publish

from .charts import attach_inline_charts
from .models import Alert, OutboxMessage

logger = logging.getLogger(__name__)

# A new message is the on-commit task's for this long; after that the sweep sends it too.
SWEEP_GRACE = timedelta(seconds=30)
# Retry delays double from OUTBOX_RETRY_BASE_SECONDS up to this, each +-20% so a burst of
# failures does not retry in one burst again.
RETRY_MAX_DELAY = timedelta(hours=1)
# The sweep stops starting new sends after this long, well inside the task's soft time limit
# (one more send may take up to EMAIL_TIMEOUT); the next sweep carries on.
SWEEP_BUDGET_SECONDS = 20


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
    fields = {
        "to": to,
        "template": template,
        "context": context,
        "user_id": user_id,
        "next_attempt_at": timezone.now() + SWEEP_GRACE,
    }
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

    task_publish(outbox_send, message_id, what=f"outbox message {message_id}")


def _render(message: OutboxMessage) -> EmailMultiAlternatives:
    context = {**message.context, "SITE_NAME": settings.SITE_NAME, "SITE_URL": settings.SITE_URL}
    subject = render_to_string(f"emails/{message.template}_subject.txt", context).strip()
    text = render_to_string(f"emails/{message.template}.txt", context)
    html = render_to_string(f"emails/{message.template}.html", context)
    email = EmailMultiAlternatives(subject=subject, body=text, to=[message.to])
    email.attach_alternative(html, "text/html")
    # Extras a context may carry (underscore keys, out of the templates' reach): headers such
    # as List-Unsubscribe, and chart data drawn into inline PNGs (notifications/charts.py).
    email.extra_headers.update(message.context.get("_headers", {}))
    attach_inline_charts(email, message.context.get("_charts", {}))
    return email


def message_id_header(message: OutboxMessage) -> str:
    """The Message-ID every send of this row carries: the same one if it is ever sent twice."""
    domain = urlsplit(settings.SITE_URL).hostname or "localhost"
    return f"<{message.message_id}@{domain}>"


def retry_delay(*, attempts: int) -> timedelta:
    """How long to wait after the `attempts`-th failed send: doubling, capped, jittered."""
    base = settings.OUTBOX_RETRY_BASE_SECONDS * 2 ** max(attempts - 1, 0)
    seconds = min(base, RETRY_MAX_DELAY.total_seconds())
    return timedelta(seconds=seconds * random.uniform(0.8, 1.2))


def outbox_send(*, message_id: int, connection=None) -> bool:
    """Send one pending message that is due. Returns True if this call sent it.

    Locks the row (skipping a row another worker holds) for the whole SMTP conversation, so
    concurrent or repeated runs send it once; a worker that dies mid-send releases the lock
    and the row stays pending. The row is marked sent and committed before the SMTP session
    is closed, which leaves only the moment between the server's "250 accepted" and that
    commit where a dying worker causes a second send (same Message-ID; docs/operations.md).

    A message is due on its first attempt (the on-commit task) or once `next_attempt_at` has
    passed. A failed attempt records the error and moves `next_attempt_at` out with
    exponential backoff; after OUTBOX_MAX_ATTEMPTS the message is `failed`. `connection`
    (an open e-mail backend) lets the sweep send many messages over one SMTP session.
    """
    own_connection = connection is None
    smtp = get_connection() if own_connection else connection
    now = timezone.now()
    try:
        with transaction.atomic():
            message = (
                OutboxMessage.objects.select_for_update(skip_locked=True)
                .filter(
                    Q(attempts=0) | Q(next_attempt_at__lte=now) | Q(next_attempt_at__isnull=True),
                    pk=message_id,
                    status=OutboxMessage.Status.PENDING,
                )
                .first()
            )
            if message is None:
                return False
            message.attempts += 1
            try:
                email = _render(message)
                email.extra_headers["Message-ID"] = message_id_header(message)
                email.connection = smtp
                smtp.open()  # opened here, so send() leaves the session open until after the commit
                email.send()
            except Exception as exc:
                logger.exception("Sending outbox message %s failed (attempt %s)", message_id, message.attempts)
                smtp.close()  # a broken session must not be reused for the next message
                message.last_error = f"{type(exc).__name__}: {exc}"[:2000]
                if message.attempts >= settings.OUTBOX_MAX_ATTEMPTS:
                    message.status = OutboxMessage.Status.FAILED
                    message.next_attempt_at = None
                else:
                    message.next_attempt_at = now + retry_delay(attempts=message.attempts)
                message.save(update_fields=["attempts", "last_error", "status", "next_attempt_at"])
                return False
            message.subject = email.subject[:255]
            message.status = OutboxMessage.Status.SENT
            message.sent_at = timezone.now()
            message.next_attempt_at = None
            message.save(update_fields=["attempts", "subject", "status", "sent_at", "next_attempt_at"])
            return True
    finally:
        if own_connection:
            smtp.close()  # QUIT only after the commit: a worker dying here sends nothing twice


def outbox_due_ids(*, limit: int = 500) -> list[int]:
    """Pending messages whose next attempt is due (oldest due first): what the sweep sends."""
    return list(
        # A row with no next attempt was written by a release before retries existed.
        OutboxMessage.objects.filter(
            Q(next_attempt_at__lte=timezone.now()) | Q(next_attempt_at__isnull=True),
            status=OutboxMessage.Status.PENDING,
        )
        .order_by("next_attempt_at")
        .values_list("pk", flat=True)[:limit]
    )


def outbox_send_due(*, limit: int = 500, budget_seconds: float = SWEEP_BUDGET_SECONDS) -> int:
    """The sweep: send due messages over one SMTP session until none is left, `limit` were
    tried, or `budget_seconds` passed (the next sweep carries on). Returns how many were sent.

    Safe to run alongside on-commit tasks and other sweeps: each message is sent under its
    row lock by `outbox_send`."""
    deadline = time.monotonic() + budget_seconds
    sent = 0
    connection = get_connection()
    try:
        for message_id in outbox_due_ids(limit=limit):
            if time.monotonic() > deadline:
                break
            sent += outbox_send(message_id=message_id, connection=connection)
    finally:
        connection.close()
    return sent


def outbox_requeue(*, message_ids: list[int]) -> int:
    """Give failed messages a fresh set of attempts and send them after commit.

    Only `failed` messages change (a sent one is never sent again); returns how many did."""
    with transaction.atomic():
        ids = list(
            OutboxMessage.objects.select_for_update()
            .filter(pk__in=message_ids, status=OutboxMessage.Status.FAILED)
            .values_list("pk", flat=True)
        )
        OutboxMessage.objects.filter(pk__in=ids).update(
            status=OutboxMessage.Status.PENDING, attempts=0, next_attempt_at=timezone.now()
        )
        _audit_resend(ids)
        for message_id in ids:
            transaction.on_commit(lambda message_id=message_id: _enqueue_send(message_id), robust=True)
    return len(ids)


def _audit_resend(ids: list[int]) -> None:
    """One audit-trail row per message sent again (the update above is a bulk one, which
    django-auditlog cannot see): who (the request's actor, set by AuditActorMiddleware), when,
    from where, and failed -> pending."""
    changes = {"status": [OutboxMessage.Status.FAILED.value, OutboxMessage.Status.PENDING.value]}
    for message in OutboxMessage.objects.filter(pk__in=ids).only("pk", "template", "to"):
        LogEntry.objects.log_create(message, action=LogEntry.Action.UPDATE, changes=changes)


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
