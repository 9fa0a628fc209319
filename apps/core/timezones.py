"""Times between the marketer, the database and the platform.

Three clocks meet in the portal: the database stores UTC (USE_TZ), each user reads and types times
in their own zone (UserPreference.time_zone, default Asia/Shanghai, activated per request by
UserPreferencesMiddleware) and the platform speaks Beijing time without a zone. These helpers are
the one rule for converting between them; `apps.umail` formats the platform's strings.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo

from django.utils import timezone

PLATFORM_TIME_ZONE = zoneinfo.ZoneInfo("Asia/Shanghai")


def from_user_input(value: dt.datetime, zone: dt.tzinfo | None = None) -> dt.datetime:
    """A wall-clock time the user typed (naive, in their zone) as an aware UTC datetime.

    A time that does not exist (skipped by a daylight-saving change) moves forward by the gap, and
    an ambiguous one takes the first occurrence, as `zoneinfo` does with fold=0.
    """
    zone = zone or timezone.get_current_timezone()
    if timezone.is_aware(value):
        return value.astimezone(dt.UTC)
    aware = value.replace(tzinfo=zone)
    # zoneinfo accepts non-existent wall times; a round trip through UTC normalises them.
    return aware.astimezone(dt.UTC)


def to_user_time(value: dt.datetime, zone: dt.tzinfo | None = None) -> dt.datetime:
    """A stored (aware) datetime in the user's zone."""
    return timezone.localtime(value, zone or timezone.get_current_timezone())


def to_platform(value: dt.datetime) -> dt.datetime:
    """An aware datetime as the platform's naive Beijing wall-clock time."""
    if timezone.is_naive(value):
        raise ValueError("to_platform needs an aware datetime")
    return value.astimezone(PLATFORM_TIME_ZONE).replace(tzinfo=None)


def from_platform(value: dt.datetime) -> dt.datetime:
    """A naive Beijing time printed by the platform as an aware datetime (whatever zone the
    current request has active: never `make_aware` with the current zone for platform times)."""
    if timezone.is_aware(value):
        return value
    return value.replace(tzinfo=PLATFORM_TIME_ZONE)
