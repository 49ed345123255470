"""Row-lock helpers shared by every service that locks a flight."""

from django.conf import settings
from django.db import OperationalError, connection

LOCK_NOT_AVAILABLE = "55P03"


def set_lock_timeout() -> None:
    """Within the current transaction, give up waiting for a row lock after the configured time.

    Must be called inside transaction.atomic(); PostgreSQL then raises lock_not_available.
    """
    assert connection.in_atomic_block, "set_lock_timeout() needs a transaction"
    with connection.cursor() as cursor:
        cursor.execute(f"SET LOCAL lock_timeout = '{int(settings.BOOKING_LOCK_TIMEOUT_MS)}ms'")


def is_lock_timeout(error: OperationalError) -> bool:
    return getattr(error.__cause__, "pgcode", None) == LOCK_NOT_AVAILABLE
