"""The scope a request works in: the platform account itself, or one of its sub-accounts.

An agent or administrator account may act for its sub-accounts (platform `customer_id`). The
chosen sub-account is kept in the session, validated on every request against the account's
confirmed `SubAccount` rows, and exposed as `request.scope`. Local mirrors of data that belongs
to a sub-account are keyed by (account, customer_id); `customer_id == ""` is the account itself.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

from .models import PlatformAccount, SubAccount

SESSION_KEY = "edmportal_scope"

# What §7's `user_type` parameter says when an agent or administrator acts for a sub-account.
# The documentation knows only "customer" (default) and "manager"; an agent manages its own
# sub-accounts, so it sends "manager" too (docs/DEVELOPING.md, "Sub-accounts").
API_USER_TYPE = "manager"


@dataclass(frozen=True)
class Scope:
    account: PlatformAccount | None
    sub_account: SubAccount | None = None

    @property
    def customer_id(self) -> str:
        return self.sub_account.customer_id if self.sub_account else ""

    @property
    def is_sub_account(self) -> bool:
        return self.sub_account is not None

    @property
    def label(self) -> str:
        if self.sub_account is not None:
            return self.sub_account.display_name
        return str(_("Own account"))

    def api_params(self) -> dict[str, str]:
        """`customer_id` and `user_type` for the operations that take them; {} for oneself."""
        if self.sub_account is None:
            return {}
        return {"customer_id": self.sub_account.customer_id, "user_type": API_USER_TYPE}


def scope_for(*, account: PlatformAccount | None, customer_id: str | None) -> Scope:
    """The scope for a stored choice; anything not (or no longer) allowed falls back to the
    account itself, so a stale or forged customer_id never reaches a sub-account's data."""
    if account is None or not customer_id or not account.is_agent_or_manager:
        return Scope(account=account)
    sub = (
        SubAccount.objects.filter(account=account, customer_id=str(customer_id))
        .exclude(confirmed_at=None)
        .first()
    )
    return Scope(account=account, sub_account=sub)


def scope_from_session(request) -> Scope:
    account = request.account if request.account else None
    stored = request.session.get(SESSION_KEY) or {}
    if account is None or stored.get("account") != account.pk:
        return Scope(account=account)
    return scope_for(account=account, customer_id=stored.get("customer_id"))


def remember_scope(request, *, account: PlatformAccount, customer_id: str) -> None:
    request.session[SESSION_KEY] = {"account": account.pk, "customer_id": customer_id or ""}
