"""After a sign-in: learn an agent's sub-accounts so the header's switcher can offer them."""

from __future__ import annotations

import logging

from django.contrib.auth.signals import user_logged_in
from django.dispatch import receiver

from apps.umail.errors import UmailError

from .models import PlatformAccount

logger = logging.getLogger(__name__)


@receiver(user_logged_in, dispatch_uid="accounts.discover_sub_accounts")
def discover_sub_accounts(sender, request, user, **kwargs):
    from .services import subaccounts_discover

    agents = PlatformAccount.objects.filter(
        membership__user=user, user_type=PlatformAccount.UserType.AGENT
    )
    for account in agents:
        try:
            subaccounts_discover(account=account)
        except UmailError as exc:  # sign-in goes on; the sub-accounts page can retry
            logger.warning("sub-account discovery failed for account %s: %s", account.pk, exc)
