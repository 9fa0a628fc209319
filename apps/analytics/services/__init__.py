"""Analytics: syncing §2.2–§2.5 and §3 into the local mirror, the open and click detail, and
list hygiene after a campaign.

Following campaigns. Each platform campaign gets a CampaignReport. A report is *due* when its
`next_sync_at` has passed or the campaign mirror (kept by the campaigns app) shows another
status or other counts than at the last sync. What is then fetched is only what can have
changed: nothing before the campaign started; §2.4 (one call for a whole day when several of
its campaigns are due) and, for tracked campaigns, §3.1, plus §3.5 when the clicks moved. The
next look is sooner while the campaign sends and for the first hours after it ended (opens
and clicks keep arriving), then rarer; `ANALYTICS_FOLLOW_DAYS` after the end a report is
`final` and never fetched again. A failed fetch keeps the last good numbers, records the error
and backs off exponentially.

Batches are bounded (`reports_sync_due(limit=...)`), claimed by pushing `next_sync_at` ahead
(so two workers never fetch the same report), run with bounded concurrency (a thread pool, one
platform client per account chunk), and the Celery task re-enqueues itself while more are due.
Everything is idempotent: a sync overwrites numbers, adds a time-series point only when they
changed, and upserts days, links and hygiene items."""

from ._common import (
    BACKFILL_DAYS,
    BEIJING,
    CHUNK,
    DAY_FINAL_AFTER,
    FOLLOW_DAYS,
    HYGIENE_AFTER_END,
    HYGIENE_REMOVE_BATCH,
    LEASE,
    MAX_BACKOFF,
    SYNC_BATCH,
    SYNC_CONCURRENCY,
    SyncCounts,
    platform_day,
    platform_today,
)
from .days import day_sync, days_plan, days_request_backfill, days_sync, quota_point
from .detail import detail_fetch, detail_request
from .exports import analytics_resync, failures_export, tracked_export
from .hygiene import (
    hygiene_collect,
    hygiene_remove,
    hygiene_settings,
    hygiene_start,
    hygiene_update_settings,
    suppressed_in_list,
)
from .reports import POINT_FIELDS, report_sync, reports_sync, reports_sync_due
from .schedule import backoff, campaign_ended, due_q, reports_discover, schedule

__all__ = [
    "BACKFILL_DAYS",
    "BEIJING",
    "CHUNK",
    "DAY_FINAL_AFTER",
    "FOLLOW_DAYS",
    "HYGIENE_AFTER_END",
    "HYGIENE_REMOVE_BATCH",
    "LEASE",
    "MAX_BACKOFF",
    "POINT_FIELDS",
    "SYNC_BATCH",
    "SYNC_CONCURRENCY",
    "SyncCounts",
    "analytics_resync",
    "backoff",
    "campaign_ended",
    "day_sync",
    "days_plan",
    "days_request_backfill",
    "days_sync",
    "detail_fetch",
    "detail_request",
    "due_q",
    "failures_export",
    "hygiene_collect",
    "hygiene_remove",
    "hygiene_settings",
    "hygiene_start",
    "hygiene_update_settings",
    "platform_day",
    "platform_today",
    "quota_point",
    "report_sync",
    "reports_discover",
    "reports_sync",
    "reports_sync_due",
    "schedule",
    "suppressed_in_list",
    "tracked_export",
]
