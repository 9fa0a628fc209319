"""Writes for accounts: sign-in through the platform and refreshing the local mirrors."""

from __future__ import annotations

import logging

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from apps.umail.account import CustomerInfo, ServiceInfo
from apps.umail.client import UmailClient
from apps.umail.errors import AuthenticationFailed, UmailError

from .clients import client_for_account
from .models import AccountService, Membership, PlatformAccount

logger = logging.getLogger(__name__)


class SignInRefused(Exception):
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
        account.set_password(password)
        _mirror_customer(account, customer)
        account.save()
        if service is not None:
            _mirror_service(account, service)

        User = get_user_model()
        user, created = User.objects.get_or_create(username=_local_username(username, user_type))
        if created:
            user.set_unusable_password()  # only the platform can sign this user in
        user.first_name = (customer.contact or "")[:150]
        user.email = customer.email if "@" in customer.email else ""
        user.save()
        Membership.objects.get_or_create(
            user=user, account=account, defaults={"role": Membership.Role.OWNER}
        )
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
    return _mirror_service(account, info)


def account_refresh_customer(*, account: PlatformAccount) -> PlatformAccount:
    """Fetch §1.1 into the local mirror."""
    with client_for_account(account) as client:
        info = client.account.customer_info()
    _mirror_customer(account, info)
    account.save()
    return account
