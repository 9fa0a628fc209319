"""Celery entry points for campaigns: thin wrappers that take ids and call services.

All are idempotent: a reconciliation only acts on an UNCONFIRMED campaign, a sync overwrites
the mirror.
"""

from __future__ import annotations

import logging

from celery import shared_task
from django.db.models import Q

from apps.accounts.fanout import fan_out, run_for_account
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
        services.campaign_sync_one(campaign=campaign)
    except UmailError as exc:
        logger.info("sync of campaign %s failed: %s", campaign_id, exc)


@shared_task(bind=True, max_retries=2, acks_late=True)
def campaigns_sync_account_task(self, account_id: int, full: bool = False) -> None:
    run_for_account(
        self,
        account_id,
        lambda account: services.campaigns_sync_account(account=account, full=full),
        what="campaign sync",
        base=15.0,
    )


@shared_task
def campaigns_sync_active_task() -> int:
    """Beat, every minute: accounts with campaigns still changing (and lost replies)."""
    services.reconcile_overdue()
    ids = list(
        selectors.active_campaigns().values_list("account_id", flat=True).distinct().order_by()
    )
    return fan_out(campaigns_sync_account_task, ids, False)


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
    count = fan_out(campaigns_sync_account_task, ids, True)
    ratelimit.prune()
    return count
