from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class AuditEntry(models.Model):
    """One write made through the portal: who, for which account, what, and the platform's answer.

    Never holds a password: `detail` is built by callers from non-secret fields only, and
    `audit.record()` strips any key that looks like a secret as a second line of defence.
    """

    class Outcome(models.TextChoices):
        OK = "ok", _("Succeeded")
        REFUSED = "refused", _("Refused by the platform")
        FAILED = "failed", _("Failed (platform unreachable or error)")

    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    account = models.ForeignKey(
        "accounts.PlatformAccount", on_delete=models.CASCADE, related_name="audit_entries"
    )
    # An agent's or administrator's sub-account the write was made for (platform customer_id).
    customer_id = models.CharField(max_length=32, blank=True)
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
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.action} {self.target} ({self.outcome})"
