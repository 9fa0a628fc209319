"""Toasts for background work a user started: an import, a full resync, a template's content check.

Every page of the portal polls `accounts:notifications` (see `templates/partials/toasts.html` and
`static/js/toasts.js`). Each poll first *scans* the job tables for jobs of this user that ended
since the last scan and records a `Notification` for each (idempotent, by key), then returns the
notifications not shown yet. Scanning at poll time keeps the apps' workers unaware of toasts: a
job only needs to record when it ended. Code that knows better can call `notify()` directly.

Texts are msgids marked with `gettext_noop` and translated when shown, so the toast speaks the
language the user reads the portal in, not the worker's.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from django.db import IntegrityError, transaction
from django.urls import NoReverseMatch, reverse
from django.utils import formats, timezone
from django.utils.translation import gettext

from .models import Notification

logger = logging.getLogger(__name__)

# A job's end time is written by the worker before its transaction commits; scanning a little
# further back than the last scan catches rows that became visible late (keys prevent doubles).
SCAN_OVERLAP = dt.timedelta(minutes=2)
# Toasts are news: a user who comes back after a week does not get a week of them.
MAX_AGE = dt.timedelta(days=1)
MAX_TOASTS_PER_POLL = 5


@dataclass(frozen=True)
class JobEnded:
    key: str
    level: str
    message: str  # a msgid
    params: dict = field(default_factory=dict)
    url: str = ""
    account_id: int | None = None


def _format_param(value):
    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        return formats.number_format(value, force_grouping=True)
    return value


def render_text(message_id: str, params: dict | None) -> str:
    """The notification's text in the active language; a translation whose placeholders do not
    match falls back to the English text rather than breaking the page."""
    values = {k: _format_param(v) for k, v in (params or {}).items()}
    for text in (gettext(message_id), message_id):
        try:
            return text % values if values else text
        except (KeyError, ValueError, TypeError):
            continue
    return message_id


def notify(
    *,
    user,
    key: str,
    message: str,
    level: str = Notification.Level.INFO,
    params: dict | None = None,
    url: str = "",
    account=None,
    account_id: int | None = None,
) -> Notification | None:
    """Record news for `user` (once per key). `message` is a msgid marked with gettext_noop."""
    if user is None:
        return None
    try:
        with transaction.atomic():
            notification, _created = Notification.objects.get_or_create(
                user=user,
                key=key[:200],
                defaults={
                    "account_id": account.pk if account is not None else account_id,
                    "level": level,
                    "message_id": message,
                    "params": params or {},
                    "url": url,
                },
            )
    except IntegrityError:  # a concurrent poll of another tab created it first
        notification = Notification.objects.get(user=user, key=key[:200])
    return notification


# -- the job tables scanned: each app registers its own -------------------------------------------

#: Scanners: (user, since) -> jobs of this user that ended since then.
SOURCES: list[Callable[[object, dt.datetime], Iterable[JobEnded]]] = []


def register_scanner(func: Callable[[object, dt.datetime], Iterable[JobEnded]]):
    """Called from an app's AppConfig.ready(): its job table is scanned at every poll."""
    if func not in SOURCES:
        SOURCES.append(func)
    return func


def url_or_blank(name: str, *args) -> str:
    try:
        return reverse(name, args=args)
    except NoReverseMatch:
        return ""


def scan(*, user, since: dt.datetime) -> int:
    """Record a notification for every job of `user` that ended since `since` (the caller keeps
    the time of the user's last scan: accounts.preferences.notifications_scan)."""
    created = 0
    for source in SOURCES:
        ended = list(source(user, since))
        for job in ended:
            notification = notify(
                user=user,
                key=job.key,
                message=job.message,
                level=job.level,
                params=job.params,
                url=job.url,
                account_id=job.account_id,
            )
            created += notification is not None and notification.shown_at is None
    return created


def take_unshown(*, user, limit: int = MAX_TOASTS_PER_POLL) -> list[Notification]:
    """The user's notifications not shown yet (oldest first), marked as shown."""
    cutoff = timezone.now() - MAX_AGE
    pending = list(
        Notification.objects.filter(
            user=user, shown_at__isnull=True, created_at__gte=cutoff
        ).order_by("created_at", "id")[:limit]
    )
    if pending:
        Notification.objects.filter(pk__in=[n.pk for n in pending]).update(shown_at=timezone.now())
    return pending
