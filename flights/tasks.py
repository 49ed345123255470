from celery import shared_task

from . import services


@shared_task(name="flights.tasks.airport_traffic_refresh")
def airport_traffic_refresh() -> int:
    """Hourly: how busy each airport is, for ranking suggestions. Running twice is harmless."""
    return services.airport_traffic_refresh()
