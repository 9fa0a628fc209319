"""Local state for Contacts: mirrors of the platform, jobs and snapshots."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from apps.accounts.models import account_key
from apps.core.fields import user_key
from apps.core.jobs import BackgroundJob

VAR_FIELDS = tuple(f"var{i}" for i in range(1, 11))


class MailList(models.Model):
    """Local mirror of one §4.1 contact list, plus what only the portal knows: the names the
    marketer gave var1–var10 (used as column headers, form labels and merge-tag names)."""

    class Status(models.TextChoices):
        ENABLED = "enabled", _("Enabled")
        DISABLED = "disabled", _("Disabled")

    account = account_key("mail_lists")
    platform_id = models.BigIntegerField(_("platform list id"))
    subject = models.CharField(_("name"), max_length=255)
    description = models.TextField(_("description"), blank=True)
    count = models.BigIntegerField(_("addresses"), default=0)
    status = models.CharField(_("status"), max_length=20, choices=Status.choices)
    # {"var1": "Membership level", ...}; missing keys have no name yet.
    var_labels = models.JSONField(_("variable names"), default=dict, blank=True)
    synced_at = models.DateTimeField(_("synced at"), null=True, blank=True)

    class Meta:
        verbose_name = _("contact list")
        verbose_name_plural = _("contact lists")
        ordering = ["subject", "platform_id"]
        constraints = [
            models.UniqueConstraint(
                fields=["account", "platform_id"], name="unique_list_per_account"
            )
        ]

    def __str__(self) -> str:
        return self.subject

    @property
    def enabled(self) -> bool:
        return self.status == self.Status.ENABLED


class ContactsSync(models.Model):
    """When the account's lists were last mirrored, and the last failure."""

    account = account_key("contacts_sync", one=True)
    lists_synced_at = models.DateTimeField(_("lists synced at"), null=True, blank=True)
    last_error = models.TextField(_("last error"), blank=True)
    last_error_at = models.DateTimeField(_("last error at"), null=True, blank=True)

    class Meta:
        verbose_name = _("contact lists sync")

    def __str__(self) -> str:
        return str(self.account)


class Suppression(models.Model):
    """Addresses the portal will not import or subscribe again for an account: hard bounces
    and unsubscribes it knows of. Other apps add to it through `suppression_add_many`."""

    class Reason(models.TextChoices):
        HARD_BOUNCE = "hard_bounce", _("Hard bounce")
        UNSUBSCRIBE = "unsubscribe", _("Unsubscribed")
        COMPLAINT = "complaint", _("Complaint")
        MANUAL = "manual", _("Added by hand")

    account = account_key("suppressions")
    email = models.CharField(_("e-mail"), max_length=254)  # lower case
    reason = models.CharField(_("reason"), max_length=20, choices=Reason.choices)
    # Where the portal learnt it: "portal" (unsubscribed here), "platform" (§4.7 export),
    # "analytics" (failure reports), "import".
    source = models.CharField(_("source"), max_length=40, blank=True)
    list_platform_id = models.BigIntegerField(_("list"), null=True, blank=True)
    created_at = models.DateTimeField(_("added at"), auto_now_add=True)

    class Meta:
        verbose_name = _("suppressed address")
        verbose_name_plural = _("suppression list")
        constraints = [
            models.UniqueConstraint(
                fields=["account", "email", "reason"], name="unique_suppression"
            )
        ]
        indexes = [models.Index(fields=["account", "email"])]

    def __str__(self) -> str:
        return f"{self.email} ({self.reason})"


class ImportJob(BackgroundJob):
    """One file a marketer imports into a list: local validation, upload, platform parse.

    The whole state lives here so a reload shows it and a restarted worker carries on.
    """

    class State(models.TextChoices):
        UPLOADED = "uploaded", _("Waiting for column mapping")
        VALIDATING = "validating", _("Checking addresses locally")
        VALIDATED = "validated", _("Checked: waiting for your confirmation")
        UPLOADING = "uploading", _("Sending to the platform")
        PARSING = "parsing", _("The platform is importing the file")
        DONE = "done", _("Finished")
        FAILED = "failed", _("Failed")
        CANCELLED = "cancelled", _("Cancelled")

    ACTIVE_STATES = (State.VALIDATING, State.UPLOADING, State.PARSING)

    account = account_key("import_jobs")
    user = user_key(_("started by"))
    list_platform_id = models.BigIntegerField(_("list"))
    list_subject = models.CharField(_("list name"), max_length=255, blank=True)
    original_name = models.CharField(_("file"), max_length=255)
    size = models.BigIntegerField(_("size in bytes"), default=0)
    stored_file = models.CharField(
        _("uploaded file"), max_length=500, blank=True
    )  # the upload, until confirmed
    converted_file = models.CharField(
        _("converted file"), max_length=500, blank=True
    )  # UTF-8 platform lines
    rejects_file = models.CharField(
        _("rejected rows file"), max_length=500, blank=True
    )  # CSV of rejected rows, why

    # What the file is and how its columns map to the platform's fields.
    file_format = models.CharField(_("file format"), max_length=10, blank=True)  # csv / xlsx
    encoding = models.CharField(_("encoding"), max_length=20, blank=True)
    delimiter = models.CharField(_("delimiter"), max_length=4, blank=True)
    has_header = models.BooleanField(_("has a header row"), default=False)
    mapping = models.JSONField(
        _("column mapping"), default=list, blank=True
    )  # per column: field name or ""

    state = models.CharField(
        _("state"), max_length=20, choices=State.choices, default=State.UPLOADED
    )

    # Local validation
    bytes_done = models.BigIntegerField(_("bytes checked"), default=0)
    rows_total = models.BigIntegerField(_("rows"), default=0)
    rows_good = models.BigIntegerField(_("good rows"), default=0)
    rows_invalid = models.BigIntegerField(_("invalid rows"), default=0)
    rows_duplicate = models.BigIntegerField(_("duplicate rows"), default=0)
    rows_suppressed = models.BigIntegerField(_("suppressed rows"), default=0)
    validated_at = models.DateTimeField(_("checked at"), null=True, blank=True)

    # Upload and platform parse
    upload_method = models.CharField(
        _("upload method"), max_length=10, blank=True
    )  # batch (§4.9.2) / file (§4.9.3)
    platform_filename = models.CharField(_("file name on the platform"), max_length=255, blank=True)
    platform_import_id = models.BigIntegerField(_("platform import id"), null=True, blank=True)
    uploaded_at = models.DateTimeField(_("uploaded at"), null=True, blank=True)
    platform_message = models.TextField(_("platform's message"), blank=True)
    poll_token = models.PositiveIntegerField(_("poll token"), default=0)
    poll_attempts = models.PositiveIntegerField(_("poll attempts"), default=0)
    next_poll_at = models.DateTimeField(_("next poll at"), null=True, blank=True)
    last_polled_at = models.DateTimeField(_("last polled at"), null=True, blank=True)
    # §4.15 as the platform reports the import
    log_count_all = models.BigIntegerField(_("addresses in the import log"), null=True, blank=True)
    log_invalid = models.BigIntegerField(
        _("invalid addresses in the import log"), null=True, blank=True
    )
    log_duplicate = models.BigIntegerField(_("duplicates in the import log"), null=True, blank=True)
    log_status = models.IntegerField(_("import log status"), null=True, blank=True)

    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("import")
        verbose_name_plural = _("imports")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["state", "next_poll_at"])]

    def __str__(self) -> str:
        return f"{self.original_name} → {self.list_subject or self.list_platform_id}"

    @property
    def active(self) -> bool:
        return self.state in self.ACTIVE_STATES

    @property
    def rows_rejected(self) -> int:
        return self.rows_invalid + self.rows_duplicate + self.rows_suppressed

    @property
    def progress_percent(self) -> int:
        if self.state in (self.State.DONE,):
            return 100
        if self.state == self.State.VALIDATING and self.size:
            return max(0, min(99, round(100 * self.bytes_done / self.size)))
        return 0

    @property
    def step(self) -> int:
        """1 local validation, 2 upload, 3 platform parse, 4 finished (for the progress bar)."""
        return {
            self.State.UPLOADED: 0,
            self.State.VALIDATING: 1,
            self.State.VALIDATED: 1,
            self.State.UPLOADING: 2,
            self.State.PARSING: 3,
            self.State.DONE: 4,
        }.get(self.state, 0)
