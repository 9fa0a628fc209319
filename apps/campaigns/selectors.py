"""Reads for the campaign pages: local data only (the §6.1 mirror and what the portal keeps)."""

from __future__ import annotations

import calendar
import datetime as dt
from dataclasses import dataclass, field

from django.conf import settings
from django.db.models import Q, QuerySet
from django.utils import timezone

from .models import ACTIVE_CODES, Campaign, CampaignSync

# Still to be sent: what a list or template must not lose without a warning.
PENDING_CODES = (1, -1, -2)


def campaigns_for(*, account, include_deleted: bool = False) -> QuerySet[Campaign]:
    """The account's campaigns for the list page (edit drafts of a platform task are hidden:
    they belong to the task they change)."""
    qs = Campaign.objects.filter(account=account, replaces__isnull=True)
    if not include_deleted:
        qs = qs.exclude(local_state=Campaign.LocalState.DELETED)
    return qs


def campaign_for(*, account, pk: int) -> Campaign | None:
    return Campaign.objects.filter(account=account, pk=pk).first()


def sync_state(*, account) -> CampaignSync | None:
    return CampaignSync.objects.filter(account=account).first()


def is_stale(*, account) -> bool:
    state = sync_state(account=account)
    if state is None or state.synced_at is None:
        return True
    return (timezone.now() - state.synced_at).total_seconds() > settings.UMAIL_FRESHNESS_SECONDS


def active_campaigns(*, account=None) -> QuerySet[Campaign]:
    """On the platform and still changing: followed every minute."""
    qs = Campaign.objects.filter(
        local_state=Campaign.LocalState.ACTIVE, platform_id__isnull=False
    ).filter(Q(status__in=ACTIVE_CODES) | Q(status__isnull=True))
    return qs.filter(account=account) if account is not None else qs


def pending_campaigns(*, account) -> QuerySet[Campaign]:
    """Not sent yet: waiting, on hold, paused, or being created."""
    return Campaign.objects.filter(account=account, replaces__isnull=True).filter(
        Q(local_state=Campaign.LocalState.ACTIVE, status__in=PENDING_CODES)
        | Q(
            local_state__in=[
                Campaign.LocalState.SUBMITTING,
                Campaign.LocalState.UNCONFIRMED,
            ]
        )
    )


def scheduled_for_list(*, account, list_id: int) -> list[Campaign]:
    return list(pending_campaigns(account=account).filter(list_id=list_id).order_by("send_time"))


def scheduled_for_template(*, account, template_id: int) -> list[Campaign]:
    # JSON containment differs between databases; the pending set is small, so filter here.
    return [
        c
        for c in pending_campaigns(account=account).order_by("send_time")
        if template_id in (c.template_ids or [])
    ]


def recipient_count(list_count: int | None, start: int, end: int) -> int:
    """Addresses `start`..`end` (0: to the end) of a list of `list_count` addresses."""
    total = list_count or 0
    last = total if not end else min(end, total)
    return max(0, last - max(1, start) + 1)


# -- the calendar ---------------------------------------------------------------------------


@dataclass
class Day:
    date: dt.date
    in_month: bool
    today: bool
    campaigns: list[Campaign] = field(default_factory=list)


@dataclass
class Month:
    year: int
    month: int
    weeks: list[list[Day]]
    previous: dt.date
    next: dt.date

    @property
    def first(self) -> dt.date:
        return dt.date(self.year, self.month, 1)


def calendar_month(*, account, year: int, month: int) -> Month:
    """A month grid (weeks from Monday) of sends: scheduled (send time) and past (start time,
    or the send time when the platform has not said when it started), in the current zone."""
    tz = timezone.get_current_timezone()
    grid = calendar.Calendar(firstweekday=0).monthdatescalendar(year, month)
    first, last = grid[0][0], grid[-1][-1]
    start = dt.datetime.combine(first, dt.time.min, tzinfo=tz)
    end = dt.datetime.combine(last + dt.timedelta(days=1), dt.time.min, tzinfo=tz)
    rows = (
        campaigns_for(account=account)
        .exclude(local_state=Campaign.LocalState.DRAFT)
        .filter(
            Q(time_start__gte=start, time_start__lt=end)
            | Q(time_start__isnull=True, send_time__gte=start, send_time__lt=end)
        )
        .order_by("send_time", "id")
    )
    by_day: dict[dt.date, list[Campaign]] = {}
    for campaign in rows:
        when = campaign.time_start or campaign.send_time
        by_day.setdefault(timezone.localtime(when, tz).date(), []).append(campaign)
    today = timezone.localdate()
    weeks = [
        [Day(d, d.month == month, d == today, by_day.get(d, [])) for d in week] for week in grid
    ]
    previous = (dt.date(year, month, 1) - dt.timedelta(days=1)).replace(day=1)
    following = (dt.date(year, month, 28) + dt.timedelta(days=4)).replace(day=1)
    return Month(year, month, weeks, previous, following)
