"""Reads for the staff "sent mail" pages and the outbox's django-admin page."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Count, Q, QuerySet

from .models import OutboxMessage

# E-mails whose context holds a credential (a password reset link works for whoever has it):
# staff see that such a message went out, never its link.
SECRET_TEMPLATES = {"password_reset"}
REDACTED = "(hidden: a one-time link)"
# Context keys and headers with a link that acts for the passenger without a login (the
# one-click unsubscribe): shown to staff as hidden, and the preview is rendered without them.
SECRET_KEYS = {"unsubscribe_url"}
SECRET_HEADERS = {"List-Unsubscribe", "List-Unsubscribe-Post"}
REDACTED_LINK = "(hidden: the passenger's own link)"


def outbox_messages(*, status: str = "", query: str = "") -> QuerySet[OutboxMessage]:
    """Outbox messages, newest first, optionally of one status and matching a recipient,
    subject or template."""
    messages = OutboxMessage.objects.order_by("-created_at", "-pk")
    if status:
        messages = messages.filter(status=status)
    if query:
        messages = messages.filter(Q(to__icontains=query) | Q(subject__icontains=query) | Q(template=query))
    return messages


def outbox_status_counts() -> dict[str, int]:
    """How many messages are pending, sent and failed."""
    counts = {status: 0 for status in OutboxMessage.Status.values}
    for row in OutboxMessage.objects.values("status").order_by().annotate(n=Count("pk")):
        counts[row["status"]] = row["n"]
    return counts


def redacted_context(message: OutboxMessage) -> dict:
    """The message's context with credentials hidden (see SECRET_TEMPLATES)."""
    if message.template in SECRET_TEMPLATES:
        return {key: REDACTED if key == "url" else value for key, value in message.context.items()}
    context = {key: REDACTED_LINK if key in SECRET_KEYS else value for key, value in message.context.items()}
    if isinstance(context.get("_headers"), dict):
        context["_headers"] = {name: value for name, value in context["_headers"].items() if name not in SECRET_HEADERS}
    return context


@dataclass
class Preview:
    subject: str = ""
    text: str = ""
    html: str = ""
    error: str = ""
    hidden: bool = False


def outbox_preview(message: OutboxMessage) -> Preview:
    """The e-mail as the templates render it now from the stored context (subject, text,
    HTML), or why it cannot be shown. Never raises for a broken template."""
    if message.template in SECRET_TEMPLATES:
        return Preview(subject=message.subject, hidden=True)
    from .services import _render

    shown = OutboxMessage(template=message.template, to=message.to, context=redacted_context(message))
    try:
        email = _render(shown)
    except Exception as exc:  # a missing template or a context it cannot use: show why
        return Preview(error=f"{type(exc).__name__}: {exc}")
    html = next((content for content, mimetype in email.alternatives if mimetype == "text/html"), "")
    return Preview(subject=email.subject, text=email.body, html=html)
