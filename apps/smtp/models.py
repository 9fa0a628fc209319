"""SMTP settings per platform account (§10), the mail the portal sent through them, quota alerts."""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from apps.accounts import crypto
from apps.accounts.models import account_key

from .client import NONE, SSL, STARTTLS, SmtpConfig


def _default_host() -> str:
    return settings.UMAIL_SMTP_HOST


def _default_port() -> int:
    return settings.UMAIL_SMTP_PORT


class SmtpSettings(models.Model):
    """How an account reaches the platform's SMTP relay, and as which sender mailbox."""

    class Security(models.TextChoices):
        NONE = NONE, _("None (plain SMTP)")
        SSL = SSL, _("SSL/TLS from the start")
        STARTTLS = STARTTLS, _("STARTTLS")

    account = account_key("smtp_settings", one=True)
    host = models.CharField(_("SMTP server"), max_length=255, default=_default_host)
    port = models.PositiveIntegerField(
        _("port"),
        default=_default_port,
        validators=[MinValueValidator(1), MaxValueValidator(65535)],
    )
    security = models.CharField(
        _("encryption"), max_length=10, choices=Security.choices, default=Security.NONE
    )
    verify_certificate = models.BooleanField(_("verify the server's certificate"), default=True)
    mailbox = models.EmailField(_("sender mailbox"), max_length=254)
    # Fernet ciphertext, like the platform password: never shown again, never logged.
    password_encrypted = models.TextField(_("encrypted password"), editable=False, default="")
    from_name = models.CharField(_("sender name"), max_length=100, blank=True)
    notify_to = models.TextField(_("send portal notifications to"), blank=True)

    last_test_at = models.DateTimeField(_("last connection test"), null=True, blank=True)
    last_test_ok = models.BooleanField(_("last test passed"), null=True, blank=True)
    last_test_message = models.TextField(_("last test message"), blank=True)
    last_test_transcript = models.JSONField(
        _("last test's SMTP conversation"), default=list, blank=True
    )

    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("updated by"),
    )

    class Meta:
        verbose_name = _("SMTP settings")
        verbose_name_plural = _("SMTP settings")

    def __str__(self) -> str:
        return f"{self.account}: {self.mailbox} → {self.host}:{self.port}"

    def set_password(self, raw_password: str) -> None:
        self.password_encrypted = crypto.encrypt(raw_password)

    def get_password(self) -> str:
        return crypto.decrypt(self.password_encrypted)

    @property
    def has_password(self) -> bool:
        return bool(self.password_encrypted)

    @property
    def from_address(self) -> str:
        """The From header: the mailbox with its display name."""
        from email.headerregistry import Address

        if not self.from_name:
            return self.mailbox
        return str(Address(display_name=self.from_name, addr_spec=self.mailbox))

    def notification_recipients(self) -> list[str]:
        return [a.strip() for a in self.notify_to.replace(";", ",").split(",") if a.strip()]

    def config(self) -> SmtpConfig:
        """Decrypts the password: build it only right before connecting."""
        from django.core.mail.utils import DNS_NAME

        return SmtpConfig(
            host=self.host,
            port=self.port,
            username=self.mailbox,
            password=self.get_password(),
            security=self.security,
            verify_certificate=self.verify_certificate,
            timeout=settings.UMAIL_SMTP_TIMEOUT,
            local_hostname=str(DNS_NAME),
        )


class OutboundMail(models.Model):
    """A mail the portal sent through an account's SMTP settings: a test or a notification."""

    class Kind(models.TextChoices):
        TEST = "test", _("Test mail")
        NOTIFICATION = "notification", _("Notification")

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        SENT = "sent", _("Accepted")
        PARTIAL = "partial", _("Accepted for some recipients")
        REJECTED = "rejected", _("Rejected")
        FAILED = "failed", _("Failed")
        SKIPPED = "skipped", _("Not sent")

    account = account_key("outbound_mails")
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    event = models.CharField(_("event"), max_length=50, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("created by"),
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)
    sender = models.CharField(_("sender"), max_length=254, blank=True)
    recipients = models.JSONField(_("recipients"), default=list)
    subject = models.CharField(_("subject"), max_length=255)
    body = models.TextField(_("body"), blank=True)
    is_html = models.BooleanField(_("HTML"), default=False)
    attachment_name = models.CharField(_("attachment"), max_length=255, blank=True)
    attachment_size = models.PositiveIntegerField(_("attachment size"), null=True, blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.QUEUED
    )
    error = models.TextField(_("error"), blank=True)
    # Steps of the SMTP conversation ({command, code, reply}); passwords never appear.
    transcript = models.JSONField(_("SMTP conversation"), default=list, blank=True)
    # Per recipient: {address, code, reply, accepted}.
    results = models.JSONField(_("result per recipient"), default=list, blank=True)
    queue_id = models.CharField(_("queue id"), max_length=100, blank=True)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)

    class Meta:
        verbose_name = _("outbound mail")
        verbose_name_plural = _("outbound mails")
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["account", "-created_at"])]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.subject}"

    @property
    def rejected(self) -> list[dict]:
        return [r for r in self.results if not r.get("accepted")]


class QuotaAlert(models.Model):
    """Whether an account's quota is currently below the alert level, so it is notified once."""

    account = account_key("quota_alert", one=True)
    low = models.BooleanField(_("quota low"), default=False)
    notified_at = models.DateTimeField(_("notified at"), null=True, blank=True)

    class Meta:
        verbose_name = _("quota alert")

    def __str__(self) -> str:
        state = _("quota low") if self.low else _("quota ok")
        return f"{self.account}: {state}"
