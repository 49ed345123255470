"""Reads for bookings: a passenger's trips, checkouts in progress, seats and the manifest."""

from dataclasses import dataclass
from itertools import groupby

from django.db.models import Prefetch, Q, QuerySet
from django.utils import timezone
from django.utils.text import get_text_list

from accounts.models import User
from booking_site.lib.text import fold
from flights import seating
from flights.models import Flight

from .models import Booking, Ticket

# What "My bookings" lists: paid bookings and their history, not checkouts (a checkout the
# airline cancelled with its flight is "cancelled" too, but was never paid: not listed).
LISTED = (Booking.Status.CONFIRMED, Booking.Status.CANCELLED)
WAS_PAID = Q(status__in=LISTED, confirmed_at__isnull=False)


def _with_details(bookings: QuerySet[Booking]) -> QuerySet[Booking]:
    return bookings.select_related("flight__origin", "flight__destination", "payment").prefetch_related(
        Prefetch("tickets", queryset=Ticket.objects.order_by("pk"))
    )


@dataclass(frozen=True)
class BookingSections:
    """ "My bookings", section by section."""

    upcoming: list[Booking]  # confirmed, flight not departed: soonest first
    past: list[Booking]  # confirmed, flight departed: most recent first
    cancelled: list[Booking]  # cancelled by the passenger or with the flight: latest first


def bookings_by_section(*, user: User) -> BookingSections:
    """The user's paid bookings and their history, in the sections "My bookings" shows: a
    cancelled booking is no trip, upcoming or past, whenever its flight was. Two queries
    (the bookings with flights, airports and payments; their tickets), however many."""
    now = timezone.now()
    bookings = list(bookings_listed(user=user))
    confirmed = [booking for booking in bookings if booking.status == Booking.Status.CONFIRMED]
    return BookingSections(
        upcoming=sorted(
            (booking for booking in confirmed if booking.flight.departs_at > now),
            key=lambda booking: (booking.flight.departs_at, booking.pk),
        ),
        past=sorted(
            (booking for booking in confirmed if booking.flight.departs_at <= now),
            key=lambda booking: (booking.flight.departs_at, booking.pk),
            reverse=True,
        ),
        cancelled=sorted(
            (booking for booking in bookings if booking.status == Booking.Status.CANCELLED),
            key=lambda booking: (booking.cancelled_at or booking.created_at, booking.pk),
            reverse=True,
        ),
    )


def bookings_on_hold(*, user: User) -> QuerySet[Booking]:
    """The user's checkouts still holding seats, to come back to."""
    return _with_details(
        Booking.objects.filter(user=user, status=Booking.Status.HELD, hold_expires_at__gt=timezone.now()).order_by(
            "hold_expires_at"
        )
    )


def booking_for_owner(*, user: User, reference: str) -> Booking:
    """The user's booking by reference; Booking.DoesNotExist for anyone else's."""
    return _with_details(Booking.objects.filter(user=user)).get(reference=reference.upper())


def bookings_listed(*, user: User) -> QuerySet[Booking]:
    """The user's paid bookings and their history (not checkouts), newest first, with details."""
    return _with_details(Booking.objects.filter(WAS_PAID, user=user).order_by("-created_at", "-pk"))


def booking_by_reference(*, reference: str) -> Booking:
    """A booking by reference, with its details, for a visitor the view has already let in."""
    return _with_details(Booking.objects.all()).get(reference=reference.upper())


def booking_for_manage(*, reference: str, last_name: str) -> Booking:
    """The paid booking with this reference on which some passenger has this last name
    (case, accents and spacing ignored). Booking.DoesNotExist otherwise, whichever part
    was wrong, so the answer tells a guesser nothing."""
    wanted = fold(last_name)
    booking = Booking.objects.prefetch_related("tickets").filter(WAS_PAID).get(reference=reference.strip().upper())
    if not wanted or all(fold(ticket.last_name) != wanted for ticket in booking.tickets.all()):
        raise Booking.DoesNotExist
    return booking


def flight_manifest(*, flight: Flight) -> list[Ticket]:
    """Every passenger ticket on the flight (not lapsed holds): active first, then held,
    then cancelled, each in seat order (row, then letter)."""
    order = {Ticket.Status.ACTIVE: 0, Ticket.Status.HELD: 1, Ticket.Status.CANCELLED: 2}
    tickets = Ticket.objects.filter(flight=flight).exclude(status=Ticket.Status.EXPIRED).select_related("booking__user")
    return sorted(tickets, key=lambda t: (order[t.status], int(t.seat[:-1]), t.seat[-1]))


def ticket_active_for_booking(*, booking: Booking, ticket_id: int) -> Ticket:
    """An active ticket of a confirmed booking, with its flight and airports;
    Ticket.DoesNotExist for a cancelled ticket, a cancelled booking or another booking's."""
    return Ticket.objects.select_related("booking", "flight__origin", "flight__destination").get(
        pk=ticket_id, booking=booking, booking__status=Booking.Status.CONFIRMED, status=Ticket.Status.ACTIVE
    )


def seat_map(*, flight: Flight, taken: set[str] | None = None) -> list[tuple[int, list[dict]]]:
    """The cabin row by row, each seat ({"seat": flights.seating.Seat, "taken": bool}) with
    its state now (`taken`: taken_seats, when the caller has it already). The flight page and
    the API's seat map."""
    if taken is None:
        taken = taken_seats(flight_id=flight.pk)
    return [
        (row, [{"seat": seat, "taken": seat.label in taken} for seat in seats])
        for row, seats in seating.rows(flight.capacity, flight.layout)
    ]


# Rows with no free seat, this many or more in a row, fold into one line of the flight page's
# map: a busy 180-seat cabin stays short enough to scroll on a phone.
FOLD_TAKEN_ROWS = 2


@dataclass(frozen=True)
class FlightSeatMap:
    """The flight page's seat map. `columns`: one whole row's seats (letters across, aisles
    after some). `sections`: in cabin order, {"row": number, "seats": [{"seat", "taken",
    "passenger"}]} (`passenger`: the party member, from 1, who has that seat chosen, or None),
    or {"taken_rows": (first, last)} for a run of rows with no seat free. `kinds`: the legend's
    (kind, letters) pairs, such as ("window", "A and F"), only for kinds the cabin has.
    `any_free` and `any_taken` say which seat states the legend needs."""

    columns: tuple[seating.Seat, ...]
    sections: list[dict]
    kinds: list[tuple[str, str]]
    any_free: bool
    any_taken: bool


def flight_seat_map(*, flight: Flight, taken: set[str], chosen: dict[str, int] | None = None) -> FlightSeatMap:
    """The seat map the flight page draws, from `taken` (taken_seats) and the party's `chosen`
    seats (label -> passenger number): rows, runs of FOLD_TAKEN_ROWS or more fully taken rows
    folded into one section, and a legend built from the cabin's own layout."""
    chosen = chosen or {}
    rows = []
    for row, seats in seating.rows(flight.capacity, flight.layout):
        items = [
            {
                "seat": seat,
                "taken": seat.label in taken,
                "passenger": None if seat.label in taken else chosen.get(seat.label),
            }
            for seat in seats
        ]
        rows.append({"row": row, "seats": items, "full": all(item["taken"] for item in items)})
    sections: list[dict] = []
    for full, group in groupby(rows, key=lambda row: row["full"]):
        run = list(group)
        if full and len(run) >= FOLD_TAKEN_ROWS:
            sections.append({"taken_rows": (run[0]["row"], run[-1]["row"])})
        else:
            sections.extend(run)
    labels = set(seating.seat_labels(flight.capacity, flight.layout))
    return FlightSeatMap(
        columns=tuple(seat for seat in seating.cabin(flight.capacity, flight.layout) if seat.row == 1),
        sections=sections,
        kinds=[
            (kind, get_text_list(list(letters), "and"))
            for kind, letters in seating.seat_kinds(flight.capacity, flight.layout).items()
        ],
        any_free=bool(labels - taken),
        any_taken=bool(labels & taken),
    )


def seats_in_use(*, flight_id: int) -> set[str]:
    """Seat labels held or sold on the flight, lapsed holds included: what the booking
    service sees under the flight lock, after it has released the lapsed holds it could."""
    return set(
        Ticket.objects.filter(flight_id=flight_id, status__in=Ticket.IN_USE).order_by().values_list("seat", flat=True)
    )


def taken_seats(*, flight_id: int) -> set[str]:
    """Seat labels other passengers cannot have right now: sold, or held by a hold that has
    not run out. A lapsed hold reads as free at once, before the cleanup releases it."""
    live_hold = Q(status=Ticket.Status.HELD, booking__hold_expires_at__gt=timezone.now())
    return set(
        Ticket.objects.filter(Q(status=Ticket.Status.ACTIVE) | live_hold, flight_id=flight_id)
        .order_by()
        .values_list("seat", flat=True)
    )
