"""Sign-in throttling: repeated failures lock a username and an IP out for a while.

Attempts are rows in the database, so every web process sees the same counts. Only answers
from the platform count: an unreachable platform is nobody's failed guess.
"""

from __future__ import annotations

import datetime as dt
import math

from django.conf import settings
from django.utils import timezone

from .models import SignInAttempt


def _window() -> dt.timedelta:
    return dt.timedelta(seconds=settings.SIGNIN_THROTTLE_WINDOW_SECONDS)


def client_ip(request) -> str | None:
    return request.META.get("REMOTE_ADDR") or None


def signin_retry_after(*, username: str, ip: str | None) -> int | None:
    """Seconds until this username / IP may try again, or None when not throttled."""
    now = timezone.now()
    since = now - _window()
    failures = SignInAttempt.objects.filter(created_at__gte=since, succeeded=False)
    last_success = (
        SignInAttempt.objects.filter(username=username, succeeded=True, created_at__gte=since)
        .order_by("-created_at")
        .values_list("created_at", flat=True)
        .first()
    )
    by_user = failures.filter(username=username)
    if last_success:
        by_user = by_user.filter(created_at__gt=last_success)
    checks = [(by_user, settings.SIGNIN_MAX_FAILURES_PER_USERNAME)]
    if ip:
        checks.append((failures.filter(ip=ip), settings.SIGNIN_MAX_FAILURES_PER_IP))
    waits = []
    for attempts, limit in checks:
        times = list(attempts.order_by("-created_at").values_list("created_at", flat=True)[:limit])
        if len(times) >= limit:
            # Free again once the oldest of the last `limit` failures leaves the window.
            waits.append((times[-1] + _window() - now).total_seconds())
    return math.ceil(max(waits)) if waits else None


def signin_record(*, username: str, ip: str | None, succeeded: bool) -> None:
    SignInAttempt.objects.create(username=username, ip=ip, succeeded=succeeded)
    # Keep the table small: nothing older than the window matters.
    SignInAttempt.objects.filter(created_at__lt=timezone.now() - 4 * _window()).delete()
