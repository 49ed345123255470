"""Issue 5: a staff CSV import of 10,000 flights, end to end in a real Celery worker process.

The file is generated (a season's timetable on the bench's routes), handed to
`flight_import_start` as an upload would be, and run by `celery worker --pool solo` started
here with the bench database's environment. The clock runs from the upload to the import's
status turning `done`: storing the file, the broker, the worker, validating every row, the
one import transaction and the search-cache invalidation after it. Then the same file is
imported again (everything unchanged).
"""

from __future__ import annotations

import csv
import io
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from .database import AIRPORTS, ROUTES

IMPORT_ROWS = 10_000
IMPORT_TARGET_S = 20
NUMBER_PREFIX = "IM"  # the bench's other flights are HT*, SM*, CO*, BX* and Z*
# The import task goes to a queue of its own, so only the worker started here runs it: a dev
# worker on the same Redis would run it against its own database.
BENCH_IMPORT_QUEUE = "bench-imports"
WORKER_START_TIMEOUT_S = 60
IMPORT_TIMEOUT_S = 300

OWNED_KEYS = {f"import_{IMPORT_ROWS // 1000}k_rows_s", f"import_{IMPORT_ROWS // 1000}k_unchanged_s"}


def timetable_csv(rows: int = IMPORT_ROWS) -> bytes:
    """`rows` flights: 40 flight numbers over the bench routes (5 departures a day each way on
    4 route pairs), every day from a week ahead, at local times, arrival local at the other end."""
    zones = {iata: ZoneInfo(tz) for iata, _, _, _, tz in AIRPORTS}
    slots = [(6, 10), (9, 40), (12, 5), (15, 30), (18, 55)]
    per_day = len(ROUTES) * len(slots)
    first_day = (datetime.now() + timedelta(days=7)).date()
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(
        ["flight_number", "origin", "destination", "departure_local", "arrival_local", "price", "capacity", "layout"]
    )
    for index in range(rows):
        day_index, within = divmod(index, per_day)
        route_index, slot_index = divmod(within, len(slots))
        origin, destination = ROUTES[route_index]
        hour, minute = slots[slot_index]
        day = first_day + timedelta(days=day_index)
        departs = datetime(day.year, day.month, day.day, hour, minute, tzinfo=zones[origin])
        arrives = (departs + timedelta(hours=2, minutes=5 * route_index)).astimezone(zones[destination])
        writer.writerow(
            [
                f"{NUMBER_PREFIX}{100 + within}",
                origin,
                destination,
                f"{departs:%Y-%m-%d %H:%M}",
                f"{arrives:%Y-%m-%d %H:%M}",
                f"{89 + 10 * slot_index}.00",
                "" if slot_index % 2 else "180",
                "" if slot_index % 2 else "3-3",
            ]
        )
    return out.getvalue().encode()


@dataclass(frozen=True)
class ImportRun:
    seconds: float
    queued_s: float  # upload to the worker claiming it
    status: str
    created: int
    updated: int
    unchanged: int
    error_count: int
    errors: list


def _route_to_bench_queue() -> None:
    from booking_site.celery import app

    routes = dict(app.conf.task_routes or {})
    routes["flights.tasks.flight_import_run"] = {"queue": BENCH_IMPORT_QUEUE}
    app.conf.task_routes = routes


def _tail(text: str, lines: int = 30) -> str:
    return "\n".join(text.splitlines()[-lines:])


def _drop_queue() -> None:
    import redis
    from django.conf import settings

    try:
        client = redis.Redis.from_url(settings.CELERY_BROKER_URL, socket_connect_timeout=1, socket_timeout=2)
        bindings = list(client.scan_iter(match=f"_kombu.binding*.{BENCH_IMPORT_QUEUE}"))
        client.delete(BENCH_IMPORT_QUEUE, *bindings)
    except redis.RedisError:
        pass


def _import_once(data: bytes, user) -> ImportRun:
    from django.core.files.base import ContentFile

    from flights.imports.services import flight_import_start
    from flights.models import FlightImport

    began = time.monotonic()
    flight_import = flight_import_start(user=user, upload=ContentFile(data, name="bench-timetable.csv"))
    claimed = None
    while True:
        row = FlightImport.objects.get(pk=flight_import.pk)
        now = time.monotonic()
        if claimed is None and row.status != FlightImport.Status.PENDING:
            claimed = now
        if row.is_finished:
            break
        if now - began > IMPORT_TIMEOUT_S:
            raise SystemExit(f"The import did not finish within {IMPORT_TIMEOUT_S} s (status {row.status}).")
        time.sleep(0.05)
    seconds = time.monotonic() - began
    row.file.delete(save=False)  # the bench's upload, not worth keeping in MEDIA_ROOT
    return ImportRun(
        seconds=seconds,
        queued_s=(claimed or now) - began,
        status=row.status,
        created=row.created_count,
        updated=row.updated_count,
        unchanged=row.unchanged_count,
        error_count=row.error_count,
        errors=row.errors[:5],
    )


def import_figures(figures: dict, *, say) -> None:
    from accounts.models import User
    from flights.models import Flight

    Flight.objects.filter(number__startswith=NUMBER_PREFIX).delete()  # a run stopped before the reset
    staff, _ = User.objects.get_or_create(email="bench-staff@example.com", defaults={"is_staff": True})
    data = timetable_csv()
    say(
        f"\nStaff CSV import of {IMPORT_ROWS:,} flights ({len(data) / 1024:.0f} KB) in a Celery worker process "
        f"(--pool solo, queue {BENCH_IMPORT_QUEUE}):"
    )
    from notifications.tests.processes import Worker

    _route_to_bench_queue()
    worker = Worker(env={}, queues=BENCH_IMPORT_QUEUE, pool="solo", name="bench-imports")
    began = time.monotonic()
    worker.start(timeout=WORKER_START_TIMEOUT_S)
    try:
        say(f"  worker ready in {time.monotonic() - began:.1f} s")
        first = _import_once(data, staff)
        _report(first, say)
        if first.status != "done":
            say(f"  worker log:\n{_tail(worker.log())}")
            return
        key = f"import_{IMPORT_ROWS // 1000}k_rows_s"
        figures[key] = round(first.seconds, 2)
        verdict = "meets" if first.seconds < IMPORT_TARGET_S else "MISSES"
        say(f"  {key}: {first.seconds:.2f} s ({verdict} the target < {IMPORT_TARGET_S} s)")
        again = _import_once(data, staff)
        _report(again, say, label="the same file again")
        if again.status == "done":
            figures[f"import_{IMPORT_ROWS // 1000}k_unchanged_s"] = round(again.seconds, 2)
    finally:
        worker.stop()
        _drop_queue()
    imported = Flight.objects.filter(number__startswith=NUMBER_PREFIX).count()
    say(f"  flights {NUMBER_PREFIX}* in the database afterwards: {imported:,}")


def _report(run: ImportRun, say, label: str = "upload") -> None:
    text = (
        f"  {label}: {run.status} in {run.seconds:.2f} s (queued {run.queued_s:.2f} s): "
        f"{run.created:,} created, {run.updated:,} updated, {run.unchanged:,} unchanged"
    )
    if run.error_count:
        text += f"; {run.error_count} errors, first: {run.errors}"
    say(text)
