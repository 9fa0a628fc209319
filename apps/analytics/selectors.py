"""Reads for the analytics pages: local data only, shaped for templates and charts."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.db.models import Count, Max, Q, QuerySet, Sum
from django.db.models.functions import TruncDate
from django.utils import timezone

from .models import (
    CampaignReport,
    DailyDeduction,
    DailyStats,
    DetailFetch,
    HygieneRun,
    HygieneSettings,
    LinkStat,
    QuotaPoint,
    TrackingPoint,
)
from .services import BEIJING, platform_today

TOP = 10


def report_for(*, account, campaign) -> CampaignReport | None:
    return CampaignReport.objects.filter(account=account, campaign=campaign).first()


def reports_for(*, account) -> QuerySet[CampaignReport]:
    return CampaignReport.objects.filter(account=account).select_related("campaign")


def current_fetch(*, report: CampaignReport, kind: str) -> DetailFetch | None:
    """The completed fetch whose rows the pages show."""
    return (
        DetailFetch.objects.filter(report=report, kind=kind, state=DetailFetch.State.DONE)
        .order_by("-finished_at", "-id")
        .first()
    )


def latest_fetch(*, report: CampaignReport, kind: str) -> DetailFetch | None:
    return (
        DetailFetch.objects.filter(report=report, kind=kind).order_by("-created_at", "-id").first()
    )


def _percent(part: int, whole: int) -> float | None:
    return round(100.0 * part / whole, 2) if whole else None


@dataclass
class ReportView:
    report: CampaignReport
    delivery_rate: float | None
    failure_rows: list[tuple[int, str, int, float | None]]
    points: list[TrackingPoint]
    links: list[LinkStat]
    audience: dict[str, list[tuple[str, int]]] = field(default_factory=dict)
    opens_fetch: DetailFetch | None = None
    clicks_fetch: DetailFetch | None = None


def report_view(*, report: CampaignReport) -> ReportView:
    planned = report.planned or report.sent
    failures = [
        (code, label, count, _percent(count, planned))
        for code, label, count in report.failure_counts()
    ]
    opens = current_fetch(report=report, kind=DetailFetch.Kind.OPENS)
    return ReportView(
        report=report,
        delivery_rate=_percent(report.delivered, planned),
        failure_rows=failures,
        points=list(TrackingPoint.objects.filter(report=report).order_by("taken_at", "id")),
        links=list(LinkStat.objects.filter(report=report).order_by("-click_unique", "link_id")),
        audience=(opens.summary if opens else {}) or {},
        opens_fetch=opens,
        clicks_fetch=current_fetch(report=report, kind=DetailFetch.Kind.CLICKS),
    )


def growth_series(points: list[TrackingPoint]) -> dict:
    """The chart of opens and clicks over time (json_script): `hours` since the first point
    place each point at its real time, so uneven syncs still draw the true curve."""
    first = points[0].taken_at if points else None
    return {
        "labels": [timezone.localtime(p.taken_at).strftime("%Y-%m-%d %H:%M") for p in points],
        "hours": [round((p.taken_at - first).total_seconds() / 3600, 3) for p in points],
        "series": {
            "open_unique": [p.open_unique for p in points],
            "open_total": [p.open_total for p in points],
            "click_unique": [p.click_unique for p in points],
            "click_total": [p.click_total for p in points],
        },
    }


def ab_siblings(*, report: CampaignReport) -> list[CampaignReport]:
    """The reports of the campaign's A/B test (variants and winner), for side-by-side results."""
    campaign = report.campaign
    if not campaign.ab_test_id:
        return []
    return list(
        CampaignReport.objects.filter(
            account=report.account, campaign__ab_test_id=campaign.ab_test_id
        )
        .select_related("campaign")
        .order_by("campaign__ab_label", "campaign_id")
    )


# -- the overview dashboard ---------------------------------------------------------------------


@dataclass
class Dashboard:
    start: dt.date
    end: dt.date
    days: list[dict]
    totals: dict
    top_opens: list[CampaignReport]
    top_clicks: list[CampaignReport]
    chart: dict
    synced_at: dt.datetime | None
    missing_days: int
    errors: list[DailyStats]


def default_range(today: dt.date | None = None) -> tuple[dt.date, dt.date]:
    today = today or platform_today()
    return today - dt.timedelta(days=29), today


def dashboard(*, account, start: dt.date, end: dt.date, min_delivered: int = 1) -> Dashboard:
    """Everything the overview shows for a date range, in a few indexed queries."""
    stats = {
        d.date: d
        for d in DailyStats.objects.filter(account=account, date__range=(start, end)).only(
            "date",
            "ws_qty",
            "ws_count",
            "ws_error",
            "actual_send",
            "send_error",
            "invalid_addr",
            "format_error",
            "deductions_total",
            "actual_deduc",
            "synced_at",
            "failures",
            "last_error",
        )
    }
    credits: dict[dt.date, int] = {
        row["date"]: row["total"]
        for row in DailyDeduction.objects.filter(account=account, date__range=(start, end))
        .values("date")
        .annotate(total=Sum("total"))
    }
    quota = {
        q.date: q.qty_available
        for q in QuotaPoint.objects.filter(account=account, date__range=(start, end))
    }
    # Days the platform has numbers for: those with campaigns (the campaigns mirror), and the
    # last two; a day with neither has nothing to fetch (its zeros are real).
    active_days = _campaign_days(account, start, end) | {
        platform_today(),
        platform_today() - dt.timedelta(days=1),
    }
    days = []
    totals = dict.fromkeys(("batches", "sent", "delivered", "failed", "credits"), 0)
    missing = 0
    day = start
    while day <= end:
        s = stats.get(day)
        if (s is None or s.synced_at is None) and day in active_days:
            missing += 1
        failed = (s.send_error + s.invalid_addr + s.format_error) if s else 0
        row = {
            "date": day,
            "batches": s.ws_qty if s else 0,
            "sent": s.ws_count if s else 0,
            "delivered": s.actual_send if s else 0,
            "failed": failed,
            "credits": credits.get(day, s.deductions_total if s else 0),
            "quota": quota.get(day),
            "synced": bool(s and s.synced_at),
        }
        for key in totals:
            totals[key] += row[key]
        days.append(row)
        day += dt.timedelta(days=1)
    totals["delivery_rate"] = _percent(totals["delivered"], totals["sent"])
    # Days are Beijing dates; campaigns are picked by their send time in that zone.
    low = dt.datetime.combine(start, dt.time.min, tzinfo=BEIJING)
    high = dt.datetime.combine(end + dt.timedelta(days=1), dt.time.min, tzinfo=BEIJING)
    in_range = CampaignReport.objects.filter(
        account=account,
        campaign__send_time__gte=low,
        campaign__send_time__lt=high,
        real_send_count__gte=min_delivered,
    ).select_related("campaign")
    top_opens = list(in_range.filter(open_rate__isnull=False).order_by("-open_rate", "-id")[:TOP])
    top_clicks = list(
        in_range.filter(click_rate__isnull=False, campaign__track_status=2).order_by(
            "-click_rate", "-id"
        )[:TOP]
    )
    synced = [s.synced_at for s in stats.values() if s.synced_at]
    chart = {
        "labels": [d["date"].isoformat() for d in days],
        "series": {
            "delivered": [d["delivered"] for d in days],
            "failed": [d["failed"] for d in days],
            "credits": [d["credits"] for d in days],
            "quota": [d["quota"] for d in days],
        },
        "has_data": any(d["sent"] or d["credits"] for d in days),
        "has_quota": any(d["quota"] is not None for d in days),
    }
    return Dashboard(
        start=start,
        end=end,
        days=days,
        totals=totals,
        top_opens=top_opens,
        top_clicks=top_clicks,
        chart=chart,
        synced_at=max(synced) if synced else None,
        missing_days=missing,
        errors=[s for s in stats.values() if s.failures and s.last_error][:5],
    )


def _campaign_days(account, start: dt.date, end: dt.date) -> set[dt.date]:
    from apps.campaigns.models import Campaign

    low = dt.datetime.combine(start, dt.time.min, tzinfo=BEIJING)
    high = dt.datetime.combine(end + dt.timedelta(days=1), dt.time.min, tzinfo=BEIJING)
    return set(
        Campaign.objects.filter(
            account=account,
            platform_id__isnull=False,
            send_time__gte=low,
            send_time__lt=high,
        )
        .annotate(day=TruncDate("send_time", tzinfo=BEIJING))
        .values_list("day", flat=True)
        .distinct()
        .order_by()
    )


def compare_choices(
    *, account, start: dt.date, end: dt.date, limit: int = 100
) -> list[CampaignReport]:
    """Campaigns offered for the side-by-side comparison: the range's latest with statistics."""
    low = dt.datetime.combine(start, dt.time.min, tzinfo=BEIJING)
    high = dt.datetime.combine(end + dt.timedelta(days=1), dt.time.min, tzinfo=BEIJING)
    return list(
        CampaignReport.objects.filter(
            account=account,
            campaign__send_time__gte=low,
            campaign__send_time__lt=high,
            stats_synced_at__isnull=False,
        )
        .select_related("campaign")
        .order_by("-campaign__send_time", "-id")[:limit]
    )


def comparison(*, account, campaign_ids: list[int]) -> list[ReportView]:
    reports = CampaignReport.objects.filter(account=account, campaign_id__in=campaign_ids)
    by_campaign = {r.campaign_id: r for r in reports.select_related("campaign")}
    return [report_view(report=by_campaign[i]) for i in campaign_ids if i in by_campaign]


def compare_series(views: list[ReportView]) -> dict:
    """Opens and clicks over the hours since each campaign started, on one axis."""
    out = []
    for view in views:
        start = view.report.campaign.time_start or (
            view.points[0].taken_at if view.points else None
        )
        out.append(
            {
                "name": view.report.campaign.display_name,
                "points": [
                    {
                        "hours": round((p.taken_at - start).total_seconds() / 3600, 2),
                        "opens": p.open_unique,
                        "clicks": p.click_unique,
                    }
                    for p in view.points
                    if start is not None
                ],
            }
        )
    return {"campaigns": out}


# -- hygiene -----------------------------------------------------------------------------------


def hygiene_settings_for(*, account) -> HygieneSettings | None:
    return HygieneSettings.objects.filter(account=account).first()


def hygiene_runs_for(*, account) -> QuerySet[HygieneRun]:
    return HygieneRun.objects.filter(account=account).select_related("report__campaign")


def sync_summary(*, account) -> dict:
    """When campaign statistics were last synced and how many campaigns are still followed
    (one aggregate over the account's reports)."""
    return CampaignReport.objects.filter(account=account).aggregate(
        last=Max("synced_at"), followed=Count("id", filter=Q(final=False))
    )
