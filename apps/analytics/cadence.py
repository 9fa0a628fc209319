"""How often a campaign report is looked at again: the statistics sync's adaptive cadence.

A report is fetched about once a minute while its numbers move (the campaign sends, or opens and
clicks keep arriving in its first days) and less often the longer they stay still; how rarely
is capped by the campaign's age, so a campaign that woke up is caught again soon. Pure
functions of the campaign's state, its age and when its numbers last moved: the sync stores
the result in `CampaignReport.next_sync_at`, and the beat task only runs when some report is
due ("only when dirty")."""

from __future__ import annotations

import datetime as dt

from django.conf import settings

FOLLOW_DAYS = settings.ANALYTICS_FOLLOW_DAYS
#: The step while numbers move. Beat looks every LIVE_BEAT seconds, so a moving report's
#: numbers are at most LIVE_STEP + LIVE_BEAT + one fetch old (under two minutes).
LIVE_STEP = dt.timedelta(seconds=settings.ANALYTICS_LIVE_STEP_SECONDS)
#: Numbers that changed within this are "moving".
MOVING_WINDOW = dt.timedelta(minutes=10)
#: Still numbers are looked at again after a quarter of the time they have been still ...
STILL_FACTOR = 4
#: ... but never later than this, by the campaign's age since it ended.
AGE_CAPS = (
    (dt.timedelta(hours=1), dt.timedelta(minutes=2)),
    (dt.timedelta(days=1), dt.timedelta(minutes=15)),
    (dt.timedelta(days=3), dt.timedelta(hours=1)),
)
OLD_CAP = dt.timedelta(hours=6)

SENDING, PAUSED, FINISHED, CANCELLED = 2, -2, 3, -3
STARTED_CODES = (SENDING, PAUSED, FINISHED)


def started(campaign) -> bool:
    return campaign.time_start is not None or campaign.status in STARTED_CODES


def ended(campaign) -> bool:
    return campaign.status == FINISHED or (campaign.status == CANCELLED and started(campaign))


def age_cap(age: dt.timedelta) -> dt.timedelta:
    for limit, cap in AGE_CAPS:
        if age < limit:
            return cap
    return OLD_CAP


def still_step(*, age: dt.timedelta, still_for: dt.timedelta | None) -> dt.timedelta:
    """The step for an ended, tracked campaign: a minute while moving, then growing with the
    time the numbers stayed still, capped by age."""
    cap = age_cap(age)
    if still_for is None:  # never moved yet (or nothing known): the age alone decides
        return cap
    if still_for < MOVING_WINDOW:
        return min(LIVE_STEP, cap)
    return max(LIVE_STEP, min(cap, still_for / STILL_FACTOR))


def next_look(campaign, now: dt.datetime, *, last_moved: dt.datetime | None = None):
    """When to look at a synced campaign again (None: nothing can change any more).

    `last_moved`: when its numbers last changed (the last time-series point), if known."""
    from apps.campaigns.models import Campaign

    if campaign.local_state == Campaign.LocalState.DELETED:
        return None
    if campaign.status == CANCELLED and not started(campaign):
        return None
    if not started(campaign):
        # Waiting or on hold: the campaign mirror's change of status makes it due earlier.
        return now + dt.timedelta(minutes=30)
    if campaign.status == SENDING:
        return now + LIVE_STEP
    if not ended(campaign):  # paused, or a code the portal does not know
        return now + dt.timedelta(minutes=10)
    if not campaign.track_status:
        return None  # §2.4 is final once the sending has ended
    age = now - (campaign.time_end or now)
    if age >= dt.timedelta(days=FOLLOW_DAYS):
        return None
    still_for = None if last_moved is None else max(dt.timedelta(0), now - last_moved)
    return now + still_step(age=age, still_for=still_for)
