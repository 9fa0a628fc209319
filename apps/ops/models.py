from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from apps.accounts.models import account_key
from apps.core.jobs import BackgroundJob


class FailedTask(models.Model):
    """A Celery task that ended in an exception (recorded by the `task_failure` signal)."""

    task_id = models.CharField(_("task id"), max_length=64, db_index=True)
    task_name = models.CharField(_("task"), max_length=255, db_index=True)
    args = models.JSONField(_("arguments"), default=list, blank=True)
    kwargs = models.JSONField(_("keyword arguments"), default=dict, blank=True)
    exception_type = models.CharField(_("exception"), max_length=255)
    exception_message = models.TextField(_("message"), blank=True)
    traceback = models.TextField(_("traceback"), blank=True)
    worker = models.CharField(_("worker"), max_length=255, blank=True)
    request_id = models.CharField(_("request id"), max_length=128, blank=True)
    failed_at = models.DateTimeField(_("failed at"), default=timezone.now, db_index=True)
    retried_at = models.DateTimeField(_("retried at"), null=True, blank=True)
    retry_task_id = models.CharField(_("retry task id"), max_length=64, blank=True)
    resolved = models.BooleanField(_("resolved"), default=False, db_index=True)

    class Meta:
        ordering = ["-failed_at", "-id"]
        verbose_name = _("failed job")
        verbose_name_plural = _("failed jobs")

    def __str__(self) -> str:
        return f"{self.task_name} ({self.exception_type}) {self.failed_at:%Y-%m-%d %H:%M}"


class Heartbeat(models.Model):
    """The last time a periodic heartbeat went beat → broker → worker → database."""

    name = models.CharField(_("name"), max_length=50, unique=True)
    seen_at = models.DateTimeField(_("last seen"))
    worker = models.CharField(_("worker"), max_length=255, blank=True)

    class Meta:
        verbose_name = _("heartbeat")
        verbose_name_plural = _("heartbeats")

    def __str__(self) -> str:
        return f"{self.name} {self.seen_at:%Y-%m-%d %H:%M:%S}"


class ResyncJob(BackgroundJob):
    """Fetch everything of one platform account again and replace its local mirrors.

    Runs as a Celery task that may be delivered more than once (acks_late): the job claims a lease
    before working, checkpoints each finished step, and is finished exactly once.
    """

    STATE_FIELD = "status"

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Running")
        DONE = "done", _("Finished")
        FAILED = "failed", _("Failed")

    account = account_key("resync_jobs")
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("requested by"),
    )
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.QUEUED, db_index=True
    )
    # Each execution (first delivery, redelivery after a crash, retry) increments this; it is
    # also the fencing token: an execution whose number is no longer current stops writing.
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    steps_done = models.JSONField(_("steps done"), default=list, blank=True)
    # One entry per finished step: {"step", "worker", "attempt", "at"}.
    step_log = models.JSONField(_("step log"), default=list, blank=True)
    current_step = models.CharField(_("current step"), max_length=100, blank=True)
    worker = models.CharField(_("worker"), max_length=255, blank=True)
    lease_expires_at = models.DateTimeField(_("lease expires at"), null=True, blank=True)
    created_at = models.DateTimeField(_("requested at"), default=timezone.now, db_index=True)
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("resync job")
        verbose_name_plural = _("resync jobs")
        indexes = [models.Index(fields=["account", "-created_at"])]

    def __str__(self) -> str:
        return _("Resync of %(account)s (%(status)s)") % {
            "account": self.account,
            "status": self.get_status_display(),
        }

    @property
    def is_active(self) -> bool:
        return self.status in (self.Status.QUEUED, self.Status.RUNNING)
