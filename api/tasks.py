from celery import shared_task

from . import services


@shared_task(name="api.tasks.api_housekeeping")
def api_housekeeping() -> dict[str, int]:
    """Hourly: delete expired Idempotency-Key responses and stale cancellation quotes."""
    return services.api_housekeeping()
