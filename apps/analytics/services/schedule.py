"""Which campaign reports are due, and when a report is looked at again (backoff included)."""

from __future__ import annotations

import datetime as dt
import random

from django.db.models import F, Q
from django.utils import timezone

from .. import cadence
from ..models import (
    CampaignReport,
)
from ._common import MAX_BACKOFF

# -- which campaigns, and when --------------------------------------------------------------------


def reports_discover(*, account=None) -> int:
    """A report for every campaign on the platform that has none yet."""
    from apps.campaigns.models import Campaign

    campaigns = Campaign.objects.filter(
        local_state=Campaign.LocalState.ACTIVE, platform_id__isnull=False, report__isnull=True
    )
    if account is not None:
        campaigns = campaigns.filter(account=account)
    now = timezone.now()
    created = 0
    batch: list[CampaignReport] = []
    for campaign_id, account_id in campaigns.values_list("pk", "account_id").iterator(2000):
        batch.append(
            CampaignReport(campaign_id=campaign_id, account_id=account_id, next_sync_at=now)
        )
        if len(batch) >= 2000:
            created += len(CampaignReport.objects.bulk_create(batch, ignore_conflicts=True))
            batch = []
    if batch:
        created += len(CampaignReport.objects.bulk_create(batch, ignore_conflicts=True))
    return created


def due_q(now: dt.datetime) -> Q:
    """Reports worth a look: their time has come, or the campaign mirror moved."""
    changed = (
        ~Q(seen_status=F("campaign__status"))
        | Q(seen_status__isnull=True, campaign__status__isnull=False)
        | ~Q(seen_send_count=F("campaign__send_count"))
        | ~Q(seen_error_count=F("campaign__error_count"))
    )
    return Q(final=False) & (Q(next_sync_at__lte=now) | changed)


def _started(campaign) -> bool:
    return (
        campaign.time_start is not None
        or campaign.is_sending
        or campaign.is_paused
        or (campaign.is_finished)
    )


def campaign_ended(campaign) -> bool:
    return campaign.is_finished or (campaign.is_cancelled and _started(campaign))


def schedule(campaign, now: dt.datetime, *, last_moved=None) -> dt.datetime | None:
    """When to look at a synced campaign again (None: nothing can change any more); the
    adaptive cadence lives in `cadence.next_look`."""
    return cadence.next_look(campaign, now, last_moved=last_moved)


def backoff(failures: int, now: dt.datetime) -> dt.datetime:
    """Exponential backoff with jitter: 1, 2, 4 … minutes, at most MAX_BACKOFF."""
    delay = min(MAX_BACKOFF.total_seconds(), 60 * 2 ** max(0, failures - 1))
    return now + dt.timedelta(seconds=delay * (0.75 + random.random() / 2))  # noqa: S311
