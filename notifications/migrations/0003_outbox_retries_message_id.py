import uuid

from django.db import migrations, models


def fill_message_ids_and_due_times(apps, schema_editor):
    """Existing rows get their own Message-ID; pending ones are due at once."""
    OutboxMessage = apps.get_model("notifications", "OutboxMessage")
    for message in OutboxMessage.objects.only("pk", "created_at", "status").iterator():
        message.message_id = uuid.uuid4()
        message.next_attempt_at = message.created_at if message.status == "pending" else None
        message.save(update_fields=["message_id", "next_attempt_at"])


class Migration(migrations.Migration):
    dependencies = [
        ("notifications", "0002_dedupe_key_and_alerts"),
    ]

    operations = [
        migrations.AddField(
            model_name="outboxmessage",
            name="next_attempt_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="outboxmessage",
            name="message_id",
            field=models.UUIDField(editable=False, null=True),
        ),
        migrations.RunPython(fill_message_ids_and_due_times, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="outboxmessage",
            name="message_id",
            field=models.UUIDField(default=uuid.uuid4, editable=False, unique=True),
        ),
        migrations.RemoveIndex(
            model_name="outboxmessage",
            name="outbox_pending_idx",
        ),
        migrations.AddIndex(
            model_name="outboxmessage",
            index=models.Index(
                condition=models.Q(("status", "pending")), fields=["next_attempt_at"], name="outbox_due_idx"
            ),
        ),
    ]
