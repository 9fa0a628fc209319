"""Sessions bound to the platform credentials they were opened with, and renewed while used.

A platform sign-in stores the account's `credentials_version` in the session. When the platform
password changes (someone signs in with a different password, or the platform refuses the stored
one), the version goes up and every session opened under an older one ends at its next request.
Team members' sessions are bound to their own portal password by Django itself.

Sessions slide: SESSION_COOKIE_AGE (SESSION_LIFETIME_SECONDS, 12 h by default) of inactivity end
one; a request renews it at most every SESSION_RENEW_SECONDS so pages do not write it each time.
"""

from __future__ import annotations

import logging
import time

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.db.models import F
from django.utils.translation import gettext as _

from .models import PlatformAccount

logger = logging.getLogger(__name__)

CREDENTIALS_KEY = "edmportal_credentials"
RENEWED_KEY = "edmportal_renewed"


def session_bind(request, *, account: PlatformAccount) -> None:
    """Bind this (freshly signed-in) session to the account's current credentials."""
    request.session[CREDENTIALS_KEY] = [account.pk, account.credentials_version]
    request.session[RENEWED_KEY] = int(time.time())


def credentials_changed(*, account: PlatformAccount) -> None:
    """The platform password changed: every session opened with the old one ends."""
    PlatformAccount.objects.filter(pk=account.pk).update(
        credentials_version=F("credentials_version") + 1
    )
    account.refresh_from_db(fields=["credentials_version"])
    logger.info("account %s: credentials changed; its other sessions end", account.pk)


def _session_is_current(request) -> bool:
    bound = request.session.get(CREDENTIALS_KEY)
    if not bound:
        return True
    account_id, version = bound
    account = getattr(request, "account", None)  # loaded anyway by most pages
    if account is not None and account.pk == account_id:
        return account.credentials_version == version
    current = (
        PlatformAccount.objects.filter(pk=account_id)
        .values_list("credentials_version", flat=True)
        .first()
    )
    return current == version


class SessionCredentialsMiddleware:
    """After CurrentAccountMiddleware: end sessions whose credentials changed; slide the rest."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.user.is_authenticated:
            if not _session_is_current(request):
                logout(request)
                request.account = None
                request.scope = None
                messages.warning(
                    request,
                    _(
                        "You were signed out because the platform password of this account "
                        "changed. Please sign in again."
                    ),
                )
                # The request goes on signed out: pages that need a sign-in send it there.
                return self.get_response(request)
            now = int(time.time())
            if now - request.session.get(RENEWED_KEY, 0) >= settings.SESSION_RENEW_SECONDS:
                request.session[RENEWED_KEY] = now  # saving the session renews its expiry
        return self.get_response(request)
