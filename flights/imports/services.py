"""Writes for flight imports: store an upload and enqueue it; run it, once, all or nothing.

The run claims, reports and finishes through the toolbox's job helpers
(booking_site/lib/jobs.py); what is the import's own is here: reading and checking the rows,
and writing them in one transaction."""

import hashlib
import logging
import uuid

from auditlog.context import set_actor
from django.conf import settings
from django.core.files.base import ContentFile, File
from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.models import User
from booking_site.lib.broker import task_publish
from booking_site.lib.db import violated_constraint
from booking_site.lib.jobs import (
    JobReporter,
    job_claim,
    job_finish,
    job_progress_outside_transaction,
    jobs_stalled_ids,
)
from booking_site.lib.text import printable

from ..exceptions import FlightError
from ..models import Flight, FlightImport
from ..search_cache import search_cache_invalidate_route_days
from ..services import flight_update
from .parsing import ImportFileError, check_size, read_rows
from .validation import MAX_ERRORS, validate_rows

logger = logging.getLogger(__name__)

# Celery limits of the import task (flights.tasks). When a run counts as stalled (its
# heartbeat stopped) and a pending import as lost: FlightImport.STALE_AFTER and WAITING_AFTER.
IMPORT_SOFT_TIME_LIMIT = 15 * 60
IMPORT_TIME_LIMIT = IMPORT_SOFT_TIME_LIMIT + 60
BATCH_SIZE = 1000  # flights per INSERT, and between progress reports while importing
CLASHED = (
    "While this file was being imported, someone else added one of its flights, so nothing "
    "was imported. Upload the file again: flights that now exist will be left as they are."
)


def flight_import_start(*, user: User, upload: File, token: uuid.UUID | None = None) -> FlightImport:
    """Store an uploaded CSV file (through the default storage) as a pending FlightImport and
    enqueue its import after commit.

    The file as a whole is checked first: raises ImportFileError (size over
    FLIGHT_IMPORT_MAX_BYTES, empty, not UTF-8, binary, wrong header, no rows, too many rows),
    and then nothing is stored. Rows are checked by the task. The same `token` (the upload
    form's) with the same file again, even at the same moment, returns the import it started.
    """
    check_size(upload.size or 0)
    data = upload.read(settings.FLIGHT_IMPORT_MAX_BYTES + 1)
    upload_key = hashlib.sha256(token.bytes + data).hexdigest() if token is not None else None
    if upload_key is not None:
        started = FlightImport.objects.filter(created_by=user, upload_key=upload_key).first()
        if started is not None:
            return started
    parsed = read_rows(data)
    flight_import = FlightImport(
        created_by=user,
        file_name=printable(upload.name or "upload.csv")[-255:] or "upload.csv",
        file_size=len(data),
        progress_total=len(parsed.rows),
        upload_key=upload_key,
    )
    # A generated storage name: the uploaded name is only shown, never used as a path.
    flight_import.file.save(f"{uuid.uuid4().hex}.csv", ContentFile(data), save=False)
    try:
        with transaction.atomic():
            flight_import.save()
            import_id = flight_import.pk
            transaction.on_commit(lambda: _enqueue(import_id), robust=True)
    except IntegrityError as error:
        flight_import.file.delete(save=False)  # the other submission's file is the one kept
        if violated_constraint(error) == "flight_import_upload_unique":
            return FlightImport.objects.get(created_by=user, upload_key=upload_key)
        raise
    return flight_import


def _enqueue(import_id: int) -> None:
    from ..tasks import flight_import_run

    # Broker down: fails fast and the import stays pending; flight_imports_resume enqueues it.
    task_publish(flight_import_run, import_id, what=f"flight import {import_id}")


def flight_imports_resume() -> int:
    """Enqueue again the imports whose task was lost (`jobs_stalled_ids`): still pending a
    minute after upload (the task was never published), or running with no heartbeat for
    FlightImport.STALE_AFTER (its worker died). Running an import twice does it once, so this
    is always safe. Returns how many were enqueued."""
    ids = jobs_stalled_ids(FlightImport, now=timezone.now())
    for import_id in ids:
        _enqueue(import_id)
    return len(ids)


class _RowsRefused(Exception):
    def __init__(self, errors: list[str]):
        super().__init__(f"{len(errors)} rows refused")
        self.errors = errors


class _ClaimLost(Exception):
    """Another run took the import over: this run's transaction must not commit."""


def _finish(import_id: int, run_id: uuid.UUID, status: str, **fields) -> bool:
    return job_finish(FlightImport, import_id, run_id, status, **fields)


def flight_import_run(*, import_id: int) -> bool:
    """Validate every row of the import, then, if none has an error, write them all in one
    transaction: new flights created, identical ones left alone, changed ones updated through
    `flight_update` (its rules: capacity never below the seats booked, no seat a passenger
    holds lost, no cancelled flight edited). Any error: nothing is written and the import is
    `invalid` with row-numbered errors (the first MAX_ERRORS). Search results showing the new
    flights' route-days are invalidated after commit.

    Returns True if this call finished the import. Returns False without doing anything if
    the import is finished or a live run has it (`job_claim`), so running it twice does the
    work once. An import whose run stalled is taken over, and the stalled run can no longer
    commit its rows: the import is marked done in the same transaction that writes them, by
    the run that owns it (the stalled one rolls back and returns False). Progress and the
    heartbeat go to the row in both phases, also while the import transaction is open
    (`job_progress_outside_transaction`). An unexpected error marks it `failed` (nothing was
    written) and is raised.
    """
    run_id = job_claim(FlightImport, import_id, now=timezone.now(), status=FlightImport.Status.VALIDATING)
    if run_id is None:
        return False
    flight_import = FlightImport.objects.get(pk=import_id)
    try:
        with set_actor(flight_import.created_by):  # the audit trail names who uploaded the file
            return _run(flight_import, run_id)
    except Exception:
        _finish(
            import_id,
            run_id,
            FlightImport.Status.FAILED,
            errors=["The import stopped unexpectedly, so nothing was imported. Upload the file again."],
            error_count=1,
        )
        raise


def _run(flight_import: FlightImport, run_id: uuid.UUID) -> bool:
    """The import's work once claimed; False if another run took it over meanwhile."""
    import_id = flight_import.pk
    report = JobReporter(FlightImport, import_id, run_id)
    try:
        with flight_import.file.open("rb") as stored:
            parsed = read_rows(stored.read())
    except ImportFileError as error:
        return _finish(import_id, run_id, FlightImport.Status.INVALID, errors=[str(error)], error_count=1)
    total = len(parsed.rows)
    report(0, total)
    validation = validate_rows(parsed.rows, on_progress=report)
    if validation.error_count:
        return _finish(
            import_id,
            run_id,
            FlightImport.Status.INVALID,
            progress_done=total,
            errors=validation.errors,
            error_count=validation.error_count,
        )

    if not report(0, total, status=FlightImport.Status.IMPORTING):
        return False  # another run took the import over while this one was checking rows
    try:
        # The import's own writes are invisible until it commits: its progress reports go
        # through a connection of their own, so the status page and the sweep see them.
        with job_progress_outside_transaction():
            _import(import_id, run_id, validation.rows, report)
    except _ClaimLost:
        logger.warning("Flight import %s was taken over by another run; this run's rows were rolled back", import_id)
        return False
    except _RowsRefused as refused:
        status, errors, error_count = FlightImport.Status.INVALID, refused.errors[:MAX_ERRORS], len(refused.errors)
    except IntegrityError:
        logger.warning("Flight import %s clashed with a concurrent schedule change", import_id, exc_info=True)
        status, errors, error_count = FlightImport.Status.FAILED, [CLASHED], 1
    else:
        return True  # finished as done by _import, in its transaction
    return _finish(import_id, run_id, status, errors=errors, error_count=error_count)


def _existing(rows: list[tuple[int, dict]]) -> dict[tuple, Flight]:
    """The flights the rows identify (number + departure), in one index-backed query."""
    numbers = {fields["number"] for _, fields in rows}
    departures = [fields["departs_at"] for _, fields in rows]
    wanted = {(fields["number"], fields["departs_at"]) for _, fields in rows}
    candidates = Flight.objects.filter(
        number__in=numbers, departs_at__gte=min(departures), departs_at__lte=max(departures)
    ).order_by()
    return {
        (flight.number, flight.departs_at): flight
        for flight in candidates
        if (flight.number, flight.departs_at) in wanted
    }


def _is_unchanged(flight: Flight, fields: dict) -> bool:
    return (
        flight.origin_id == fields["origin"].pk
        and flight.destination_id == fields["destination"].pk
        and flight.arrives_at == fields["arrives_at"]
        and flight.price == fields["price"]
        and flight.capacity == fields["capacity"]
        and flight.layout == fields["layout"]
    )


def _import(import_id: int, run_id: uuid.UUID, rows: list[tuple[int, dict]], report: JobReporter) -> None:
    """All rows in one transaction, which also marks the import done: it commits only if this
    run still owns the import (else _ClaimLost, and nothing is written). Updates run last, so
    the flight rows they lock stay locked (bookings on them waiting) only for the end of the
    transaction."""
    with transaction.atomic():
        existing = _existing(rows)
        new, changed, unchanged = [], [], 0
        for row_number, fields in rows:
            flight = existing.get((fields["number"], fields["departs_at"]))
            if flight is None:
                new.append(Flight(**fields))
            elif _is_unchanged(flight, fields):
                unchanged += 1
            else:
                changed.append((row_number, flight, fields))
        done = unchanged
        report(done)
        for start in range(0, len(new), BATCH_SIZE):
            batch = new[start : start + BATCH_SIZE]
            Flight.objects.bulk_create(batch)
            done += len(batch)
            report(done)
        if changed:
            report(done, force=True)  # the updates may wait for flight locks: show the count until then
        errors = []
        # Each update locks its flight until the import commits: in pk order, as every other
        # multi-flight lock here, so two imports (or an import and a removal) cannot deadlock.
        changed.sort(key=lambda change: change[1].pk)
        for index, (row_number, flight, fields) in enumerate(changed, start=1):
            try:
                flight_update(flight_id=flight.pk, **fields)  # invalidates its own search results
            except FlightError as error:
                errors.append(
                    (row_number, f"Row {row_number}: flight {flight.number} exists and cannot be updated: {error}")
                )
            report(done + index)
        if errors:
            raise _RowsRefused([text for _, text in sorted(errors)])  # rolls every write back
        finished = _finish(
            import_id,
            run_id,
            FlightImport.Status.DONE,
            progress_done=len(rows),
            created_count=len(new),
            updated_count=len(changed),
            unchanged_count=unchanged,
            errors=[],
            error_count=0,
        )
        if not finished:
            raise _ClaimLost()  # rolls every write back: the run that owns the import does it
        route_days = {
            (flight.origin_id, flight.destination_id, flight.departs_at.astimezone(flight.origin.zone).date())
            for flight in new
        }
        transaction.on_commit(lambda: search_cache_invalidate_route_days(route_days))
