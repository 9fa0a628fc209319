"""Celery entry points for analytics: thin wrappers that take ids and call services.

All are idempotent: syncs overwrite and claim their rows first, a detail fetch runs only from
PENDING, a hygiene run only from its own state, and suppression / items are upserts. The two
batch jobs re-enqueue themselves while more is due (bounded batches, saleor style).
"""

from __future__ import annotations

import logging

from celery import shared_task

from apps.accounts.models import PlatformAccount

from . import live, services
from .models import CampaignReport, DailyStats

logger = logging.getLogger(__name__)


@shared_task
def analytics_sync_due_task() -> dict:
    """Beat, every 20 s: one bounded batch of campaign reports due (§2.4, §3.1, §3.5)."""
    counts = services.reports_sync_due()
    if counts.more:
        analytics_sync_due_task.apply_async(countdown=1, expires=120)
    # Detail someone downloaded follows its report while the numbers move.
    details = live.details_refresh_moving()
    return {
        "reports": counts.reports,
        "failed": counts.failed,
        "calls": counts.calls,
        "details": details,
    }


@shared_task(acks_late=True)
def analytics_report_sync_task(report_id: int) -> None:
    report = CampaignReport.objects.filter(pk=report_id).first()
    if report is not None:
        services.report_sync(report=report)


@shared_task(acks_late=True)
def analytics_days_sync_task(account_id: int) -> None:
    account = PlatformAccount.objects.filter(pk=account_id).first()
    if account is None:
        return
    counts = services.days_sync(account=account)
    if counts.more and not counts.failed:
        analytics_days_sync_task.apply_async((account_id,), countdown=1, expires=600)


@shared_task
def analytics_days_sync_all_task() -> int:
    """Beat, every 10 minutes: §2.2/§2.5 of the days still changing, per account."""
    ids = set(CampaignReport.objects.values_list("account_id", flat=True).distinct().order_by())
    ids |= set(DailyStats.objects.values_list("account_id", flat=True).distinct().order_by())
    for account_id in PlatformAccount.objects.filter(pk__in=ids).values_list("pk", flat=True):
        analytics_days_sync_task.delay(account_id)
    return len(ids)


@shared_task(acks_late=True)
def detail_fetch_task(fetch_id: int) -> None:
    services.detail_fetch(fetch_id=fetch_id)


@shared_task(acks_late=True)
def hygiene_collect_task(run_id: int) -> None:
    services.hygiene_collect(run_id=run_id)


@shared_task(acks_late=True)
def hygiene_remove_task(run_id: int) -> None:
    run, more = services.hygiene_remove(run_id=run_id)
    if more:
        # A stopped batch (platform unreachable) waits longer before the next one.
        hygiene_remove_task.apply_async((run_id,), countdown=60 if run.error else 0)
