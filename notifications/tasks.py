from celery import shared_task

from . import services


@shared_task(name="notifications.tasks.outbox_send")
def outbox_send(message_id: int) -> bool:
    """Send one outbox message; a no-op if it was sent, is being sent, or is not yet due."""
    return services.outbox_send(message_id=message_id)


@shared_task(name="notifications.tasks.outbox_sweep")
def outbox_sweep() -> int:
    """Send whatever the on-commit path missed (a broker outage, a lost task) and retries
    whose backoff has passed."""
    return services.outbox_send_due()
