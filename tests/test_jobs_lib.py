"""The toolbox's long-job helpers (booking_site/lib/jobs.py), on both jobs that use them: the
passengers' CSV export and the staff flight import."""

import threading
import uuid
from datetime import timedelta

import pytest
from django.db import connections, transaction
from django.utils import timezone

from accounts.tests.factories import StaffFactory, UserFactory
from booking_site.lib.jobs import (
    JobReporter,
    job_claim,
    job_finish,
    job_progress,
    job_progress_data,
    job_progress_outside_transaction,
    jobs_stalled_ids,
)
from bookings.models import BookingExport
from bookings.tests.threads import run_threads
from flights.models import FlightImport

pytestmark = pytest.mark.django_db

MODELS = [BookingExport, FlightImport]


def _job(model, **fields):
    """A job row as its app writes it when a person starts one (pending)."""
    if model is BookingExport:
        return BookingExport.objects.create(user=UserFactory(), **fields)
    return FlightImport.objects.create(
        created_by=StaffFactory(), file="flight-imports/a.csv", file_name="a.csv", progress_total=10, **fields
    )


def _running(model, *, heartbeat_age: timedelta, **fields):
    return _job(
        model,
        status=model.RUNNING[0],
        run_id=uuid.uuid4(),
        heartbeat_at=timezone.now() - heartbeat_age,
        **fields,
    )


# Claim


@pytest.mark.parametrize("model", MODELS)
def test_a_waiting_job_is_claimed_once_with_a_fresh_run_id(model):
    job = _job(model)
    now = timezone.now()

    run_id = job_claim(model, job.pk, now=now)

    assert isinstance(run_id, uuid.UUID)
    assert job_claim(model, job.pk, now=now) is None  # its run is alive: nobody else gets it
    job.refresh_from_db()
    assert job.status == model.RUNNING[0] and job.run_id == run_id
    assert job.started_at == now and job.heartbeat_at == now and job.progress_done == 0


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("model", MODELS)
def test_of_runs_claiming_at_once_exactly_one_wins(model):
    job = _job(model)

    results = run_threads(8, lambda _: job_claim(model, job.pk, now=timezone.now()))

    winners = [result for result in results if isinstance(result, uuid.UUID)]
    assert len(winners) == 1 and results.count(None) == 7  # no exception either
    assert model.objects.get(pk=job.pk).run_id == winners[0]


@pytest.mark.parametrize("model", MODELS)
def test_a_running_job_whose_heartbeat_stopped_is_claimed_again_and_a_live_one_is_not(model):
    live = _running(model, heartbeat_age=model.STALE_AFTER - timedelta(seconds=5))
    stalled = _running(model, heartbeat_age=model.STALE_AFTER + timedelta(seconds=5))
    never_beat = _running(model, heartbeat_age=timedelta(0))
    model.objects.filter(pk=never_beat.pk).update(heartbeat_at=None)  # a row from before heartbeats

    now = timezone.now()
    assert job_claim(model, live.pk, now=now) is None
    taken = job_claim(model, stalled.pk, now=now)
    assert taken is not None and taken != stalled.run_id
    assert job_claim(model, never_beat.pk, now=now) is not None
    stalled.refresh_from_db()
    assert stalled.run_id == taken and stalled.heartbeat_at == now


@pytest.mark.parametrize("model", MODELS)
def test_a_finished_job_is_never_claimed(model):
    long_ago = timezone.now() - timedelta(days=30)
    for status in model.FINISHED:
        job = _job(model, status=status, run_id=uuid.uuid4(), heartbeat_at=long_ago, finished_at=long_ago)
        assert job_claim(model, job.pk, now=timezone.now()) is None
        job.refresh_from_db()
        assert job.status == status


def test_a_claim_only_sets_a_running_status():
    job = _job(FlightImport)
    with pytest.raises(ValueError, match="not a running status"):
        job_claim(FlightImport, job.pk, now=timezone.now(), status=FlightImport.Status.DONE)
    assert job_claim(FlightImport, job.pk, now=timezone.now(), status=FlightImport.Status.IMPORTING)
    assert FlightImport.objects.get(pk=job.pk).status == FlightImport.Status.IMPORTING


# Progress and finish: the owner only


@pytest.mark.parametrize("model", MODELS)
def test_progress_moves_the_heartbeat_and_the_counts_in_the_row(model):
    job = _job(model)
    run_id = job_claim(model, job.pk, now=timezone.now() - timedelta(minutes=1))

    assert job_progress(model, job.pk, run_id, 3, 12) is True
    job.refresh_from_db()
    assert (job.progress_done, job.progress_total, job.percent) == (3, 12, 25)
    assert timezone.now() - job.heartbeat_at < timedelta(seconds=5)
    assert job_progress(model, job.pk, run_id, 6) is True  # the total stays
    job.refresh_from_db()
    assert (job.progress_done, job.progress_total) == (6, 12)


@pytest.mark.parametrize("model", MODELS)
def test_a_run_that_lost_its_job_can_neither_report_nor_finish_it(model):
    job = _job(model)
    stalled = job_claim(model, job.pk, now=timezone.now())
    later = timezone.now() + model.STALE_AFTER + timedelta(seconds=1)
    taker = job_claim(model, job.pk, now=later)
    assert taker is not None

    finished = model.FINISHED[0]
    assert job_progress(model, job.pk, stalled, 5, 10) is False
    assert job_finish(model, job.pk, stalled, finished) is False
    job.refresh_from_db()
    assert job.status == model.RUNNING[0] and job.run_id == taker and job.finished_at is None

    assert job_finish(model, job.pk, taker, finished, progress_done=0) is True
    assert job_finish(model, job.pk, taker, finished) is False  # finished already: once only
    job.refresh_from_db()
    assert job.status == finished and job.is_finished and job.finished_at is not None


def test_finish_takes_a_finished_status_and_fields_of_the_job():
    job = _job(FlightImport)
    run_id = job_claim(FlightImport, job.pk, now=timezone.now())
    with pytest.raises(ValueError, match="not a finished status"):
        job_finish(FlightImport, job.pk, run_id, FlightImport.Status.IMPORTING)

    assert job_finish(FlightImport, job.pk, run_id, FlightImport.Status.INVALID, errors=["Row 2: x"], error_count=1)
    job.refresh_from_db()
    assert (job.status, job.errors, job.error_count) == ("invalid", ["Row 2: x"], 1)


def test_the_reporter_writes_the_first_the_last_a_new_phase_and_otherwise_once_in_a_while():
    job = _job(FlightImport)
    run_id = job_claim(FlightImport, job.pk, now=timezone.now())
    report = JobReporter(FlightImport, job.pk, run_id, every=3600)

    def row():
        return FlightImport.objects.values_list("status", "progress_done", "progress_total").get(pk=job.pk)

    report(0, 10)
    assert row() == ("validating", 0, 10)  # the first
    report(2)
    assert row()[1] == 0  # within the interval: skipped
    report.written_at -= 3600  # the interval has passed
    report(4)
    assert row()[1] == 4
    report(5)
    assert row()[1] == 4
    report(5, force=True)
    assert row()[1] == 5
    report(0, status=FlightImport.Status.IMPORTING)
    assert row() == ("importing", 0, 10)  # a new phase
    report(3)
    assert row()[1] == 0
    assert report(10) is True
    assert row() == ("importing", 10, 10)  # the last


# The sweep


@pytest.mark.parametrize("model", MODELS)
def test_stalled_ids_are_waiting_jobs_whose_task_was_lost_and_running_jobs_whose_heartbeat_stopped(model):
    now = timezone.now()
    fresh_waiting = _job(model)
    old_waiting = _job(model)
    model.objects.filter(pk=old_waiting.pk).update(created_at=now - model.WAITING_AFTER - timedelta(seconds=1))
    live = _running(model, heartbeat_age=timedelta(seconds=10))
    stalled = _running(model, heartbeat_age=model.STALE_AFTER + timedelta(seconds=1))
    finished = _job(model, status=model.FINISHED[0], heartbeat_at=now - timedelta(days=1))
    model.objects.filter(pk=finished.pk).update(created_at=now - timedelta(days=1))

    assert jobs_stalled_ids(model, now=now) == [old_waiting.pk, stalled.pk]
    assert jobs_stalled_ids(model, now=now, limit=1) == [old_waiting.pk]
    everything = jobs_stalled_ids(model, now=now + timedelta(days=1), stale_after=timedelta(0))
    assert everything == sorted([fresh_waiting.pk, old_waiting.pk, live.pk, stalled.pk])
    assert finished.pk not in everything


# What the progress pages poll


def test_progress_data_has_one_shape_for_every_job():
    job = _running(BookingExport, heartbeat_age=timedelta(0), progress_done=1, progress_total=3)
    assert job_progress_data(job, text="1 of 3", url="/x") == {
        "status": "running",
        "status_display": "In progress",
        "finished": False,
        "done": 1,
        "total": 3,
        "percent": 33,
        "text": "1 of 3",
        "url": "/x",
    }


# Progress from inside a long transaction


def _read_from_another_connection(model, pk) -> tuple:
    seen = []

    def read():
        try:
            seen.append(model.objects.values_list("progress_done", "heartbeat_at").get(pk=pk))
        finally:
            connections.close_all()

    reader = threading.Thread(target=read)
    reader.start()
    reader.join()
    return seen[0]


@pytest.mark.django_db(transaction=True)
def test_progress_reported_inside_a_transaction_is_seen_at_once_only_through_its_own_connection():
    job = _job(FlightImport)
    run_id = job_claim(FlightImport, job.pk, now=timezone.now() - timedelta(minutes=1))
    claimed = FlightImport.objects.get(pk=job.pk).heartbeat_at

    with transaction.atomic():
        job_progress(FlightImport, job.pk, run_id, 4)  # the caller's own transaction: nobody sees it yet
        assert _read_from_another_connection(FlightImport, job.pk) == (0, claimed)
        transaction.set_rollback(True)

    with transaction.atomic():
        with job_progress_outside_transaction():
            assert job_progress(FlightImport, job.pk, run_id, 7) is True
            done, heartbeat = _read_from_another_connection(FlightImport, job.pk)
            assert done == 7 and heartbeat > claimed  # committed, while this transaction is open
        transaction.set_rollback(True)  # the caller's transaction rolls back; the report stays

    assert FlightImport.objects.get(pk=job.pk).progress_done == 7
