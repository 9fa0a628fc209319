"""Statistics (§2, §3) pages and background jobs under every injected fault (on every script:
the statistics come from stask.php, statistic.php, track.php and the failure exports)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from apps.analytics import services
from apps.analytics.models import CampaignReport, DailyStats, DetailFetch, HygieneRun
from apps.analytics.tasks import (
    analytics_days_sync_task,
    analytics_report_sync_task,
    detail_fetch_task,
    hygiene_collect_task,
)
from apps.analytics.tests.factories import send, url
from apps.campaigns.tests.factories import mirror

from .conftest import BREAKING_FAULTS, fault_id
from .pages import Job, Page, job_problems, page_problems

pytestmark = [pytest.mark.django_db]
KEPT = "Showing the last data fetched"


@pytest.fixture
def ctx(demo_client, demo_account, fresh_sandbox):
    mirror(demo_account)
    campaign = send(demo_account, fresh_sandbox, track=2, days=3)
    assert demo_client.get(url("report", campaign.pk)).status_code == 200  # first visit syncs
    report = CampaignReport.objects.get(campaign=campaign)
    services.days_sync(account=demo_account)
    return {
        "account": demo_account,
        "client": demo_client,
        "campaign": campaign,
        "report": report,
        "delivered": report.delivered,
    }


def _day() -> str:
    return (dt.date.today() - dt.timedelta(days=1)).isoformat()


PAGES = [
    Page(
        "refresh a report",
        lambda c: url("report-refresh", c["campaign"].pk),
        "post",
        shows=("sync-error",),
        says=(KEPT,),
    ),
    Page("refresh the days", url("refresh"), "post", says=(KEPT, "could not be fetched")),
    Page(
        "a day's failures",
        lambda c: url("day-failures") + f"?date={_day()}&type=-1&source=xml&fmt=csv",
        says=(KEPT,),
    ),
    Page(
        "a campaign's failures",
        lambda c: url("failures", c["campaign"].pk) + "?type=-1&source=xml&fmt=xlsx",
        says=(KEPT,),
    ),
    Page(
        "the tracked addresses",
        lambda c: url("tracked", c["campaign"].pk) + "?who=all&fmt=csv",
        says=(KEPT,),
        # A text export has no end marker: a cut reply of whole lines is a shorter list.
        unnoticeable=("truncated",),
    ),
]


@pytest.mark.reliability("fault", area="analytics pages")
@pytest.mark.parametrize("fault", BREAKING_FAULTS, ids=fault_id)
def test_analytics_pages_under_fault(ctx, sweep, fault):
    sweep(**fault)
    problems = page_problems(ctx["client"], PAGES, ctx, fault)
    assert not problems, "\n".join(problems)
    report = CampaignReport.objects.get(pk=ctx["report"].pk)
    assert report.delivered == ctx["delivered"]  # the last good numbers stay


# -- background jobs ------------------------------------------------------------------------------


def _report_check(ctx):
    report = CampaignReport.objects.get(pk=ctx["report"].pk)
    problems = [] if report.last_error and report.next_sync_at else ["no failure recorded"]
    if report.delivered != ctx["delivered"]:
        problems.append("the last good numbers were lost")
    return problems


def _days_run(ctx):
    # Every day is due again.
    DailyStats.objects.filter(account=ctx["account"]).update(
        next_sync_at=timezone.now() - dt.timedelta(minutes=1), final=False
    )
    analytics_days_sync_task.apply(args=[ctx["account"].pk], throw=False)


def _days_check(ctx):
    rows = DailyStats.objects.filter(account=ctx["account"])
    return [] if rows.exclude(last_error="").exists() else ["no day recorded a failure"]


def _detail_run(ctx):
    fetch = DetailFetch.objects.create(
        account=ctx["account"], report=ctx["report"], kind=DetailFetch.Kind.OPENS
    )
    ctx["fetch"] = fetch
    detail_fetch_task.apply(args=[fetch.pk], throw=False)


def _detail_check(ctx):
    fetch = DetailFetch.objects.get(pk=ctx["fetch"].pk)
    ok = fetch.state == DetailFetch.State.FAILED and fetch.error and fetch.finished_at
    return [] if ok else [f"detail download {fetch.state}: {fetch.error!r}"]


def _hygiene_run(ctx):
    run, _created = HygieneRun.objects.get_or_create(
        report=ctx["report"],
        defaults={"account": ctx["account"], "list_id": 501, "list_name": "VIP 客户"},
    )
    HygieneRun.objects.filter(pk=run.pk).update(state=HygieneRun.State.PENDING, error="")
    ctx["hygiene"] = run
    hygiene_collect_task.apply(args=[run.pk], throw=False)


def _hygiene_check(ctx):
    run = HygieneRun.objects.get(pk=ctx["hygiene"].pk)
    ok = run.state == HygieneRun.State.FAILED and run.error
    return [] if ok else [f"hygiene run {run.state}: {run.error!r}"]


JOBS = [
    Job(
        "report sync",
        lambda ctx: analytics_report_sync_task.apply(args=[ctx["report"].pk], throw=False),
        _report_check,
        visible=lambda ctx: (url("report", ctx["campaign"].pk), "The last update failed"),
    ),
    Job(
        "days sync",
        _days_run,
        _days_check,
        visible=lambda ctx: (url("index"), "could not be fetched lately"),
    ),
    Job(
        "open-detail download",
        _detail_run,
        _detail_check,
        visible=lambda ctx: (
            url("detail-status", ctx["campaign"].pk, "opens"),
            "The last download failed",
        ),
    ),
    Job(
        "list hygiene",
        _hygiene_run,
        _hygiene_check,
        visible=lambda ctx: (url("hygiene-run", ctx["hygiene"].pk), "alert-warning"),
    ),
]


@pytest.mark.reliability("fault", area="analytics jobs")
@pytest.mark.parametrize("fault", BREAKING_FAULTS, ids=fault_id)
def test_analytics_jobs_under_fault(ctx, sweep, fault):
    sweep(**fault)
    problems = job_problems(ctx["client"], JOBS, ctx)
    assert not problems, "\n".join(problems)
