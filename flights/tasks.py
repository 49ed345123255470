from celery import shared_task

from . import services
from .imports import services as imports


@shared_task(name="flights.tasks.airport_traffic_refresh")
def airport_traffic_refresh() -> int:
    """Hourly: how busy each airport is, for ranking suggestions. Running twice is harmless."""
    return services.airport_traffic_refresh()


@shared_task(
    name="flights.tasks.flight_import_run",
    soft_time_limit=imports.IMPORT_SOFT_TIME_LIMIT,
    time_limit=imports.IMPORT_TIME_LIMIT,
)
def flight_import_run(import_id: int) -> bool:
    """A staff CSV import: validate, then all rows or none. The import's status column makes a
    second run (a redelivered task, two workers) a no-op."""
    return imports.flight_import_run(import_id=import_id)


@shared_task(name="flights.tasks.flight_imports_resume")
def flight_imports_resume() -> int:
    """Every few minutes: enqueue imports whose task was never published (broker outage)."""
    return imports.flight_imports_resume()
