"""Beat's schedule is written in code and kept in the database, where django-admin shows it."""

import pytest
from django.conf import settings
from django_celery_beat.models import IntervalSchedule, PeriodicTask

from accounts.tests.factories import verified_login
from booking_site.beat import CodeScheduler
from booking_site.celery import app as celery_app

# The scheduler closes "old" database connections, as beat does between runs: no test transaction.
pytestmark = pytest.mark.django_db(transaction=True)


def test_beat_start_writes_every_job_of_the_code_schedule_into_the_database():
    CodeScheduler(app=celery_app)
    tasks = {task.name: task for task in PeriodicTask.objects.select_related("interval", "crontab")}
    assert set(settings.CELERY_BEAT_SCHEDULE) <= set(tasks)
    for name, entry in settings.CELERY_BEAT_SCHEDULE.items():
        assert tasks[name].task == entry["task"] and tasks[name].enabled
    sweep = tasks["outbox-sweep"].interval
    assert (sweep.every, sweep.period) == (60, IntervalSchedule.SECONDS)


def test_a_job_no_longer_in_the_code_is_disabled_and_a_job_staff_paused_stays_paused():
    every_minute, _ = IntervalSchedule.objects.get_or_create(every=60, period=IntervalSchedule.SECONDS)
    PeriodicTask.objects.create(name="renamed-long-ago", task="notifications.tasks.gone", interval=every_minute)
    CodeScheduler(app=celery_app)
    PeriodicTask.objects.filter(name="outbox-sweep").update(enabled=False)  # paused in django-admin

    scheduler = CodeScheduler(app=celery_app)  # beat restarts
    assert not PeriodicTask.objects.get(name="renamed-long-ago").enabled
    assert not PeriodicTask.objects.get(name="outbox-sweep").enabled
    assert "renamed-long-ago" not in scheduler.schedule and "outbox-sweep" not in scheduler.schedule
    assert "holds-expire" in scheduler.schedule


def test_staff_with_admin_access_see_each_job_with_its_schedule_and_last_run(client):
    from accounts.tests.factories import UserFactory

    CodeScheduler(app=celery_app)
    PeriodicTask.objects.filter(name="outbox-sweep").update(total_run_count=7)
    verified_login(client, UserFactory(is_staff=True, is_superuser=True))
    page = client.get("/admin/django_celery_beat/periodictask/").content.decode()
    assert "outbox-sweep" in page and "holds-expire" in page
    detail = PeriodicTask.objects.get(name="outbox-sweep")
    page = client.get(f"/admin/django_celery_beat/periodictask/{detail.pk}/change/").content.decode()
    assert "notifications.tasks.outbox_sweep" in page and "Last Run Datetime" in page and "7" in page
