"""Celery beat's scheduler: the schedule is written in code, kept in the database.

django-celery-beat's DatabaseScheduler stores every job (PeriodicTask) with its schedule, last
run and run count, so staff see them in django-admin. When beat starts, it writes each entry
of CELERY_BEAT_SCHEDULE into that table. This subclass also disables jobs that are no longer
in the code (a renamed or removed entry would otherwise keep firing from the database forever),
so code stays the one place the schedule is changed. A job staff disable in django-admin stays
disabled until they enable it again; beat picks that up within its sync interval.
"""

from __future__ import annotations

import logging

from django_celery_beat.models import PeriodicTask, PeriodicTasks
from django_celery_beat.schedulers import DatabaseScheduler

logger = logging.getLogger(__name__)


class CodeScheduler(DatabaseScheduler):
    def setup_schedule(self):
        super().setup_schedule()
        in_code = set(self.app.conf.beat_schedule)
        stale = PeriodicTask.objects.filter(enabled=True).exclude(name__in=in_code)
        for name in stale.values_list("name", flat=True):
            logger.warning("Beat job %r is not in CELERY_BEAT_SCHEDULE any more: disabled", name)
            self.schedule.pop(name, None)
        if stale.update(enabled=False):
            PeriodicTasks.update_changed()  # a bulk update sends no signal: tell other readers
