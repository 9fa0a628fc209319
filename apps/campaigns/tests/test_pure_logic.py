"""Pure logic of campaigns, without database or platform: part of `make check`."""

from __future__ import annotations

import datetime as dt

import pytest

from apps.campaigns.models import Campaign
from apps.campaigns.services import CampaignRefused, ab_split, allowed_actions

pytestmark = pytest.mark.unit
S, St = Campaign.LocalState, Campaign.Status


# -- the A/B split ---------------------------------------------------------------------------------


def test_the_test_slice_is_shared_equally_and_the_rest_follows():
    split = ab_split(start=1, end=0, audience=1000, variants=2, percent=10)
    assert split.slices == [(1, 50), (51, 100)]
    assert split.test_end == 100 and split.rest == (101, 0)
    assert not split.rest_count_known


def test_an_uneven_slice_gives_the_first_variants_one_more():
    split = ab_split(start=11, end=60, audience=50, variants=3, percent=20)
    assert split.slices == [(11, 14), (15, 17), (18, 20)]
    assert split.rest == (21, 60) and split.rest_count_known


def test_every_variant_gets_at_least_one_address():
    split = ab_split(start=1, end=0, audience=10, variants=4, percent=1)
    assert [last - first + 1 for first, last in split.slices] == [1, 1, 1, 1]


def test_a_slice_that_takes_the_whole_audience_is_refused():
    with pytest.raises(CampaignRefused):
        ab_split(start=1, end=0, audience=3, variants=3, percent=50)


# -- allowed actions -------------------------------------------------------------------------------


def campaign(state=S.ACTIVE, status=None, **fields) -> Campaign:
    return Campaign(local_state=state, status=status, platform_id=1, **fields)


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        (St.WAITING, {"hold", "send_now", "cancel", "edit", "delete"}),
        (St.ON_HOLD, {"resume", "send_now", "cancel", "edit", "delete"}),
        (St.SENDING, {"pause", "cancel"}),
        (St.PAUSED, {"resume", "cancel"}),
        (St.FINISHED, {"delete"}),
        (St.CANCELLED, {"delete"}),
        (None, set()),
        (7, set()),  # a code the portal does not know offers nothing that could misreport it
    ],
)
def test_actions_follow_the_platform_status(status, expected):
    assert allowed_actions(campaign(status=status)) == expected | {"duplicate", "refresh"}


def test_resend_needs_an_ended_tracked_campaign_that_started():
    started = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    assert "resend" in allowed_actions(
        campaign(status=St.FINISHED, track_status=1, time_start=started)
    )
    assert "resend" not in allowed_actions(campaign(status=St.FINISHED, track_status=0))
    assert "resend" not in allowed_actions(
        campaign(status=St.SENDING, track_status=1, time_start=started)
    )


@pytest.mark.parametrize(
    ("state", "expected"),
    [
        (S.DRAFT, {"continue", "delete", "duplicate"}),
        (S.LOST, {"continue", "delete", "duplicate", "retry"}),
        (S.REJECTED, {"continue", "delete", "duplicate", "retry"}),
        (S.UNCONFIRMED, {"check"}),
        (S.SUBMITTING, set()),
        (S.DELETED, {"duplicate"}),
    ],
)
def test_actions_before_and_after_the_platform(state, expected):
    assert allowed_actions(campaign(state=state)) == expected


def test_an_edit_draft_may_only_be_deleted():
    assert allowed_actions(campaign(state=S.DRAFT, replaces_id=5)) == {"delete"}


def test_state_properties_name_the_codes():
    assert campaign(status=St.SENDING).is_sending
    assert campaign(status=St.CANCELLED).has_ended and campaign(status=St.FINISHED).has_ended
    assert not campaign(status=St.PAUSED).has_ended
    assert campaign(status=St.ON_HOLD).is_editable and not campaign(status=St.SENDING).is_editable
