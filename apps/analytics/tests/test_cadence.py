"""The statistics sync's adaptive cadence: about a minute while numbers move (sending, and
opens still arriving in the first days), rarer the longer they stay still, capped by age."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

from django.utils import timezone

from apps.analytics import cadence
from apps.campaigns.models import Campaign

NOW = timezone.now()
MIN = dt.timedelta(minutes=1)


def campaign(status, *, ended_ago=None, track=2, started=True, state=None):
    return SimpleNamespace(
        status=status,
        local_state=state or Campaign.LocalState.ACTIVE,
        track_status=track,
        time_start=NOW - dt.timedelta(days=30) if started else None,
        time_end=None if ended_ago is None else NOW - ended_ago,
    )


def step(c, last_moved=None):
    when = cadence.next_look(c, NOW, last_moved=last_moved)
    return None if when is None else when - NOW


def test_sending_is_looked_at_about_every_minute():
    assert step(campaign(2)) == cadence.LIVE_STEP <= MIN


def test_moving_opens_keep_a_minute_cadence_in_the_first_days():
    for ended_ago in (dt.timedelta(minutes=5), dt.timedelta(hours=5), dt.timedelta(days=2)):
        c = campaign(3, ended_ago=ended_ago)
        assert step(c, last_moved=NOW - 2 * MIN) == cadence.LIVE_STEP


def test_still_numbers_slow_down_gradually_and_are_capped_by_age():
    c = campaign(3, ended_ago=dt.timedelta(hours=5))
    steps = [step(c, last_moved=NOW - still) for still in (15 * MIN, 40 * MIN, 3 * 60 * MIN)]
    assert steps == sorted(steps) and steps[0] < steps[-1]
    assert steps[-1] == dt.timedelta(minutes=15)  # the cap of the first day
    # In the first hour a still campaign is still looked at every two minutes at most.
    assert step(campaign(3, ended_ago=20 * MIN), last_moved=NOW - 20 * MIN) <= 2 * MIN
    # Later, at most every six hours.
    old = campaign(3, ended_ago=dt.timedelta(days=5))
    assert step(old, last_moved=NOW - dt.timedelta(days=4)) == dt.timedelta(hours=6)


def test_nothing_more_to_look_at():
    assert step(campaign(3, ended_ago=dt.timedelta(hours=1), track=0)) is None
    assert step(campaign(3, ended_ago=dt.timedelta(days=cadence.FOLLOW_DAYS + 1))) is None
    assert step(campaign(-3, started=False)) is None
    assert step(campaign(3, state=Campaign.LocalState.DELETED)) is None


def test_waiting_and_paused_campaigns_are_looked_at_rarely():
    assert step(campaign(1, started=False)) == dt.timedelta(minutes=30)
    assert step(campaign(-2)) == dt.timedelta(minutes=10)
