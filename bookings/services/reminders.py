"""The departure reminder: one e-mail per booking about 24 hours before its flight leaves.

The rule, in UTC (so a DST change on either side cannot shift it):
a confirmed booking with active tickets on a scheduled flight is reminded once the flight
departs within REMINDER_LEAD (24 h) and still more than REMINDER_LAST_CALL (1 h) away. The
job runs every 15 minutes, so a reminder normally goes out 24 h to 23 h 45 min before
departure; a late or skipped run still finds the booking on the next one, for 23 hours.

A booking confirmed less than REMINDER_RECENT (1 h) before its window opened, or inside it,
gets no reminder: its confirmation e-mail, with the same times and links, is at most an hour
older than the reminder would be.

Exactly once per booking: the outbox row carries the dedupe key `reminder:<booking id>`, so
two runs at once (two beats, a re-delivered task) write it once.
"""

import logging
from datetime import UTC, datetime, timedelta

from django.db import transaction
from django.db.models import CharField, Exists, F, Func, OuterRef, Prefetch, QuerySet, Value
from django.db.models.functions import Cast, Coalesce, Concat
from django.utils import timezone

from booking_site.lib.formats import local_time
from flights.models import Flight
from notifications.models import OutboxMessage
from notifications.services import outbox_enqueue

from ..airport_times import AIRPORT_ARRIVAL_BEFORE
from ..models import Booking, Ticket
from ..notifications import booking_email_context

logger = logging.getLogger(__name__)

REMINDER_LEAD = timedelta(hours=24)
REMINDER_LAST_CALL = timedelta(hours=1)
REMINDER_RECENT = timedelta(hours=1)
REMINDER_BATCH = 200
REMINDER_KEY_PREFIX = "reminder:"


# The key names the departure too (UTC, to the minute): a flight moved after its reminder went
# out is reminded again before its new time. The SQL below builds the same text.
REMINDER_KEY_TIME = "%Y%m%dT%H%M"
REMINDER_KEY_TIME_SQL = 'YYYYMMDD"T"HH24MI'  # to_char in the connection's time zone: UTC under Django


def reminder_dedupe_key(booking_id: int, departs_at: datetime) -> str:
    return f"{REMINDER_KEY_PREFIX}{booking_id}:{departs_at.astimezone(UTC):{REMINDER_KEY_TIME}}"


def _due_reminders(*, now: datetime, after_id: int, limit: int) -> QuerySet[Booking]:
    """Bookings to remind now, in pk order after `after_id`: one query, tickets prefetched.

    Locks the bookings returned and skips any another transaction holds (a second run of this
    job, or a cancellation in progress): those are that transaction's, or the next run's."""
    reminded = OutboxMessage.objects.filter(
        dedupe_key=Concat(
            Value(REMINDER_KEY_PREFIX),
            Cast(OuterRef("pk"), CharField()),
            Value(":"),
            Func(
                OuterRef("flight__departs_at"),
                Value(REMINDER_KEY_TIME_SQL),
                function="to_char",
                output_field=CharField(),
            ),
        )
    )
    active_tickets = Ticket.objects.filter(status=Ticket.Status.ACTIVE).order_by("pk")
    return (
        Booking.objects.filter(
            pk__gt=after_id,
            status=Booking.Status.CONFIRMED,
            flight__status=Flight.Status.SCHEDULED,
            flight__departs_at__gt=now + REMINDER_LAST_CALL,
            flight__departs_at__lte=now + REMINDER_LEAD,
        )
        .alias(booked_at=Coalesce("confirmed_at", "created_at"))
        .filter(booked_at__lte=F("flight__departs_at") - (REMINDER_LEAD + REMINDER_RECENT))
        .filter(Exists(Ticket.objects.filter(booking=OuterRef("pk"), status=Ticket.Status.ACTIVE)))
        .exclude(Exists(reminded))
        .select_related("user", "flight__origin", "flight__destination")
        .prefetch_related(Prefetch("tickets", queryset=active_tickets, to_attr="active_tickets"))
        .select_for_update(of=("self",), skip_locked=True)
        .order_by("pk")[:limit]
    )


def reminder_context(booking: Booking) -> dict:
    """The reminder's JSON context: the trip, local times with their zone, absolute links
    (booking, e-tickets, .ics) and when to be at the airport. Expects the booking's flight
    with its airports and `active_tickets` loaded."""
    flight = booking.flight
    context = booking_email_context(booking, flight, booking.active_tickets, name=booking.user.first_name)
    context["airport"] = f"{flight.origin.name} ({flight.origin.iata})"
    # Subtract in UTC, then show in the airport's zone: right even when the clocks change in between.
    context["be_at_airport"] = local_time(flight.departs_at - AIRPORT_ARRIVAL_BEFORE, flight.origin.zone)
    context["arrival_hours"] = int(AIRPORT_ARRIVAL_BEFORE.total_seconds() // 3600)
    return context


def departure_reminders_send(*, batch_size: int = REMINDER_BATCH) -> int:
    """Write a departure reminder to the outbox for every booking due one now (see the module
    docstring for the rule). Returns how many this call wrote.

    Exactly once per booking, even with runs at the same time: due bookings are read in one
    query per batch (locked, skipping rows another run holds), and the outbox's dedupe key
    refuses a second reminder. Each batch commits on its own, so a run stopped half-way
    (time limit, worker lost) keeps what it wrote and the next run does the rest. Raises
    nothing on purpose; a database error propagates and the next run retries.
    """
    now = timezone.now()
    written = 0
    after_id = 0
    while True:
        with transaction.atomic():
            bookings = list(_due_reminders(now=now, after_id=after_id, limit=batch_size))
            if not bookings:
                break
            for booking in bookings:
                message = outbox_enqueue(
                    to=booking.user.email,
                    template="departure_reminder",
                    context=reminder_context(booking),
                    user_id=booking.user_id,
                    dedupe_key=reminder_dedupe_key(booking.pk, booking.flight.departs_at),
                )
                written += message is not None
            after_id = bookings[-1].pk
    if written:
        logger.info("Departure reminders: %d written", written)
    return written
