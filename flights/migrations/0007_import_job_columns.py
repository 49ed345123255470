"""FlightImport on the toolbox's job model (booking_site/lib/jobs.py): a run id, a heartbeat
and one progress pair instead of two phase counters. Data is kept: total_rows is renamed to
progress_total; progress_done is the counter of the phase the import is in (rows imported
once it imports, rows checked before); a running import's heartbeat starts at its start.
The phase counters go, and the constraint comes, in 0008."""

from django.db import migrations, models
from django.db.models import Case, F, When
from django.db.models.functions import Coalesce, Least


def progress_from_phase_counters(apps, schema_editor):
    FlightImport = apps.get_model("flights", "FlightImport")
    FlightImport.objects.update(
        progress_done=Least(
            Case(
                When(status__in=["importing", "done"], then=F("rows_imported")),
                default=F("rows_validated"),
            ),
            F("progress_total"),
        )
    )
    FlightImport.objects.filter(status__in=["validating", "importing"]).update(heartbeat_at=F("started_at"))
    FlightImport.objects.filter(status__in=["done", "invalid", "failed"]).update(
        heartbeat_at=Coalesce("finished_at", "started_at")
    )


def phase_counters_from_progress(apps, schema_editor):
    FlightImport = apps.get_model("flights", "FlightImport")
    FlightImport.objects.filter(status__in=["importing", "done"]).update(
        rows_validated=F("progress_total"), rows_imported=F("progress_done")
    )
    FlightImport.objects.exclude(status__in=["importing", "done"]).update(rows_validated=F("progress_done"))


class Migration(migrations.Migration):

    dependencies = [
        ("flights", "0006_flight_import_upload_key"),
    ]

    operations = [
        migrations.RenameField(model_name="flightimport", old_name="total_rows", new_name="progress_total"),
        migrations.AddField(
            model_name="flightimport",
            name="progress_done",
            field=models.PositiveIntegerField(default=0, help_text="Done so far, in the current phase."),
        ),
        migrations.AddField(
            model_name="flightimport",
            name="run_id",
            field=models.UUIDField(blank=True, editable=False, null=True),
        ),
        migrations.AddField(
            model_name="flightimport",
            name="heartbeat_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AlterField(
            model_name="flightimport",
            name="started_at",
            field=models.DateTimeField(blank=True, help_text="When the current run claimed it.", null=True),
        ),
        migrations.RunPython(progress_from_phase_counters, phase_counters_from_progress),
    ]
