"""Reads for the staff seat view: every seat of a flight's cabin and what state it is in now."""

from dataclasses import dataclass
from datetime import datetime

from django.db.models import Q
from django.utils import timezone

from flights import seating
from flights.models import Flight

from .models import Ticket

FREE, HELD, SOLD = "free", "held", "sold"


@dataclass(frozen=True)
class SeatState:
    """One seat and who has it: `state` is FREE, HELD (until `hold_expires_at`, no names shown:
    a hold has none yet) or SOLD (to `passenger_name` on booking `reference`)."""

    seat: seating.Seat
    state: str = FREE
    passenger_name: str = ""
    reference: str = ""
    booking_id: int | None = None
    hold_expires_at: datetime | None = None


@dataclass(frozen=True)
class Column:
    letter: str
    aisle_after: bool


@dataclass(frozen=True)
class FlightSeats:
    """The cabin as a grid: `columns` across (seat letters, aisles after some), and `rows` of
    (row number, one (column, cell) per column: the cell a SeatState, or None where a short
    last row has no seat)."""

    columns: list[Column]
    rows: list[tuple[int, list[tuple[Column, SeatState | None]]]]
    free: int
    held: int
    sold: int


def flight_seats(*, flight: Flight, now: datetime | None = None) -> FlightSeats:
    """Every seat of the flight's cabin with its state at `now` (default: now), in one query.

    Sold: an active ticket. Held: a held ticket whose booking's hold has not run out. Free:
    anything else, including a lapsed hold the cleanup has not released yet and the seat of a
    cancelled or expired ticket (the same rule as `selectors.taken_seats`)."""
    now = now or timezone.now()
    live_hold = Q(status=Ticket.Status.HELD, booking__hold_expires_at__gt=now)
    in_use = (
        Ticket.objects.filter(Q(status=Ticket.Status.ACTIVE) | live_hold, flight_id=flight.pk)
        .order_by()
        .values_list("seat", "status", "passenger_name", "booking_id", "booking__reference", "booking__hold_expires_at")
    )
    # The partial unique index allows one held or active ticket per seat.
    by_seat = {row[0]: row[1:] for row in in_use}

    columns = [Column(letter=seat.letter, aisle_after=seat.aisle_after) for seat in _full_row(flight.layout)]
    counts = {FREE: 0, HELD: 0, SOLD: 0}
    rows = []
    for row, seats in seating.rows(flight.capacity, flight.layout):
        by_letter = {seat.letter: _state(seat, by_seat.get(seat.label)) for seat in seats}
        for state in by_letter.values():
            counts[state.state] += 1
        rows.append((row, [(column, by_letter.get(column.letter)) for column in columns]))
    return FlightSeats(columns=columns, rows=rows, free=counts[FREE], held=counts[HELD], sold=counts[SOLD])


def _state(seat: seating.Seat, ticket: tuple | None) -> SeatState:
    if ticket is None:
        return SeatState(seat=seat)
    status, passenger_name, booking_id, reference, hold_expires_at = ticket
    if status == Ticket.Status.HELD:
        return SeatState(seat=seat, state=HELD, hold_expires_at=hold_expires_at)
    return SeatState(seat=seat, state=SOLD, passenger_name=passenger_name, reference=reference, booking_id=booking_id)


def _full_row(layout: str) -> tuple[seating.Seat, ...]:
    """One whole row of the layout (the cabin's last row may be short)."""
    letters = "".join(seating.LAYOUTS.get(layout, seating.LAYOUTS[seating.DEFAULT_LAYOUT]))
    return seating.cabin(len(letters), layout)
