"""Toasts for background work a user started: an import, a full resync, a template's content check.

Every page of the portal polls `core:notifications` (see `templates/partials/toasts.html` and
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
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field

from django.apps import apps
from django.db import IntegrityError, transaction
from django.urls import NoReverseMatch, reverse
from django.utils import formats, timezone
from django.utils.translation import gettext, gettext_noop

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


def _url(name: str, *args) -> str:
    try:
        return reverse(name, args=args)
    except NoReverseMatch:
        return ""


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


# -- the job tables scanned -----------------------------------------------------------------------


def _imports(user, since) -> Iterator[JobEnded]:
    ImportJob = apps.get_model("contacts", "ImportJob")
    jobs = ImportJob.objects.filter(
        user=user,
        state__in=[ImportJob.State.DONE, ImportJob.State.FAILED],
        finished_at__gte=since,
    )
    for job in jobs:
        params = {"file": job.original_name, "list": job.list_subject or str(job.list_platform_id)}
        url = _url("contacts:import-detail", job.pk)
        if job.state == ImportJob.State.DONE:
            yield JobEnded(
                f"contacts.import:{job.pk}:done",
                Notification.Level.SUCCESS,
                gettext_noop("The import of “%(file)s” into the list “%(list)s” has finished."),
                params,
                url,
                job.account_id,
            )
        else:
            yield JobEnded(
                f"contacts.import:{job.pk}:failed",
                Notification.Level.ERROR,
                gettext_noop(
                    "The import of “%(file)s” into the list “%(list)s” failed. Open it to see why."
                ),
                params,
                url,
                job.account_id,
            )


def _resyncs(user, since) -> Iterator[JobEnded]:
    ResyncJob = apps.get_model("ops", "ResyncJob")
    jobs = ResyncJob.objects.filter(
        requested_by=user,
        status__in=[ResyncJob.Status.DONE, ResyncJob.Status.FAILED],
        finished_at__gte=since,
    )
    for job in jobs:
        done = job.status == ResyncJob.Status.DONE
        yield JobEnded(
            f"ops.resync:{job.pk}:{job.status}",
            Notification.Level.SUCCESS if done else Notification.Level.ERROR,
            gettext_noop("Everything was fetched again from the platform.")
            if done
            else gettext_noop(
                "Fetching everything again from the platform failed. Open it to see why."
            ),
            {},
            _url("ops:resync"),
            job.account_id,
        )


# Template checks are started by saving a template; the check belongs to the account, so every
# member who may edit templates hears about it.
_TEMPLATE_MESSAGES = {
    "green": (
        Notification.Level.SUCCESS,
        gettext_noop("The template “%(name)s” passed the content check."),
    ),
    "yellow": (
        Notification.Level.SUCCESS,
        gettext_noop("The template “%(name)s” passed the content check with warnings."),
    ),
    "red_pass": (
        Notification.Level.INFO,
        gettext_noop("The template “%(name)s” passed the content check but scored high for spam."),
    ),
    "red": (
        Notification.Level.ERROR,
        gettext_noop("The platform rejected the template “%(name)s” in its content check."),
    ),
}


def _template_checks(user, since) -> Iterator[JobEnded]:
    MailTemplate = apps.get_model("mailtemplates", "MailTemplate")
    Membership = apps.get_model("accounts", "Membership")
    editors = Membership.objects.filter(user=user).exclude(role=Membership.Role.VIEWER)
    templates = MailTemplate.objects.filter(
        account_id__in=editors.values("account_id"),
        poll_finished_at__gte=since,
        poll_state__in=[
            MailTemplate.PollState.DONE,
            MailTemplate.PollState.TIMED_OUT,
            MailTemplate.PollState.FAILED,
        ],
    )
    for template in templates:
        stamp = int(template.poll_finished_at.timestamp())
        url = _url("mailtemplates:edit", template.pk)
        params = {"name": template.name}
        if template.poll_state == MailTemplate.PollState.DONE:
            level, message = _TEMPLATE_MESSAGES.get(
                template.check_result,
                (
                    Notification.Level.INFO,
                    gettext_noop("The content check of “%(name)s” has finished."),
                ),
            )
        else:
            level = Notification.Level.ERROR
            message = gettext_noop(
                "The content check of “%(name)s” did not finish. Open it to check again."
            )
        yield JobEnded(
            f"templates.check:{template.pk}:{stamp}",
            level,
            message,
            params,
            url,
            template.account_id,
        )


#: Scanners: (user, since) -> jobs of this user that ended since then.
SOURCES: list[Callable[[object, dt.datetime], Iterable[JobEnded]]] = [
    _imports,
    _resyncs,
    _template_checks,
]


def scan(*, user, now: dt.datetime | None = None) -> int:
    """Record a notification for every job of `user` that ended since the last scan."""
    from apps.accounts.models import UserPreference

    now = now or timezone.now()
    pref, _created = UserPreference.objects.get_or_create(user=user)
    last = pref.notifications_scanned_at
    UserPreference.objects.filter(pk=pref.pk).update(notifications_scanned_at=now)
    if last is None:
        return 0  # the first poll of this user: jobs that ended before are not news
    since = max(last - SCAN_OVERLAP, now - MAX_AGE)
    created = 0
    for source in SOURCES:
        try:
            ended = list(source(user, since))
        except LookupError:  # an app that is not installed
            continue
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
