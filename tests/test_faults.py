"""Mail survives a broker outage and a killed worker: real redis-server, real Celery workers,
a real SMTP server (aiosmtpd sink). Each e-mail reaches the SMTP server exactly once,
recognised by the Message-ID the outbox row gives it.

Separate processes only see committed rows, hence `transaction=True`; the worker reaches the
test database through DATABASE_URL. Run only these with `pytest -m faults`.
"""

import pytest
from django.db import connection, transaction
from django.utils import timezone

from booking_site.lib.broker import publish_breaker
from bookings.tests.factories import make_booking
from notifications.models import OutboxMessage
from notifications.services import message_id_header, outbox_enqueue
from notifications.tasks import outbox_send, outbox_sweep
from notifications.tests.brokers import broker
from notifications.tests.processes import RedisServer, Worker, database_url, wait_for
from notifications.tests.smtp_sink import SmtpSink

pytestmark = [pytest.mark.faults, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def redis_server():
    with RedisServer() as server:
        yield server


def _worker(redis_server: RedisServer, sink: SmtpSink, **options) -> Worker:
    return Worker(
        env={
            "DATABASE_URL": database_url(connection.settings_dict),
            "CELERY_BROKER_URL": redis_server.url,
            "EMAIL_URL": sink.url,
            "SITE_URL": "http://testserver",
        },
        **options,
    )


def _tasks_done(worker: Worker) -> int:
    return worker.log().count(" succeeded in ")


def _enqueue(to: str) -> OutboxMessage:
    with transaction.atomic():  # committed, and published to the broker on commit
        return outbox_enqueue(to=to, template="welcome", context={"name": to.split("@", maxsplit=1)[0]})


def _sweep_now() -> None:
    """What beat does every minute, once the on-commit path's grace period is over."""
    OutboxMessage.objects.filter(status=OutboxMessage.Status.PENDING).update(next_attempt_at=timezone.now())
    outbox_sweep.delay()


def _all_sent() -> bool:
    return not OutboxMessage.objects.exclude(status=OutboxMessage.Status.SENT).exists()


def test_a_booking_made_while_redis_is_down_is_mailed_exactly_once_when_redis_is_back(redis_server):
    with SmtpSink() as sink, broker(redis_server.url):
        redis_server.stop()
        booking = make_booking(passengers=2)

        booking.refresh_from_db()
        assert booking.status == booking.Status.CONFIRMED
        message = OutboxMessage.objects.get(template="booking_confirmed")
        assert message.status == OutboxMessage.Status.PENDING
        assert publish_breaker.attempts == 1  # one failed publish, then the breaker is open

        redis_server.start()
        with _worker(redis_server, sink) as worker:
            _sweep_now()
            wait_for(lambda: sink.count() and _all_sent(), timeout=20, what="the sweep to send the confirmation")
            outbox_sweep.delay()  # the next sweep, and a stray task for the same row: no-ops
            outbox_send.delay(message.pk)
            wait_for(lambda: _tasks_done(worker) >= 3, timeout=20, what="three tasks")

    message.refresh_from_db()
    assert sink.message_id_counts() == {message_id_header(message): 1}
    assert sink.messages[0]["To"] == booking.user.email
    assert message.attempts == 1


def test_a_worker_killed_while_sending_leaves_every_message_sent_exactly_once(redis_server):
    recipients = ["p1@example.test", "p2@example.test", "stall@example.test", "p4@example.test", "p5@example.test"]
    with SmtpSink(stall_data_to="stall@example.test") as sink, broker(redis_server.url):
        messages = [_enqueue(to) for to in recipients]  # five outbox_send tasks wait in Redis

        worker = _worker(redis_server, sink).start()
        try:
            wait_for(sink.stalled.is_set, timeout=30, what="the worker to reach the stalling message")
            worker.kill()  # mid-DATA: the SMTP server has not accepted the message
        finally:
            worker.stop()
        assert sink.count() == 2
        stalled = OutboxMessage.objects.get(to="stall@example.test")
        assert stalled.status == OutboxMessage.Status.PENDING and stalled.attempts == 0
        with transaction.atomic():  # the dead worker's row lock went with its connection
            OutboxMessage.objects.select_for_update(nowait=True).get(pk=stalled.pk)

        sink.release()
        with _worker(redis_server, sink) as worker:
            # The queued tasks run; the killed one stays unacknowledged in Redis (redelivered
            # only after the visibility timeout), and the sweep sends its row.
            wait_for(lambda: sink.count() >= 4, timeout=20, what="the queued messages")
            _sweep_now()
            wait_for(_all_sent, timeout=20, what="every message to be sent")
            outbox_sweep.delay()
            wait_for(lambda: _tasks_done(worker) >= 4, timeout=20, what="the last sweep")  # p4, p5, 2 sweeps

    assert sink.message_id_counts() == {message_id_header(message): 1 for message in messages}


def test_a_worker_killed_after_the_server_accepted_a_message_does_not_send_it_again(redis_server):
    """The row is marked sent and committed before the SMTP session is closed: a worker that
    dies while saying QUIT has nothing left to resend."""
    with SmtpSink(stall_quit=True) as sink, broker(redis_server.url):
        message = _enqueue("ada@example.test")
        worker = _worker(redis_server, sink).start()
        try:
            wait_for(sink.stalled.is_set, timeout=30, what="the worker to reach QUIT")
            worker.kill()
        finally:
            worker.stop()
        message.refresh_from_db()
        assert message.status == OutboxMessage.Status.SENT

        sink.release()
        with _worker(redis_server, sink) as worker:
            _sweep_now()
            outbox_send.delay(message.pk)
            wait_for(lambda: _tasks_done(worker) >= 2, timeout=20, what="the sweep and the task")

    assert sink.message_id_counts() == {message_id_header(message): 1}


def test_a_task_delivered_several_times_to_concurrent_workers_sends_once(redis_server):
    with SmtpSink() as sink, broker(redis_server.url):
        message = _enqueue("ada@example.test")
        for _ in range(3):  # redeliveries of the same task
            outbox_send.delay(message.pk)
        with _worker(redis_server, sink, pool="prefork", concurrency=2) as worker:
            wait_for(lambda: _tasks_done(worker) >= 4, timeout=30, what="four deliveries")

    message.refresh_from_db()
    assert message.status == OutboxMessage.Status.SENT and message.attempts == 1
    assert sink.message_id_counts() == {message_id_header(message): 1}
