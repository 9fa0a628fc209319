"""Analytics: syncing §2.2–§2.5 and §3 into the local mirror, the open and click detail, and
list hygiene after a campaign.

Following campaigns. Each platform campaign gets a CampaignReport. A report is *due* when its
`next_sync_at` has passed or the campaign mirror (kept by the campaigns app) shows another
status or other counts than at the last sync. What is then fetched is only what can have
changed: nothing before the campaign started; §2.4 (one call for a whole day when several of
its campaigns are due) and, for tracked campaigns, §3.1, plus §3.5 when the clicks moved. The
next look is sooner while the campaign sends and for the first hours after it ended (opens
and clicks keep arriving), then rarer; `ANALYTICS_FOLLOW_DAYS` after the end a report is
`final` and never fetched again. A failed fetch keeps the last good numbers, records the error
and backs off exponentially.

Batches are bounded (`reports_sync_due(limit=...)`), claimed by pushing `next_sync_at` ahead
(so two workers never fetch the same report), run with bounded concurrency (a thread pool, one
platform client per account chunk), and the Celery task re-enqueues itself while more are due.
Everything is idempotent: a sync overwrites numbers, adds a time-series point only when they
changed, and upserts days, links and hygiene items.
"""

from __future__ import annotations

import datetime as dt
import logging
import random
import threading
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import close_old_connections, connection, transaction
from django.db.models import F, Q
from django.utils import timezone

from apps.accounts.clients import client_for_account
from apps.campaigns.models import tracking_numbers
from apps.umail.errors import MalformedReply, PlatformRejected, RateLimited, UmailError
from apps.umail.stats import ALL_FAILURES, HARD_FAILURES
from apps.umail.tasks import parse_platform_time

from . import cadence
from .models import (
    CampaignReport,
    DailyDeduction,
    DailyStats,
    DetailFetch,
    HygieneItem,
    HygieneRun,
    HygieneSettings,
    LinkStat,
    QuotaPoint,
    TrackingPoint,
)

logger = logging.getLogger(__name__)

BEIJING = ZoneInfo("Asia/Shanghai")
FOLLOW_DAYS = getattr(settings, "ANALYTICS_FOLLOW_DAYS", 14)
SYNC_CONCURRENCY = getattr(settings, "ANALYTICS_SYNC_CONCURRENCY", 4)
SYNC_BATCH = getattr(settings, "ANALYTICS_SYNC_BATCH", 500)
CHUNK = 50  # reports one worker thread handles with one client
LEASE = dt.timedelta(minutes=5)  # a claimed report is not due again before this
MAX_BACKOFF = dt.timedelta(hours=6)
DAY_FINAL_AFTER = 3  # days after which a day's numbers cannot change any more
BACKFILL_DAYS = 400
HYGIENE_REMOVE_BATCH = 50
HYGIENE_AFTER_END = dt.timedelta(days=2)  # campaigns that ended longer ago: only on request

STARTED_CODES = (2, -2, 3)  # sending, paused, finished
SENDING, PAUSED, FINISHED, CANCELLED = 2, -2, 3, -3


QUEUE_DOWN = "The job queue could not be reached; nothing was started. Please try again."


def enqueue(send, *, what: str, on_failure=None) -> None:
    """`send()` (a task's delay) once the transaction commits; a broker that is down is logged
    and handed to `on_failure` (which leaves the work startable again), never a 500."""

    def run() -> None:
        try:
            send()
        except Exception as exc:  # kombu's OperationalError, a refused connection, a closed pool
            logger.error("could not queue %s: %s", what, exc)
            if on_failure is not None:
                on_failure(exc)

    transaction.on_commit(run)


def platform_day(value: dt.datetime | None) -> dt.date | None:
    """The platform's (Beijing) date of a moment."""
    return value.astimezone(BEIJING).date() if value else None


def platform_today() -> dt.date:
    return timezone.now().astimezone(BEIJING).date()


@dataclass
class SyncCounts:
    """What a sync did: for logs, the Celery result and the benchmarks."""

    reports: int = 0
    skipped: int = 0
    failed: int = 0
    calls: int = 0
    points: int = 0
    more: bool = False
    errors: list[str] = field(default_factory=list)
    exception: Exception | None = None  # the last failure, for callers that re-raise

    def add(self, other: SyncCounts) -> None:
        self.reports += other.reports
        self.skipped += other.skipped
        self.failed += other.failed
        self.calls += other.calls
        self.points += other.points
        self.errors += other.errors[:5]
        self.exception = other.exception or self.exception


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
    return campaign.time_start is not None or campaign.status in STARTED_CODES


def campaign_ended(campaign) -> bool:
    return campaign.status == FINISHED or (campaign.status == CANCELLED and _started(campaign))


def schedule(campaign, now: dt.datetime, *, last_moved=None) -> dt.datetime | None:
    """When to look at a synced campaign again (None: nothing can change any more); the
    adaptive cadence lives in `cadence.next_look`."""
    return cadence.next_look(campaign, now, last_moved=last_moved)


def backoff(failures: int, now: dt.datetime) -> dt.datetime:
    """Exponential backoff with jitter: 1, 2, 4 … minutes, at most MAX_BACKOFF."""
    delay = min(MAX_BACKOFF.total_seconds(), 60 * 2 ** max(0, failures - 1))
    return now + dt.timedelta(seconds=delay * (0.75 + random.random() / 2))  # noqa: S311


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
            if campaign.track_status == 2 and (clicks_moved or report.links_synced_at is None):
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


# -- open and click detail (§3.2 / §3.3) ----------------------------------------------------------


def detail_request(*, report: CampaignReport, kind: str, user=None) -> DetailFetch:
    """A new download of the detail, unless one is already waiting or running (idempotent)."""
    busy = DetailFetch.objects.filter(
        report=report, kind=kind, state__in=[DetailFetch.State.PENDING, DetailFetch.State.RUNNING]
    ).first()
    if busy is not None:
        return busy
    fetch = DetailFetch.objects.create(
        account=report.account, report=report, kind=kind, requested_by=user
    )
    from .tasks import detail_fetch_task

    enqueue(
        lambda: detail_fetch_task.delay(fetch.pk),
        what=f"the {kind} download of report {report.pk}",
        on_failure=lambda exc: DetailFetch.objects.filter(pk=fetch.pk).update(
            state=DetailFetch.State.FAILED, error=QUEUE_DOWN, finished_at=timezone.now()
        ),
    )
    return fetch


def detail_fetch(*, fetch_id: int) -> DetailFetch | None:
    """Download and store one detail fetch; its rows become visible only if the whole reply
    was read (they are written in one transaction), and older fetches are then dropped."""
    from . import detail_store

    with transaction.atomic():
        fetch = (
            DetailFetch.objects.select_for_update()
            .filter(pk=fetch_id, state=DetailFetch.State.PENDING)
            .first()
        )
        if fetch is None:
            return None  # done, failed, or being run by another worker
        fetch.state = DetailFetch.State.RUNNING
        fetch.started_at = timezone.now()
        fetch.save(update_fields=["state", "started_at"])
    report = CampaignReport.objects.select_related("campaign", "account").get(pk=fetch.report_id)
    campaign = report.campaign
    try:
        with client_for_account(report.account) as client:
            store = (
                detail_store.store_openers
                if fetch.kind == DetailFetch.Kind.OPENS
                else detail_store.store_clicks
            )
            rows = store(fetch, client, send_id=campaign.platform_id)
    except (UmailError, ValueError) as exc:
        DetailFetch.objects.filter(pk=fetch.pk).update(
            state=DetailFetch.State.FAILED, error=str(exc)[:2000], finished_at=timezone.now()
        )
        logger.warning("§3 detail %s of campaign %s failed: %s", fetch.kind, campaign.pk, exc)
        fetch.refresh_from_db()
        return fetch
    DetailFetch.objects.filter(pk=fetch.pk).update(
        state=DetailFetch.State.DONE,
        rows=rows,
        summary=detail_store.summarise(fetch),
        finished_at=timezone.now(),
    )
    detail_store.drop_older(fetch)
    fetch.refresh_from_db()
    return fetch


# -- list hygiene ---------------------------------------------------------------------------------


def hygiene_settings(*, account) -> HygieneSettings:
    found, _ = HygieneSettings.objects.get_or_create(account=account)
    return found


def hygiene_update_settings(*, account, user, enabled: bool, remove_from_lists: bool):
    from apps.core.audit import record

    found = hygiene_settings(account=account)
    found.enabled = enabled
    found.remove_from_lists = remove_from_lists
    found.save()
    record(
        account=account,
        user=user,
        action="analytics.hygiene.settings",
        target="list hygiene",
        detail={"enabled": enabled, "remove_from_lists": remove_from_lists},
    )
    return found


def hygiene_start(*, report: CampaignReport, force: bool = False) -> HygieneRun | None:
    """The hygiene run of an ended campaign (one per campaign; `force` runs it again)."""
    conf = hygiene_settings(account=report.account)
    if not conf.enabled and not force:
        return None
    campaign = report.campaign
    run, created = HygieneRun.objects.get_or_create(
        report=report,
        defaults={
            "account": report.account,
            "list_id": campaign.list_id,
            "list_name": campaign.list_name,
            "remove_enabled": conf.remove_from_lists,
        },
    )
    if not created and not force:
        return run
    if not created:
        if run.busy and run.state != HygieneRun.State.PENDING:
            return run
        HygieneRun.objects.filter(pk=run.pk).update(
            state=HygieneRun.State.PENDING,
            remove_enabled=conf.remove_from_lists,
            error="",
            finished_at=None,
        )
    from .tasks import hygiene_collect_task

    enqueue(
        lambda: hygiene_collect_task.delay(run.pk),
        what=f"list hygiene {run.pk}",
        on_failure=lambda exc: _hygiene_not_queued(run.pk),
    )
    return run


def _hygiene_not_queued(run_id: int) -> None:
    """Failed (so that "Run list hygiene again" starts it afresh: every step is idempotent)."""
    HygieneRun.objects.filter(pk=run_id).update(
        state=HygieneRun.State.FAILED, error=QUEUE_DOWN, finished_at=timezone.now()
    )


def _unsubscribed_since(client, list_id: int, since: dt.datetime | None) -> list[str]:
    found = []
    for when, email in client.contacts.export_unsubscribes(list_id):
        moment = parse_platform_time(when) if when else None
        if email and "@" in email and (since is None or moment is None or moment >= since):
            found.append(email.strip())
    return found


def _recount(run: HygieneRun) -> None:
    items = HygieneItem.objects.filter(run=run)
    A, R = HygieneItem.Action, HygieneItem.Reason
    HygieneRun.objects.filter(pk=run.pk).update(
        hard_failures=items.filter(reason=R.HARD_FAILURE).count(),
        unsubscribes=items.filter(reason=R.UNSUBSCRIBE).count(),
        removed=items.filter(action=A.REMOVED).count(),
        not_in_list=items.filter(reason=R.HARD_FAILURE, action=A.NOT_IN_LIST).count(),
        remove_failed=items.filter(action=A.REMOVE_FAILED).count(),
    )


def hygiene_collect(*, run_id: int) -> HygieneRun | None:
    """Collect the campaign's hard failures (§2.3.2) and the list's unsubscribes since it
    started (§4.7), put them on the suppression list, and queue the removals if switched on."""
    from apps.contacts.models import Suppression
    from apps.contacts.services import suppression_add_many

    updated = HygieneRun.objects.filter(
        pk=run_id, state__in=[HygieneRun.State.PENDING, HygieneRun.State.FAILED]
    ).update(
        state=HygieneRun.State.COLLECTING, started_at=timezone.now(), attempts=F("attempts") + 1
    )
    if not updated:
        return None
    run = HygieneRun.objects.select_related("report__campaign", "account").get(pk=run_id)
    report, campaign = run.report, run.report.campaign
    try:
        if not report.stat_task_id:
            raise MalformedReply("The campaign's statistics task id is not known yet.")
        with client_for_account(run.account) as client:
            hard: dict[str, int] = {}
            failures = client.stats.iter_failures(
                task_id=report.stat_task_id, fail_type=ALL_FAILURES
            )
            for item in failures:
                if item.type in HARD_FAILURES:
                    hard.setdefault(item.email.lower(), item.type)
            unsubscribed = (
                _unsubscribed_since(client, run.list_id, campaign.time_start) if run.list_id else []
            )
    except UmailError as exc:
        HygieneRun.objects.filter(pk=run.pk).update(
            state=HygieneRun.State.FAILED, error=str(exc)[:2000], finished_at=timezone.now()
        )
        logger.warning("hygiene of campaign %s failed: %s", campaign.pk, exc)
        return HygieneRun.objects.get(pk=run.pk)
    A, R = HygieneItem.Action, HygieneItem.Reason
    new = suppression_add_many(
        account=run.account,
        emails=list(hard),
        reason=Suppression.Reason.HARD_BOUNCE,
        source="analytics",
        list_id=run.list_id,
    )
    new += suppression_add_many(
        account=run.account,
        emails=unsubscribed,
        reason=Suppression.Reason.UNSUBSCRIBE,
        source="analytics",
        list_id=run.list_id,
    )
    remove = run.remove_enabled and run.list_id is not None
    items = [
        HygieneItem(
            run=run,
            email=email,
            reason=R.HARD_FAILURE,
            fail_type=code,
            action=A.TO_REMOVE if remove else A.SUPPRESSED,
        )
        for email, code in hard.items()
    ]
    # The platform took unsubscribes out of the list itself (§4.14).
    items += [
        HygieneItem(run=run, email=e.lower(), reason=R.UNSUBSCRIBE, action=A.NOT_IN_LIST)
        for e in dict.fromkeys(unsubscribed)
    ]
    HygieneItem.objects.bulk_create(items, ignore_conflicts=True, batch_size=2000)
    pending = HygieneItem.objects.filter(run=run, action=A.TO_REMOVE).exists()
    HygieneRun.objects.filter(pk=run.pk).update(
        suppressed_new=F("suppressed_new") + new,
        state=HygieneRun.State.REMOVING if pending else HygieneRun.State.DONE,
        finished_at=None if pending else timezone.now(),
    )
    _recount(run)
    if pending:
        from .tasks import hygiene_remove_task

        enqueue(
            lambda: hygiene_remove_task.delay(run.pk),
            what=f"the removals of list hygiene {run.pk}",
            on_failure=lambda exc: _hygiene_not_queued(run.pk),
        )
    return HygieneRun.objects.get(pk=run.pk)


def hygiene_remove(*, run_id: int, batch: int = HYGIENE_REMOVE_BATCH) -> tuple[HygieneRun, bool]:
    """Remove one bounded batch of a run's hard failures from the list (§4.8 finds the
    address, §4.11 deletes it); returns (run, more to do). A platform that cannot be reached
    stops the batch: what is left is tried again later."""
    from apps.contacts.services import address_delete

    run = HygieneRun.objects.select_related("account").get(pk=run_id)
    if run.state != HygieneRun.State.REMOVING:
        return run, False
    A = HygieneItem.Action
    items = list(HygieneItem.objects.filter(run=run, action=A.TO_REMOVE).order_by("id")[:batch])
    stop: UmailError | None = None
    with client_for_account(run.account) as client:
        for item in items:
            try:
                found = client.contacts.addr_list(list_id=run.list_id, keyword=item.email, limit=50)
                matches = [a for a in found.addresses if a.address.strip().lower() == item.email]
                for address in matches:
                    address_delete(account=run.account, user=None, address=address)
                item.action = A.REMOVED if matches else A.NOT_IN_LIST
                item.detail = ""
            except PlatformRejected as exc:
                item.action = A.REMOVE_FAILED
                item.detail = str(exc)[:500]
            except UmailError as exc:
                stop = exc
                break
            item.save(update_fields=["action", "detail"])
    _recount(run)
    more = HygieneItem.objects.filter(run=run, action=A.TO_REMOVE).exists()
    if not more:
        HygieneRun.objects.filter(pk=run.pk).update(
            state=HygieneRun.State.DONE, finished_at=timezone.now(), error=""
        )
    else:  # the reason a batch stopped, until one goes through
        HygieneRun.objects.filter(pk=run.pk).update(error=str(stop)[:2000] if stop else "")
    run.refresh_from_db()
    return run, more


def suppressed_in_list(*, account, list_id: int) -> int:
    """Hard failures of earlier campaigns to this list that hygiene left in it (removal off or
    failed), as far as the portal knows: for the campaign review step's warning."""
    return (
        HygieneItem.objects.filter(
            run__account=account,
            run__list_id=list_id,
            reason=HygieneItem.Reason.HARD_FAILURE,
            action__in=[HygieneItem.Action.SUPPRESSED, HygieneItem.Action.REMOVE_FAILED],
        )
        .values("email")
        .distinct()
        .count()
    )


# -- exports --------------------------------------------------------------------------------------


def _primed(client, rows):
    """(client, rows) with the first row already read, so that a platform failure raises here
    (before a download starts) and not half-way through the file."""
    import itertools

    try:
        first = next(rows, None)
    except BaseException:
        client.close()
        raise
    return client, (rows if first is None else itertools.chain([first], rows))


def failures_export(*, account, fail_type: int, source: str, report=None, day=None):
    """(client, FailedAddress iterator) for a campaign (§2.3.2 by statistics task id) or a day
    (§2.3.2 for all types, §2.3.1 for one); the caller closes the client when done."""
    if report is not None and not report.stat_task_id:
        raise MalformedReply("The campaign's statistics task id is not known yet: refresh first.")
    client = client_for_account(account)
    if report is not None:
        rows = client.stats.iter_failures(
            task_id=report.stat_task_id, fail_type=fail_type, out_type=source
        )
    elif fail_type in (1, 2, 3):
        # §2.3.2 needs a task id for these types (L456-458): ask task by task (§2.4).
        rows = client.stats.iter_day_failures_per_task(
            day=day, fail_type=fail_type, out_type=source
        )
    else:
        rows = client.stats.iter_failures(
            day=day, fail_type=fail_type, out_type=source, with_types=fail_type == ALL_FAILURES
        )
    return _primed(client, rows)


def tracked_export(*, report, clickers_only: bool, link_id: int | None):
    """(client, §3.4 TrackedExport) for a tracked campaign."""
    if not report.track_id:
        raise MalformedReply("The campaign's tracking id is not known yet: refresh first.")
    client = client_for_account(report.account)
    try:
        export = client.tracking.track_export(
            track_id=report.track_id, clickers_only=clickers_only, link_id=link_id
        )
    except BaseException:
        client.close()
        raise
    return client, export


def analytics_resync(*, account) -> None:
    """Operations' resync: fetch every report and every planned day of the account again.
    Idempotent (overwrites; time-series points only when numbers changed)."""
    reports_discover(account=account)
    now = timezone.now()
    CampaignReport.objects.filter(account=account).update(final=False, next_sync_at=now)
    DailyStats.objects.filter(account=account).update(final=False, next_sync_at=now)
    ids = list(CampaignReport.objects.filter(account=account).values_list("pk", flat=True))
    for start in range(0, len(ids), CHUNK):
        chunk = list(
            CampaignReport.objects.filter(pk__in=ids[start : start + CHUNK]).select_related(
                "campaign", "account"
            )
        )
        counts = reports_sync(account=account, reports=chunk)
        if counts.exception is not None and not counts.reports:
            raise counts.exception  # nothing got through: let the resync job retry
    while days_sync(account=account, limit=100).more:
        pass
