"""The shape every per-account Celery task shares: load the account by id (gone: nothing to do),
run the work, retry a platform failure that may pass later with exponential backoff, log the
rest; and the beat side, one task per account so that one slow account holds up no other."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable

from apps.umail.errors import UmailError

from .models import PlatformAccount

logger = logging.getLogger(__name__)


def retry_countdown(retries: int, *, base: float = 30.0) -> float:
    """Seconds before retry number `retries + 1`: base, 2 × base, 4 × base …"""
    return base * 2**retries


def run_for_account(
    task, account_id: int, work: Callable[[PlatformAccount], object], *, what: str, base=30.0
):
    """The body of a bound per-account task (`@shared_task(bind=True, max_retries=...)`)."""
    account = PlatformAccount.objects.filter(pk=account_id).first()
    if account is None:
        return None
    try:
        return work(account)
    except UmailError as exc:
        # The failure is recorded by the service where the page shows it; retry only what may
        # pass later.
        if exc.retryable and task.request.retries < task.max_retries:
            countdown = retry_countdown(task.request.retries, base=base)
            raise task.retry(exc=exc, countdown=countdown) from exc
        logger.warning("%s failed for account %s: %s", what, account_id, exc)
        return None


def fan_out(task, account_ids: Iterable[int] | None = None, *args) -> int:
    """Queue `task.delay(account_id, *args)` for each account (every account by default)."""
    if account_ids is None:
        account_ids = PlatformAccount.objects.values_list("pk", flat=True)
    ids = list(account_ids)
    for account_id in ids:
        task.delay(account_id, *args)
    return len(ids)
