"""Local state for Templates: mirrors of the platform's templates (§5.4), their content check
(§5.3) as the poller last saw it, and their attachments."""

from __future__ import annotations

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from apps.accounts.models import account_key
from apps.core.timezones import from_platform


class CheckResult(models.TextChoices):
    """What the platform's content check (§5.3) said, as one value the list can filter on."""

    UNKNOWN = "", _("Not checked yet")
    CHECKING = "checking", _("Checking")
    GREEN = "green", _("Green")
    YELLOW = "yellow", _("Yellow")
    RED_PASS = "red_pass", _("Red, passed")
    RED = "red", _("Red")


#: What each result means for the marketer (shown beside the badge and in the editor).
CHECK_MEANINGS = {
    CheckResult.UNKNOWN: _("The platform's verdict has not been fetched yet."),
    CheckResult.CHECKING: _("The platform is checking the content; this takes a few seconds."),
    CheckResult.GREEN: _("Passed: the platform will send it."),
    CheckResult.YELLOW: _(
        "Passed with warnings: the platform will send it, but some content looks like "
        "advertising and may reach fewer inboxes."
    ),
    CheckResult.RED_PASS: _(
        "Passed, but the content scored high for spam: the platform will send it, "
        "and many recipients' filters will probably not deliver it."
    ),
    CheckResult.RED: _(
        "Rejected: the platform will not send this template. Remove spam-like wording or "
        "reduce its size, then save it again to have it checked anew."
    ),
}

#: Bootstrap classes of each result's badge.
CHECK_BADGES = {
    CheckResult.UNKNOWN: "text-bg-secondary",
    CheckResult.CHECKING: "text-bg-info",
    CheckResult.GREEN: "text-bg-success",
    CheckResult.YELLOW: "text-bg-warning",
    CheckResult.RED_PASS: "bg-danger-subtle text-danger-emphasis border border-danger",
    CheckResult.RED: "text-bg-danger",
}


class MailTemplate(models.Model):
    """One platform template (§5.4) with what only the portal keeps: the text part and the
    encoding, which list-tpl does not return."""

    class Encoding(models.TextChoices):
        BASE64 = "base64", _("Base64")
        QUOTED_PRINTABLE = "quoted-printable", _("Quoted-printable")

    class PollState(models.TextChoices):
        IDLE = "idle", _("Not polling")
        POLLING = "polling", _("Waiting for the platform's check")
        DONE = "done", _("Check finished")
        TIMED_OUT = "timed_out", _("The check did not finish in time")
        FAILED = "failed", _("Polling failed")

    account = account_key("mail_templates")
    platform_id = models.BigIntegerField(_("platform template id"))
    name = models.CharField(_("name"), max_length=200)
    subjects = models.JSONField(_("subjects"), default=list)
    # The subjects as one string, kept by save() for searching (JSON text differs per database).
    subject_line = models.TextField(_("subjects (for searching)"), blank=True, editable=False)
    html = models.TextField(_("HTML body"), blank=True)
    text = models.TextField(_("plain-text part"), blank=True)
    encoding = models.CharField(
        _("encoding"), max_length=20, choices=Encoding.choices, default=Encoding.BASE64
    )
    content_type = models.CharField(_("content type"), max_length=50, blank=True)

    # Composing (the portal's own, never sent to the platform as such).
    class EditorMode(models.TextChoices):
        CODE = "code", _("HTML code")
        BUILDER = "builder", _("Visual builder")
        RICHTEXT = "richtext", _("Plain letter")

    preheader = models.CharField(
        _("preheader"),
        max_length=200,
        blank=True,
        help_text=_("The short line inboxes show after the subject."),
    )
    editor_mode = models.CharField(
        _("editor"), max_length=20, choices=EditorMode.choices, default=EditorMode.CODE
    )
    # The visual builder's own project (GrapesJS project data), restored exactly on reopening,
    # and the HTML it produced then: when `html` differs, the code editor changed it since.
    # Kept as JSON text, not jsonb: jsonb reorders keys, and GrapesJS renders attributes in the
    # order it finds them, so only the text restores the builder exactly.
    builder_project = models.TextField(_("builder project"), blank=True)
    builder_html = models.TextField(_("HTML the builder produced"), blank=True)

    # §5.3 as last seen.
    check_status = models.IntegerField(
        _("check status"), null=True, blank=True
    )  # -1 checking, 0 red, 1 passed
    colour = models.CharField(_("colour"), max_length=20, blank=True)
    check_result = models.CharField(
        _("check"), max_length=20, choices=CheckResult.choices, blank=True, db_index=True
    )
    size_status = models.IntegerField(
        _("size status"), null=True, blank=True
    )  # -1 counting, 1 done
    size_kb = models.PositiveIntegerField(_("size (KB)"), null=True, blank=True)
    platform_created_at = models.DateTimeField(_("created on the platform"), null=True, blank=True)
    platform_updated_at = models.DateTimeField(_("updated on the platform"), null=True, blank=True)
    status_fetched_at = models.DateTimeField(_("check result fetched at"), null=True, blank=True)

    # The poller (see tasks.py): a generation per upload, so a newer upload stops older chains,
    # and a claimed attempt counter, so a redelivered message cannot fork a chain.
    poll_state = models.CharField(
        _("check polling"), max_length=20, choices=PollState.choices, default=PollState.IDLE
    )
    poll_generation = models.PositiveIntegerField(_("poll generation"), default=0)
    poll_attempts = models.PositiveIntegerField(_("poll attempts"), default=0)
    poll_started_at = models.DateTimeField(_("polling started at"), null=True, blank=True)
    poll_deadline = models.DateTimeField(_("polling deadline"), null=True, blank=True)
    poll_finished_at = models.DateTimeField(_("polling finished at"), null=True, blank=True)
    poll_error = models.TextField(_("polling error"), blank=True)

    synced_at = models.DateTimeField(_("synced at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("mail template")
        verbose_name_plural = _("mail templates")
        ordering = ["-updated_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["account", "platform_id"], name="unique_platform_template"
            )
        ]

    def __str__(self) -> str:
        return f"{self.name} (#{self.platform_id})"

    def save(self, *args, **kwargs):
        self.subject_line = " | ".join(self.subjects or [])
        if kwargs.get("update_fields") is not None and "subjects" in kwargs["update_fields"]:
            kwargs["update_fields"] = {*kwargs["update_fields"], "subject_line"}
        super().save(*args, **kwargs)

    @property
    def check_meaning(self) -> str:
        return str(CHECK_MEANINGS.get(self.check_result, ""))

    @property
    def check_badge(self) -> str:
        return CHECK_BADGES.get(self.check_result, "text-bg-secondary")

    @property
    def polling(self) -> bool:
        return self.poll_state == self.PollState.POLLING

    @property
    def rejected(self) -> bool:
        return self.check_result == CheckResult.RED

    @property
    def builder_project_data(self) -> dict | None:
        import json

        return json.loads(self.builder_project) if self.builder_project else None

    def apply_status(self, status) -> None:
        """Copy a §5.3 reply (apps.umail.templates.TemplateStatus) onto the mirror."""
        self.check_status = status.status
        self.colour = status.colour or ""
        self.size_status = status.size_status
        if status.size_status == 1 and status.size is not None:
            self.size_kb = status.size
        if status.checking:
            self.check_result = CheckResult.CHECKING
        elif self.colour in CheckResult.values:
            self.check_result = self.colour
        elif status.status == 0:
            self.check_result = CheckResult.RED
        else:
            self.check_result = CheckResult.UNKNOWN
        if status.update_date is not None:
            self.platform_updated_at = _aware(status.update_date)
        self.status_fetched_at = timezone.now()


def _aware(value):
    # The platform prints Beijing time without a zone; the request's zone is the user's.
    return from_platform(value)


class TemplateAttachment(models.Model):
    template = models.ForeignKey(
        MailTemplate,
        on_delete=models.CASCADE,
        related_name="attachments",
        verbose_name=_("template"),
    )
    platform_id = models.BigIntegerField(_("platform attachment id"))
    name = models.CharField(_("file name"), max_length=255)
    # Known only for files uploaded through the portal; list-tpl gives no size.
    size_bytes = models.PositiveBigIntegerField(_("size"), null=True, blank=True)
    # The file itself, for test sends; only for files uploaded through the portal (§5.4 gives
    # no way to download an attachment).
    content = models.BinaryField(_("file content"), null=True, blank=True, editable=False)
    content_type = models.CharField(_("file type"), max_length=100, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("template attachment")
        verbose_name_plural = _("template attachments")
        ordering = ["platform_id"]
        constraints = [
            models.UniqueConstraint(
                fields=["template", "platform_id"], name="unique_template_attachment"
            )
        ]

    def __str__(self) -> str:
        return self.name


class TemplateSync(models.Model):
    """When the account's template list (§5.4) was last mirrored, and the last failure."""

    account = account_key("template_sync", one=True)
    synced_at = models.DateTimeField(_("synced at"), null=True, blank=True)
    last_error = models.TextField(_("last error"), blank=True)
    last_error_at = models.DateTimeField(_("last error at"), null=True, blank=True)

    class Meta:
        verbose_name = _("template list sync")

    def __str__(self) -> str:
        return f"{self.account}: {self.synced_at}"


class SavedBlock(models.Model):
    """A piece of design kept by the account and reused across templates in the builder: a
    header, a footer (with the unsubscribe link and the sender's address) or the brand (colours
    and logo). Templates carry it inside an element marked ``data-saved-block="<id>"``, which is
    how the portal finds the templates to update when the block changes."""

    class Kind(models.TextChoices):
        HEADER = "header", _("Header")
        FOOTER = "footer", _("Footer")
        BRAND = "brand", _("Brand colours and logo")

    account = models.ForeignKey(
        "accounts.PlatformAccount",
        on_delete=models.CASCADE,
        related_name="saved_blocks",
        verbose_name=_("platform account"),
    )
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    name = models.CharField(_("name"), max_length=100)
    html = models.TextField(_("HTML"), blank=True)
    brand_colour = models.CharField(_("brand colour"), max_length=7, blank=True)
    accent_colour = models.CharField(_("accent colour"), max_length=7, blank=True)
    logo_url = models.URLField(_("logo address"), blank=True)
    sender_address = models.TextField(_("sender's postal address"), blank=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("saved block")
        verbose_name_plural = _("saved blocks")
        ordering = ["kind", "name"]

    def __str__(self) -> str:
        return self.name

    @property
    def marker(self) -> str:
        return f'data-saved-block="{self.pk}"'
