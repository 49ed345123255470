"""Registered users as staff see them (the staff users page and its CSV export): a searchable
list with each account's bookings and upcoming trips counted in the same query, and one
account with its bookings and e-mails."""

from django.contrib.auth import get_user_model
from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from accounts.selectors import users_matching
from notifications.models import OutboxMessage

from .models import Booking

User = get_user_model()


def users_for_staff(*, q: str = "", staff: bool | None = None, using: str = "default") -> QuerySet:
    """Newest first; `bookings` (confirmed or cancelled, not checkouts in progress) and
    `upcoming` (confirmed, not yet departed) counted per account in the same query."""
    now = timezone.now()
    users = User.objects.using(using).all()
    if staff is not None:
        users = users.filter(is_staff=staff)
    return (
        users_matching(users, q)
        .annotate(
            booking_count=Count("bookings", filter=~Q(bookings__status=Booking.Status.HELD)),
            upcoming=Count(
                "bookings",
                filter=Q(bookings__status=Booking.Status.CONFIRMED, bookings__flight__departs_at__gt=now),
            ),
        )
        .order_by("-date_joined", "-pk")
    )


def user_bookings(user, *, limit: int = 100, using: str = "default") -> list[Booking]:
    """The account's bookings, newest first, with their flights and airports (one query)."""
    return list(
        Booking.objects.using(using)
        .filter(user=user)
        .select_related("flight__origin", "flight__destination")
        .order_by("-created_at")[:limit]
    )


def user_emails(user, *, limit: int = 50, using: str = "default") -> list[OutboxMessage]:
    """The e-mails sent (or waiting, or failed) to the account, newest first."""
    return list(
        OutboxMessage.objects.using(using)
        .filter(user_id=user.pk)
        .only("pk", "template", "subject", "status", "created_at", "to")
        .order_by("-created_at")[:limit]
    )
