"""The report sync's backoff and schedule: pure functions of counts and times (`make check`)."""

from __future__ import annotations

import datetime as dt

import pytest

from apps.analytics import cadence
from apps.analytics.services import MAX_BACKOFF, backoff, schedule
from apps.campaigns.models import Campaign

pytestmark = pytest.mark.unit
NOW = dt.datetime(2026, 6, 1, 12, 0, tzinfo=dt.UTC)


@pytest.mark.parametrize(("failures", "minutes"), [(1, 1), (2, 2), (3, 4), (5, 16)])
def test_backoff_doubles_with_jitter(failures, minutes):
    delays = {(backoff(failures, NOW) - NOW).total_seconds() for _ in range(50)}
    assert all(0.75 * 60 * minutes <= d <= 1.25 * 60 * minutes for d in delays)
    assert len(delays) > 1  # jitter: workers that failed together do not retry together


def test_backoff_is_capped():
    assert backoff(40, NOW) - NOW <= MAX_BACKOFF * 1.25


def campaign(status, **fields):
    return Campaign(local_state=Campaign.LocalState.ACTIVE, platform_id=1, status=status, **fields)


def test_a_sending_campaign_is_looked_at_within_a_minute():
    started = NOW - dt.timedelta(minutes=5)
    following = schedule(campaign(Campaign.Status.SENDING, time_start=started), NOW)
    assert following == NOW + cadence.LIVE_STEP <= NOW + dt.timedelta(minutes=1)


def test_an_untracked_campaign_is_final_once_it_ended():
    ended = campaign(Campaign.Status.FINISHED, time_start=NOW, time_end=NOW, track_status=0)
    assert schedule(ended, NOW) is None


def test_a_campaign_cancelled_before_it_started_is_never_fetched():
    assert schedule(campaign(Campaign.Status.CANCELLED), NOW) is None


def test_per_account_tasks_retry_with_doubling_countdowns():
    from apps.accounts.fanout import retry_countdown

    assert [retry_countdown(n) for n in range(4)] == [30, 60, 120, 240]
    assert retry_countdown(2, base=15) == 60
