"""Celery entry points for accounts: thin wrappers that take ids and call services."""

from __future__ import annotations

import logging

from celery import shared_task

from . import services
from .fanout import fan_out, run_for_account

logger = logging.getLogger(__name__)


@shared_task(bind=True, max_retries=3, acks_late=True)
def account_refresh_service_task(self, account_id: int) -> None:
    """Refresh §1.2 for one account. Idempotent: it overwrites the mirror with the answer."""
    run_for_account(
        self,
        account_id,
        lambda account: services.account_refresh_service(account=account),
        what="service-info refresh",
    )


@shared_task
def accounts_refresh_all_task() -> int:
    """Beat: fan out one refresh per account, so one slow account does not hold up the rest."""
    return fan_out(account_refresh_service_task)
