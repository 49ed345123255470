"""Point the test process's Celery app at another broker (an unreachable one, a private Redis)."""

from contextlib import contextmanager

from booking_site.celery import app as celery_app
from booking_site.lib.broker import publish_breaker


def _drop_connections() -> None:
    # Forget the connection pool and the producer pool built on it, which would keep
    # publishing to the previous broker (kombu keeps both per broker URL). Not app.close():
    # that also deregisters the app, and a task module imported afterwards (shared_task)
    # would then never be registered with it.
    celery_app._pool = None
    celery_app.amqp._producer_pool = None


@contextmanager
def broker(url: str):
    """Publish for real (not eagerly) to `url` inside the block, with a fresh publish breaker."""
    conf = celery_app.conf
    saved = conf.broker_url, conf.task_always_eager
    conf.broker_url, conf.task_always_eager = url, False
    _drop_connections()
    publish_breaker.reset()
    try:
        yield celery_app
    finally:
        conf.broker_url, conf.task_always_eager = saved
        _drop_connections()
        publish_breaker.reset()


UNREACHABLE = "redis://127.0.0.1:9/0"  # nothing listens on port 9
