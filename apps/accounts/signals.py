"""After a sign-in: apply the user's stored language (or remember the one chosen before signing
in), and learn an agent's sub-accounts so the header's switcher can offer them."""

from __future__ import annotations

import logging

from django.conf import settings
from django.contrib.auth.signals import user_logged_in
from django.dispatch import Signal, receiver
from django.utils import translation

from apps.umail.errors import UmailError

from .middleware import LANGUAGE_COOKIE_ATTR
from .models import PlatformAccount
from .preferences import is_language, preference_update, preferences_for

logger = logging.getLogger(__name__)

#: Sent after each §1.2 refresh of an account's service (quota) mirror, with `account` and
#: `service`; receivers (smtp's "quota low" mail) run in the refresh and must not raise.
service_refreshed = Signal()


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


@receiver(user_logged_in, dispatch_uid="core.apply_language_at_sign_in")
def apply_language_at_sign_in(sender, request, user, **kwargs):
    if request is None:
        return
    prefs = preferences_for(user=user)
    language = prefs.language
    if not language:
        # A language picked on the sign-in page (the cookie, not merely the browser's default)
        # is an explicit choice: remember it for this user from now on.
        chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME, "")
        if is_language(chosen):
            preference_update(user=user, language=chosen)
            language = chosen
    if language:
        translation.activate(language)
        request.LANGUAGE_CODE = translation.get_language()
        setattr(request, LANGUAGE_COOKIE_ATTR, language)
