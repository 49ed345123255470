"""The job model's progress constraint and the stalled-export index on the heartbeat, in a
migration of their own: PostgreSQL will not alter a table with the data migration's row
updates still pending in the same transaction."""

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("bookings", "0005_export_job_columns"),
    ]

    operations = [
        migrations.AddConstraint(
            model_name="bookingexport",
            constraint=models.CheckConstraint(
                condition=models.Q(("progress_done__lte", models.F("progress_total"))),
                name="bookingexport_progress_in_range",
            ),
        ),
        migrations.AddIndex(
            model_name="bookingexport",
            index=models.Index(
                condition=models.Q(("status__in", ["pending", "running"])),
                fields=["heartbeat_at"],
                name="export_stalled_idx",
            ),
        ),
    ]
