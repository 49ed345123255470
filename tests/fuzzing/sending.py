"""Sending one fuzzed request, and what counts as a failure: a 5xx, an exception, an error
logged, or a Celery task that fails."""

import logging
import traceback
import uuid
from collections import Counter
from contextlib import contextmanager

from celery import Task as CeleryTask
from django.conf import settings as django_settings
from django.core.cache import caches
from django.db import transaction
from django.test import Client, TestCase

from .requests import FuzzRequest
from .world import World

STATS: Counter = Counter()  # what was sent and what came back, printed after the run


class _ErrorLog(logging.Handler):
    def __init__(self) -> None:
        super().__init__(level=logging.ERROR)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        # django.security logs each SuspiciousOperation it answers with a 400, by design.
        if not record.name.startswith("django.security."):
            self.records.append(record)


@contextmanager
def errors_logged():
    """Errors logged while the block runs: a 500 (django.request), and the failures code
    survives on purpose and logs instead (a robust on_commit callback, a send retried later)."""
    handler = _ErrorLog()
    root = logging.getLogger()
    root.addHandler(handler)
    try:
        yield handler.records
    finally:
        root.removeHandler(handler)


@contextmanager
def failed_tasks():
    """Celery tasks that failed while the block ran. Eager tasks raise into their caller,
    but the code that publishes them (notifications.services.task_publish, robust on_commit
    callbacks) survives a failed publish on purpose, which would hide a failing task; and
    Celery sends no task_failure signal for an eager task that propagates its error. So the
    eager entry point, Task.apply, is watched."""
    failures = []
    original_apply = CeleryTask.apply

    def watched_apply(task, *args, **kwargs):
        try:
            result = original_apply(task, *args, **kwargs)
        except Exception as error:
            failures.append(f"task {task.name} raised:\n" + "".join(traceback.format_exception(error)))
            raise
        if result.failed():
            failures.append(f"task {task.name} failed:\n{result.traceback}")
        return result

    CeleryTask.apply = watched_apply
    try:
        yield failures
    finally:
        CeleryTask.apply = original_apply


def _log_text(record: logging.LogRecord) -> str:
    text = f"{record.name}: {record.getMessage()}"
    if record.exc_info:
        text += "\n" + "".join(traceback.format_exception(*record.exc_info))
    return text


def send(world: World, request: FuzzRequest):
    """Send one request in a savepoint that is rolled back, run what it left for after its
    commit (Celery tasks, eagerly), and fail on a 5xx, an exception or a failed task."""
    STATS["requests"] += 1
    STATS[f"method {request.method}"] += 1
    with transaction.atomic():
        # A key space of its own: no cached page, rate-limit counter or lock from another example.
        caches["default"].key_prefix = f"fuzz-{uuid.uuid4().hex[:12]}"
        client = Client()
        if world.sessions[request.user]:
            client.cookies[django_settings.SESSION_COOKIE_NAME] = world.sessions[request.user]
        for name, value in request.cookies.items():
            client.cookies[name] = value
        extra = {"QUERY_STRING": request.query.decode("latin-1"), **request.meta}
        with failed_tasks() as failures, errors_logged() as logged:
            try:
                with TestCase.captureOnCommitCallbacks(execute=True):
                    response = client.generic(
                        request.method,
                        request.path,
                        data=request.body,
                        content_type=request.content_type or "",
                        secure=request.secure,
                        **extra,
                    )
            except Exception as error:
                STATS["raised (shrinking included)"] += 1
                error.add_note(f"while handling (or after the commit of):\n{request.describe()}")
                raise
        transaction.set_rollback(True)
    STATS[f"status {response.status_code // 100}xx"] += 1
    assert not failures, f"{request.describe()}\n" + "\n".join(failures)
    assert not logged, f"{request.describe()}\nlogged: " + "\n".join(_log_text(record) for record in logged)
    assert response.status_code < 500, f"{response.status_code} for {request.describe()}"
    return response
