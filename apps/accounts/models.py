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
    password_encrypted = models.TextField(_("encrypted password"), editable=False, default="")
    # Goes up whenever the platform password changes (a sign-in with another password, or the
    # platform refusing the stored one); sessions opened under an older value end
    # (apps.accounts.sessions).
    credentials_version = models.PositiveIntegerField(
        _("credentials version"), default=1, editable=False
    )

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
    # A sub-account an agent manages is its own platform account (its own credentials and
    # mirrors), linked to the agent's account (docs/DEVELOPING.md, "Sub-accounts").
    parent = models.ForeignKey(
        "self",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="children",
        verbose_name=_("managed by"),
    )

    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    members = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        through="Membership",
        related_name="platform_accounts",
        verbose_name=_("members"),
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


def account_key(related_name: str = "+", *, one: bool = False):
    """The key of a row that belongs to one platform account: every page filters by it (another
    account's id is a 404) and the row goes with its account. `one`: at most one row each."""
    field = models.OneToOneField if one else models.ForeignKey
    return field(
        PlatformAccount,
        on_delete=models.CASCADE,
        related_name=related_name,
        verbose_name=_("platform account"),
    )


class AccountOwned(models.Model):
    """Abstract: a row of one platform account (mirrors, jobs, snapshots). Models that need a
    reverse accessor on the account redeclare `account = account_key("name")`."""

    account = account_key()

    class Meta:
        abstract = True


class Membership(models.Model):
    """A portal user's access to a platform account; several users may share one account."""

    class Role(models.TextChoices):
        VIEWER = "viewer", _("View only")
        EDITOR = "editor", _("Edit contacts and templates")
        SENDER = "sender", _("Send campaigns")
        OWNER = "owner", _("Owner: everything, including domains")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, verbose_name=_("user")
    )
    account = models.ForeignKey(
        PlatformAccount, on_delete=models.CASCADE, verbose_name=_("platform account")
    )
    role = models.CharField(_("role"), max_length=10, choices=Role.choices, default=Role.OWNER)
    # The user that signing in with the account's own platform credentials signs in as. Sign-in
    # finds its user through this link, never by username, so a staff-made user who happens to
    # share the platform username gains nothing.
    via_platform_login = models.BooleanField(_("platform sign-in user"), default=False)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("membership")
        constraints = [
            models.UniqueConstraint(fields=["user", "account"], name="unique_membership")
        ]

    def __str__(self) -> str:
        return f"{self.user} → {self.account} ({self.get_role_display()})"


class AccountService(models.Model):
    """Local mirror of §1.2 (service and quota), refreshed by Celery beat; pages read this."""

    account = account_key("service", one=True)
    service_status = models.CharField(_("service status"), max_length=20, blank=True)
    service_type = models.CharField(_("quota type"), max_length=20, blank=True)
    send_type = models.CharField(_("send mode"), max_length=20, blank=True)
    beginning_date = models.DateField(_("valid from"), null=True, blank=True)
    expiration_date = models.DateField(_("valid until"), null=True, blank=True)
    qty_available = models.BigIntegerField(_("quota available"), null=True, blank=True)
    qty_buytotal = models.BigIntegerField(_("quota bought"), null=True, blank=True)
    fetched_at = models.DateTimeField(_("fetched at"), null=True, blank=True)
    # The last failed refresh, shown beside the (older) data so nobody mistakes it for current.
    last_error = models.TextField(_("last error"), blank=True)
    last_error_at = models.DateTimeField(_("last error at"), null=True, blank=True)

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

    account = account_key("sub_accounts")
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
    # An agent's sub-account, signed in with its own credentials (§1.1 confirmed the customer
    # id); empty = "needs credentials": the agent is asked for them at the next switch.
    platform_account = models.ForeignKey(
        PlatformAccount,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="managed_as",
        verbose_name=_("sub-account's own platform account"),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

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

    @property
    def needs_credentials(self) -> bool:
        """Agents act as the sub-account itself; without its credentials they cannot."""
        return self.account.user_type == PlatformAccount.UserType.AGENT and (
            self.platform_account_id is None
        )


DEFAULT_TIME_ZONE = "Asia/Shanghai"


class UserPreference(models.Model):
    """A portal user's language and time zone, and whether they have seen the first-steps guide.

    Applied on every request by `apps.accounts.middleware.UserPreferencesMiddleware`; a user
    without a row (or with an empty language) follows the browser's language and Beijing time.
    """

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="preference",
        verbose_name=_("user"),
    )
    # Empty: follow the browser (Accept-Language, then the language cookie).
    language = models.CharField(
        _("language"), max_length=10, blank=True, choices=settings.LANGUAGES
    )
    time_zone = models.CharField(_("time zone"), max_length=64, default=DEFAULT_TIME_ZONE)
    guide_dismissed_at = models.DateTimeField(
        _("first-steps guide dismissed"), null=True, blank=True
    )
    # Background jobs that ended after this were looked at for toasts (apps.core.notifications).
    notifications_scanned_at = models.DateTimeField(
        _("jobs looked at for toasts until"), null=True, blank=True, editable=False
    )
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("user preference")
        verbose_name_plural = _("user preferences")

    def __str__(self) -> str:
        return f"{self.user}: {self.language or '-'}, {self.time_zone}"
