"""Writes for accounts: sign-in through the platform and refreshing the local mirrors."""

from __future__ import annotations

import logging

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.debug import sensitive_variables

from apps.core.audit import audited, record
from apps.core.exceptions import ApplicationError
from apps.core.models import AuditEntry
from apps.umail.account import CustomerInfo, ServiceInfo
from apps.umail.client import UmailClient
from apps.umail.errors import AuthenticationFailed, PlatformRejected, UmailError

from .clients import client_for_account
from .crypto import CredentialDecryptError
from .models import AccountService, Membership, PlatformAccount, SubAccount
from .scope import API_USER_TYPE
from .sessions import credentials_changed
from .signals import service_refreshed

logger = logging.getLogger(__name__)


class SignInRefused(ApplicationError):
    """The platform says the username, password or user type is wrong."""


def _local_username(username: str, user_type: str) -> str:
    # Platform usernames are unique per user type: the type keeps agent "x" apart from user "x".
    return f"{user_type}:{username}" if user_type else username


def _mirror_customer(account: PlatformAccount, info: CustomerInfo) -> None:
    account.platform_id = info.id
    for field in ("company", "contact", "phone", "mobile", "email", "im", "address"):
        setattr(account, field, getattr(info, field))
    account.customer_synced_at = timezone.now()


def _mirror_service(account: PlatformAccount, info: ServiceInfo) -> AccountService:
    service, _ = AccountService.objects.get_or_create(account=account)
    for field in (
        "service_status",
        "service_type",
        "send_type",
        "beginning_date",
        "expiration_date",
        "qty_available",
        "qty_buytotal",
    ):
        setattr(service, field, getattr(info, field))
    service.fetched_at = timezone.now()
    service.last_error = ""
    service.last_error_at = None
    service.save()
    return service


@sensitive_variables("password")
def account_sign_in(
    *,
    username: str,
    password: str,
    user_type: str,
    errurl: str,
    platform_url: str | None = None,
    api_mode: str | None = None,
):
    """Check the credentials with the platform (§8, then §1.1) and return the local user.

    Raises SignInRefused for wrong credentials and UmailError when the platform cannot answer.
    Nothing local is created or changed unless the platform accepted the credentials.
    """
    platform_url = platform_url or settings.UMAIL_PLATFORM_URL
    api_mode = api_mode or settings.UMAIL_API_MODE
    with UmailClient.connect(
        platform_url=platform_url, username=username, password=password, api_mode=api_mode
    ) as client:
        if not client.console_login(user_type=user_type, errurl=errurl):
            raise SignInRefused()
        try:
            customer = client.account.customer_info()
        except AuthenticationFailed as exc:
            raise SignInRefused() from exc
        try:
            service = client.account.service_info()
        except UmailError as exc:  # the overview can show it later; sign-in need not fail
            logger.warning("service-info failed at sign-in for %s: %s", username, exc)
            service = None

    with transaction.atomic():
        account, _ = PlatformAccount.objects.select_for_update().get_or_create(
            platform_url=platform_url, username=username, user_type=user_type
        )
        account.api_mode = api_mode
        password_changed = bool(account.password_encrypted) and not _same_password(
            account, password
        )
        account.set_password(password)
        _mirror_customer(account, customer)
        account.save()
        if service is not None:
            _mirror_service(account, service)
        if password_changed:
            # Sessions opened with the old password end; the caller binds its new session.
            credentials_changed(account=account)

        link = (
            Membership.objects.select_related("user")
            .filter(account=account, via_platform_login=True)
            .first()
        )
        user = link.user if link else _new_platform_user(username, user_type)
        user.first_name = (customer.contact or "")[:150]
        user.email = customer.email if "@" in customer.email else ""
        user.save()
        if link is None:
            Membership.objects.create(
                user=user, account=account, role=Membership.Role.OWNER, via_platform_login=True
            )
    return user


@sensitive_variables("password")
def _same_password(account: PlatformAccount, password: str) -> bool:
    try:
        return account.get_password() == password
    except CredentialDecryptError:  # no configured key reads it: it is as good as changed
        return False


def _new_platform_user(username: str, user_type: str):
    """A fresh local user for a platform login; never an existing user with the same name."""
    User = get_user_model()
    base = _local_username(username, user_type)
    candidate, n = base, 1
    while User.objects.filter(username=candidate).exists():
        n += 1
        candidate = f"{base}+{n}"
    user = User(username=candidate)
    user.set_unusable_password()  # only the platform can sign this user in
    user.save()
    return user


def account_refresh_service(*, account: PlatformAccount) -> AccountService:
    """Fetch §1.2 into the local mirror; on failure record the error beside the old data."""
    try:
        with client_for_account(account) as client:
            info = client.account.service_info()
    except UmailError as exc:
        service, _ = AccountService.objects.get_or_create(account=account)
        service.last_error = str(exc)[:1000]
        service.last_error_at = timezone.now()
        service.save(update_fields=["last_error", "last_error_at"])
        raise
    service = _mirror_service(account, info)
    # Apps above (smtp's "quota low" mail, §10) listen; they must never fail the refresh.
    service_refreshed.send(sender=AccountService, account=account, service=service)
    return service


def account_refresh_customer(*, account: PlatformAccount) -> PlatformAccount:
    """Fetch §1.1 into the local mirror."""
    with client_for_account(account) as client:
        info = client.account.customer_info()
    _mirror_customer(account, info)
    account.save()
    return account


# -- sub-accounts of agents and administrators -------------------------------------------------


class ScopeRefused(ApplicationError):
    """The account may not act for this customer id (with a sentence for the user)."""


def subaccounts_discover(*, account: PlatformAccount) -> list[SubAccount]:
    """Learn an agent's sub-accounts from §7.1: called with the agent's own credentials it also
    lists its sub-accounts' domains, each with the sub-account's customer_id.

    Administrators are skipped (§7.1 would list every customer of the platform); they enter
    customer ids or staff add them in admin. A sub-account without any domain is not found this
    way either, which is why both of those remain possible for agents too.
    """
    if account.user_type != PlatformAccount.UserType.AGENT:
        return []
    with client_for_account(account) as client:
        if account.platform_id is None:  # needed to tell the agent's own domains apart
            account.platform_id = client.account.customer_info().id
            account.save(update_fields=["platform_id"])
        items = client.domains.domain_list()
    own = account.platform_id
    first_domain: dict[str, str] = {}
    for item in items:
        if item.customer_id and item.customer_id != own:
            first_domain.setdefault(str(item.customer_id), item.domain)
    now = timezone.now()
    found = []
    for customer_id, domain in first_domain.items():
        sub, created = SubAccount.objects.get_or_create(
            account=account,
            customer_id=customer_id,
            defaults={"source": SubAccount.Source.DISCOVERED, "label": domain, "confirmed_at": now},
        )
        if not created:
            sub.confirmed_at = now
            sub.save(update_fields=["confirmed_at"])
        found.append(sub)
    return found


def _confirm_with_platform(account: PlatformAccount, customer_id: str) -> None:
    """The platform answers §7.1 for this customer_id only if the account manages it."""
    with client_for_account(account) as client:
        client.domains.domain_list(customer_id=customer_id, user_type=API_USER_TYPE)


def scope_switch(*, account: PlatformAccount, user, customer_id: str) -> SubAccount | None:
    """Switch to a sub-account (or back to the account itself with ""), validated and logged.

    Only agents and administrators switch, only to a known sub-account, and only when the
    platform confirms the customer_id for this account; when the platform cannot be reached, a
    sub-account it confirmed before is still allowed. Raises ScopeRefused otherwise. Every
    attempt is recorded in the audit log.
    """
    customer_id = (customer_id or "").strip()
    action = "accounts.scope.switch"

    def refuse(message: str, outcome=AuditEntry.Outcome.REFUSED, status: str = "") -> None:
        record(
            account=account,
            user=user,
            action=action,
            target=customer_id,
            customer_id=customer_id,
            outcome=outcome,
            platform_status=status,
            message=message,
        )
        raise ScopeRefused(message)

    if not customer_id:
        record(account=account, user=user, action=action, target=str(_("Own account")))
        return None
    if not account.is_agent_or_manager:
        refuse(_("Only agent and administrator accounts have sub-accounts."))
    sub = SubAccount.objects.filter(account=account, customer_id=customer_id).first()
    if sub is None:
        refuse(
            _("Customer %(id)s is not one of this account's sub-accounts.") % {"id": customer_id}
        )
    try:
        _confirm_with_platform(account, customer_id)
    except PlatformRejected as exc:
        refuse(
            _("The platform does not let this account act for customer %(id)s: %(why)s")
            % {"id": customer_id, "why": exc.detail or exc.status},
            status=exc.status,
        )
    except UmailError as exc:
        if sub.confirmed_at is None:
            refuse(
                _("The platform could not confirm this sub-account just now: %(why)s")
                % {"why": exc},
                outcome=AuditEntry.Outcome.FAILED,
            )
        logger.warning("scope switch for %s to %s unconfirmed: %s", account.pk, customer_id, exc)
    else:
        sub.confirmed_at = timezone.now()
        sub.save(update_fields=["confirmed_at"])
    record(
        account=account,
        user=user,
        action=action,
        target=sub.display_name,
        customer_id=customer_id,
        platform_status="success",
    )
    return sub


def subaccount_add(
    *, account: PlatformAccount, user, customer_id: str, label: str = ""
) -> SubAccount:
    """An agent or administrator enters a customer id; the platform must confirm it."""
    if not account.is_agent_or_manager:
        raise ScopeRefused(_("Only agent and administrator accounts have sub-accounts."))
    if account.user_type == PlatformAccount.UserType.AGENT:
        # §7's manager mode is the administrator's alone: an agent's sub-account is confirmed
        # by its own credentials (§1.1) when the agent first switches to it.
        sub, created = SubAccount.objects.get_or_create(
            account=account,
            customer_id=customer_id,
            defaults={"source": SubAccount.Source.ENTERED, "label": label},
        )
        if label and not created:
            sub.label = label
            sub.save(update_fields=["label"])
        record(
            account=account,
            user=user,
            action="accounts.subaccount.add",
            target=label or customer_id,
            customer_id=customer_id,
        )
        return sub
    with audited(
        account=account,
        user=user,
        action="accounts.subaccount.add",
        target=label or customer_id,
        customer_id=customer_id,
    ):
        _confirm_with_platform(account, customer_id)
    sub, created = SubAccount.objects.get_or_create(
        account=account,
        customer_id=customer_id,
        defaults={"source": SubAccount.Source.ENTERED, "label": label},
    )
    sub.confirmed_at = timezone.now()
    if label and not created:
        sub.label = label
    sub.save()
    return sub
