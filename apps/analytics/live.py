"""Live numbers: what keeps a campaign's open and click detail following the platform while
its numbers move, and how fresh a report is for the pages' self-refreshing parts.

Open/click detail (§3.2/§3.3) is a download; once someone has downloaded it, it is downloaded
again by the statistics sync whenever the report's unique opens (or clicks) have moved past the
rows held, at most every DETAIL_REFRESH, while the report is still followed. Nothing is
downloaded for reports nobody asked detail for."""

from __future__ import annotations

import datetime as dt
import logging

from django.conf import settings
from django.core.cache import cache
from django.db.models import Exists, OuterRef
from django.utils import timezone

from apps.core.queue import enqueue_on_commit

from .models import CampaignReport, DetailFetch

logger = logging.getLogger(__name__)

DETAIL_REFRESH = dt.timedelta(seconds=settings.ANALYTICS_DETAIL_REFRESH_SECONDS)
DETAIL_REFRESH_BATCH = 20
#: A page showing a report whose next look is this overdue asks for a sync (beat may be down
#: or busy); at most once per STALE_NUDGE per report.
STALE_AFTER = dt.timedelta(minutes=2)
STALE_NUDGE = 60
#: Seconds between two refreshes of a page's live part while the numbers can still change.
LIVE_REFRESH_SECONDS = 15


def details_refresh_moving(*, now=None) -> int:
    """Ask again for the detail of followed reports whose numbers moved past their last
    complete download; returns how many downloads were requested."""
    from .services import detail_request

    now = now or timezone.now()
    busy = DetailFetch.objects.filter(
        report=OuterRef("report"),
        kind=OuterRef("kind"),
        state__in=[DetailFetch.State.PENDING, DetailFetch.State.RUNNING],
    )
    latest_done = (
        DetailFetch.objects.filter(
            state=DetailFetch.State.DONE,
            report__final=False,
            finished_at__lte=now - DETAIL_REFRESH,
        )
        .annotate(in_progress=Exists(busy))
        .filter(in_progress=False)
        .select_related("report", "report__account")
        .order_by("report_id", "kind", "-finished_at")
    )
    requested = 0
    seen: set[tuple[int, str]] = set()
    for fetch in latest_done[: DETAIL_REFRESH_BATCH * 4]:
        key = (fetch.report_id, fetch.kind)
        if key in seen:
            continue
        seen.add(key)
        newer = DetailFetch.objects.filter(
            report_id=fetch.report_id, kind=fetch.kind, created_at__gt=fetch.created_at
        ).exists()
        if newer:
            continue
        report = fetch.report
        target = report.open_unique if fetch.kind == DetailFetch.Kind.OPENS else report.click_unique
        if target == fetch.rows:
            continue
        detail_request(report=report, kind=fetch.kind)
        requested += 1
        if requested >= DETAIL_REFRESH_BATCH:
            break
    return requested


def nudge_if_stale(report: CampaignReport, *, now=None) -> bool:
    """A page shows this report: when its next look is well overdue (beat down or behind),
    enqueue one sync of it (never blocking the page); True if one was asked for."""
    now = now or timezone.now()
    if report.final or report.next_sync_at is None or report.next_sync_at > now - STALE_AFTER:
        return False
    if not cache.add(f"analytics:nudge:{report.pk}", 1, STALE_NUDGE):
        return False
    from .tasks import analytics_report_sync_task

    enqueue_on_commit(
        lambda: analytics_report_sync_task.delay(report.pk), what=f"report {report.pk}"
    )
    return True


def freshness(report: CampaignReport | None, *, now=None) -> dict:
    """What the page says about how fresh the numbers are."""
    now = now or timezone.now()
    if report is None or report.synced_at is None:
        return {"state": "never", "synced_at": None, "age": None}
    age = now - report.synced_at
    if report.final:
        state = "final"
    elif report.last_error:
        state = "failing"
    elif age > dt.timedelta(minutes=5) and report.next_sync_at and report.next_sync_at < now:
        state = "late"
    else:
        state = "live"
    return {"state": state, "synced_at": report.synced_at, "age": age}
