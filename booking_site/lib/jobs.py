"""Long jobs run by a Celery task (a passenger's CSV export, a staff flight import): one kind of
row, one set of rules for running it.

A job's row is a model extending the abstract `Job`. Each model keeps its own statuses and
says which of them are waiting, running and finished (`WAITING`, `RUNNING`, `FINISHED`); the
columns and the rules are here:

- `job_claim`: a run of the task becomes the job's owner (a fresh `run_id`) with one
  conditional UPDATE: a waiting job, or a running one whose heartbeat stopped (its worker
  died). Of two runs claiming at once, exactly one gets the run id.
- `job_progress`: the owner's heartbeat and progress, in the row, in one UPDATE. Progress is
  stored this one way: `progress_done` of `progress_total`, in the current phase (the status
  says which). `JobReporter` wraps it for a loop: the loop reports once per chunk of rows
  and the reporter writes at most once a second, plus the first and the last report.
- `job_finish`: only the run that holds the claim can finish the job; a run that lost it
  (stalled, taken over) is refused.
- `jobs_stalled_ids`: the jobs a sweep should enqueue again: waiting ones whose task never
  came (the broker was down), running ones whose heartbeat stopped.
- `job_progress_data`: the JSON every progress page polls (static/js/job_progress.js).
- `job_progress_outside_transaction`: progress written while the job holds a long
  transaction open (the import's all-or-nothing one) goes through a connection of its own,
  so the status page still sees it and the heartbeat keeps moving.

Times are the caller's clock (`django.utils.timezone.now`), so a test can move it.
"""

import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import Any, ClassVar

from django.db import DEFAULT_DB_ALIAS, connections, models
from django.db.models import F, Q
from django.db.models.sql import UpdateQuery
from django.utils import timezone

# A running job's reports are written at most this often (seconds), besides the first, the
# last and a change of step: one UPDATE a second however small its chunks, and a heartbeat
# that never lags more than this plus one chunk.
REPORT_EVERY_S = 1.0


class Job(models.Model):
    """The columns every long job has. A subclass overrides `status` with its own choices and
    default, and sets WAITING, RUNNING and FINISHED (each status in exactly one of them); the
    first of RUNNING is the status a claim sets. STALE_AFTER: a running job whose heartbeat is
    older than this lost its worker. WAITING_AFTER: a waiting job this old lost its task."""

    WAITING: ClassVar[tuple[str, ...]] = ()
    RUNNING: ClassVar[tuple[str, ...]] = ()
    FINISHED: ClassVar[tuple[str, ...]] = ()
    STALE_AFTER: ClassVar[timedelta] = timedelta(minutes=10)
    WAITING_AFTER: ClassVar[timedelta] = timedelta(minutes=1)

    status = models.CharField(max_length=12)
    created_at = models.DateTimeField(auto_now_add=True)
    # Which run of the task owns the job: a run that lost it can neither report nor finish.
    run_id = models.UUIDField(null=True, blank=True, editable=False)
    started_at = models.DateTimeField(null=True, blank=True, help_text="When the current run claimed it.")
    # Moves with every progress report: a running job whose heartbeat stops lost its worker.
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    progress_done = models.PositiveIntegerField(default=0, help_text="Done so far, in the current phase.")
    progress_total = models.PositiveIntegerField(default=0)

    class Meta:
        abstract = True
        constraints = [
            models.CheckConstraint(
                condition=Q(progress_done__lte=F("progress_total")), name="%(class)s_progress_in_range"
            ),
        ]

    @property
    def is_waiting(self) -> bool:
        return self.status in self.WAITING

    @property
    def is_running(self) -> bool:
        return self.status in self.RUNNING

    @property
    def is_in_progress(self) -> bool:
        return self.is_waiting or self.is_running

    @property
    def is_finished(self) -> bool:
        return self.status in self.FINISHED

    @property
    def percent(self) -> int:
        if not self.progress_total:
            return 0
        return min(100, 100 * self.progress_done // self.progress_total)


def _claimable(model: type[Job], now: datetime) -> Q:
    stalled = Q(heartbeat_at__lt=now - model.STALE_AFTER) | Q(heartbeat_at__isnull=True)
    return Q(status__in=model.WAITING) | (Q(status__in=model.RUNNING) & stalled)


def job_claim(model: type[Job], pk: int, *, now: datetime, status: str | None = None) -> uuid.UUID | None:
    """Make a new run the owner of job `pk` if it is waiting, or running with a heartbeat older
    than `model.STALE_AFTER`; returns the run's id, or None (finished, or a live run has it).

    One conditional UPDATE decides, so of two runs claiming at once exactly one wins (the
    other's UPDATE waits for the row, then finds it no longer matches). The claim sets the
    status (`status`, or the first of RUNNING), starts the heartbeat and resets the progress
    done; the total stays until the run reports its own. Commits at once outside a transaction.
    """
    status = status or model.RUNNING[0]
    if status not in model.RUNNING:
        raise ValueError(f"{status!r} is not a running status of {model.__name__}")
    run_id = uuid.uuid4()
    claimed = model._default_manager.filter(_claimable(model, now), pk=pk).update(
        status=status, run_id=run_id, started_at=now, heartbeat_at=now, finished_at=None, progress_done=0
    )
    return run_id if claimed else None


def job_progress(
    model: type[Job], pk: int, run_id: uuid.UUID, done: int, total: int | None = None, *, status: str | None = None
) -> bool:
    """Record the heartbeat and `done` (of `total`, when given) of a running job, and move it to
    another running `status` (a new phase) when given. One UPDATE, by the owner only: returns
    False when `run_id` no longer owns the running job (it was taken over or finished).

    Outside a transaction it is committed at once. Inside `job_progress_outside_transaction`
    it goes through that block's own connection, committed at once whatever the caller's
    transaction does."""
    values: dict[str, Any] = {"progress_done": done, "heartbeat_at": timezone.now()}
    if total is not None:
        values["progress_total"] = total
    if status is not None:
        if status not in model.RUNNING:
            raise ValueError(f"{status!r} is not a running status of {model.__name__}")
        values["status"] = status
    owned = model._default_manager.filter(pk=pk, run_id=run_id, status__in=model.RUNNING)
    side = getattr(_local, "side", None)
    if side is not None:
        return side.update(owned, values) > 0
    return owned.update(**values) > 0


class JobReporter:
    """`job_progress` for a loop: call it once per chunk; it writes the first report, the last
    (done == total), a change of status, one it is told to write (`force`: before something
    that may take a while, so the page does not show an older count meanwhile), and otherwise
    at most once every `every` seconds (REPORT_EVERY_S). Returns whether the run still owns
    the job, as of its last write."""

    def __init__(self, model: type[Job], pk: int, run_id: uuid.UUID, *, every: float | None = None):
        self.model, self.pk, self.run_id = model, pk, run_id
        self.every = REPORT_EVERY_S if every is None else every
        self.total: int | None = None
        self.written_at: float | None = None
        self.owned = True

    def __call__(self, done: int, total: int | None = None, *, status: str | None = None, force: bool = False) -> bool:
        if total is not None:
            self.total = total
        now = time.monotonic()
        due = (
            force
            or self.written_at is None
            or status is not None
            or (self.total is not None and done >= self.total)
            or now - self.written_at >= self.every
        )
        if due:
            self.owned = job_progress(self.model, self.pk, self.run_id, done, total, status=status)
            self.written_at = now
        return self.owned


def job_finish(model: type[Job], pk: int, run_id: uuid.UUID, status: str, **fields: Any) -> bool:
    """Mark the job finished with `status` (one of FINISHED) and `fields`, if `run_id` still
    owns it and it is running; returns False otherwise (a stalled run whose job was taken
    over, or a second finish), and then changes nothing.

    One UPDATE: inside a transaction it holds the job's row until commit, so the caller can
    finish the job and write what goes with it (an alert, the imported rows) all or nothing."""
    if status not in model.FINISHED:
        raise ValueError(f"{status!r} is not a finished status of {model.__name__}")
    now = timezone.now()
    return bool(
        model._default_manager.filter(pk=pk, run_id=run_id, status__in=model.RUNNING).update(
            status=status, finished_at=now, heartbeat_at=now, **fields
        )
    )


def jobs_stalled_ids(
    model: type[Job],
    *,
    now: datetime,
    stale_after: timedelta | None = None,
    waiting_after: timedelta | None = None,
    limit: int = 100,
) -> list[int]:
    """The jobs whose task was lost, oldest first: waiting for longer than `waiting_after`
    (model.WAITING_AFTER; the broker was down when it was enqueued), or running with a
    heartbeat older than `stale_after` (model.STALE_AFTER; its worker died). Enqueueing them
    again is safe: `job_claim` lets one run have each."""
    stale_after = model.STALE_AFTER if stale_after is None else stale_after
    waiting_after = model.WAITING_AFTER if waiting_after is None else waiting_after
    waiting = Q(status__in=model.WAITING, created_at__lt=now - waiting_after)
    stalled = Q(status__in=model.RUNNING) & (Q(heartbeat_at__lt=now - stale_after) | Q(heartbeat_at__isnull=True))
    return list(model._default_manager.filter(waiting | stalled).order_by("pk").values_list("pk", flat=True)[:limit])


def job_progress_data(job: Job, *, text: str, url: str) -> dict[str, Any]:
    """What a progress page polls, the same for every job (static/js/job_progress.js): the
    status, whether it is finished, done of total and the percent, a sentence to show, and
    the page to load once it is finished or its status changed."""
    return {
        "status": job.status,
        "status_display": job.get_status_display(),
        "finished": job.is_finished,
        "done": job.progress_done,
        "total": job.progress_total,
        "percent": job.percent,
        "text": text,
        "url": url,
    }


_local = threading.local()


class _OwnConnection:
    """A database connection of the job's own, to the database the default alias points to,
    opened at its first write and in autocommit: what it writes is committed at once."""

    def __init__(self) -> None:
        self.connection = None

    def update(self, queryset: models.QuerySet, values: dict[str, Any]) -> int:
        if self.connection is None:
            # A new connection from the default alias's settings, not the thread's shared one
            # (which is inside the caller's transaction); in tests, the test database's.
            self.connection = connections.create_connection(DEFAULT_DB_ALIAS)
        query = queryset.query.chain(UpdateQuery)
        query.add_update_values(values)
        sql, params = query.get_compiler(connection=self.connection).as_sql()
        with self.connection.cursor() as cursor:
            cursor.execute(sql, params)
            return cursor.rowcount

    def close(self) -> None:
        if self.connection is not None:
            self.connection.close()


@contextmanager
def job_progress_outside_transaction() -> Iterator[None]:
    """In this block (in this thread), `job_progress` writes through a connection of its own
    instead of the caller's: for a job that holds one long transaction open, whose own writes
    no one sees until it commits. Its progress and heartbeat stay visible to the status page
    and to `job_claim`. The job's row must not be locked by the caller's transaction (finish
    the job at the end of it, after the last report), or the report would wait for it.
    The connection is closed when the block ends."""
    previous = getattr(_local, "side", None)
    _local.side = _OwnConnection()
    try:
        yield
    finally:
        _local.side.close()
        _local.side = previous
