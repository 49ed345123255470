"""BookingExport on the toolbox's job model (booking_site/lib/jobs.py): the progress columns
get the shared names, the run gets a start and a heartbeat. Data is kept: rows_done and
rows_total are renamed, not replaced; a running export's heartbeat is its last update, so the
sweep still finds it if its worker is gone. The new constraint and index: 0006."""

from django.db import migrations, models


def heartbeats_from_updates(apps, schema_editor):
    BookingExport = apps.get_model("bookings", "BookingExport")
    BookingExport.objects.filter(status="running").update(
        started_at=models.F("created_at"), heartbeat_at=models.F("updated_at")
    )
    BookingExport.objects.filter(status__in=["done", "failed", "expired"]).update(
        heartbeat_at=models.functions.Coalesce("finished_at", "updated_at")
    )


class Migration(migrations.Migration):

    dependencies = [
        ("bookings", "0004_hold_limits"),
    ]

    operations = [
        migrations.RemoveConstraint(model_name="bookingexport", name="export_progress_in_range"),
        migrations.RemoveIndex(model_name="bookingexport", name="export_stalled_idx"),
        migrations.RenameField(model_name="bookingexport", old_name="rows_done", new_name="progress_done"),
        migrations.RenameField(model_name="bookingexport", old_name="rows_total", new_name="progress_total"),
        migrations.AlterField(
            model_name="bookingexport",
            name="progress_done",
            field=models.PositiveIntegerField(default=0, help_text="Done so far, in the current phase."),
        ),
        migrations.AddField(
            model_name="bookingexport",
            name="started_at",
            field=models.DateTimeField(blank=True, help_text="When the current run claimed it.", null=True),
        ),
        migrations.AddField(
            model_name="bookingexport",
            name="heartbeat_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.RunPython(heartbeats_from_updates, migrations.RunPython.noop),
    ]
