"""Writes for operations: resync jobs, key rotation, pruning, staff users, failed-job retries."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field

from cryptography.fernet import InvalidToken
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.db import transaction
from django.utils import timezone

from apps.accounts import crypto
from apps.accounts.models import PlatformAccount
from apps.core import audit, registry

from .models import FailedTask, ResyncJob

logger = logging.getLogger(__name__)

# ------------------------------------------------------------------------------------------------
# Resync one account from scratch
# ------------------------------------------------------------------------------------------------


def _enqueue_resync(job_id: int) -> None:
    from .tasks import resync_job_task

    try:
        resync_job_task.delay(job_id)
    except Exception as exc:  # the broker is down: say so on the job instead of a 500
        logger.error("could not queue resync job %s: %s", job_id, exc)
        ResyncJob.objects.filter(pk=job_id, status=ResyncJob.Status.QUEUED).update(
            status=ResyncJob.Status.FAILED,
            error="The job queue could not be reached; try again later.",
            finished_at=timezone.now(),
        )


def resync_job_start(*, account, user=None, enqueue: bool = True) -> tuple[ResyncJob, bool]:
    """Queue a resync of `account`, or return the one already queued or running (created=False).

    enqueue=False creates the job for the caller to run in-process (`manage.py resync_account`).
    """
    with transaction.atomic():
        # Lock the account row so two clicks cannot both create a job.
        PlatformAccount.objects.select_for_update().filter(pk=account.pk).first()
        active = (
            ResyncJob.objects.filter(account=account, status__in=["queued", "running"])
            .order_by("-created_at")
            .first()
        )
        if active is not None:
            return active, False
        job = ResyncJob.objects.create(
            account=account, requested_by=user if getattr(user, "is_authenticated", False) else None
        )
        audit.record(account=account, user=user, action="ops.resync", target=f"job {job.pk}")
        if enqueue:
            transaction.on_commit(lambda: _enqueue_resync(job.pk))
    return job, True


@dataclass(frozen=True)
class RunOutcome:
    state: str  # done | already_finished | busy | superseded | missing
    retry_in: float = 0.0
    attempt: int = 0


class StepFailed(Exception):
    def __init__(self, step: str, attempt: int, exc: Exception):
        super().__init__(f"{step}: {exc}")
        self.step = step
        self.attempt = attempt
        self.original = exc


def _lease(now):
    return now + timezone.timedelta(seconds=settings.OPS_JOB_LEASE_SECONDS)


def _claim(job_id: int, worker: str) -> tuple[ResyncJob | None, RunOutcome | None]:
    now = timezone.now()
    with transaction.atomic():
        job = ResyncJob.objects.select_for_update().filter(pk=job_id).first()
        if job is None:
            return None, RunOutcome("missing")
        if job.status in (ResyncJob.Status.DONE, ResyncJob.Status.FAILED):
            return None, RunOutcome("already_finished", attempt=job.attempts)
        if (
            job.status == ResyncJob.Status.RUNNING
            and job.lease_expires_at is not None
            and job.lease_expires_at > now
        ):
            # Another execution holds the job (a duplicate delivery): never run side by side.
            remaining = (job.lease_expires_at - now).total_seconds()
            return None, RunOutcome("busy", retry_in=remaining, attempt=job.attempts)
        job.status = ResyncJob.Status.RUNNING
        job.attempts += 1
        job.worker = worker
        job.lease_expires_at = _lease(now)
        job.started_at = job.started_at or now
        job.error = ""
        job.save(
            update_fields=[
                "status",
                "attempts",
                "worker",
                "lease_expires_at",
                "started_at",
                "error",
            ]
        )
        return job, None


def _checkpoint(job_id: int, attempt: int, update) -> bool:
    """Apply `update(job)` under the row lock if this execution still owns the job."""
    with transaction.atomic():
        job = ResyncJob.objects.select_for_update().get(pk=job_id)
        if job.attempts != attempt or job.status != ResyncJob.Status.RUNNING:
            return False
        update(job)
        job.save()
        return True


def resync_job_run(*, job_id: int, worker: str) -> RunOutcome:
    """Run (or resume) a resync job. Safe to call for every delivery of its task.

    Steps already checkpointed are skipped, so a redelivered job resumes where the crashed worker
    stopped; the job is marked finished by exactly one execution.
    """
    job, outcome = _claim(job_id, worker)
    if outcome is not None:
        return outcome
    attempt = job.attempts
    ran_one = False
    for step in registry.resync_steps():
        if step.name in job.steps_done:
            continue

        def start(j, step=step):
            j.current_step = step.name
            j.lease_expires_at = _lease(timezone.now())

        if not _checkpoint(job_id, attempt, start):
            return RunOutcome("superseded", attempt=attempt)
        if ran_one and settings.OPS_RESYNC_PAUSE_SECONDS > 0:
            time.sleep(settings.OPS_RESYNC_PAUSE_SECONDS)
        try:
            step.func(account=job.account)
        except Exception as exc:
            raise StepFailed(step.name, attempt, exc) from exc
        ran_one = True

        def finish_step(j, step=step):
            if step.name not in j.steps_done:
                j.steps_done = [*j.steps_done, step.name]
                j.step_log = [
                    *j.step_log,
                    {
                        "step": step.name,
                        "worker": worker,
                        "attempt": attempt,
                        "at": timezone.now().isoformat(),
                    },
                ]
            j.lease_expires_at = _lease(timezone.now())

        if not _checkpoint(job_id, attempt, finish_step):
            return RunOutcome("superseded", attempt=attempt)

    def finish(j):
        j.status = ResyncJob.Status.DONE
        j.current_step = ""
        j.lease_expires_at = None
        j.finished_at = timezone.now()

    if not _checkpoint(job_id, attempt, finish):
        return RunOutcome("superseded", attempt=attempt)
    logger.info("resync job %s finished", job_id, extra={"job_id": job_id, "attempt": attempt})
    return RunOutcome("done", attempt=attempt)


def resync_job_release(*, job_id: int, attempt: int, error: str) -> None:
    """A step failed and will be retried: give the job back so the retry can claim it."""

    def release(j):
        j.status = ResyncJob.Status.QUEUED
        j.lease_expires_at = None
        j.error = error[:2000]

    _checkpoint(job_id, attempt, release)


def resync_job_fail(*, job_id: int, attempt: int | None, error: str) -> None:
    def fail(j):
        j.status = ResyncJob.Status.FAILED
        j.lease_expires_at = None
        j.finished_at = timezone.now()
        j.error = error[:2000]

    if attempt is None:  # failed before claiming (e.g. time limit): fail whatever is current
        with transaction.atomic():
            job = ResyncJob.objects.select_for_update().filter(pk=job_id).first()
            if job is not None and job.is_active:
                fail(job)
                job.save()
        return
    _checkpoint(job_id, attempt, fail)


# ------------------------------------------------------------------------------------------------
# Credential key rotation
# ------------------------------------------------------------------------------------------------


@dataclass
class RotationReport:
    field: str
    total: int = 0
    rotated: int = 0
    empty: int = 0
    undecryptable: list = field(default_factory=list)  # primary keys


def credentials_rotate(*, dry_run: bool = False, batch_size: int = 200) -> list[RotationReport]:
    """Re-encrypt every registered encrypted field with the first configured key.

    Values no configured key can decrypt are reported (by primary key) and left as they are.
    """
    reports = []
    for entry in registry.encrypted_fields():
        model = entry.model
        report = RotationReport(field=f"{entry.model_label}.{entry.field}")
        pks = list(model.objects.order_by("pk").values_list("pk", flat=True))
        for start in range(0, len(pks), batch_size):
            chunk = pks[start : start + batch_size]
            with transaction.atomic():
                rows = (
                    model.objects.select_for_update()
                    .filter(pk__in=chunk)
                    .values_list("pk", entry.field)
                )
                for pk, value in rows:
                    report.total += 1
                    if not value:
                        report.empty += 1
                        continue
                    try:
                        new_value = crypto.rotate(value)
                    except InvalidToken:
                        report.undecryptable.append(pk)
                        continue
                    report.rotated += 1
                    if not dry_run:
                        # update(): rotation is not a change of content (no auto_now bump).
                        model.objects.filter(pk=pk).update(**{entry.field: new_value})
        reports.append(report)
    return reports


# ------------------------------------------------------------------------------------------------
# Retention
# ------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PruneResult:
    kind: registry.SnapshotKind
    cutoff: object
    count: int


def snapshots_prune(
    *, days: int | None = None, dry_run: bool = False, now=None, batch_size: int = 1000
) -> list[PruneResult]:
    now = now or timezone.now()
    results = []
    for kind in registry.snapshot_kinds():
        keep = days if days is not None else (kind.days or settings.OPS_RETENTION_DAYS)
        cutoff = now - timezone.timedelta(days=keep)
        qs = kind.model.objects.filter(**{f"{kind.date_field}__lt": cutoff}, **(kind.only or {}))
        if dry_run:
            results.append(PruneResult(kind, cutoff, qs.count()))
            continue
        deleted = 0
        while True:  # in batches: one huge DELETE would hold locks for long
            batch = list(qs.values_list("pk", flat=True)[:batch_size])
            if not batch:
                break
            kind.model.objects.filter(pk__in=batch).delete()
            deleted += len(batch)
        results.append(PruneResult(kind, cutoff, deleted))
    return results


# ------------------------------------------------------------------------------------------------
# Staff users and failed jobs
# ------------------------------------------------------------------------------------------------


def staff_user_create(
    *,
    username: str,
    password: str,
    email: str = "",
    superuser: bool = False,
    update: bool = False,
):
    """Create (or with update=True, update) a staff user who signs in to /admin/ with a password.

    Raises ValueError for an existing user without update=True, and ValidationError for a
    password the validators refuse.
    """
    User = get_user_model()
    existing = User.objects.filter(username=username).first()
    if existing is not None and not update:
        raise ValueError(f"A user named {username!r} exists already (use --update to change it).")
    user = existing or User(username=username)
    validate_password(password, user=user)
    user.email = email or user.email
    user.is_staff = True
    user.is_active = True
    if superuser:
        user.is_superuser = True
    user.set_password(password)
    user.save()
    return user, existing is None


def failed_task_retry(*, failed: FailedTask) -> str:
    """Send the failed task again with its arguments; returns the new task id."""
    from edmportal.celery import app

    result = app.send_task(failed.task_name, args=failed.args, kwargs=failed.kwargs)
    failed.retried_at = timezone.now()
    failed.retry_task_id = result.id
    failed.save(update_fields=["retried_at", "retry_task_id"])
    return result.id
