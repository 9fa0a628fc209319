"""Celery entry points for operations: thin wrappers taking ids; every one is idempotent."""

from __future__ import annotations

import logging

from celery import shared_task
from django.utils import timezone

from apps.core.messages import platform_error_message
from apps.umail.errors import UmailError

from . import services
from .models import Heartbeat

logger = logging.getLogger(__name__)

# Waiting for another execution's lease is not a failure: it does not use up the retries.
BUSY_RETRIES = 100


@shared_task(bind=True, acks_late=True, max_retries=8)
def resync_job_task(self, job_id: int) -> str:
    """Resync one account. Redelivery after a crash resumes the job; it finishes exactly once."""
    try:
        outcome = services.resync_job_run(job_id=job_id, worker=self.request.hostname or "")
    except services.StepFailed as failure:
        exc = failure.original
        if isinstance(exc, UmailError):
            message = f"{failure.step}: {platform_error_message(exc)}"
            if exc.retryable and self.request.retries < self.max_retries:
                services.resync_job_release(job_id=job_id, attempt=failure.attempt, error=message)
                countdown = min(600, 15 * 2**self.request.retries)
                raise self.retry(exc=exc, countdown=countdown) from exc
            services.resync_job_fail(job_id=job_id, attempt=failure.attempt, error=message)
            logger.warning("resync job %s failed: %s", job_id, message)
            return "failed"
        # A bug, not the platform: fail the job and let the failure be recorded (task_failure).
        services.resync_job_fail(
            job_id=job_id, attempt=failure.attempt, error=f"{failure.step}: internal error"
        )
        raise exc from None
    except Exception:
        # Time limit or database trouble outside a step: do not leave the job "running".
        services.resync_job_fail(job_id=job_id, attempt=None, error="internal error")
        raise
    if outcome.state == "busy":
        # A duplicate delivery while another execution holds the lease: look again when the
        # lease runs out (the holder may have crashed), never run side by side.
        raise self.retry(
            countdown=outcome.retry_in + 1, max_retries=self.request.retries + BUSY_RETRIES
        )
    return outcome.state


@shared_task(bind=True, ignore_result=True)
def ops_heartbeat_task(self) -> None:
    """Beat → broker → worker → database; /healthz calls the scheduler stale when this stops."""
    Heartbeat.objects.update_or_create(
        name="beat", defaults={"seen_at": timezone.now(), "worker": self.request.hostname or ""}
    )


@shared_task
def ops_prune_snapshots_task() -> int:
    """Daily: delete snapshots and finished job records past their retention."""
    results = services.snapshots_prune()
    return sum(r.count for r in results)
