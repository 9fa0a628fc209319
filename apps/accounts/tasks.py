"""Celery entry points for accounts: thin wrappers that take ids and call services."""

from __future__ import annotations

import logging

from celery import shared_task

from apps.umail.errors import UmailError

from . import services
from .models import PlatformAccount

logger = logging.getLogger(__name__)


@shared_task(bind=True, max_retries=3, acks_late=True)
def account_refresh_service_task(self, account_id: int) -> None:
    """Refresh §1.2 for one account. Idempotent: it overwrites the mirror with the answer."""
    account = PlatformAccount.objects.filter(pk=account_id).first()
    if account is None:
        return
    try:
        services.account_refresh_service(account=account)
    except UmailError as exc:
        # The failure is recorded on the mirror; retry only what may pass later.
        if exc.retryable and self.request.retries < self.max_retries:
            raise self.retry(exc=exc, countdown=30 * 2**self.request.retries) from exc
        logger.warning("service-info refresh failed for account %s: %s", account_id, exc)


@shared_task
def accounts_refresh_all_task() -> int:
    """Beat: fan out one refresh per account, so one slow account does not hold up the rest."""
    ids = list(PlatformAccount.objects.values_list("pk", flat=True))
    for account_id in ids:
        account_refresh_service_task.delay(account_id)
    return len(ids)
