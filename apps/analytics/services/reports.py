"""Syncing campaign reports: §2.4 and §3.1 (and §3.5 links) into CampaignReport, in bounded,
claimed batches."""

from __future__ import annotations

import datetime as dt
import threading
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor

from django.db import close_old_connections, connection, transaction
from django.utils import timezone

from apps.accounts.clients import client_for_account
from apps.umail.errors import RateLimited, UmailError
from apps.umail.times import parse_platform_time

from ..models import (
    CampaignReport,
    LinkStat,
    TrackingPoint,
    tracking_numbers,
)
from ._common import (
    CHUNK,
    HYGIENE_AFTER_END,
    LEASE,
    SYNC_BATCH,
    SYNC_CONCURRENCY,
    SyncCounts,
    logger,
    platform_day,
)
from .hygiene import hygiene_start
from .schedule import _started, backoff, campaign_ended, due_q, reports_discover, schedule

# -- syncing reports ------------------------------------------------------------------------------


def _apply_stat(report: CampaignReport, stat) -> None:
    report.stat_task_id = stat.task_id or report.stat_task_id
    report.task_ident = stat.task_ident or report.task_ident
    report.planned = stat.totalsum
    report.sent = stat.total
    report.delivered = stat.success
    report.failed = stat.failed
    report.invalid = stat.invalid
    report.not_exist = stat.email_not_exist
    report.over_quota = stat.over_quota
    report.user_reject = stat.user_reject
    report.spam = stat.rubbish
    report.credits = stat.actual
    report.stats_synced_at = timezone.now()


def _apply_overview(report: CampaignReport, overview) -> None:
    report.track_id = overview.track_id or report.track_id
    report.stat_task_id = overview.task_id or report.stat_task_id
    report.task_ident = overview.task_sn or report.task_ident
    for name, value in tracking_numbers(overview).items():
        setattr(report, name, value)
    report.open_rate = overview.open_percent
    report.click_rate = overview.click_percent
    report.tracking_synced_at = timezone.now()


def _store_links(report: CampaignReport, links) -> None:
    """Upsert the report's links in bulk (a first sync inserts them in one statement)."""
    existing = (
        {link.link_id: link for link in LinkStat.objects.filter(report=report)}
        if report.links_synced_at is not None
        else {}
    )
    fields = ("url", "click_unique", "click_total", "click_first", "click_last")
    new, changed, keep = [], [], set()
    for link in links:
        if link.link_id is None:
            continue
        keep.add(link.link_id)
        values = {
            "url": link.link,
            "click_unique": link.click_unique,
            "click_total": link.click_total,
            "click_first": parse_platform_time(link.click_first),
            "click_last": parse_platform_time(link.click_last),
        }
        row = existing.get(link.link_id)
        if row is None:
            new.append(LinkStat(report=report, link_id=link.link_id, **values))
        elif any(getattr(row, k) != v for k, v in values.items()):
            for k, v in values.items():
                setattr(row, k, v)
            changed.append(row)
    if new:
        LinkStat.objects.bulk_create(new, ignore_conflicts=True)
    if changed:
        LinkStat.objects.bulk_update(changed, fields)
    gone = set(existing) - keep
    if gone:
        LinkStat.objects.filter(report=report, link_id__in=gone).delete()
    report.links_synced_at = timezone.now()


POINT_FIELDS = ("delivered", "open_unique", "open_total", "click_unique", "click_total")


def _numbers(report: CampaignReport) -> tuple:
    return (
        report.delivered or report.real_send_count,
        *(getattr(report, f) for f in POINT_FIELDS[1:]),
    )


def _add_point(report: CampaignReport, before: tuple | None) -> bool:
    """A time-series point when the numbers differ from the last sync's (`before`; None when
    nothing was fetched before): syncing twice adds nothing."""
    now = _numbers(report)
    if before is not None and before == now:
        return False
    TrackingPoint.objects.create(report=report, **dict(zip(POINT_FIELDS, now, strict=True)))
    return True


def _synced_meanwhile(report: CampaignReport) -> bool:
    """Lock the report's row for the rest of the chunk's transaction and tell whether another
    sync saved it since this one loaded it. A report whose campaign changed is due again despite
    its lease (so a job redelivered after a worker crash finds it); two jobs may then hold it at
    once: the second waits here for the first and, finding it synced, adds nothing. Other
    claimers skip the locked row."""
    current = (
        CampaignReport.objects.select_for_update()
        .filter(pk=report.pk)
        .values_list("synced_at", flat=True)
        .first()
    )
    return current != report.synced_at


def _sync_one(client, report: CampaignReport, day_rows: dict, counts: SyncCounts) -> None:
    if _synced_meanwhile(report):
        counts.skipped += 1
        return
    campaign = report.campaign
    now = timezone.now()
    fetched_before = report.stats_synced_at is not None or report.tracking_synced_at is not None
    before = _numbers(report) if fetched_before else None
    last_moved = None
    if not _started(campaign) or campaign.local_state != campaign.LocalState.ACTIVE:
        counts.skipped += 1
    else:
        stat = day_rows.get(campaign.sn) if campaign.sn else None
        if stat is None:
            counts.calls += 1
            rows = client.stats.task_stats(send_id=campaign.platform_id)
            stat = rows[0] if rows else None
        if stat is not None:
            _apply_stat(report, stat)
        if campaign.track_status:
            counts.calls += 1
            overview = client.tracking.overview(send_id=campaign.platform_id)
            clicks_moved = overview.click_total != report.click_total
            _apply_overview(report, overview)
            if campaign.tracks_clicks and (clicks_moved or report.links_synced_at is None):
                if overview.links and schedule(campaign, now) is None:
                    # History found at a first sync (final after it): §3.1 already carries the
                    # same per-link numbers as §3.5, so the extra call is saved.
                    _store_links(report, overview.links)
                else:
                    counts.calls += 1
                    links = client.tracking.link_stats(send_id=campaign.platform_id)
                    _store_links(report, links)
        counts.reports += 1
        if _add_point(report, before):
            counts.points += 1
            last_moved = now
        else:
            last_moved = (
                TrackingPoint.objects.filter(report=report)
                .order_by("-taken_at")
                .values_list("taken_at", flat=True)
                .first()
            )
    newly_ended = campaign_ended(campaign) and report.seen_status != campaign.status
    report.seen_status = campaign.status
    report.seen_send_count = campaign.send_count
    report.seen_error_count = campaign.error_count
    report.synced_at = now
    report.failures = 0
    report.last_error = ""
    report.last_error_at = None
    following = schedule(campaign, now, last_moved=last_moved)
    report.final = following is None
    report.next_sync_at = following or now
    report.save()
    # Hygiene follows a campaign that has just ended (not the history found at a first sync).
    if newly_ended and now - (campaign.time_end or now) <= HYGIENE_AFTER_END:
        hygiene_start(report=report)


def _failed(report: CampaignReport, exc: Exception, counts: SyncCounts) -> None:
    now = timezone.now()
    failures = report.failures + 1
    CampaignReport.objects.filter(pk=report.pk).update(
        failures=failures,
        last_error=str(exc)[:2000],
        last_error_at=now,
        next_sync_at=backoff(failures, now),
    )
    counts.failed += 1
    counts.exception = exc
    counts.errors.append(f"campaign {report.campaign_id}: {exc}")
    logger.warning("analytics sync of campaign %s failed: %s", report.campaign_id, exc)


def reports_sync(*, account, reports: list[CampaignReport]) -> SyncCounts:
    """Sync the given reports of one account with one client; a failure affects only its
    report, except the rate limit, which postpones the rest of the account's batch."""
    counts = SyncCounts()
    if not reports:
        return counts
    by_day: dict[dt.date, list[CampaignReport]] = defaultdict(list)
    for report in reports:
        c = report.campaign
        if _started(c) and c.local_state == c.LocalState.ACTIVE and c.sn:
            by_day[platform_day(c.send_time or c.time_start)].append(report)
    try:
        with client_for_account(account) as client:
            day_rows: dict[str, object] = {}
            for day, members in by_day.items():
                if day is None or len(members) < 2:
                    continue
                try:
                    counts.calls += 1
                    for stat in client.stats.task_stats(day=day):
                        day_rows[stat.task_ident] = stat
                except RateLimited:
                    raise
                except UmailError as exc:  # each report asks for itself below
                    logger.info("§2.4 for %s failed: %s", day, exc)
            # One transaction for the chunk (one commit, not one per report), a savepoint
            # per report so that a failure undoes only that report's changes.
            with transaction.atomic():
                for i, report in enumerate(reports):
                    try:
                        with transaction.atomic():
                            _sync_one(client, report, day_rows, counts)
                    except RateLimited as exc:
                        for rest in reports[i:]:
                            _failed(rest, exc, counts)
                        break
                    except UmailError as exc:
                        _failed(report, exc, counts)
    except RateLimited as exc:
        for report in reports:
            _failed(report, exc, counts)
    return counts


def report_sync(*, report: CampaignReport) -> SyncCounts:
    """One report now (the "Refresh" button); raises nothing: the outcome is on the report."""
    report = CampaignReport.objects.select_related("campaign", "account").get(pk=report.pk)
    return reports_sync(account=report.account, reports=[report])


def _claim(limit: int, now: dt.datetime) -> list[CampaignReport]:
    with transaction.atomic():
        qs = CampaignReport.objects.filter(due_q(now)).order_by("next_sync_at", "id")
        if connection.features.has_select_for_update_skip_locked:
            qs = qs.select_for_update(skip_locked=True, of=("self",))
        ids = list(qs.values_list("pk", flat=True)[:limit])
        CampaignReport.objects.filter(pk__in=ids).update(next_sync_at=now + LEASE)
    return list(
        CampaignReport.objects.filter(pk__in=ids)
        .select_related("campaign", "account")
        .order_by("id")
    )


def _run_chunk(account, reports: list[CampaignReport]) -> SyncCounts:
    try:
        return reports_sync(account=account, reports=reports)
    finally:
        if threading.current_thread() is not threading.main_thread():
            close_old_connections()
            connection.close()


def reports_sync_due(
    *, limit: int | None = None, concurrency: int | None = None, now=None
) -> SyncCounts:
    """One bounded batch of due reports, `concurrency` chunks at a time."""
    limit = limit or SYNC_BATCH
    concurrency = max(1, concurrency or SYNC_CONCURRENCY)
    if connection.vendor == "sqlite":
        concurrency = 1  # one writer at a time: threads would only wait for SQLite's lock
    now = now or timezone.now()
    reports_discover()
    reports = _claim(limit, now)
    counts = SyncCounts()
    by_account: dict[int, list[CampaignReport]] = defaultdict(list)
    for report in reports:
        by_account[report.account_id].append(report)
    chunks = [
        (members[0].account, members[i : i + CHUNK])
        for members in by_account.values()
        for i in range(0, len(members), CHUNK)
    ]
    if concurrency == 1 or len(chunks) <= 1:
        for account, chunk in chunks:
            counts.add(reports_sync(account=account, reports=chunk))
    else:
        with ThreadPoolExecutor(max_workers=concurrency) as pool:
            for result in pool.map(lambda args: _run_chunk(*args), chunks):
                counts.add(result)
    counts.more = len(reports) >= limit and CampaignReport.objects.filter(due_q(now)).exists()
    return counts
