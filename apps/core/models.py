from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .fields import user_key


class AuditEntry(models.Model):
    """One write made through the portal: who, for which account, what, and the platform's answer.

    Never holds a password: `detail` is built by callers from non-secret fields only, and
    `audit.record()` strips any key that looks like a secret as a second line of defence.
    """

    class Outcome(models.TextChoices):
        OK = "ok", _("Succeeded")
        REFUSED = "refused", _("Refused by the platform")
        FAILED = "failed", _("Failed (platform unreachable or error)")

    created_at = models.DateTimeField(_("time"), auto_now_add=True, db_index=True)
    user = user_key(_("user"))
    account = models.ForeignKey(
        "accounts.PlatformAccount",
        on_delete=models.CASCADE,
        related_name="audit_entries",
        verbose_name=_("platform account"),
    )
    # An agent's or administrator's sub-account the write was made for (platform customer_id).
    customer_id = models.CharField(_("sub-account"), max_length=32, blank=True)
    action = models.CharField(_("action"), max_length=100, db_index=True)
    target = models.CharField(_("target"), max_length=255, blank=True)
    detail = models.JSONField(_("detail"), default=dict, blank=True)
    outcome = models.CharField(_("outcome"), max_length=10, choices=Outcome.choices)
    platform_status = models.CharField(_("platform status"), max_length=100, blank=True)
    message = models.TextField(_("message"), blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("audit entry")
        verbose_name_plural = _("audit log")
        indexes = [models.Index(fields=["account", "-created_at"])]

    def __str__(self) -> str:
        when = f"{self.created_at:%Y-%m-%d %H:%M}" if self.created_at else ""
        return f"{when} {self.action} {self.target} ({self.get_outcome_display()})"


class Notification(models.Model):
    """News for one user about a background job they started: shown once as a toast.

    The text is stored untranslated (a msgid marked with `gettext_noop` plus its parameters) and
    translated when shown, in the language the user reads the portal in at that moment.
    `key` makes creating one idempotent (a redelivered task or a repeated scan adds nothing).
    """

    class Level(models.TextChoices):
        SUCCESS = "success", _("Finished")
        ERROR = "error", _("Failed")
        INFO = "info", _("Information")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="portal_notifications",
        verbose_name=_("user"),
    )
    account = models.ForeignKey(
        "accounts.PlatformAccount",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="notifications",
        verbose_name=_("platform account"),
    )
    key = models.CharField(_("key"), max_length=200)
    level = models.CharField(_("level"), max_length=10, choices=Level.choices, default=Level.INFO)
    message_id = models.TextField(_("message"))
    params = models.JSONField(_("parameters"), default=dict, blank=True)
    url = models.CharField(_("link"), max_length=500, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now, db_index=True)
    shown_at = models.DateTimeField(_("shown at"), null=True, blank=True)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        constraints = [
            models.UniqueConstraint(fields=["user", "key"], name="unique_notification_key")
        ]
        indexes = [models.Index(fields=["user", "shown_at"])]

    def __str__(self) -> str:
        return f"{self.user} {self.key}"

    @property
    def text(self) -> str:
        from .notifications import render_text

        return render_text(self.message_id, self.params)
