from celery import shared_task

from . import services


@shared_task(name="notifications.tasks.outbox_send")
def outbox_send(message_id: int) -> bool:
    return services.outbox_send(message_id=message_id)


@shared_task(name="notifications.tasks.outbox_sweep")
def outbox_sweep() -> int:
    """Send whatever the on-commit path missed (a broker outage, a lost task)."""
    sent = 0
    for message_id in services.outbox_pending_ids():
        sent += services.outbox_send(message_id=message_id)
    return sent
