from datetime import timedelta
from unittest import mock

import pytest
from django.core import mail
from django.db import transaction
from django.utils import timezone

from notifications.models import OutboxMessage
from notifications.services import MAX_ATTEMPTS, outbox_enqueue, outbox_pending_ids, outbox_send
from notifications.tasks import outbox_sweep

pytestmark = pytest.mark.django_db


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


def test_broker_outage_keeps_message_pending_and_sweep_sends_it(django_capture_on_commit_callbacks):
    with mock.patch("notifications.tasks.outbox_send.delay", side_effect=ConnectionError("redis down")):
        with django_capture_on_commit_callbacks(execute=True):
            message = _enqueue()
    message.refresh_from_db()
    assert message.status == OutboxMessage.Status.PENDING
    assert mail.outbox == []
    OutboxMessage.objects.filter(pk=message.pk).update(created_at=timezone.now() - timedelta(minutes=2))
    assert outbox_sweep() == 1
    message.refresh_from_db()
    assert message.status == OutboxMessage.Status.SENT
    assert len(mail.outbox) == 1


def test_sweep_leaves_fresh_messages_to_the_on_commit_path():
    message = _enqueue()
    assert message.pk not in outbox_pending_ids()


def test_smtp_failure_keeps_message_pending_then_marks_failed_after_max_attempts():
    message = _enqueue()
    with mock.patch("django.core.mail.EmailMultiAlternatives.send", side_effect=OSError("smtp down")):
        for _ in range(MAX_ATTEMPTS - 1):
            assert outbox_send(message_id=message.pk) is False
        message.refresh_from_db()
        assert message.status == OutboxMessage.Status.PENDING and "smtp down" in message.last_error
        outbox_send(message_id=message.pk)
    message.refresh_from_db()
    assert message.status == OutboxMessage.Status.FAILED
    assert message.attempts == MAX_ATTEMPTS


def test_a_dedupe_key_writes_the_message_once_and_leaves_the_callers_work_alone(django_capture_on_commit_callbacks):
    from accounts.tests.factories import UserFactory

    with django_capture_on_commit_callbacks(execute=True):
        with transaction.atomic():
            first = _enqueue(dedupe_key="reminder:1")
            second = _enqueue(dedupe_key="reminder:1")
            user = UserFactory()  # the caller's own write goes on after the duplicate
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
