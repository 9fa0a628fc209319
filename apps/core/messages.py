"""Sentences for people about platform failures: pages show these, never a stack trace."""

from __future__ import annotations

from django.utils.translation import gettext as _

from apps.umail.errors import (
    AuthenticationFailed,
    MalformedReply,
    PlatformRejected,
    PlatformTimeout,
    RateLimited,
    UmailError,
)


def platform_error_message(exc: UmailError) -> str:
    if isinstance(exc, PlatformTimeout):
        return _("The U-Mail platform did not answer in time. Please try again in a minute.")
    if isinstance(exc, AuthenticationFailed):
        return _(
            "The platform no longer accepts the stored password for this account. "
            "Sign out and sign in again."
        )
    if isinstance(exc, RateLimited):
        return _("The platform's rate limit was reached. Please wait before trying again.")
    if isinstance(exc, MalformedReply):
        return _("The platform sent a reply the portal could not read. Please try again later.")
    if isinstance(exc, PlatformRejected):
        return _("The platform refused the request: %(detail)s") % {
            "detail": exc.detail or exc.status
        }
    return _(
        "The U-Mail platform could not be reached just now (%(reason)s). Please try again."
    ) % {"reason": exc.message or exc.__class__.__name__}
