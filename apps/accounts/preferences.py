"""A user's language and time zone: reading them cheaply on each request, and changing them.

The language stored here wins over the browser's once the user has chosen one (in the header or on
the preferences page); the time zone defaults to Beijing time, the platform's own.
"""

from __future__ import annotations

import zoneinfo
from dataclasses import dataclass
from functools import lru_cache

from django.conf import settings
from django.utils import timezone

from .models import DEFAULT_TIME_ZONE, UserPreference

# Offered first on the preferences page: where the portal's marketers and agencies work.
COMMON_TIME_ZONES = (
    "Asia/Shanghai",
    "Asia/Hong_Kong",
    "Asia/Taipei",
    "Asia/Singapore",
    "Asia/Tokyo",
    "Asia/Seoul",
    "Australia/Sydney",
    "Europe/London",
    "Europe/Berlin",
    "America/New_York",
    "America/Los_Angeles",
    "UTC",
)


@lru_cache(maxsize=1)
def all_time_zones() -> tuple[str, ...]:
    return tuple(sorted(zoneinfo.available_timezones()))


def is_time_zone(name: str) -> bool:
    return name in all_time_zones()


def is_language(code: str) -> bool:
    return code in {code for code, _name in settings.LANGUAGES}


@dataclass(frozen=True)
class Preferences:
    language: str  # "" = the browser's
    time_zone: str
    guide_dismissed: bool

    @property
    def zone(self) -> zoneinfo.ZoneInfo:
        return zoneinfo.ZoneInfo(self.time_zone)


DEFAULTS = Preferences(language="", time_zone=DEFAULT_TIME_ZONE, guide_dismissed=False)


def preferences_for(*, user) -> Preferences:
    """The user's preferences (one indexed query); defaults for anonymous users or no row."""
    if user is None or not user.is_authenticated:
        return DEFAULTS
    row = (
        UserPreference.objects.filter(user=user)
        .values_list("language", "time_zone", "guide_dismissed_at")
        .first()
    )
    if row is None:
        return DEFAULTS
    language, time_zone, dismissed = row
    return Preferences(
        language=language if is_language(language) else "",
        # A zone removed from the system's tz database falls back to Beijing time.
        time_zone=time_zone if is_time_zone(time_zone) else DEFAULT_TIME_ZONE,
        guide_dismissed=dismissed is not None,
    )


def preference_update(*, user, language: str | None = None, time_zone: str | None = None):
    """Store the user's language ("" = the browser's) and/or time zone; invalid values raise
    ValueError and change nothing."""
    if language is not None and language != "" and not is_language(language):
        raise ValueError(f"unknown language {language!r}")
    if time_zone is not None and not is_time_zone(time_zone):
        raise ValueError(f"unknown time zone {time_zone!r}")
    pref, _created = UserPreference.objects.get_or_create(user=user)
    if language is not None:
        pref.language = language
    if time_zone is not None:
        pref.time_zone = time_zone
    pref.save()
    return pref


def guide_dismiss(*, user) -> None:
    pref, _created = UserPreference.objects.get_or_create(user=user)
    if pref.guide_dismissed_at is None:
        pref.guide_dismissed_at = timezone.now()
        pref.save(update_fields=["guide_dismissed_at", "updated_at"])


def guide_reopen(*, user) -> None:
    UserPreference.objects.filter(user=user).update(guide_dismissed_at=None)


def account_language(*, account) -> str:
    """The language to write to a platform account's people in when no one is reading a page
    (notification e-mails): its platform sign-in user's choice, else an owner's, else the
    portal's default."""
    from .models import Membership

    rows = (
        UserPreference.objects.filter(
            user__membership__account=account,
            user__membership__role=Membership.Role.OWNER,
        )
        .exclude(language="")
        .order_by("-user__membership__via_platform_login", "user_id")
        .values_list("language", flat=True)
    )
    for language in rows:
        if is_language(language):
            return language
    return settings.LANGUAGE_CODE


def notifications_scan(*, user, now=None) -> int:
    """Toasts for the user's jobs that ended since the last poll (the time of the last scan is
    kept on the user's preferences); the first poll of a user only starts the clock."""
    from apps.core import notifications

    now = now or timezone.now()
    pref, _created = UserPreference.objects.get_or_create(user=user)
    last = pref.notifications_scanned_at
    UserPreference.objects.filter(pk=pref.pk).update(notifications_scanned_at=now)
    if last is None:
        return 0  # jobs that ended before the first poll are not news
    since = max(last - notifications.SCAN_OVERLAP, now - notifications.MAX_AGE)
    return notifications.scan(user=user, since=since)
