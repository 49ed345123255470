"""The phase counters, now in progress_done (0007), go; the job model's progress constraint
comes. A migration of its own: PostgreSQL will not alter a table with the data migration's
row updates still pending in the same transaction."""

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("flights", "0007_import_job_columns"),
    ]

    operations = [
        migrations.RemoveField(model_name="flightimport", name="rows_validated"),
        migrations.RemoveField(model_name="flightimport", name="rows_imported"),
        migrations.AddConstraint(
            model_name="flightimport",
            constraint=models.CheckConstraint(
                condition=models.Q(("progress_done__lte", models.F("progress_total"))),
                name="flightimport_progress_in_range",
            ),
        ),
    ]
