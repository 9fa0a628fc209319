"""The Celery app: configured from Django settings (CELERY_*), scheduled by schedule.py."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "edmportal.settings.dev")

app = Celery("edmportal")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@app.on_after_configure.connect
def _install_beat_schedule(sender, **kwargs):
    from .schedule import BEAT_SCHEDULE

    sender.conf.beat_schedule = BEAT_SCHEDULE
