"""Writes for flight imports: store an upload and enqueue it; run it, once, all or nothing."""

import hashlib
import logging
import uuid
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.core.cache import cache
from django.core.files.base import ContentFile, File
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from accounts.models import User
from booking_site.lib.broker import task_publish
from booking_site.lib.db import violated_constraint
from booking_site.lib.text import printable

from ..exceptions import FlightError
from ..models import Flight, FlightImport
from ..search_cache import search_cache_invalidate_route_days
from ..services import flight_update
from .parsing import ImportFileError, check_size, read_rows
from .selectors import progress_key
from .validation import MAX_ERRORS, validate_rows

logger = logging.getLogger(__name__)

# Celery limits of the import task (flights.tasks); a run that started longer ago than the hard
# limit plus a margin is dead, and its import may be claimed again.
IMPORT_SOFT_TIME_LIMIT = 15 * 60
IMPORT_TIME_LIMIT = IMPORT_SOFT_TIME_LIMIT + 60
STALE_AFTER = timedelta(seconds=IMPORT_TIME_LIMIT + 60)
RESUME_AFTER = timedelta(minutes=1)  # a pending import this old lost its task (broker outage)
BATCH_SIZE = 1000  # flights per INSERT, and between progress reports while importing
PROGRESS_TIMEOUT = 24 * 3600


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
        total_rows=len(parsed.rows),
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
    """Enqueue again the imports still pending a minute after upload (their task was never
    published, or was lost), and those whose run stopped without finishing (its worker died:
    started longer ago than the task's time limit allows). Running an import twice does it
    once, so this is always safe. Returns how many were enqueued."""
    now = timezone.now()
    lost = Q(status=FlightImport.Status.PENDING, created_at__lt=now - RESUME_AFTER)
    stalled = Q(status__in=FlightImport.RUNNING, started_at__lt=now - STALE_AFTER)
    ids = list(FlightImport.objects.filter(lost | stalled).order_by("pk").values_list("pk", flat=True)[:100])
    for import_id in ids:
        _enqueue(import_id)
    return len(ids)


class _Progress:
    """Rows validated and imported, in the cache: the import's own writes are inside one
    transaction, invisible to the status page until it commits. Redis down: the first failed
    write is logged and the rest are skipped (each would wait for its socket timeout); the
    page then shows the phase counters of the row."""

    def __init__(self, import_id: int):
        self.key = progress_key(import_id)
        self.validated = 0
        self.imported = 0
        self.available = True

    def report(self, *, validated: int | None = None, imported: int | None = None) -> None:
        if validated is not None:
            self.validated = validated
        if imported is not None:
            self.imported = imported
        if not self.available:
            return
        # django-redis answers True once stored, None when Redis could not be reached (the
        # cache ignores Redis errors and logs them).
        if not cache.set(self.key, {"validated": self.validated, "imported": self.imported}, PROGRESS_TIMEOUT):
            logger.warning("Import progress cannot be written to the cache; not trying again")
            self.available = False


class _RowsRefused(Exception):
    def __init__(self, errors: list[str]):
        super().__init__(f"{len(errors)} rows refused")
        self.errors = errors


@dataclass(frozen=True)
class _Outcome:
    created: int
    updated: int
    unchanged: int


def _claim(import_id: int) -> bool:
    """Mark the import as ours to run; False if it is finished or another run has it. One
    conditional UPDATE decides, so two workers (or a redelivered task) cannot both run it."""
    now = timezone.now()
    runnable = Q(status=FlightImport.Status.PENDING) | Q(
        status__in=FlightImport.RUNNING, started_at__lt=now - STALE_AFTER
    )
    return bool(
        FlightImport.objects.filter(runnable, pk=import_id).update(
            status=FlightImport.Status.VALIDATING, started_at=now, rows_validated=0, rows_imported=0
        )
    )


def _finish(import_id: int, status: str, **fields) -> None:
    FlightImport.objects.filter(pk=import_id).update(status=status, finished_at=timezone.now(), **fields)


def flight_import_run(*, import_id: int) -> bool:
    """Validate every row of the import, then, if none has an error, write them all in one
    transaction: new flights created, identical ones left alone, changed ones updated through
    `flight_update` (its rules: capacity never below the seats booked, no seat a passenger
    holds lost, no cancelled flight edited). Any error: nothing is written and the import is
    `invalid` with row-numbered errors (the first MAX_ERRORS). Search results showing the new
    flights' route-days are invalidated after commit.

    Returns False without doing anything if the import is finished or another run has it, so
    running it twice does the work once. An unexpected error marks it `failed` (nothing was
    written) and is raised.
    """
    if not _claim(import_id):
        return False
    flight_import = FlightImport.objects.get(pk=import_id)
    progress = _Progress(import_id)
    progress.report(validated=0, imported=0)
    try:
        _run(flight_import, progress)
    except Exception:
        _finish(
            import_id,
            FlightImport.Status.FAILED,
            errors=["The import stopped unexpectedly, so nothing was imported. Upload the file again."],
            error_count=1,
        )
        raise
    return True


def _run(flight_import: FlightImport, progress: _Progress) -> None:
    import_id = flight_import.pk
    try:
        with flight_import.file.open("rb") as stored:
            parsed = read_rows(stored.read())
    except ImportFileError as error:
        _finish(import_id, FlightImport.Status.INVALID, errors=[str(error)], error_count=1)
        return
    total = len(parsed.rows)
    validation = validate_rows(parsed.rows, on_progress=lambda count: progress.report(validated=count))
    FlightImport.objects.filter(pk=import_id).update(total_rows=total, rows_validated=total)
    if validation.error_count:
        _finish(
            import_id,
            FlightImport.Status.INVALID,
            errors=validation.errors,
            error_count=validation.error_count,
        )
        return

    FlightImport.objects.filter(pk=import_id).update(status=FlightImport.Status.IMPORTING)
    try:
        outcome = _import(validation.rows, progress)
    except _RowsRefused as refused:
        _finish(
            import_id,
            FlightImport.Status.INVALID,
            errors=refused.errors[:MAX_ERRORS],
            error_count=len(refused.errors),
        )
        return
    except IntegrityError:
        logger.warning("Flight import %s clashed with a concurrent schedule change", import_id, exc_info=True)
        _finish(
            import_id,
            FlightImport.Status.FAILED,
            errors=[
                "While this file was being imported, someone else added one of its flights, so nothing "
                "was imported. Upload the file again: flights that now exist will be left as they are."
            ],
            error_count=1,
        )
        return
    progress.report(imported=total)
    _finish(
        import_id,
        FlightImport.Status.DONE,
        rows_imported=total,
        created_count=outcome.created,
        updated_count=outcome.updated,
        unchanged_count=outcome.unchanged,
        errors=[],
        error_count=0,
    )


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


def _import(rows: list[tuple[int, dict]], progress: _Progress) -> _Outcome:
    """All rows in one transaction. Updates run last, so the flight rows they lock stay locked
    (bookings on them waiting) only for the end of the transaction."""
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
        progress.report(imported=done)
        for start in range(0, len(new), BATCH_SIZE):
            batch = new[start : start + BATCH_SIZE]
            Flight.objects.bulk_create(batch)
            done += len(batch)
            progress.report(imported=done)
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
            if index % 100 == 0 or index == len(changed):
                progress.report(imported=done + index)
        if errors:
            raise _RowsRefused([text for _, text in sorted(errors)])  # rolls every write back
        route_days = {
            (flight.origin_id, flight.destination_id, flight.departs_at.astimezone(flight.origin.zone).date())
            for flight in new
        }
        transaction.on_commit(lambda: search_cache_invalidate_route_days(route_days))
    return _Outcome(created=len(new), updated=len(changed), unchanged=unchanged)
