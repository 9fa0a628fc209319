from __future__ import annotations

from django.conf import settings
from django.core.validators import RegexValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from . import crypto


def _default_platform_url() -> str:
    return settings.UMAIL_PLATFORM_URL


def _default_api_mode() -> str:
    return settings.UMAIL_API_MODE


class PlatformAccount(models.Model):
    """A U-Mail account the portal acts for, with a local mirror of §1.1 (customer info)."""

    class UserType(models.TextChoices):
        ORDINARY = "", _("Ordinary user")
        AGENT = "agents", _("Agent")
        MANAGER = "manager", _("Administrator")

    class ApiMode(models.TextChoices):
        APINEW = "apinew", _("New API (HTTP Basic auth)")
        LEGACY = "api", _("Legacy API (md5 password in the URL)")

    platform_url = models.URLField(_("platform URL"), default=_default_platform_url)
    api_mode = models.CharField(
        _("API mode"), max_length=10, choices=ApiMode.choices, default=_default_api_mode
    )
    username = models.CharField(_("platform username"), max_length=150)
    user_type = models.CharField(
        _("user type"), max_length=10, choices=UserType.choices, default="", blank=True
    )
    # Fernet ciphertext; never shown, never logged. Use set_password()/get_password().
    password_encrypted = models.TextField(editable=False, default="")

    # §1.1 mirror
    platform_id = models.BigIntegerField(_("platform id"), null=True, blank=True)
    company = models.CharField(_("company"), max_length=255, blank=True)
    contact = models.CharField(_("contact"), max_length=255, blank=True)
    phone = models.CharField(_("phone"), max_length=100, blank=True)
    mobile = models.CharField(_("mobile"), max_length=100, blank=True)
    email = models.CharField(_("e-mail"), max_length=255, blank=True)
    im = models.CharField(_("instant messaging"), max_length=255, blank=True)
    address = models.CharField(_("address"), max_length=500, blank=True)
    customer_synced_at = models.DateTimeField(_("customer info synced at"), null=True, blank=True)

    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    members = models.ManyToManyField(
        settings.AUTH_USER_MODEL, through="Membership", related_name="platform_accounts"
    )

    class Meta:
        verbose_name = _("platform account")
        verbose_name_plural = _("platform accounts")
        constraints = [
            models.UniqueConstraint(
                fields=["platform_url", "username", "user_type"], name="unique_platform_login"
            )
        ]

    def __str__(self) -> str:
        kind = f" ({self.get_user_type_display()})" if self.user_type else ""
        return f"{self.username}{kind}"

    def set_password(self, raw_password: str) -> None:
        self.password_encrypted = crypto.encrypt(raw_password)

    def get_password(self) -> str:
        return crypto.decrypt(self.password_encrypted)

    @property
    def is_agent_or_manager(self) -> bool:
        return self.user_type in (self.UserType.AGENT, self.UserType.MANAGER)


class Membership(models.Model):
    """A portal user's access to a platform account; several users may share one account."""

    class Role(models.TextChoices):
        VIEWER = "viewer", _("View only")
        EDITOR = "editor", _("Edit contacts and templates")
        SENDER = "sender", _("Send campaigns")
        OWNER = "owner", _("Owner: everything, including domains")

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE)
    account = models.ForeignKey(PlatformAccount, on_delete=models.CASCADE)
    role = models.CharField(_("role"), max_length=10, choices=Role.choices, default=Role.OWNER)
    # The user that signing in with the account's own platform credentials signs in as. Sign-in
    # finds its user through this link, never by username, so a staff-made user who happens to
    # share the platform username gains nothing.
    via_platform_login = models.BooleanField(_("platform sign-in user"), default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("membership")
        constraints = [
            models.UniqueConstraint(fields=["user", "account"], name="unique_membership")
        ]

    def __str__(self) -> str:
        return f"{self.user} → {self.account} ({self.role})"


class AccountService(models.Model):
    """Local mirror of §1.2 (service and quota), refreshed by Celery beat; pages read this."""

    account = models.OneToOneField(
        PlatformAccount, on_delete=models.CASCADE, related_name="service"
    )
    service_status = models.CharField(max_length=20, blank=True)
    service_type = models.CharField(max_length=20, blank=True)
    send_type = models.CharField(max_length=20, blank=True)
    beginning_date = models.DateField(null=True, blank=True)
    expiration_date = models.DateField(null=True, blank=True)
    qty_available = models.BigIntegerField(null=True, blank=True)
    qty_buytotal = models.BigIntegerField(null=True, blank=True)
    fetched_at = models.DateTimeField(null=True, blank=True)
    # The last failed refresh, shown beside the (older) data so nobody mistakes it for current.
    last_error = models.TextField(blank=True)
    last_error_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("service and quota")
        verbose_name_plural = _("services and quotas")

    def __str__(self) -> str:
        return f"{self.account}: {self.qty_available}/{self.qty_buytotal}"

    @property
    def age_seconds(self) -> float | None:
        if self.fetched_at is None:
            return None
        return (timezone.now() - self.fetched_at).total_seconds()


class SignInAttempt(models.Model):
    """A sign-in answered by the platform, kept for throttling repeated failures."""

    username = models.CharField(max_length=150, db_index=True)
    ip = models.GenericIPAddressField(null=True, blank=True, db_index=True)
    succeeded = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("sign-in attempt")

    def __str__(self) -> str:
        outcome = "ok" if self.succeeded else "failed"
        return f"{self.username} from {self.ip} {outcome}"


class SubAccount(models.Model):
    """A platform customer an agent or administrator account may act for (its `customer_id`).

    Staff add them in admin; the portal also discovers an agent's sub-accounts from §7.1 and
    lets an agent or administrator enter a customer id. Whatever the source, the platform
    confirms the customer_id for this account (`confirmed_at`) before the portal acts for it.
    """

    class Source(models.TextChoices):
        STAFF = "staff", _("Added by staff")
        DISCOVERED = "discovered", _("Found on the platform")
        ENTERED = "entered", _("Entered by the user")

    account = models.ForeignKey(
        PlatformAccount, on_delete=models.CASCADE, related_name="sub_accounts"
    )
    customer_id = models.CharField(
        _("customer id"),
        max_length=32,
        validators=[RegexValidator(r"^[1-9][0-9]{0,18}$", _("A customer id is a number."))],
        help_text=_("The sub-account's id on the platform (customer_id)."),
    )
    label = models.CharField(_("name"), max_length=150, blank=True)
    source = models.CharField(
        _("source"), max_length=12, choices=Source.choices, default=Source.STAFF
    )
    confirmed_at = models.DateTimeField(_("confirmed by the platform"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("sub-account")
        verbose_name_plural = _("sub-accounts")
        ordering = ["account", "label", "customer_id"]
        constraints = [
            models.UniqueConstraint(fields=["account", "customer_id"], name="unique_sub_account")
        ]

    def __str__(self) -> str:
        return self.display_name

    @property
    def display_name(self) -> str:
        return f"{self.label} ({self.customer_id})" if self.label else f"#{self.customer_id}"
