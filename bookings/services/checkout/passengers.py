"""Step 2 of checkout: name the passengers of a held booking (under the booking's lock only)."""

from dataclasses import dataclass
from datetime import date

from django.utils import timezone

from accounts.models import User

from ...exceptions import BookingClosed, BookingError, HoldExpired
from ...models import Booking, Ticket
from ..common import own_booking_locked


@dataclass(frozen=True)
class Passenger:
    first_names: str
    last_name: str
    date_of_birth: date | None = None

    @property
    def full_name(self) -> str:
        return f"{self.first_names} {self.last_name}".strip()

    @classmethod
    def from_full_name(cls, name: str) -> "Passenger":
        first, _, last = name.strip().rpartition(" ")
        return cls(first_names=first, last_name=last)


def check_hold_live(booking: Booking) -> None:
    """BookingClosed or HoldExpired unless `booking` is a hold still running."""
    if booking.status == Booking.Status.CANCELLED:
        raise BookingClosed(
            "This flight has been cancelled, so your seats were released."
            if booking.cancelled_by_staff
            else "This booking was cancelled."
        )
    if booking.status != Booking.Status.HELD or booking.hold_expires_at <= timezone.now():
        raise HoldExpired()


def booking_set_passengers(*, user: User, booking_id: int, passengers: list[Passenger]) -> Booking:
    """Name the passengers of the user's held booking, in seat order (one per held ticket).

    Raises HoldExpired once the hold has run out, BookingError if the number does not match,
    FlightBusy while a payment of the same booking is going through.
    Naming them again before paying replaces the names.
    """
    with own_booking_locked(user=user, booking_id=booking_id) as booking:
        check_hold_live(booking)
        tickets = list(booking.tickets.filter(status=Ticket.Status.HELD).order_by("pk"))
        if len(tickets) != len(passengers):
            raise BookingError(f"Please enter the details of all {len(tickets)} passengers.")
        for ticket, passenger in zip(tickets, passengers, strict=True):
            ticket.passenger_name = passenger.full_name
            ticket.last_name = passenger.last_name
            ticket.date_of_birth = passenger.date_of_birth
        Ticket.objects.bulk_update(tickets, ["passenger_name", "last_name", "date_of_birth"])
    return booking
