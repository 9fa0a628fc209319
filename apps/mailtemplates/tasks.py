"""Celery entry points for templates: thin wrappers that take ids and call services."""

from __future__ import annotations

import logging

from celery import shared_task

from apps.accounts.fanout import fan_out, run_for_account

from . import services

logger = logging.getLogger(__name__)


@shared_task(acks_late=True, ignore_result=True)
def template_check_poll_task(template_id: int, generation: int, attempt: int = 0) -> None:
    """Poll §5.3 once; while the check or the size is not final, enqueue the next poll with
    backoff until the template's deadline (a bounded chain of short tasks, not a sleeping
    worker). Idempotent: a stale or repeated message does nothing (see template_poll_step)."""
    delay = services.template_poll_step(
        template_id=template_id, generation=generation, attempt=attempt
    )
    if delay is not None:
        template_check_poll_task.apply_async(
            (template_id, generation, attempt + 1), countdown=delay
        )


@shared_task(bind=True, max_retries=3, acks_late=True, ignore_result=True)
def template_sync_task(self, account_id: int) -> None:
    """Mirror §5.4 for one account. Idempotent: the mirror ends up as the platform's list."""
    run_for_account(
        self,
        account_id,
        lambda account: services.template_sync(account=account),
        what="template sync",
    )


@shared_task(ignore_result=True)
def templates_sync_all_task() -> int:
    """Beat: one sync per account, so one slow account delays no other."""
    return fan_out(template_sync_task)
