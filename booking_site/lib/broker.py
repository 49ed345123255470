"""Publishing Celery tasks without letting a broker outage fail or slow the caller.

Every task published after a commit (an e-mail, an export, an import) goes through
`task_publish`: a publish that fails is logged and left to that work's periodic sweep, and a
circuit breaker (one per process) skips publishing for OUTBOX_PUBLISH_PAUSE_SECONDS after a
failure, so a request that queues many tasks pays for one failed publish, not one each.
"""

import logging
import time

from django.conf import settings

logger = logging.getLogger(__name__)


class _PublishBreaker:
    """Fail fast while the broker is down (a circuit breaker, one per process).

    A publish to an unreachable Redis costs about two seconds (connection timeout and
    redis-py's retries). After one fails, publishing is skipped for
    OUTBOX_PUBLISH_PAUSE_SECONDS and the work is left to its sweep, so a request that queues
    many e-mails (a flight removal) pays for one failed publish, not one per message.
    """

    def __init__(self) -> None:
        self.failed_at: float | None = None
        self.attempts = 0  # publishes tried, and skipped while paused: for tests and logs
        self.skipped = 0

    def allow(self) -> bool:
        if self.failed_at is None:
            return True
        return time.monotonic() >= self.failed_at + settings.OUTBOX_PUBLISH_PAUSE_SECONDS

    def trip(self) -> None:
        self.failed_at = time.monotonic()

    def succeeded(self) -> None:
        self.failed_at = None

    def reset(self) -> None:
        self.failed_at = None
        self.attempts = self.skipped = 0


publish_breaker = _PublishBreaker()


def task_publish(task, *args, what: str) -> bool:
    """Publish `task(*args)` to the broker now (call it from transaction.on_commit, or from a
    sweep), unless a publish failed within OUTBOX_PUBLISH_PAUSE_SECONDS. Returns whether it
    was published.

    Never raises for a broker outage: the caller's periodic sweep must pick up whatever was
    not published (the outbox sweep for e-mails; the export and import sweeps for theirs).
    `what` names the work in the log ("outbox message 12")."""
    if not task.app.conf.task_always_eager and not publish_breaker.allow():
        publish_breaker.skipped += 1
        logger.info("Broker recently unreachable: %s is left to its sweep", what)
        return False
    publish_breaker.attempts += 1
    try:
        task.delay(*args)
    except Exception:  # broker unreachable: the sweep will pick the work up
        publish_breaker.trip()
        logger.warning(
            "Could not enqueue %s; its sweep will. Not publishing for %s s.",
            what,
            settings.OUTBOX_PUBLISH_PAUSE_SECONDS,
            exc_info=True,
        )
        return False
    publish_breaker.succeeded()
    return True
