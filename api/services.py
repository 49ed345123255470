"""The API's own resources: cancellation quotes (quote, then confirm), and the housekeeping
that keeps what it stores for retries and quotes from piling up. The cancelling itself is
bookings.services.booking_cancel, as on the site; the refund rule is bookings.fares."""

from datetime import timedelta
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from accounts.models import User
from bookings import services as booking_services
from bookings.exceptions import CancellationClosed
from bookings.fares import cancellation_deadline, refund_due
from bookings.models import Booking

from .exceptions import NothingToCancel, NotOnBooking, QuoteExpired
from .idempotency import idempotency_keys_purge
from .models import CancellationQuote

QUOTE_MINUTES = 10

QUOTES_KEPT = timedelta(days=1)  # an unconfirmed quote is useless after its 10 minutes; kept a day for support


def _refund(tickets, *, departs_at, at) -> Decimal:
    return sum((refund_due(ticket.price, departs_at=departs_at, at=at) for ticket in tickets), Decimal("0.00"))


def cancellation_quote_create(*, booking: Booking, ticket_ids: list[int] | None) -> CancellationQuote:
    """Quote the refund for cancelling `ticket_ids` of the user's paid booking (all its
    flying passengers when None), valid for QUOTE_MINUTES. Changes nothing else.
    Raises NothingToCancel, CancellationClosed, NotOnBooking."""
    if booking.status == Booking.Status.CANCELLED:
        raise NothingToCancel(f"Booking {booking.reference} was already cancelled.")
    if booking.status != Booking.Status.CONFIRMED:
        raise NothingToCancel("Only a paid booking can be cancelled.")
    active = [ticket for ticket in booking.tickets.all() if ticket.is_active]
    if not active:
        raise NothingToCancel(f"Booking {booking.reference} was already cancelled.")
    now = timezone.now()
    if now >= cancellation_deadline(booking.flight.departs_at):
        raise CancellationClosed()
    chosen = sorted(set(ticket_ids or [ticket.pk for ticket in active]))
    unknown = sorted(set(chosen) - {ticket.pk for ticket in active})
    if unknown:
        raise NotOnBooking(f"Not a flying passenger of this booking: {', '.join(map(str, unknown))}.")
    return CancellationQuote.objects.create(
        booking=booking,
        ticket_ids=chosen,
        refund_total=_refund([t for t in active if t.pk in chosen], departs_at=booking.flight.departs_at, at=now),
        expires_at=now + timedelta(minutes=QUOTE_MINUTES),
        created_at=now,
    )


def cancellation_quote_confirm(*, user: User, quote_id) -> CancellationQuote:
    """Cancel the quoted passengers for the quoted refund (bookings.services.booking_cancel:
    seats back, refund sent, e-mail), all or none. Confirming it again returns it unchanged.
    Raises QuoteExpired once past `expires_at`, when a quoted passenger was cancelled since, or
    when the refund would now differ; CancellationClosed, FlightBusy;
    CancellationQuote.DoesNotExist for another user's quote. Locks the quote, then (inside
    booking_cancel) the flight and the booking."""
    with transaction.atomic():
        quote = (
            CancellationQuote.objects.select_for_update()
            .select_related("booking__flight")
            .get(pk=quote_id, booking__user=user)
        )
        if quote.status == CancellationQuote.Status.CONFIRMED:
            return quote
        booking = quote.booking
        now = timezone.now()
        if now >= quote.expires_at:
            raise QuoteExpired()
        active = {ticket.pk: ticket for ticket in booking.tickets.all() if ticket.is_active}
        if any(pk not in active for pk in quote.ticket_ids):
            raise QuoteExpired("Some of these passengers were cancelled since this quote. Ask for a new one.")
        quoted = [active[pk] for pk in quote.ticket_ids]
        if _refund(quoted, departs_at=booking.flight.departs_at, at=now) != quote.refund_total:
            raise QuoteExpired("The refund has changed since this quote. Ask for a new one.")
        cancelled = booking_services.booking_cancel(user=user, booking_id=booking.pk, ticket_ids=quote.ticket_ids)
        if len(cancelled) != len(quote.ticket_ids):  # cancelled elsewhere meanwhile: undo, all or none
            raise QuoteExpired("Some of these passengers were cancelled since this quote. Ask for a new one.")
        quote.status = CancellationQuote.Status.CONFIRMED
        quote.confirmed_at = now
        quote.refund_total = sum(ticket.refund_amount for ticket in cancelled)
        quote.save(update_fields=["status", "confirmed_at", "refund_total"])
    return quote


def quotes_purge(*, limit: int = 5000) -> int:
    """Delete unconfirmed cancellation quotes older than a day. Returns how many."""
    ids = list(
        CancellationQuote.objects.filter(
            status=CancellationQuote.Status.QUOTED, created_at__lt=timezone.now() - QUOTES_KEPT
        ).values_list("pk", flat=True)[:limit]
    )
    return CancellationQuote.objects.filter(pk__in=ids).delete()[0]


def api_housekeeping() -> dict[str, int]:
    """Hourly (beat): stored Idempotency-Key responses past API_IDEMPOTENCY_HOURS and stale
    quotes go. Running twice deletes nothing more."""
    return {"idempotency_keys": idempotency_keys_purge(), "quotes": quotes_purge()}
