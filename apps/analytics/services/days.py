"""Days: §2.2 daily statistics and §2.5 deductions, planned, synced and backfilled."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone

from apps.accounts.clients import client_for_account
from apps.umail.errors import MalformedReply, RateLimited, UmailError

from ..models import (
    DailyDeduction,
    DailyStats,
    QuotaPoint,
)
from ._common import (
    BACKFILL_DAYS,
    DAY_FINAL_AFTER,
    LEASE,
    SyncCounts,
    logger,
    platform_day,
    platform_today,
)
from .schedule import backoff

# -- days: §2.2 and §2.5 --------------------------------------------------------------------------


def days_plan(*, account, start: dt.date | None = None, end: dt.date | None = None) -> int:
    """Rows for the days worth syncing: today and yesterday, the days of campaigns still
    followed, and (backfill) every day with campaigns that has none yet, within
    BACKFILL_DAYS or the given range."""
    from apps.campaigns.models import Campaign

    today = platform_today()
    days = {today, today - dt.timedelta(days=1)}
    campaigns = Campaign.objects.filter(
        account=account, local_state=Campaign.LocalState.ACTIVE, platform_id__isnull=False
    )
    lower = start or (today - dt.timedelta(days=BACKFILL_DAYS))
    for when in campaigns.filter(send_time__date__gte=lower - dt.timedelta(days=1)).values_list(
        "send_time", flat=True
    ):
        day = platform_day(when)
        if day and lower <= day <= (end or today):
            days.add(day)
    known = set(
        DailyStats.objects.filter(account=account, date__in=days).values_list("date", flat=True)
    )
    new = [DailyStats(account=account, date=d) for d in sorted(days - known)]
    DailyStats.objects.bulk_create(new, ignore_conflicts=True)
    # Days with a campaign still followed are due again.
    followed = {
        platform_day(c.send_time)
        for c in campaigns.filter(report__final=False).only("send_time")
        if c.send_time
    }
    DailyStats.objects.filter(account=account, date__in=followed | {today}, final=False).update(
        next_sync_at=timezone.now()
    )
    return len(new)


def _day_final(day: dt.date, today: dt.date) -> bool:
    return day < today - dt.timedelta(days=DAY_FINAL_AFTER)


def day_sync(*, client, row: DailyStats, counts: SyncCounts) -> None:
    """§2.2 and §2.5 of one day into its row (and its deductions); the last good numbers stay
    when a reply is broken."""
    counts.calls += 2
    stat = client.stats.day_statistic(row.date)
    deductions = client.stats.deductions(row.date)
    if stat.date is not None and stat.date != row.date:
        raise MalformedReply(f"§2.2 answered for {stat.date} instead of {row.date}.")
    now = timezone.now()
    today = platform_today()
    with transaction.atomic():
        for name in (
            "ws_qty",
            "ws_error",
            "ws_count",
            "invalid_addr",
            "format_error",
            "send_count",
            "deduc_count",
            "actual_send",
            "send_error",
            "actual_deduc",
        ):
            setattr(row, name, getattr(stat, name))
        kinds = []
        for item in deductions:
            kinds.append(item.deduction)
            DailyDeduction.objects.update_or_create(
                account=row.account,
                date=row.date,
                kind=item.deduction,
                defaults={"company": item.company, "send_num": item.send_num, "total": item.total},
            )
        DailyDeduction.objects.filter(account=row.account, date=row.date).exclude(
            kind__in=kinds
        ).delete()
        row.deductions_total = sum(d.total for d in deductions)
        row.synced_at = now
        row.failures = 0
        row.last_error = ""
        row.final = _day_final(row.date, today)
        row.next_sync_at = now + (
            dt.timedelta(minutes=10)
            if row.date >= today - dt.timedelta(days=1)
            else dt.timedelta(hours=6)
        )
        row.save()
    counts.reports += 1


def quota_point(*, account) -> QuotaPoint | None:
    """Today's quota from the account's §1.2 mirror (no platform call)."""
    from apps.accounts.models import AccountService

    service = AccountService.objects.filter(account=account).first()
    if service is None or service.fetched_at is None:
        return None
    point, _ = QuotaPoint.objects.update_or_create(
        account=account,
        date=platform_day(service.fetched_at),
        defaults={
            "qty_available": service.qty_available,
            "qty_buytotal": service.qty_buytotal,
            "taken_at": service.fetched_at,
        },
    )
    return point


def days_sync(*, account, limit: int = 60, now=None) -> SyncCounts:
    """The account's due days (claimed like reports), oldest first."""
    counts = SyncCounts()
    days_plan(account=account)
    quota_point(account=account)
    now = now or timezone.now()  # after planning: the rows just planned are due
    with transaction.atomic():
        qs = DailyStats.objects.filter(account=account, final=False, next_sync_at__lte=now)
        ids = list(qs.order_by("date").values_list("pk", flat=True)[:limit])
        DailyStats.objects.filter(pk__in=ids).update(next_sync_at=now + LEASE)
    rows = list(DailyStats.objects.filter(pk__in=ids).select_related("account").order_by("date"))
    if not rows:
        return counts
    try:
        with client_for_account(account) as client:
            for row in rows:
                try:
                    day_sync(client=client, row=row, counts=counts)
                except RateLimited:
                    raise
                except UmailError as exc:
                    _day_failed(row, exc, counts)
    except RateLimited as exc:
        for row in rows:
            _day_failed(row, exc, counts)
    counts.more = DailyStats.objects.filter(
        account=account, final=False, next_sync_at__lte=now
    ).exists()
    return counts


def _day_failed(row: DailyStats, exc: Exception, counts: SyncCounts) -> None:
    failures = row.failures + 1
    DailyStats.objects.filter(pk=row.pk).update(
        failures=failures,
        last_error=str(exc)[:2000],
        next_sync_at=backoff(failures, timezone.now()),
    )
    counts.failed += 1
    counts.exception = exc
    counts.errors.append(f"day {row.date}: {exc}")
    logger.warning("analytics sync of %s for account %s failed: %s", row.date, row.account_id, exc)


def days_request_backfill(*, account, start: dt.date, end: dt.date) -> int:
    """The dashboard asks for a range: plan its days (synced by the next days job)."""
    return days_plan(account=account, start=start, end=end)
