"""CSV exports: a passenger's bookings, or (staff) the registered users; a long job with
progress, its file in Django's storage. What each kind writes is in KINDS; the rest is one
flow.

The web request only writes a pending BookingExport (export_start); a Celery task writes the
file (export_run), claiming, reporting progress and finishing through the toolbox's job
helpers (booking_site/lib/jobs.py), and when it is done the same transaction tells the
passenger (an on-site alert and an e-mail). The file expires after
EXPORT_EXPIRY_HOURS and is then deleted (export_expire; exports_sweep, run by a beat task in bookings/tasks.py).

Every cell is neutralised against formula injection (OWASP "CSV Injection"): a passenger
name like `=HYPERLINK(...)` must reach the spreadsheet as text, not as a formula.
"""

import csv
import io
import logging
import tempfile
import uuid
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.core.files import File
from django.db import IntegrityError, transaction
from django.db.models import F, Prefetch
from django.urls import reverse
from django.utils import timezone

from accounts.middleware import last_seen
from accounts.models import User
from booking_site.lib.broker import task_publish
from booking_site.lib.formats import local_datetime, local_timestamp, money
from booking_site.lib.jobs import JobReporter, job_claim, job_finish, jobs_stalled_ids
from booking_site.lib.viewer_zone import person_zone
from notifications.services import alert_create, outbox_enqueue

from ..models import Booking, BookingExport, Ticket
from ..notifications import absolute_url
from ..selectors import WAS_PAID
from ..selectors_users import users_for_staff

logger = logging.getLogger(__name__)

# Bookings read (with their tickets) per round trip; progress is reported after each chunk.
# When a running export counts as stalled and a pending one as lost: BookingExport.STALE_AFTER
# and WAITING_AFTER.
CHUNK_SIZE = 200

# First characters a spreadsheet may read as the start of a formula (OWASP: = + - @ tab CR).
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")

HEADER = [
    "Booking reference",
    "Booking status",
    "Booked at (UTC)",
    "Flight",
    "From",
    "To",
    "Departure (local time)",
    "Departure time zone",
    "Arrival (local time)",
    "Arrival time zone",
    "Passenger",
    "Seat",
    "Passenger status",
    "Fare",
    "Currency",
    "Cancelled at (UTC)",
    "Refund",
    "Cancelled by the airline",
]


def safe_cell(value) -> str:
    """The cell as text a spreadsheet will not evaluate: a leading = + - @ tab or CR gets a
    single quote in front (OWASP's advice), everything else is left exactly as it is.

    Not the `defusedcsv` package: its 3.0.0 leaves a leading tab or CR alone, and those are
    two of the six characters we must neutralise."""
    text = "" if value is None else str(value)
    if text.startswith(FORMULA_TRIGGERS):
        return "'" + text
    return text


def _utc(moment: datetime | None) -> str:
    return local_timestamp(moment, UTC) if moment else ""


def _place(airport) -> str:
    return f"{airport.city or airport.name} ({airport.iata})"


def _booking_rows(booking: Booking) -> Iterator[list]:
    """One row per passenger: what a passenger would want in a spreadsheet of their trips."""
    flight = booking.flight
    for ticket in booking.tickets.all():
        yield [
            booking.reference,
            booking.get_status_display(),
            _utc(booking.confirmed_at or booking.created_at),
            flight.number,
            _place(flight.origin),
            _place(flight.destination),
            local_timestamp(flight.departs_at, flight.origin.zone),
            flight.origin.tz,
            local_timestamp(flight.arrives_at, flight.destination.zone),
            flight.destination.tz,
            ticket.passenger_name,
            ticket.seat,
            ticket.get_status_display(),
            money(ticket.price, style="figure"),
            settings.CURRENCY,
            _utc(ticket.cancelled_at or (booking.cancelled_at if ticket.status == Ticket.Status.CANCELLED else None)),
            money(ticket.refund_amount, style="figure"),
            "yes" if booking.cancelled_by_staff else "",
        ]


def _safe_rows(items: Iterable, rows: Callable[[object], Iterator[list]]) -> Iterator[list[str]]:
    for item in items:
        for row in rows(item):
            yield [safe_cell(cell) for cell in row]


def _booking_ids(export: BookingExport) -> list[int]:
    """The owner's bookings in the order of the file: by departure, then booking."""
    return list(
        Booking.objects.filter(WAS_PAID, user_id=export.user_id)
        .order_by("flight__departs_at", "pk")
        .values_list("pk", flat=True)
    )


def _bookings_in_chunks(ids: list[int]) -> Iterator[list[Booking]]:
    """The bookings of `ids`, CHUNK_SIZE at a time, each chunk in two queries (bookings with
    their flight and airports, then their tickets): no query per booking."""
    for start in range(0, len(ids), CHUNK_SIZE):
        chunk_ids = ids[start : start + CHUNK_SIZE]
        found = Booking.objects.filter(pk__in=chunk_ids).select_related("flight__origin", "flight__destination")
        found = found.prefetch_related(Prefetch("tickets", queryset=Ticket.objects.order_by("pk")))
        by_id = {booking.pk: booking for booking in found}
        yield [by_id[pk] for pk in chunk_ids if pk in by_id]


USER_HEADER = [
    "E-mail",
    "First name",
    "Last name",
    "Joined (UTC)",
    "Last seen (UTC)",
    "Bookings",
    "Upcoming trips",
    "Staff",
    "Active",
]


def _user_ids(export: BookingExport) -> list[int]:
    """The users list as the staff member filtered it (params: q, staff), in its order. Only
    for an owner who is still staff: otherwise the export fails and writes nothing."""
    if not export.user.is_staff:
        raise PermissionError("Only staff may export the users list.")
    staff = export.params.get("staff")
    users = users_for_staff(q=str(export.params.get("q") or ""), staff=staff if isinstance(staff, bool) else None)
    return list(users.values_list("pk", flat=True))


def _users_in_chunks(ids: list[int]) -> Iterator[list]:
    for start in range(0, len(ids), CHUNK_SIZE):
        chunk_ids = ids[start : start + CHUNK_SIZE]
        by_id = {user.pk: user for user in users_for_staff().filter(pk__in=chunk_ids)}
        yield [by_id[pk] for pk in chunk_ids if pk in by_id]


def _user_rows(user) -> Iterator[list]:
    yield [
        user.email,
        user.first_name,
        user.last_name,
        _utc(user.date_joined),
        _utc(last_seen(user)),
        user.booking_count,
        user.upcoming,
        "yes" if user.is_staff else "",
        "yes" if user.is_active else "",
    ]


@dataclass(frozen=True)
class ExportKind:
    header: list[str]
    ids: Callable[[BookingExport], list[int]]
    chunks: Callable[[list[int]], Iterator[list]]
    rows: Callable[[object], Iterator[list]]
    file_name: str  # the file is "<site>-<file_name>-<date>.csv"
    what: str  # the e-mail's "The export of {what} is ready"
    alert: str  # the on-site alert when it is ready


KINDS = {
    BookingExport.Kind.BOOKINGS: ExportKind(
        HEADER,
        _booking_ids,
        _bookings_in_chunks,
        _booking_rows,
        "bookings",
        "your bookings",
        "Your bookings export (CSV) is ready to download.",
    ),
    BookingExport.Kind.USERS: ExportKind(
        USER_HEADER,
        _user_ids,
        _users_in_chunks,
        _user_rows,
        "users",
        "the users list",
        "Your export of the users list (CSV) is ready to download.",
    ),
}


def export_start(
    *, user: User, kind: str = BookingExport.Kind.BOOKINGS, params: dict | None = None
) -> tuple[BookingExport, bool]:
    """Start an export for `user`: their bookings, or (staff only: PermissionError otherwise)
    the users list filtered by `params` ({"q": text, "staff": True/False/None}); returns
    (export, started).

    A user has at most one export pending or running (a database constraint backs this):
    while one is, this returns it with started=False and starts nothing. The task is
    enqueued after commit; if the broker is down, the periodic sweep enqueues it later.
    """
    if kind == BookingExport.Kind.USERS and not user.is_staff:
        raise PermissionError("Only staff may export the users list.")
    with transaction.atomic():
        running = BookingExport.objects.filter(user=user, status__in=BookingExport.IN_PROGRESS).first()
        if running is not None:
            return running, False
        try:
            with transaction.atomic():  # a savepoint: a concurrent click loses the race cleanly
                export = BookingExport.objects.create(user=user, kind=kind, params=params or {})
        except IntegrityError:
            return BookingExport.objects.get(user=user, status__in=BookingExport.IN_PROGRESS), False
        transaction.on_commit(lambda: _enqueue_run(export.pk), robust=True)
    return export, True


def _enqueue_run(export_id: int) -> bool:
    from ..tasks import booking_export_run

    # Broker down: fails fast and leaves it to exports_sweep, which enqueues pending exports.
    return task_publish(booking_export_run, export_id, what=f"booking export {export_id}")


def export_run(*, export_id: int) -> bool:
    """Write the export's file and tell its owner. Returns True if this call finished it.

    Idempotent: an export that is done, failed, expired or being written by a live run is
    left alone (False); one whose run stalled is taken over (`job_claim`). Progress is
    reported after every CHUNK_SIZE bookings (`JobReporter`: committed at once, at most once
    a second); the file is saved through the default storage, then one transaction marks the
    export done and writes the alert and the e-mail (the e-mail once ever per export: its
    dedupe key). Any error marks the export failed (the passenger can start a new one). Call
    it outside a transaction (the task does): inside one, nobody would see the progress.
    """
    run_id = job_claim(BookingExport, export_id, now=timezone.now())
    if run_id is None:
        return False
    export = BookingExport.objects.select_related("user").get(pk=export_id)
    what = KINDS[export.kind]
    report = JobReporter(BookingExport, export_id, run_id)
    name = ""
    try:
        ids = what.ids(export)
        report(0, len(ids))
        with tempfile.TemporaryFile() as raw:
            # utf-8-sig: a byte-order mark, so spreadsheet programs read accented names right.
            text = io.TextIOWrapper(raw, encoding="utf-8-sig", newline="")
            writer = csv.writer(text)
            writer.writerow(what.header)
            done = 0
            for chunk in what.chunks(ids):
                writer.writerows(_safe_rows(chunk, what.rows))
                done += len(chunk)
                if not report(done):
                    return False  # another run took the export over
            text.flush()
            raw.seek(0)
            filename = f"{settings.SITE_NAME.lower()}-{what.file_name}-{timezone.now():%Y-%m-%d}.csv"
            storage = export.file.storage
            name = storage.save(export.file.field.generate_filename(export, filename), File(raw, name=filename))
            text.detach()
        if not _finish(export, run_id, name):
            export.file.storage.delete(name)
            return False
        return True
    except Exception:
        logger.exception("Booking export %s failed", export_id)
        if name:
            export.file.storage.delete(name)
        job_finish(BookingExport, export_id, run_id, BookingExport.Status.FAILED)
        return False


def _finish(export: BookingExport, run_id: uuid.UUID, name: str) -> bool:
    """Mark the export done with its file and tell the passenger, in one transaction; False
    (and nothing written) if this run no longer owns the export."""
    expires_at = timezone.now() + timedelta(hours=settings.EXPORT_EXPIRY_HOURS)
    with transaction.atomic():
        finished = job_finish(
            BookingExport,
            export.pk,
            run_id,
            BookingExport.Status.DONE,
            file=name,
            progress_done=F("progress_total"),
            expires_at=expires_at,
            updated_at=timezone.now(),
        )
        if not finished:
            return False
        kind = KINDS[export.kind]
        page = reverse("bookings:export", args=[export.pk])
        alert_create(user_id=export.user_id, text=kind.alert, url=page)
        outbox_enqueue(
            to=export.user.email,
            template="export_ready",
            context={
                "name": export.user.display_name,
                "url": absolute_url("bookings:export", export.pk),
                # The passenger's clock (profile zone, else the site's): the download belongs to no airport.
                "expires": local_datetime(expires_at, person_zone(user=export.user)),
                "expiry_hours": settings.EXPORT_EXPIRY_HOURS,
                "what": kind.what,
            },
            user_id=export.user_id,
            dedupe_key=f"booking-export-ready:{export.pk}",
        )
    return True


def export_expire(*, export_id: int) -> bool:
    """Delete an expired export's file and mark it expired. Returns True if this call did.

    Locks the export row; deleting a file that is already gone is not an error, so a
    repeated or concurrent call is harmless. An export that has not expired is left alone.
    """
    with transaction.atomic():
        export = (
            BookingExport.objects.select_for_update()
            .filter(pk=export_id, status=BookingExport.Status.DONE, expires_at__lte=timezone.now())
            .first()
        )
        if export is None:
            return False
        # Deleted before the row changes: if the delete fails, the row still says where the
        # file is and the next sweep tries again.
        if export.file.name:
            export.file.storage.delete(export.file.name)
        export.file.name = ""
        export.status = BookingExport.Status.EXPIRED
        export.save(update_fields=["file", "status", "updated_at"])
    return True


def exports_expired_ids(*, limit: int = 500) -> list[int]:
    return list(
        BookingExport.objects.filter(status=BookingExport.Status.DONE, expires_at__lte=timezone.now())
        .order_by("expires_at")
        .values_list("pk", flat=True)[:limit]
    )


def exports_lost_ids(*, limit: int = 100) -> list[int]:
    """Exports whose task went missing: pending past BookingExport.WAITING_AFTER (the broker
    was down when it was enqueued) or running with no heartbeat for STALE_AFTER (its worker
    died)."""
    return jobs_stalled_ids(BookingExport, now=timezone.now(), limit=limit)


def exports_sweep() -> dict[str, int]:
    """Delete the files of expired exports, and enqueue again the exports whose task was lost
    (`exports_lost_ids`). Returns {"expired": files deleted, "resumed": tasks published}.

    Publishes through the broker's circuit breaker (`task_publish`): with the broker down, one
    publish fails fast and the rest wait for the next sweep; the sweep itself never fails.
    Running it twice at once is harmless (each export is claimed by one run)."""
    expired = sum(export_expire(export_id=export_id) for export_id in exports_expired_ids())
    resumed = sum(_enqueue_run(export_id) for export_id in exports_lost_ids())
    return {"expired": expired, "resumed": resumed}
