"""Celery entry points for contacts: thin wrappers that take ids and call services.

Every task is idempotent: the import steps check the job's state (and the poll chain its token)
before doing anything, so a redelivered or duplicated message is harmless.
"""

from __future__ import annotations

import logging

from celery import shared_task
from celery.signals import worker_ready

from apps.accounts.fanout import fan_out, run_for_account

from . import services

logger = logging.getLogger(__name__)


@shared_task(acks_late=True)
def contacts_import_validate_task(job_id: int) -> None:
    services.import_validate(job_id=job_id)


@shared_task(acks_late=True)
def contacts_import_upload_task(job_id: int) -> None:
    services.import_upload(job_id=job_id)


@shared_task(acks_late=True)
def contacts_import_poll_task(job_id: int, token: int) -> None:
    services.import_poll(job_id=job_id, token=token)


@shared_task
def contacts_import_resume_task(force: bool = False) -> int:
    """Beat (every minute) and worker start: restart polls that went missing."""
    return services.import_resume(force=force)


@shared_task
def contacts_import_housekeeping_task() -> int:
    return services.import_discard_files()


@shared_task(bind=True, max_retries=3, acks_late=True)
def contacts_sync_lists_task(self, account_id: int) -> None:
    run_for_account(
        self, account_id, lambda account: services.list_sync(account=account), what="list sync"
    )


@shared_task
def contacts_sync_all_lists_task() -> int:
    """Beat: one list sync per account, so one slow account does not hold up the rest."""
    return fan_out(contacts_sync_lists_task)


@worker_ready.connect
def _resume_imports_on_start(sender=None, **kwargs) -> None:
    # A worker that died held the countdown of the next poll in memory; a fresh worker picks
    # every parsing import up again at once instead of waiting for the beat job.
    try:
        contacts_import_resume_task.delay(force=True)
    except Exception:  # the broker may be down at start; the beat job covers it later
        logger.exception("could not enqueue the import resume task")
