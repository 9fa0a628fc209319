"""Build the platform client for a stored account (decrypting its password only here)."""

from __future__ import annotations

from django.views.decorators.debug import sensitive_variables

from apps.umail.client import UmailClient

from .models import PlatformAccount


@sensitive_variables()
def client_for_account(account: PlatformAccount) -> UmailClient:
    return UmailClient.connect(
        platform_url=account.platform_url,
        username=account.username,
        password=account.get_password(),
        api_mode=account.api_mode,
    )
