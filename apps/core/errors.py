"""The application's own errors, and the one place views turn errors into the page's message.

`ApplicationError` is the base of every refusal the portal itself makes (not the platform's):
a message id (marked with gettext_noop, or already a sentence) and parameters, translated when
shown. Platform failures are `apps.umail.errors.UmailError`; `error_message(exc)` gives either
as a sentence in the reader's language.

Views do not catch them by hand: `@errors_as_messages(fallback)` wraps a view, and an
`ApplicationError` or `UmailError` raised in it becomes `messages.error(...)` and a redirect to
`fallback` (a URL name, reversed with the view's URL keywords when it takes them), else to the
referring page. A platform failure never becomes a 500.
"""

from __future__ import annotations

import functools
import logging

from django.contrib import messages
from django.shortcuts import redirect
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext

from apps.umail.errors import UmailError

from .exceptions import ApplicationError

logger = logging.getLogger(__name__)


def error_message(exc: Exception) -> str:
    """The sentence to show for a platform failure or an application refusal."""
    if isinstance(exc, UmailError):
        from .messages import platform_error_message

        return platform_error_message(exc)
    return str(exc)


def errors_as_messages(fallback: str | None = None, *, extra: str = ""):
    """View decorator: platform and application errors become the page's error message.

    `fallback`: the URL name to redirect to afterwards; it is reversed with the view's keyword
    arguments (e.g. `pk`), or without any when it takes none. Without it, to the referring page
    of this site, else to `/` (never to the failing page itself: that could loop). `extra` is
    added to the message (e.g. "Showing the last data fetched.").
    """

    def decorate(view):
        @functools.wraps(view)
        def wrapper(request, *args, **kwargs):
            try:
                return view(request, *args, **kwargs)
            except (UmailError, ApplicationError) as exc:
                if isinstance(exc, UmailError):
                    logger.info("platform error in %s: %s", view.__name__, exc)
                text = error_message(exc)
                messages.error(request, " ".join(filter(None, [text, gettext(extra)])))
                return redirect(_target(request, fallback, kwargs))

        return wrapper

    return decorate


def _target(request, fallback: str | None, kwargs: dict) -> str:
    if fallback:
        try:
            return reverse(fallback, kwargs=kwargs or None)
        except NoReverseMatch:
            return reverse(fallback)
    from django.utils.http import url_has_allowed_host_and_scheme

    referer = request.headers.get("Referer", "")
    if url_has_allowed_host_and_scheme(referer, allowed_hosts={request.get_host()}):
        return referer
    return "/"


__all__ = ["ApplicationError", "error_message", "errors_as_messages"]
