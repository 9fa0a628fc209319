"""Sign-in lockout (django-axes) for every door: the platform sign-in, the team sign-in, /admin/.

The key is the username *and* the client address (apps.core.client_address, which believes
X-Forwarded-For only from the operator's proxies), plus a looser limit per client address across
usernames. So one client's failures never lock out another client, and one client cannot guess
many usernames. Django's own sign-ins (team, admin) reach axes through `LockoutBackend` and
Django's `user_login_failed` signal; the platform sign-in, which does not go through
`authenticate()`, asks `signin_allowed` first and reports with `signin_failed`/`signin_succeeded`.

Usernames are namespaced: "platform:NAME" for platform accounts, "portal:NAME" for portal users
(team members and staff share one password, so their team and admin failures add up).
"""

from __future__ import annotations

import math

from axes.attempts import get_cool_off_threshold
from axes.backends import AxesStandaloneBackend
from axes.handlers.database import AxesDatabaseHandler
from axes.handlers.proxy import AxesProxyHandler
from axes.helpers import get_client_username
from axes.models import AccessAttempt
from django.conf import settings
from django.contrib.auth.signals import user_login_failed
from django.db.models import Sum
from django.shortcuts import render
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext as _


def _platform_login_path() -> str:
    try:
        return reverse("accounts:login")
    except NoReverseMatch:  # pragma: no cover - urls not loaded
        return "/login/"


def lockout_username(request, credentials=None) -> str:
    """AXES_USERNAME_CALLABLE: the username under its realm (platform or portal user)."""
    name = (credentials or {}).get("username")
    if name is None and request is not None:
        name = request.POST.get("username", "")
    path = getattr(request, "path", "") or ""
    realm = "platform" if path == _platform_login_path() else "portal"
    return f"{realm}:{name or ''}"[:255]


class LockoutBackend(AxesStandaloneBackend):
    """Axes' backend, tolerant of `authenticate()` without a request (the test client's
    `login()`, management code): those are not sign-ins from a client, so there is nothing to
    count; every sign-in page passes its request."""

    def authenticate(self, request=None, username=None, password=None, **kwargs):
        if request is None:
            return None
        return super().authenticate(request, username=username, password=password, **kwargs)


class SignInLockoutHandler(AxesDatabaseHandler):
    """Two limits instead of axes' one: SIGNIN_MAX_FAILURES_PER_USERNAME for a username from one
    client address, SIGNIN_MAX_FAILURES_PER_IP for a client address across usernames."""

    def _failure_counts(self, request, credentials=None) -> tuple[int, int]:
        username = get_client_username(request, credentials)
        address = request.axes_ip_address
        recent = AccessAttempt.objects.filter(attempt_time__gte=get_cool_off_threshold(request))

        def total(queryset) -> int:
            return queryset.aggregate(n=Sum("failures_since_start"))["n"] or 0

        return (
            total(recent.filter(username=username, ip_address=address)),
            total(recent.filter(ip_address=address)),
        )

    def get_failures(self, request, credentials=None) -> int:
        # Axes compares one number with AXES_FAILURE_LIMIT (= the per-username limit); the
        # per-address count is scaled so that it reaches that limit exactly at its own limit.
        per_user, per_address = self._failure_counts(request, credentials)
        user_limit = settings.SIGNIN_MAX_FAILURES_PER_USERNAME
        address_limit = max(1, settings.SIGNIN_MAX_FAILURES_PER_IP)
        return max(per_user, per_address * user_limit // address_limit)

    def reset_user_attempts(self, request, credentials=None) -> int:
        # A success clears this username's failures from this address only: signing in to one's
        # own account must not wipe the address's count of guesses at other usernames.
        count, _ = AccessAttempt.objects.filter(
            username=get_client_username(request, credentials),
            ip_address=request.axes_ip_address,
        ).delete()
        return count


def retry_after_seconds() -> int:
    return math.ceil(settings.AXES_COOLOFF_TIME.total_seconds())


def lockout_response(request, original_response=None, credentials=None):
    """AXES_LOCKOUT_CALLABLE: a page that says how long to wait, 429 with Retry-After."""
    return locked_out_page(request, template="accounts/locked_out.html", context={})


def locked_out_message() -> str:
    minutes = max(1, round(retry_after_seconds() / 60))
    return _("Too many failed sign-ins. Please wait %(minutes)s minute(s) and try again.") % {
        "minutes": minutes
    }


def locked_out_page(request, *, template: str, context: dict):
    response = render(
        request, template, {**context, "lockout_message": locked_out_message()}, status=429
    )
    response["Retry-After"] = str(retry_after_seconds())
    return response


# -- the platform sign-in, which does not go through authenticate() ---------------------------


def signin_allowed(request, *, username: str) -> bool:
    return AxesProxyHandler.is_allowed(request, {"username": username})


def signin_failed(request, *, username: str) -> None:
    user_login_failed.send(sender=__name__, credentials={"username": username}, request=request)
    # Only the page decides how to answer; axes' middleware would replace it otherwise.
    request.axes_locked_out = False


def signin_succeeded(request, *, username: str) -> None:
    AxesProxyHandler.update_request(request)
    AxesProxyHandler.get_implementation().reset_user_attempts(request, {"username": username})
