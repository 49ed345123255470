"""Periodic booking jobs (thin: the services hold the rules)."""

from celery import shared_task

from . import services


@shared_task(name="bookings.tasks.holds_expire")
def holds_expire() -> int:
    """Every minute (beat): release seats whose checkout hold ran out."""
    return services.holds_expire()


@shared_task(name="bookings.tasks.departure_reminders_send")
def departure_reminders_send() -> int:
    """Every 15 minutes (beat): a reminder e-mail per booking about 24 h before departure,
    exactly once per booking however often this runs."""
    return services.departure_reminders_send()


@shared_task(name="bookings.tasks.booking_export_run", soft_time_limit=600, time_limit=660)
def booking_export_run(export_id: int) -> bool:
    """On request ("Export my bookings"): write the CSV, then alert and e-mail its owner.
    A second run of the same export does nothing. Longer limits than the default: a
    passenger with thousands of bookings takes more than a minute."""
    return services.export_run(export_id=export_id)


@shared_task(name="bookings.tasks.booking_exports_sweep")
def booking_exports_sweep() -> dict:
    """Every 5 minutes (beat): delete expired export files, and re-enqueue exports whose
    task was lost (broker down when it was enqueued, or its worker died)."""
    return services.exports_sweep()


@shared_task(name="bookings.tasks.evening_nudge_send")
def evening_nudge_send() -> int:
    """Every 15 minutes (beat): during NUDGE_HOUR local, e-mail passengers with no trip ahead
    about new routes; at most once per passenger and local day however often this runs."""
    return services.nudges_send()


@shared_task(name="bookings.tasks.monthly_reports_send", soft_time_limit=1800, time_limit=1860)
def monthly_reports_send() -> int:
    """06:00 on the 1st (beat): last month's activity report to each passenger who had some;
    once per passenger and month however often this runs. Longer limits than the default:
    it covers every active passenger in one run."""
    return services.monthly_reports_send()


@shared_task(name="bookings.tasks.sales_summarise")
def sales_summarise() -> int:
    """Nightly: yesterday's sales (and any day missed) into the dashboard's daily summary."""
    from .services.sales import sales_summarise as summarise

    return summarise()


@shared_task(name="bookings.tasks.passengers_anonymise")
def passengers_anonymise() -> int:
    """Daily: passengers of flights departed over PRIVACY_RETENTION_DAYS ago are anonymised
    (a batch per run; the next run carries on; a second run changes nothing)."""
    return services.passengers_anonymise()
