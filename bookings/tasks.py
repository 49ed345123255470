"""Periodic booking jobs (thin: the services hold the rules)."""

from celery import shared_task

from . import services


@shared_task(name="bookings.tasks.holds_expire")
def holds_expire() -> int:
    """Every minute (beat): release seats whose checkout hold ran out."""
    return services.holds_expire()
