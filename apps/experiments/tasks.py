"""Celery entry points for A/B tests and resends: thin wrappers that take ids and call services.
Both are idempotent: an A/B decision and a resend claim their row first."""

from __future__ import annotations

from celery import shared_task

from . import services


@shared_task
def experiments_ab_due_task() -> int:
    """Beat, every minute: A/B tests whose wait is over."""
    return services.abtests_due()


@shared_task(acks_late=True)
def experiments_resend_task(job_id: int) -> None:
    services.resend_run(job_id=job_id)
