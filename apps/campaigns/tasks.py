"""Celery entry points for campaigns: thin wrappers that take ids and call services.

All are idempotent: a reconciliation only acts on an UNCONFIRMED campaign, a sync overwrites
the mirror, an A/B decision and a resend claim their row first.
"""

from __future__ import annotations

import logging

from celery import shared_task
from django.db.models import Q

from apps.accounts.models import PlatformAccount
from apps.umail.errors import UmailError

from . import ratelimit, selectors, services
from .models import Campaign, CampaignSync

logger = logging.getLogger(__name__)


@shared_task(acks_late=True)
def campaign_reconcile_task(campaign_id: int) -> None:
    services.campaign_reconcile(campaign_id=campaign_id)


@shared_task(acks_late=True)
def campaign_sync_task(campaign_id: int, tracking: bool = False) -> None:
    campaign = Campaign.objects.filter(pk=campaign_id).first()
    if campaign is None:
        return
    try:
        services.campaign_sync_one(campaign=campaign, tracking=tracking)
    except UmailError as exc:
        logger.info("sync of campaign %s failed: %s", campaign_id, exc)


@shared_task(bind=True, max_retries=2, acks_late=True)
def campaigns_sync_account_task(self, account_id: int, full: bool = False) -> None:
    account = PlatformAccount.objects.filter(pk=account_id).first()
    if account is None:
        return
    try:
        services.campaigns_sync_account(account=account, full=full)
    except UmailError as exc:
        if exc.retryable and self.request.retries < self.max_retries:
            raise self.retry(exc=exc, countdown=15 * 2**self.request.retries) from exc
        logger.warning("campaign sync failed for account %s: %s", account_id, exc)


@shared_task
def campaigns_sync_active_task() -> int:
    """Beat, every minute: accounts with campaigns still changing (and lost replies)."""
    services.reconcile_overdue()
    ids = list(
        selectors.active_campaigns().values_list("account_id", flat=True).distinct().order_by()
    )
    for account_id in ids:
        campaigns_sync_account_task.delay(account_id, False)
    return len(ids)


@shared_task
def campaigns_sync_all_task() -> int:
    """Beat, less often: every account's whole task list (finished and console-made ones)."""
    # Two IN subqueries rather than a UNION: SQLite refuses a compound statement of ordered
    # querysets (the models' default ordering), and this needs no ordering at all.
    ids = list(
        PlatformAccount.objects.filter(
            Q(pk__in=CampaignSync.objects.order_by().values("account_id"))
            | Q(pk__in=Campaign.objects.order_by().values("account_id"))
        )
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    for account_id in ids:
        campaigns_sync_account_task.delay(account_id, True)
    ratelimit.prune()
    return len(ids)


@shared_task
def campaigns_ab_due_task() -> int:
    """Beat, every minute: A/B tests whose wait is over."""
    return services.abtests_due()


@shared_task(acks_late=True)
def campaign_resend_task(job_id: int) -> None:
    services.resend_run(job_id=job_id)
