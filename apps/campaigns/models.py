"""Local state for Campaigns: the mirror of §6.1 send tasks and what the portal adds to them
(drafts, the creation record that prevents duplicates). A/B tests and resends to non-openers
live in apps.experiments; §2/§3 numbers in apps.analytics (CampaignReport).

A campaign is recorded here *before* add-task is called (`local_state` SUBMITTING); its
`request_token` makes one click one campaign, and a create whose reply was lost stays
UNCONFIRMED until §6.1 has been searched for it (services.campaign_reconcile).
"""

from __future__ import annotations

import uuid

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from apps.accounts.models import AccountOwned, account_key
from apps.core.fields import user_key

# §6.1 send_status codes that may still change: waiting, sending, on hold, paused.
ACTIVE_CODES = (1, 2, -1, -2)
#: Before sending starts: the task may still be edited (§6.3) and deleted.
EDITABLE_CODES = (1, -1)
#: Sending is over: finished or cancelled.
ENDED_CODES = (3, -3)


# What an A/B plan on a draft may say (the wizard's choices; apps.experiments runs the test).
class ABMetric(models.TextChoices):
    OPENS = "opens", _("Unique open rate")
    CLICKS = "clicks", _("Unique click rate")


class ABMode(models.TextChoices):
    AUTO = "auto", _("Automatically, by the metric")
    MANUAL = "manual", _("I choose")


class ABKind(models.TextChoices):
    TEMPLATES = "templates", _("Templates")
    SUBJECTS = "subjects", _("Subjects of one template")


class Campaign(models.Model):
    class Status(models.IntegerChoices):
        """§6.1 send_status as the platform reports it."""

        CANCELLED = -3, _("Cancelled")
        PAUSED = -2, _("Paused")
        ON_HOLD = -1, _("On hold")
        WAITING = 1, _("Waiting")
        SENDING = 2, _("Sending")
        FINISHED = 3, _("Finished")

    class LocalState(models.TextChoices):
        DRAFT = "draft", _("Draft")
        SUBMITTING = "submitting", _("Being created on the platform")
        UNCONFIRMED = "unconfirmed", _("Checking whether the platform created it")
        ACTIVE = "active", _("On the platform")
        REJECTED = "rejected", _("Refused by the platform")
        LOST = "lost", _("Not created")
        DELETED = "deleted", _("Deleted")

    class SenderKind(models.TextChoices):
        ALL = "all", _("All senders of all domains")
        DOMAIN = "domain", _("All senders of one domain")
        ADDRESS = "address", _("One mailbox")

    class Tracking(models.IntegerChoices):
        NONE = 0, _("No tracking")
        OPENS = 1, _("Opens")
        OPENS_CLICKS = 2, _("Opens and clicks")

    class Origin(models.TextChoices):
        PORTAL = "portal", _("Created in the portal")
        PLATFORM = "platform", _("Found on the platform")

    class Role(models.TextChoices):
        NONE = "", _("Campaign")
        VARIANT = "variant", _("A/B variant")
        WINNER = "winner", _("A/B winner to the rest")

    account = account_key("campaigns")
    name = models.CharField(_("name"), max_length=200, blank=True)
    origin = models.CharField(
        _("origin"), max_length=10, choices=Origin.choices, default=Origin.PORTAL
    )
    request_token = models.UUIDField(_("request token"), default=uuid.uuid4, editable=False)
    local_state = models.CharField(
        _("state"), max_length=20, choices=LocalState.choices, default=LocalState.DRAFT
    )

    # The platform's task (§6.1) and its statistics ids (§3.1).
    platform_id = models.BigIntegerField(_("task id"), null=True, blank=True)
    sn = models.CharField(_("batch number"), max_length=64, blank=True)

    # What to send, to whom, from whom.
    template_ids = models.JSONField(_("templates"), default=list, blank=True)
    template_names = models.JSONField(_("template names"), default=list, blank=True)
    list_id = models.BigIntegerField(_("list"), null=True, blank=True)
    list_name = models.CharField(_("list name"), max_length=255, blank=True)
    send_qty_start = models.PositiveIntegerField(_("from address"), default=1)
    send_qty = models.PositiveIntegerField(_("to address"), default=0)  # 0: to the end
    planned_count = models.BigIntegerField(_("recipients"), null=True, blank=True)
    sender_kind = models.CharField(
        _("sender"), max_length=10, choices=SenderKind.choices, default=SenderKind.ALL
    )
    send_domain = models.CharField(_("sender domain"), max_length=255, blank=True)
    send_account = models.CharField(_("sender mailbox"), max_length=320, blank=True)
    sender = models.CharField(_("sender"), max_length=320, blank=True)  # as §6.1 prints it
    sender_name = models.CharField(_("sender name"), max_length=200, blank=True)
    reply_to = models.CharField(_("reply-to"), max_length=320, blank=True)
    track_status = models.SmallIntegerField(
        _("tracking"), choices=Tracking.choices, default=Tracking.OPENS_CLICKS
    )
    track_domain = models.CharField(_("tracking domain"), max_length=255, blank=True)
    subs_link = models.BooleanField(_("unsubscribe link"), default=True)
    send_now = models.BooleanField(_("send now"), default=True)
    send_time = models.DateTimeField(_("scheduled for"), null=True, blank=True)
    hold = models.BooleanField(_("create on hold"), default=False)

    # §6.1 mirror.
    status = models.SmallIntegerField(_("platform status"), null=True, blank=True)
    time_start = models.DateTimeField(_("started"), null=True, blank=True)
    time_end = models.DateTimeField(_("ended"), null=True, blank=True)
    send_count = models.BigIntegerField(_("sent"), default=0)
    error_count = models.BigIntegerField(_("failed"), default=0)
    synced_at = models.DateTimeField(_("synced at"), null=True, blank=True)

    # Creation: the call, its outcome, the reconciliation of a lost reply.
    submit_error = models.TextField(_("submit error"), blank=True)
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True)
    reconcile_attempts = models.PositiveSmallIntegerField(_("reconciliation attempts"), default=0)
    next_reconcile_at = models.DateTimeField(_("next reconciliation at"), null=True, blank=True)

    # Where it came from.
    ab_test = models.ForeignKey(
        "experiments.ABTest",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="campaigns",
        verbose_name=_("A/B test"),
    )
    ab_role = models.CharField(
        _("A/B role"), max_length=10, choices=Role.choices, default=Role.NONE, blank=True
    )
    ab_label = models.CharField(_("A/B variant"), max_length=8, blank=True)
    # A draft that is to become an A/B test: {"kind", "percent", "metric", "mode", "wait_hours"}.
    ab_plan = models.JSONField(_("A/B plan"), null=True, blank=True)
    # A draft of changes to `replaces` (an editable platform task), applied through §6.3.
    replaces = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="edit_drafts",
        verbose_name=_("replaces"),
    )
    duplicated_from = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("duplicated from"),
    )
    created_by = user_key(_("created by"))
    created_at = models.DateTimeField(_("created at"), default=timezone.now, editable=False)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("campaign")
        verbose_name_plural = _("campaigns")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["account", "request_token"], name="unique_campaign_request"
            ),
            models.UniqueConstraint(
                fields=["account", "platform_id"],
                condition=models.Q(platform_id__isnull=False),
                name="unique_campaign_task",
            ),
        ]
        indexes = [
            models.Index(fields=["account", "local_state", "status"]),
            models.Index(fields=["account", "send_time"]),
            models.Index(fields=["local_state", "next_reconcile_at"]),
        ]

    def __str__(self) -> str:
        label = self.display_name
        when = self.send_time or self.created_at
        local = timezone.localtime(when).strftime("%Y-%m-%d %H:%M") if when else ""
        return f"{label} ({local})" if local else label

    @property
    def display_name(self) -> str:
        if self.name:
            return self.name
        names = " + ".join(n for n in self.template_names if n)
        return names or (f"#{self.platform_id}" if self.platform_id else str(_("Untitled")))

    @property
    def on_platform(self) -> bool:
        return self.local_state == self.LocalState.ACTIVE and self.platform_id is not None

    @property
    def status_label(self) -> str:
        """The status in words; an unknown code is shown as such, never hidden."""
        if self.local_state != self.LocalState.ACTIVE:
            return str(self.get_local_state_display())
        if self.status is None:
            return str(_("Not synced yet"))
        if self.status in self.Status.values:
            return str(self.Status(self.status).label)
        return str(_("Unknown status (%(code)s)") % {"code": self.status})

    @property
    def status_badge(self) -> str:
        if self.local_state != self.LocalState.ACTIVE:
            return {
                self.LocalState.DRAFT: "text-bg-light border",
                self.LocalState.SUBMITTING: "text-bg-info",
                self.LocalState.UNCONFIRMED: "text-bg-warning",
                self.LocalState.REJECTED: "text-bg-danger",
                self.LocalState.LOST: "text-bg-danger",
                self.LocalState.DELETED: "text-bg-secondary",
            }.get(self.local_state, "text-bg-secondary")
        return {
            -3: "text-bg-secondary",
            -2: "text-bg-warning",
            -1: "text-bg-light border",
            1: "text-bg-info",
            2: "text-bg-primary",
            3: "text-bg-success",
        }.get(self.status, "text-bg-dark")

    # -- the platform's send status, by name (never bare codes elsewhere) --

    @property
    def is_waiting(self) -> bool:
        return self.status == self.Status.WAITING

    @property
    def is_on_hold(self) -> bool:
        return self.status == self.Status.ON_HOLD

    @property
    def is_sending(self) -> bool:
        return self.status == self.Status.SENDING

    @property
    def is_paused(self) -> bool:
        return self.status == self.Status.PAUSED

    @property
    def is_finished(self) -> bool:
        return self.status == self.Status.FINISHED

    @property
    def is_cancelled(self) -> bool:
        return self.status == self.Status.CANCELLED

    @property
    def has_ended(self) -> bool:
        """Finished or cancelled: nothing more will be sent."""
        return self.status in ENDED_CODES

    @property
    def is_editable(self) -> bool:
        """Not started yet (waiting or on hold): §6.3 may change it, §6.4 delete it."""
        return self.status in EDITABLE_CODES

    @property
    def tracks_clicks(self) -> bool:
        return self.track_status == self.Tracking.OPENS_CLICKS

    @property
    def is_active(self) -> bool:
        """Still changing on the platform (followed every minute)."""
        return self.on_platform and (self.status is None or self.status in ACTIVE_CODES)

    @property
    def range_text(self) -> str:
        if self.send_qty_start <= 1 and not self.send_qty:
            return str(_("whole list"))
        end = f"{self.send_qty:,}" if self.send_qty else "…"
        return f"{self.send_qty_start:,}–{end}"

    @property
    def progress_percent(self) -> int:
        if not self.planned_count:
            return 100 if self.status == self.Status.FINISHED else 0
        done = self.send_count + self.error_count
        return max(0, min(100, round(100 * done / self.planned_count)))


class CampaignSync(models.Model):
    """Per account: when §6.1 was last mirrored (and the last failure). Its row is also the
    lock that serialises the add-task budget (ratelimit.reserve)."""

    account = account_key("campaign_sync", one=True)
    synced_at = models.DateTimeField(_("synced at"), null=True, blank=True)
    full_synced_at = models.DateTimeField(_("fully synced at"), null=True, blank=True)
    last_error = models.TextField(_("last error"), blank=True)
    last_error_at = models.DateTimeField(_("last error at"), null=True, blank=True)

    class Meta:
        verbose_name = _("campaign sync")
        verbose_name_plural = _("campaign syncs")

    def __str__(self) -> str:
        return f"{self.account}: {self.synced_at}"


class AddTaskCall(AccountOwned):
    """One add-task call made (or about to be made) for an account: the platform allows 100
    an hour, so the portal counts them itself, across processes, before calling."""

    at = models.DateTimeField(_("time"), default=timezone.now)
    campaign = models.ForeignKey(
        Campaign, null=True, blank=True, on_delete=models.SET_NULL, verbose_name=_("campaign")
    )

    class Meta:
        indexes = [models.Index(fields=["account", "at"])]
        verbose_name = _("add-task call")
        verbose_name_plural = _("add-task calls")

    def __str__(self) -> str:
        return f"{self.account} {self.at}"
