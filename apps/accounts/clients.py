"""Build the platform client for a stored account (decrypting its password only here)."""

from __future__ import annotations

from django.views.decorators.debug import sensitive_variables

from apps.umail.client import UmailClient
from apps.umail.errors import AuthenticationFailed

from .models import PlatformAccount


class AccountClient(UmailClient):
    """A client for a stored account: when the platform refuses the stored password, the
    password changed elsewhere, so the sessions opened with it end (apps.accounts.sessions)."""

    stored_account: PlatformAccount | None = None

    def __exit__(self, exc_type, exc, tb) -> None:
        try:
            if self.stored_account is not None and isinstance(exc, AuthenticationFailed):
                from .sessions import credentials_changed

                credentials_changed(account=self.stored_account)
        finally:
            super().__exit__(exc_type, exc, tb)


@sensitive_variables()
def client_for_account(account: PlatformAccount) -> UmailClient:
    client = AccountClient.connect(
        platform_url=account.platform_url,
        username=account.username,
        password=account.get_password(),
        api_mode=account.api_mode,
    )
    client.stored_account = account
    return client
