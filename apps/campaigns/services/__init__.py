"""Writes for campaigns: create (with no duplicates and no losses), follow, change (A/B tests
and resends are apps.experiments). The platform first, then the local mirror; every write audited.

Creating a campaign (campaign_submit):

1. the marketer's draft is claimed (DRAFT → SUBMITTING) under a row lock, so a double click or
   a second tab does nothing more; an add-task call is reserved (ratelimit.reserve), or the
   create is refused with the time a call frees up; for "send now" the send time is fixed;
2. add-task is called once, never retried;
3. success links the platform's id (ACTIVE); an explicit refusal is REJECTED (nothing was
   created, the marketer may fix and retry); a timeout or lost reply is UNCONFIRMED: §6.1 is
   searched for a task with exactly this campaign's parameters (campaign_reconcile, in the
   background, several times over a few minutes because a slow platform may still be working
   on it), and only when none appears does the campaign become LOST and may be sent again."""

from ._common import (
    FULL_SYNC_PAGE,
    LIVE_SYNC_SECONDS,
    RECONCILE_FIRST_EXTRA,
    RECONCILE_GAPS,
    ActionNotAllowed,
    CampaignRefused,
    S,
    St,
    logger,
)
from .change import (
    ACTION_WORDS,
    ACTIONS,
    allowed_actions,
    campaign_apply_edit,
    campaign_change_status,
    campaign_delete,
)
from .drafts import campaign_duplicate, draft_create, draft_update, edit_draft_for
from .lifecycle import (
    campaign_reconcile,
    campaign_submit,
    campaign_sync_one,
    campaigns_sync_account,
    live_sync_wanted,
    matches,
    reconcile_overdue,
)
from .params import CONTENT_FIELDS, task_params
from .review import (
    LABELS,
    Review,
    Split,
    ab_split,
    ab_variant_count,
    draft_maillist,
    draft_templates,
    quota_refresh_if_stale,
    review,
    review_with_plan,
)

__all__ = [
    "ACTIONS",
    "ACTION_WORDS",
    "ActionNotAllowed",
    "CONTENT_FIELDS",
    "CampaignRefused",
    "FULL_SYNC_PAGE",
    "LABELS",
    "LIVE_SYNC_SECONDS",
    "RECONCILE_FIRST_EXTRA",
    "RECONCILE_GAPS",
    "Review",
    "S",
    "Split",
    "St",
    "ab_split",
    "ab_variant_count",
    "allowed_actions",
    "campaign_apply_edit",
    "campaign_change_status",
    "campaign_delete",
    "campaign_duplicate",
    "campaign_reconcile",
    "campaign_submit",
    "campaign_sync_one",
    "campaigns_sync_account",
    "draft_create",
    "draft_maillist",
    "draft_templates",
    "draft_update",
    "edit_draft_for",
    "live_sync_wanted",
    "logger",
    "matches",
    "quota_refresh_if_stale",
    "reconcile_overdue",
    "review",
    "review_with_plan",
    "task_params",
]
