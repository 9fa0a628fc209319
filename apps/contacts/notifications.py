"""Toasts when imports end (registered into apps.core.notifications)."""

from __future__ import annotations

from collections.abc import Iterator

from django.utils.translation import gettext_noop

from apps.core.models import Notification
from apps.core.notifications import JobEnded, register_scanner, url_or_blank

from .models import ImportJob


@register_scanner
def _imports(user, since) -> Iterator[JobEnded]:
    jobs = ImportJob.objects.filter(
        user=user,
        state__in=[ImportJob.State.DONE, ImportJob.State.FAILED],
        finished_at__gte=since,
    )
    for job in jobs:
        params = {"file": job.original_name, "list": job.list_subject or str(job.list_platform_id)}
        url = url_or_blank("contacts:import-detail", job.pk)
        if job.state == ImportJob.State.DONE:
            yield JobEnded(
                f"contacts.import:{job.pk}:done",
                Notification.Level.SUCCESS,
                gettext_noop("The import of “%(file)s” into the list “%(list)s” has finished."),
                params,
                url,
                job.account_id,
            )
        else:
            yield JobEnded(
                f"contacts.import:{job.pk}:failed",
                Notification.Level.ERROR,
                gettext_noop(
                    "The import of “%(file)s” into the list “%(list)s” failed. Open it to see why."
                ),
                params,
                url,
                job.account_id,
            )
