"""Local state for Domains: mirrors of §7 per scope, verification follow-up, notifications.

Every row is keyed by (account, customer_id): `customer_id == ""` is the platform account itself,
otherwise the sub-account an agent or administrator works on (see apps.accounts.scope).
"""

from __future__ import annotations

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from apps.accounts.models import AccountOwned, account_key


class SenderDomain(models.Model):
    """A sender domain as §7.1 lists it, with its §7.3 verification state."""

    class Check(models.IntegerChoices):  # §7.3 status
        UNKNOWN_FAILS = 0, _("Not on the platform, DNS not right")
        UNKNOWN_PASSES = 1, _("Not on the platform, DNS right")
        NOT_VERIFIED = 2, _("Added, DNS records not found yet")
        VERIFIED = 3, _("Added and verified")

    account = account_key("sender_domains")
    customer_id = models.CharField(_("sub-account"), max_length=32, blank=True, default="")
    domain = models.CharField(_("domain"), max_length=255)
    platform_id = models.BigIntegerField(_("platform domain id"), null=True, blank=True)
    # customer_id §7.1 reports for the domain; 0 marks a system domain shared by all customers.
    owner_customer_id = models.BigIntegerField(_("owner's customer id"), null=True, blank=True)
    is_system = models.BooleanField(_("system domain"), default=False)

    verified = models.BooleanField(_("verified"), default=False)
    check_status = models.SmallIntegerField(
        _("last check"), choices=Check.choices, null=True, blank=True
    )
    check_info = models.CharField(_("platform's words"), max_length=255, blank=True)
    checked_at = models.DateTimeField(_("checked at"), null=True, blank=True)
    verified_at = models.DateTimeField(_("verified at"), null=True, blank=True)
    # Background re-checks of an unverified domain, with backoff (tasks.domains_recheck_due_task).
    next_check_at = models.DateTimeField(_("next automatic check"), null=True, blank=True)
    check_attempts = models.PositiveIntegerField(_("automatic checks"), default=0)

    mailbox_count = models.PositiveIntegerField(_("mailboxes"), null=True, blank=True)
    mailboxes_synced_at = models.DateTimeField(_("mailboxes synced at"), null=True, blank=True)
    synced_at = models.DateTimeField(_("listed by the platform at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("sender domain")
        verbose_name_plural = _("sender domains")
        ordering = ["-is_system", "domain"]
        constraints = [
            models.UniqueConstraint(
                fields=["account", "customer_id", "domain"], name="unique_domain_per_scope"
            )
        ]
        indexes = [
            models.Index(fields=["verified", "next_check_at"]),
        ]

    def __str__(self) -> str:
        return self.domain

    @property
    def usable(self) -> bool:
        """Mail may be sent from it: verified, or a system domain."""
        return self.verified or self.is_system


class Mailbox(models.Model):
    """A sender account under a domain (§7.7); also an SMTP login (§10). No password here:
    the portal shows a new password once and never stores it."""

    account = account_key("mailboxes")
    customer_id = models.CharField(_("sub-account"), max_length=32, blank=True, default="")
    domain = models.ForeignKey(
        SenderDomain, on_delete=models.CASCADE, related_name="mailboxes", verbose_name=_("domain")
    )
    name = models.CharField(_("name"), max_length=64)
    address = models.CharField(_("address"), max_length=320)
    synced_at = models.DateTimeField(_("synced at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    password_changed_at = models.DateTimeField(_("password changed"), null=True, blank=True)

    class Meta:
        verbose_name = _("mailbox")
        verbose_name_plural = _("mailboxes")
        ordering = ["address"]
        constraints = [
            models.UniqueConstraint(
                fields=["account", "customer_id", "address"], name="unique_mailbox_per_scope"
            )
        ]

    def __str__(self) -> str:
        return self.address


class DomainSync(AccountOwned):
    """When a scope's domains were last fetched from the platform, and the last failure."""

    customer_id = models.CharField(_("sub-account"), max_length=32, blank=True, default="")
    synced_at = models.DateTimeField(_("synced at"), null=True, blank=True)
    last_error = models.TextField(_("last error"), blank=True)
    last_error_at = models.DateTimeField(_("last error at"), null=True, blank=True)

    class Meta:
        verbose_name = _("domain sync")
        constraints = [
            models.UniqueConstraint(fields=["account", "customer_id"], name="unique_domain_sync")
        ]

    def __str__(self) -> str:
        return f"{self.account} {self.customer_id or '-'} {self.synced_at}"


class DomainNotification(AccountOwned):
    """News for the marketer on the domains pages, e.g. "example.com is now verified"."""

    class Kind(models.TextChoices):
        VERIFIED = "verified", _("Domain verified")

    customer_id = models.CharField(_("sub-account"), max_length=32, blank=True, default="")
    domain = models.ForeignKey(
        SenderDomain,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("domain"),
    )
    domain_name = models.CharField(_("domain name"), max_length=255)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    dismissed_at = models.DateTimeField(_("dismissed at"), null=True, blank=True)

    class Meta:
        verbose_name = _("domain notification")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["account", "customer_id", "dismissed_at"])]

    def __str__(self) -> str:
        return f"{self.domain_name}: {self.get_kind_display()}"
