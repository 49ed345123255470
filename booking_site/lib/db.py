"""Database helpers shared by every app: row locks with a lock timeout, and the names of
violated constraints.

Every row lock a write takes waits at most `BOOKING_LOCK_TIMEOUT_MS` and then becomes `Busy`,
which the caller turns into its own "busy, try again" message (never a 500). `locked` is the
one way to take such a lock (in the spirit of pretix's `lock_objects`: inside a transaction,
sorted by primary key, under `SET LOCAL lock_timeout`, a timeout turned into one exception).
A hot path that must set the timeout and lock in a single round trip builds its statement
with `lock_timeout_sql` and maps the error with `busy_on_lock_timeout`.
"""

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import TypeVar

from django.conf import settings
from django.db import IntegrityError, OperationalError, connections, transaction
from django.db.models import Model, QuerySet

# PostgreSQL's SQLSTATE when a lock wait passes lock_timeout (or NOWAIT finds the row locked).
LOCK_NOT_AVAILABLE = "55P03"

M = TypeVar("M", bound=Model)


class Busy(Exception):
    """A row lock was not had within the lock timeout: another transaction holds it. What
    the block had done is rolled back; the caller says "busy, try again" in its own words."""


def lock_timeout_sql(timeout_ms: int | None = None) -> str:
    """The statement that makes the current transaction give up a lock wait after `timeout_ms`
    (BOOKING_LOCK_TIMEOUT_MS when None); for a caller that sends it in one round trip with
    its lock. Only a transaction's statements see it (SET LOCAL)."""
    milliseconds = int(settings.BOOKING_LOCK_TIMEOUT_MS if timeout_ms is None else timeout_ms)
    return f"SET LOCAL lock_timeout = '{milliseconds}ms'"


def is_lock_timeout(error: BaseException) -> bool:
    """Whether a database error is PostgreSQL giving up a lock wait (lock_not_available)."""
    return getattr(error.__cause__, "pgcode", None) == LOCK_NOT_AVAILABLE


@contextmanager
def busy_on_lock_timeout() -> Iterator[None]:
    """Turn a lock timeout raised inside the block into `Busy`; any other error passes."""
    try:
        yield
    except OperationalError as error:
        if is_lock_timeout(error):
            raise Busy() from error
        raise


@contextmanager
def locked(queryset: QuerySet[M], *, of: Sequence[str] = ("self",), timeout_ms: int | None = None) -> Iterator[list[M]]:
    """Open a transaction (a savepoint inside one), make every lock wait in it give up after
    `timeout_ms` (BOOKING_LOCK_TIMEOUT_MS when None), lock the rows of `queryset` in primary-key
    order (`select_for_update(of=of)`: its own rows, not those of `select_related` tables) and
    yield them, read after the lock. The block runs in that transaction; it commits when the
    block ends and rolls back when it raises.

    Raises `Busy` when a lock wait, here or anywhere in the block, passes the timeout. Locking
    several rows in pk order everywhere means two writers cannot deadlock on them.
    """
    rows_locked = queryset.select_for_update(of=tuple(of)).order_by("pk")
    alias = rows_locked.db  # the database written to: locks are never taken on a replica
    with busy_on_lock_timeout(), transaction.atomic(using=alias):
        with connections[alias].cursor() as cursor:
            cursor.execute(lock_timeout_sql(timeout_ms))
        yield list(rows_locked)


def violated_constraint(error: IntegrityError) -> str | None:
    """The name of the constraint or unique index an IntegrityError broke, as PostgreSQL
    reports it (psycopg's `diag.constraint_name`), or None when it does not say (a NOT NULL
    violation, say). Matching on the name, not on the message text, survives a translated
    or reworded message."""
    cause = error.__cause__
    diag = getattr(cause, "diag", None)
    return getattr(diag, "constraint_name", None)
