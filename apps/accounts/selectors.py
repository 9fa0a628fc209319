"""Reads for the account pages: local mirrors only, never the platform."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .models import AccountService, Membership, PlatformAccount, SubAccount

EXPIRY_WARNING_DAYS = 30

SERVICE_TYPE_WORDS = {
    "all": _("Total quota: credits are used up over the whole service period"),
    "day": _("Daily quota: a fixed number of sends per day"),
}
SEND_TYPE_WORDS = {
    "local": _("Sent from the platform's own servers"),
    "remote": _("Sent from your own servers connected to the platform"),
}
SERVICE_STATUS_WORDS = {
    "enabled": _("Bulk sending is enabled"),
    "disabled": _("Bulk sending is disabled: contact the platform to re-enable it"),
}


def accounts_for_user(*, user) -> list[PlatformAccount]:
    return list(PlatformAccount.objects.filter(membership__user=user).order_by("username"))


def sub_accounts_for(*, account: PlatformAccount | None) -> list[SubAccount]:
    """The sub-accounts an agent or administrator account may switch to (staff-added ones are
    confirmed with the platform at the switch)."""
    if account is None or not account.is_agent_or_manager:
        return []
    return list(SubAccount.objects.filter(account=account).order_by("label", "customer_id"))


def account_for_user(*, user, account_id: int | None) -> PlatformAccount | None:
    """The account the user is working in: the requested one if theirs, else their first."""
    memberships = Membership.objects.filter(user=user).select_related("account")
    if account_id is not None:
        chosen = memberships.filter(account_id=account_id).first()
        if chosen is not None:
            return chosen.account
        # An agent's sub-account (its own platform account) is open to the agent's team.
        child = PlatformAccount.objects.filter(pk=account_id, parent__membership__user=user).first()
        if child is not None:
            return child
    first = memberships.order_by("account__username").first()
    return first.account if first else None


@dataclass(frozen=True)
class QuotaGauge:
    available: int
    bought: int

    @property
    def percent_available(self) -> int:
        if not self.bought:
            return 0
        return max(0, min(100, round(100 * self.available / self.bought)))

    @property
    def used(self) -> int:
        return max(0, self.bought - self.available)

    @property
    def level(self) -> str:
        """Bootstrap colour for the gauge."""
        pct = self.percent_available
        return "success" if pct > 25 else "warning" if pct > 10 else "danger"


@dataclass(frozen=True)
class AccountOverview:
    account: PlatformAccount
    service: AccountService | None
    gauge: QuotaGauge | None
    days_to_expiry: int | None
    expiry_level: str  # "" | "warning" | "danger"
    stale: bool
    service_type_words: str
    send_type_words: str
    service_status_words: str


def account_overview(*, account: PlatformAccount, today: dt.date | None = None) -> AccountOverview:
    today = today or timezone.localdate()
    service = AccountService.objects.filter(account=account).first()
    gauge = days = None
    level = ""
    stale = True
    if service is not None:
        if service.qty_available is not None and service.qty_buytotal is not None:
            gauge = QuotaGauge(available=service.qty_available, bought=service.qty_buytotal)
        if service.expiration_date is not None:
            days = (service.expiration_date - today).days
            if days < 0:
                level = "danger"
            elif days <= EXPIRY_WARNING_DAYS:
                level = "warning"
        age = service.age_seconds
        stale = age is None or age > settings.UMAIL_FRESHNESS_SECONDS
    status = service.service_status if service else ""
    return AccountOverview(
        account=account,
        service=service,
        gauge=gauge,
        days_to_expiry=days,
        expiry_level=level,
        stale=stale,
        service_type_words=str(SERVICE_TYPE_WORDS.get(service.service_type, service.service_type))
        if service
        else "",
        send_type_words=str(SEND_TYPE_WORDS.get(service.send_type, service.send_type))
        if service
        else "",
        service_status_words=str(SERVICE_STATUS_WORDS.get(status, status)),
    )
