"""Times round-trip: the user's zone, UTC in the database, Beijing time on the platform."""

from __future__ import annotations

import datetime as dt
import zoneinfo

import pytest
from django.utils import timezone

from apps.core.timezones import (
    PLATFORM_TIME_ZONE,
    from_platform,
    from_user_input,
    to_platform,
    to_user_time,
)
from apps.umail.times import parse_platform_time, to_platform_time

# Pure logic: part of `make check`.
pytestmark = pytest.mark.unit

ZONES = ["Asia/Shanghai", "Europe/Berlin", "America/New_York", "Australia/Adelaide", "UTC"]
WALL_TIMES = [
    dt.datetime(2026, 1, 15, 9, 0),
    dt.datetime(2026, 7, 1, 23, 45),
    dt.datetime(2026, 12, 31, 23, 59, 59),
    dt.datetime(2027, 2, 28, 0, 0),
]


@pytest.mark.parametrize("zone_name", ZONES)
@pytest.mark.parametrize("wall", WALL_TIMES)
def test_a_time_typed_by_the_user_reaches_the_platform_and_comes_back(zone_name, wall):
    zone = zoneinfo.ZoneInfo(zone_name)
    stored = from_user_input(wall, zone)
    assert stored.utcoffset() == dt.timedelta(0)  # the database keeps UTC
    sent = to_platform_time(stored)  # what the portal puts in §6.2's `time`
    expected_beijing = wall.replace(tzinfo=zone).astimezone(PLATFORM_TIME_ZONE)
    assert sent == (
        f"{expected_beijing.year}-{expected_beijing.month}-{expected_beijing.day} "
        f"{expected_beijing.hour}:{expected_beijing.minute:02d}:{expected_beijing.second:02d}"
    )
    back = parse_platform_time(sent)  # what the platform prints in send_time
    assert back == stored
    shown = to_user_time(back, zone)
    assert shown.replace(tzinfo=None) == wall  # the user reads the time they typed


def test_beijing_time_of_a_known_moment():
    # 09:00 in Berlin in winter (UTC+1) is 16:00 in Beijing (UTC+8).
    stored = from_user_input(dt.datetime(2026, 1, 15, 9, 0), zoneinfo.ZoneInfo("Europe/Berlin"))
    assert stored == dt.datetime(2026, 1, 15, 8, 0, tzinfo=dt.UTC)
    assert to_platform(stored) == dt.datetime(2026, 1, 15, 16, 0)
    assert to_platform_time(stored) == "2026-1-15 16:00:00"


def test_a_naive_platform_time_is_beijing_whatever_zone_is_active():
    naive = dt.datetime(2026, 5, 1, 10, 0)
    with timezone.override(zoneinfo.ZoneInfo("America/Los_Angeles")):
        aware = from_platform(naive)
    assert aware == dt.datetime(2026, 5, 1, 2, 0, tzinfo=dt.UTC)
    with pytest.raises(ValueError):
        to_platform(naive)


def test_the_active_zone_is_used_when_none_is_given():
    with timezone.override(zoneinfo.ZoneInfo("Asia/Tokyo")):
        stored = from_user_input(dt.datetime(2026, 5, 1, 10, 0))
        assert to_user_time(stored).hour == 10
    assert stored == dt.datetime(2026, 5, 1, 1, 0, tzinfo=dt.UTC)


def test_daylight_saving_gaps_and_overlaps_resolve_predictably():
    berlin = zoneinfo.ZoneInfo("Europe/Berlin")
    # 02:30 on 29 March 2026 does not exist in Berlin: it is read as 03:30 summer time.
    skipped = from_user_input(dt.datetime(2026, 3, 29, 2, 30), berlin)
    assert to_user_time(skipped, berlin).replace(tzinfo=None) == dt.datetime(2026, 3, 29, 3, 30)
    # 02:30 on 25 October 2026 happens twice: the first (summer time) is taken.
    twice = from_user_input(dt.datetime(2026, 10, 25, 2, 30), berlin)
    assert twice == dt.datetime(2026, 10, 25, 0, 30, tzinfo=dt.UTC)
