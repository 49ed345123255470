"""A passenger's personal data: all of it as one download, deleting the account, and
anonymising passengers of long-departed flights (PRIVACY_RETENTION_DAYS).

Bookings are the airline's records and stay; what identifies a person in them goes: the
account's e-mail and names, each ticket's passenger name and date of birth, the e-mails' stored
addresses and contents. Card numbers were never stored (payments keep the provider's
reference, the brand and the last four digits).
"""

from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from accounts.models import User
from accounts.two_factor import second_factors_delete
from notifications.models import OutboxMessage

from ..exceptions import BookingError
from ..models import Booking, Ticket

ANONYMOUS_NAME = "Anonymised passenger"
BATCH = 1000


class AccountDeletionRefused(BookingError):
    message = "Cancel your upcoming bookings first: an account with a trip ahead cannot be deleted."


def personal_data(*, user: User) -> dict:
    """Everything the site keeps about `user`, as plain JSON-ready values."""
    bookings = (
        Booking.objects.filter(user=user)
        .select_related("flight__origin", "flight__destination", "payment")
        .prefetch_related("tickets")
        .order_by("created_at")
    )
    return {
        "account": {
            "email": user.email,
            "first_name": user.first_name,
            "last_name": user.last_name,
            "date_joined": user.date_joined.isoformat(),
            "last_login": user.last_login.isoformat() if user.last_login else None,
            "email_new_routes": user.email_new_routes,
            "email_monthly_report": user.email_monthly_report,
        },
        "bookings": [
            {
                "reference": booking.reference,
                "status": booking.status,
                "flight": booking.flight.number,
                "from": booking.flight.origin.iata,
                "to": booking.flight.destination.iata,
                "departs_at": booking.flight.departs_at.isoformat(),
                "total": f"{booking.total_price:.2f} {settings.CURRENCY}",
                "card": _card(booking),
                "passengers": [
                    {
                        "name": ticket.passenger_name,
                        "date_of_birth": ticket.date_of_birth.isoformat() if ticket.date_of_birth else None,
                        "seat": ticket.seat,
                        "status": ticket.status,
                    }
                    for ticket in sorted(booking.tickets.all(), key=lambda ticket: ticket.pk)
                ],
            }
            for booking in bookings
        ],
        "emails": [
            {
                "to": message.to,
                "subject": message.subject,
                "status": message.status,
                "written": message.created_at.isoformat(),
            }
            for message in OutboxMessage.objects.filter(user_id=user.pk).order_by("created_at")
        ],
    }


def _card(booking: Booking) -> str | None:
    payment = getattr(booking, "payment", None) if booking.confirmed_at else None
    return f"{payment.card_brand} ending {payment.card_last4}" if payment else None


def account_delete(*, user: User) -> None:
    """Close `user`'s account and remove what identifies them, keeping the bookings as
    anonymous records: the account can no longer log in (nor any of its API tokens: the
    password is unusable), pending e-mails to it are not sent. Raises AccountDeletionRefused
    while the account has a paid trip ahead or seats on hold."""
    now = timezone.now()
    with transaction.atomic():
        user = User.objects.select_for_update().get(pk=user.pk)
        ahead = Booking.objects.filter(user=user, flight__departs_at__gt=now).filter(
            status__in=[Booking.Status.CONFIRMED, Booking.Status.HELD]
        )
        if ahead.exists():
            raise AccountDeletionRefused()
        _anonymise_tickets(Ticket.objects.filter(booking__user=user))
        address = f"deleted-{user.pk}@deleted.invalid"
        OutboxMessage.objects.filter(user_id=user.pk, status=OutboxMessage.Status.PENDING).update(
            status=OutboxMessage.Status.FAILED, last_error="The account was deleted."
        )
        OutboxMessage.objects.filter(user_id=user.pk).update(to=address, context={})
        user.email = address
        user.first_name = user.last_name = ""
        user.is_active = False
        user.email_new_routes = user.email_monthly_report = False
        user.set_unusable_password()
        user.save()
        second_factors_delete(user=user)  # nothing of theirs left to sign in with


def _anonymise_tickets(tickets) -> int:
    return tickets.exclude(passenger_name=ANONYMOUS_NAME).update(
        passenger_name=ANONYMOUS_NAME, last_name="", date_of_birth=None
    )


def passengers_anonymise(*, now=None) -> int:
    """Anonymise the passengers of flights that departed more than PRIVACY_RETENTION_DAYS ago
    (daily, beat). Returns the tickets changed; a second run changes none."""
    before = (now or timezone.now()) - timedelta(days=settings.PRIVACY_RETENTION_DAYS)
    ids = list(
        Ticket.objects.filter(flight__departs_at__lt=before)
        .exclude(passenger_name=ANONYMOUS_NAME)
        .values_list("pk", flat=True)[:BATCH]
    )
    return _anonymise_tickets(Ticket.objects.filter(pk__in=ids))
