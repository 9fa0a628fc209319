"""Toasts when full resyncs end (registered into apps.core.notifications)."""

from __future__ import annotations

from collections.abc import Iterator

from django.utils.translation import gettext_noop

from apps.core.models import Notification
from apps.core.notifications import JobEnded, register_scanner, url_or_blank

from .models import ResyncJob


@register_scanner
def _resyncs(user, since) -> Iterator[JobEnded]:
    jobs = ResyncJob.objects.filter(
        requested_by=user,
        status__in=[ResyncJob.Status.DONE, ResyncJob.Status.FAILED],
        finished_at__gte=since,
    )
    for job in jobs:
        done = job.status == ResyncJob.Status.DONE
        yield JobEnded(
            f"ops.resync:{job.pk}:{job.status}",
            Notification.Level.SUCCESS if done else Notification.Level.ERROR,
            gettext_noop("Everything was fetched again from the platform.")
            if done
            else gettext_noop(
                "Fetching everything again from the platform failed. Open it to see why."
            ),
            {},
            url_or_blank("ops:resync"),
            job.account_id,
        )
