import itertools
from datetime import timedelta
from unittest import mock

import pytest
import time_machine
from django.conf import settings
from django.core import mail
from django.db import transaction
from django.utils import timezone

from booking_site.lib.broker import publish_breaker
from notifications.models import OutboxMessage
from notifications.services import (
    SWEEP_GRACE,
    outbox_due_ids,
    outbox_enqueue,
    outbox_requeue,
    outbox_send,
    retry_delay,
)
from notifications.tasks import outbox_sweep
from notifications.tests.brokers import UNREACHABLE, broker
from notifications.tests.users import make_user

pytestmark = pytest.mark.django_db

SMTP_DOWN = mock.patch("django.core.mail.backends.locmem.EmailBackend.send_messages", side_effect=OSError("smtp down"))


def _enqueue(**overrides) -> OutboxMessage:
    fields = {"to": "ada@example.test", "template": "welcome", "context": {"name": "Ada"}}
    return outbox_enqueue(**{**fields, **overrides})


def test_outbox_message_is_sent_after_commit_with_text_and_html(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        message = _enqueue()
    message.refresh_from_db()
    assert message.status == OutboxMessage.Status.SENT and message.sent_at
    [email] = mail.outbox
    assert email.to == ["ada@example.test"]
    assert "Welcome" in email.subject
    assert "Hello Ada" in email.body
    assert email.alternatives and "Hello Ada" in email.alternatives[0][0]


def test_outbox_message_is_not_sent_when_the_transaction_rolls_back(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(RuntimeError):
        with transaction.atomic():
            _enqueue()
            raise RuntimeError("the booking failed")
    assert not OutboxMessage.objects.exists()
    assert mail.outbox == []


def test_outbox_send_twice_sends_once():
    message = _enqueue()
    assert outbox_send(message_id=message.pk) is True
    assert outbox_send(message_id=message.pk) is False
    assert len(mail.outbox) == 1


def test_a_row_sent_twice_carries_the_same_message_id_both_times():
    """The one duplicate the outbox allows (the worker died after SMTP accepted, before the
    commit) is recognisable downstream: both copies have the row's Message-ID."""
    message, other = _enqueue(), _enqueue()
    outbox_send(message_id=message.pk)
    OutboxMessage.objects.filter(pk=message.pk).update(status=OutboxMessage.Status.PENDING, attempts=0)
    outbox_send(message_id=message.pk)
    outbox_send(message_id=other.pk)
    ids = [email.message()["Message-ID"] for email in mail.outbox]
    assert ids == [f"<{message.message_id}@testserver>"] * 2 + [f"<{other.message_id}@testserver>"]


def test_broker_outage_keeps_message_pending_and_sweep_sends_it_after_the_grace_period(
    django_capture_on_commit_callbacks,
):
    with mock.patch("notifications.tasks.outbox_send.delay", side_effect=ConnectionError("redis down")):
        with django_capture_on_commit_callbacks(execute=True):
            message = _enqueue()
    message.refresh_from_db()
    assert message.status == OutboxMessage.Status.PENDING
    assert mail.outbox == []
    assert outbox_sweep() == 0  # still the on-commit path's
    with time_machine.travel(timezone.now() + SWEEP_GRACE + timedelta(seconds=1)):
        assert outbox_sweep() == 1
    message.refresh_from_db()
    assert message.status == OutboxMessage.Status.SENT
    assert len(mail.outbox) == 1


def test_sweep_leaves_fresh_messages_to_the_on_commit_path():
    message = _enqueue()
    assert message.pk not in outbox_due_ids()


def test_a_failed_send_waits_for_its_backoff_even_when_the_task_runs_again():
    message = _enqueue()
    with SMTP_DOWN:
        assert outbox_send(message_id=message.pk) is False
    message.refresh_from_db()
    assert message.attempts == 1 and message.status == OutboxMessage.Status.PENDING
    assert message.next_attempt_at > timezone.now() + timedelta(seconds=30)
    # A redelivered task, or the sweep, before the delay has passed: nothing is tried.
    assert outbox_send(message_id=message.pk) is False
    assert outbox_sweep() == 0
    message.refresh_from_db()
    assert message.attempts == 1 and mail.outbox == []
    with time_machine.travel(message.next_attempt_at + timedelta(seconds=1)):
        assert outbox_sweep() == 1
    assert len(mail.outbox) == 1


def test_smtp_failures_back_off_over_hours_then_mark_the_message_failed():
    message = _enqueue()
    attempted_at = []
    with SMTP_DOWN, time_machine.travel(timezone.now(), tick=False) as clock:
        assert outbox_send(message_id=message.pk) is False  # the on-commit task's attempt
        attempted_at.append(timezone.now())
        for _ in range(settings.OUTBOX_MAX_ATTEMPTS - 1):  # then the sweep's, each when due
            message.refresh_from_db()
            clock.move_to(message.next_attempt_at)
            assert outbox_sweep() == 0
            attempted_at.append(timezone.now())
    message.refresh_from_db()
    assert message.status == OutboxMessage.Status.FAILED and "smtp down" in message.last_error
    assert message.attempts == settings.OUTBOX_MAX_ATTEMPTS and message.next_attempt_at is None
    gaps = [later - earlier for earlier, later in itertools.pairwise(attempted_at)]
    assert gaps[1] > gaps[0] * 1.3  # growing, despite the jitter
    assert sum(gaps, timedelta()) > timedelta(hours=3)
    assert max(gaps) <= timedelta(hours=1.2)


def test_retry_delays_double_from_the_base_and_stop_growing_at_an_hour():
    first = [retry_delay(attempts=1).total_seconds() for _ in range(50)]
    assert all(48 <= seconds <= 72 for seconds in first) and len(set(first)) > 1  # jittered around 60 s
    assert 96 <= retry_delay(attempts=2).total_seconds() <= 144
    assert retry_delay(attempts=20) <= timedelta(hours=1.2)


def test_requeue_gives_failed_messages_fresh_attempts_and_leaves_sent_ones_alone(
    django_capture_on_commit_callbacks,
):
    failed, sent = _enqueue(), _enqueue(to="bob@example.test")
    OutboxMessage.objects.filter(pk=failed.pk).update(status=OutboxMessage.Status.FAILED, attempts=10)
    outbox_send(message_id=sent.pk)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        assert outbox_requeue(message_ids=[failed.pk, sent.pk]) == 1
    failed.refresh_from_db()
    assert failed.status == OutboxMessage.Status.SENT and failed.attempts == 1
    assert [email.to for email in mail.outbox] == [["ada@example.test"]]


def test_admin_action_requeues_failed_messages(client, django_capture_on_commit_callbacks, verified_login):
    admin = make_user(is_staff=True, is_superuser=True)
    verified_login(client, admin)
    message = _enqueue()
    OutboxMessage.objects.filter(pk=message.pk).update(status=OutboxMessage.Status.FAILED, attempts=10)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/admin/notifications/outboxmessage/",
            {"action": "requeue_failed", "_selected_action": [message.pk]},
            follow=True,
        )
    assert "1 failed message(s) queued to be sent again" in response.content.decode()
    message.refresh_from_db()
    assert message.status == OutboxMessage.Status.SENT and len(mail.outbox) == 1


@pytest.fixture
def unreachable_broker():
    with broker(UNREACHABLE):
        yield


def test_with_the_broker_down_one_failed_publish_pauses_publishing_for_the_rest(
    unreachable_broker, settings, django_capture_on_commit_callbacks
):
    """A flight removal queueing many e-mails pays for one failed publish, not one each."""
    with django_capture_on_commit_callbacks(execute=True):
        for index in range(20):
            _enqueue(to=f"passenger{index}@example.test")
    assert (publish_breaker.attempts, publish_breaker.skipped) == (1, 19)
    assert OutboxMessage.objects.filter(status=OutboxMessage.Status.PENDING).count() == 20

    with django_capture_on_commit_callbacks(execute=True):
        _enqueue()
    assert (publish_breaker.attempts, publish_breaker.skipped) == (1, 20)  # still paused

    settings.OUTBOX_PUBLISH_PAUSE_SECONDS = 0  # the pause is over: the next message tries again
    with django_capture_on_commit_callbacks(execute=True):
        _enqueue()
    assert publish_breaker.attempts == 2


def test_a_dedupe_key_writes_the_message_once_and_leaves_the_callers_work_alone(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        with transaction.atomic():
            first = _enqueue(dedupe_key="reminder:1")
            second = _enqueue(dedupe_key="reminder:1")
            user = make_user()  # the caller's own write goes on after the duplicate
    assert first is not None and second is None
    assert OutboxMessage.objects.filter(dedupe_key="reminder:1").count() == 1
    assert len(mail.outbox) == 1
    assert type(user).objects.filter(pk=user.pk).exists()
    assert _enqueue(dedupe_key="reminder:1") is None


def test_alerts_are_per_user_and_marked_read():
    from notifications.services import alert_create, alerts_mark_read, alerts_unread_count

    alert_create(user_id=1, text="Your export is ready", url="/bookings/export/1/")
    alert_create(user_id=1, text="Another")
    alert_create(user_id=2, text="Someone else's")
    assert alerts_unread_count(user_id=1) == 2
    assert alerts_mark_read(user_id=1) == 2
    assert alerts_unread_count(user_id=1) == 0 and alerts_unread_count(user_id=2) == 1


def test_a_row_written_by_the_previous_release_during_a_rolling_deploy_is_sent():
    """Web hosts still on the release before retries write no message_id or next_attempt_at:
    the database fills one in, and the sweep still sends the other."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {OutboxMessage._meta.db_table} "  # noqa: S608 (the model's own table)
            '("to", template, context, status, attempts, last_error, subject, created_at) '
            "VALUES ('old@example.test', 'welcome', '{\"name\": \"Old\"}', 'pending', 1, 'timeout', '', now()) "
            "RETURNING id"
        )
        [message_id] = cursor.fetchone()
    message = OutboxMessage.objects.get(pk=message_id)
    assert message.message_id and message.next_attempt_at is None
    assert outbox_sweep() == 1
    message.refresh_from_db()
    assert message.status == OutboxMessage.Status.SENT
    assert mail.outbox[-1].to == ["old@example.test"]
