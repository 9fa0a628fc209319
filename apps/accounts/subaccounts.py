"""An agent's sub-accounts as platform accounts of their own (DECISIONS.md, "Sub-accounts are
platform accounts").

§7 says that with `user_type=manager` the credentials must be the administrator's (L3123-3125)
and §7.4/§7.5 are "administrator only": an agent cannot act for a sub-account with its own
credentials. So the agent gives the portal the sub-account's own username and password once;
§1.1 confirms they belong to that customer id; the sub-account becomes a `PlatformAccount`
(encrypted credentials, its own mirrors) whose `parent` is the agent's account, and switching to
it makes it the active account for everything (lists, templates, campaigns, statistics,
domains). Rows added before this (no credentials) "need credentials" and are asked for them at
the next switch. The administrator (`manager`) keeps its customer-id scope for §7 (see scope.py).
"""

from __future__ import annotations

import logging

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.debug import sensitive_variables

from apps.core.audit import record
from apps.core.models import AuditEntry
from apps.umail.client import UmailClient
from apps.umail.errors import AuthenticationFailed, UmailError

from .clients import client_for_account
from .models import Membership, PlatformAccount, SubAccount

logger = logging.getLogger(__name__)


class CredentialsRefused(Exception):
    """The sub-account's credentials were not accepted (with a sentence for the user)."""


def managing_account(account: PlatformAccount) -> PlatformAccount:
    """The agent's account when `account` is one of its sub-accounts, else `account` itself."""
    return account.parent if account.parent_id else account


def acts_through_own_credentials(account: PlatformAccount) -> bool:
    """Agents switch to their sub-accounts' own platform accounts (administrators keep §7's
    customer_id scope)."""
    return managing_account(account).user_type == PlatformAccount.UserType.AGENT


@sensitive_variables("password")
def _record(*, account, user, sub: SubAccount, action: str, **fields) -> None:
    """One audit entry about a sub-account, under the agent's account."""
    record(
        account=account,
        user=user,
        action=action,
        target=sub.display_name,
        customer_id=sub.customer_id,
        **fields,
    )


def subaccount_credentials_set(
    *, account: PlatformAccount, user, sub: SubAccount, username: str, password: str
) -> PlatformAccount:
    """Check the sub-account's own credentials with §1.1 (they must belong to its customer id)
    and store them, encrypted, on its own platform account linked to the agent's."""
    username = username.strip()

    def refuse(message: str, outcome=AuditEntry.Outcome.REFUSED) -> None:
        _record(
            account=account,
            user=user,
            sub=sub,
            action="accounts.subaccount.credentials",
            outcome=outcome,
            message=message,
        )
        raise CredentialsRefused(message)

    try:
        with UmailClient.connect(
            platform_url=account.platform_url,
            username=username,
            password=password,
            api_mode=account.api_mode,
        ) as client:
            customer = client.account.customer_info()
    except AuthenticationFailed:
        refuse(_("The platform did not accept this username and password."))
    except UmailError as exc:
        refuse(
            _("The platform could not check these credentials just now: %(why)s") % {"why": exc},
            outcome=AuditEntry.Outcome.FAILED,
        )
    if str(customer.id) != sub.customer_id:
        refuse(
            _("These credentials belong to customer %(found)s, not to %(expected)s.")
            % {"found": customer.id, "expected": sub.customer_id}
        )
    with transaction.atomic():
        child, _created = PlatformAccount.objects.select_for_update().get_or_create(
            platform_url=account.platform_url, username=username, user_type=""
        )
        child.api_mode = account.api_mode
        child.parent = account
        child.set_password(password)
        child.platform_id = customer.id
        child.company = customer.company
        child.contact = customer.contact
        child.email = customer.email
        child.customer_synced_at = timezone.now()
        child.save()
        sub.platform_account = child
        sub.confirmed_at = timezone.now()
        if not sub.label:
            sub.label = (customer.company or username)[:150]
        sub.save(update_fields=["platform_account", "confirmed_at", "label"])
    _record(
        account=account,
        user=user,
        sub=sub,
        action="accounts.subaccount.credentials",
        platform_status="success",
    )
    return child


def subaccount_enter(*, account: PlatformAccount, user, sub: SubAccount) -> PlatformAccount:
    """Switch to the sub-account's own platform account after §1.1 confirms its stored
    credentials still work (a sub-account confirmed before is allowed when the platform cannot
    be reached). Raises CredentialsRefused when they no longer work: they are asked again."""
    child = sub.platform_account
    try:
        with client_for_account(child) as client:
            customer = client.account.customer_info()
    except AuthenticationFailed:
        SubAccount.objects.filter(pk=sub.pk).update(platform_account=None)
        message = _("The sub-account's password has changed: enter its credentials again.")
        _record(
            account=account,
            user=user,
            sub=sub,
            action="accounts.scope.switch",
            outcome=AuditEntry.Outcome.REFUSED,
            message=message,
        )
        raise CredentialsRefused(message) from None
    except UmailError as exc:
        logger.warning("sub-account %s unconfirmed at the switch: %s", sub.pk, exc)
    else:
        if str(customer.id) != sub.customer_id:  # pragma: no cover - checked when stored
            raise CredentialsRefused(_("These credentials belong to another customer."))
        sub.confirmed_at = timezone.now()
        sub.save(update_fields=["confirmed_at"])
    _record(
        account=account,
        user=user,
        sub=sub,
        action="accounts.scope.switch",
        platform_status="success",
    )
    return child


def membership_for(*, user, account: PlatformAccount) -> Membership | None:
    """The user's membership of the account, or of the agent's account it is a sub-account of
    (the agent's team works on its sub-accounts with the same roles)."""
    found = Membership.objects.filter(user=user, account=account).first()
    if found is None and account.parent_id:
        found = Membership.objects.filter(user=user, account_id=account.parent_id).first()
    return found
