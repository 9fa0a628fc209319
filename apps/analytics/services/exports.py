"""Exports of failures and tracked recipients, streamed from the platform; the full resync."""

from __future__ import annotations

from django.utils import timezone
from django.utils.translation import gettext_noop

from apps.accounts.clients import client_for_account
from apps.core.exceptions import ApplicationError
from apps.umail.stats import ALL_FAILURES

from ..models import (
    CampaignReport,
    DailyStats,
)
from ._common import CHUNK
from .days import days_sync
from .reports import reports_sync
from .schedule import reports_discover

# -- exports --------------------------------------------------------------------------------------


class NotFetchedYet(ApplicationError):
    """What an export needs has not been fetched from the platform yet (a local precondition,
    not a platform failure)."""


def _primed(client, rows):
    """(client, rows) with the first row already read, so that a platform failure raises here
    (before a download starts) and not half-way through the file."""
    import itertools

    try:
        first = next(rows, None)
    except BaseException:
        client.close()
        raise
    return client, (rows if first is None else itertools.chain([first], rows))


def failures_export(*, account, fail_type: int, source: str, report=None, day=None):
    """(client, FailedAddress iterator) for a campaign (§2.3.2 by statistics task id) or a day
    (§2.3.2 for all types, §2.3.1 for one); the caller closes the client when done."""
    if report is not None and not report.stat_task_id:
        raise NotFetchedYet(
            gettext_noop("The campaign's statistics task id is not known yet: refresh first.")
        )
    client = client_for_account(account)
    if report is not None:
        rows = client.stats.iter_failures(
            task_id=report.stat_task_id, fail_type=fail_type, out_type=source
        )
    elif fail_type in (1, 2, 3):
        # §2.3.2 needs a task id for these types (L456-458): ask task by task (§2.4).
        rows = client.stats.iter_day_failures_per_task(
            day=day, fail_type=fail_type, out_type=source
        )
    else:
        rows = client.stats.iter_failures(
            day=day, fail_type=fail_type, out_type=source, with_types=fail_type == ALL_FAILURES
        )
    return _primed(client, rows)


def tracked_export(*, report, clickers_only: bool, link_id: int | None):
    """(client, §3.4 TrackedExport) for a tracked campaign."""
    if not report.track_id:
        raise NotFetchedYet(
            gettext_noop("The campaign's tracking id is not known yet: refresh first.")
        )
    client = client_for_account(report.account)
    try:
        export = client.tracking.track_export(
            track_id=report.track_id, clickers_only=clickers_only, link_id=link_id
        )
    except BaseException:
        client.close()
        raise
    return client, export


def analytics_resync(*, account) -> None:
    """Operations' resync: fetch every report and every planned day of the account again.
    Idempotent (overwrites; time-series points only when numbers changed)."""
    reports_discover(account=account)
    now = timezone.now()
    CampaignReport.objects.filter(account=account).update(final=False, next_sync_at=now)
    DailyStats.objects.filter(account=account).update(final=False, next_sync_at=now)
    ids = list(CampaignReport.objects.filter(account=account).values_list("pk", flat=True))
    for start in range(0, len(ids), CHUNK):
        chunk = list(
            CampaignReport.objects.filter(pk__in=ids[start : start + CHUNK]).select_related(
                "campaign", "account"
            )
        )
        counts = reports_sync(account=account, reports=chunk)
        if counts.exception is not None and not counts.reports:
            raise counts.exception  # nothing got through: let the resync job retry
    while days_sync(account=account, limit=100).more:
        pass
