"""Campaigns (§6, with §3 tracking) pages and background jobs under every injected fault.

The fault applies to every platform script: a campaign page touches several (task.php,
track.php, account.php for the quota on review).
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from apps.campaigns import services
from apps.campaigns.models import Campaign, CampaignSync
from apps.campaigns.tasks import (
    campaign_reconcile_task,
    campaign_sync_task,
    campaigns_sync_account_task,
)
from apps.campaigns.tests.factories import mirror, platform_tasks, url, wizard
from apps.experiments.models import ResendJob
from apps.experiments.tasks import experiments_resend_task

from .conftest import BREAKING_FAULTS, fault_id
from .pages import Job, Page, job_problems, last_attempt, page_problems

pytestmark = [pytest.mark.django_db]
S = Campaign.LocalState
LOST_ANSWER = "The platform did not confirm in time"


def later():
    tomorrow = timezone.localdate() + dt.timedelta(days=2)
    return {"when": "later", "send_at": f"{tomorrow.isoformat()}T09:30"}


@pytest.fixture
def ctx(demo_client, demo_account, fresh_sandbox):
    mirror(demo_account)
    waiting, _ = wizard(demo_client, content={"name": "已排程的活动"}, schedule=later())
    assert demo_client.post(url("review", waiting.pk)).status_code == 302
    waiting.refresh_from_db()
    assert waiting.local_state == S.ACTIVE
    draft, _ = wizard(demo_client, content={"name": "待发送的草稿"}, schedule=later())
    services.campaigns_sync_account(account=demo_account, full=True)
    return {
        "account": demo_account,
        "client": demo_client,
        "waiting": waiting,
        "draft": draft,
        "sandbox": fresh_sandbox,
    }


def _first_visit(ctx):
    CampaignSync.objects.filter(account=ctx["account"]).delete()


PAGES = [
    Page("index, first visit", url("index"), before=_first_visit, shows=("已排程的活动",)),
    Page("refresh", url("refresh"), "post", shows=("已排程的活动", "待发送的草稿")),
    Page(
        "detail refresh",
        lambda c: url("campaign-refresh", c["waiting"].pk),
        "post",
        shows=("已排程的活动",),
    ),
    Page(
        "cancel sending",
        lambda c: url("action", c["waiting"].pk, "cancel"),
        "post",
        shows=("已排程的活动",),
    ),
    Page(
        "hold",
        lambda c: url("action", c["waiting"].pk, "hold"),
        "post",
        shows=("已排程的活动",),
    ),
    Page(
        "delete",
        lambda c: url("delete", c["waiting"].pk),
        "post",
        shows=("已排程的活动",),
    ),
    # Last: creating one. A lost answer is "not confirmed" (and searched for), a refusal is
    # the platform's sentence; either way the draft stays.
    Page(
        "send the draft",
        lambda c: url("review", c["draft"].pk),
        "post",
        shows=("待发送的草稿",),
        says=(LOST_ANSWER,),
    ),
]


def mirror_state(account):
    return sorted(
        Campaign.objects.filter(account=account)
        .exclude(pk__in=[])
        .values_list("name", "platform_id", "status")
    )


@pytest.mark.reliability("fault", area="campaigns pages")
@pytest.mark.parametrize("fault", BREAKING_FAULTS, ids=fault_id)
def test_campaigns_pages_under_fault(ctx, sweep, fault):
    waiting_before = Campaign.objects.filter(pk=ctx["waiting"].pk).values().get()
    sweep(**fault)
    problems = page_problems(ctx["client"], PAGES, ctx, fault)
    assert not problems, "\n".join(problems)
    # The platform's campaign is unchanged in the mirror: nothing it did not confirm.
    after = Campaign.objects.filter(pk=ctx["waiting"].pk).values().get()
    for key in ("platform_id", "status", "local_state", "name"):
        assert after[key] == waiting_before[key], key
    draft = Campaign.objects.get(pk=ctx["draft"].pk)
    assert draft.local_state in (S.REJECTED, S.UNCONFIRMED) and draft.platform_id is None


@pytest.mark.reliability("fault", area="campaigns pages")
def test_reads_retry_through_a_passing_fault(ctx, inject):
    inject(script="task.php", kind="http_error", status=503, times=1)
    response = ctx["client"].post(url("refresh"), follow=True)
    assert "could not be reached" not in response.content.decode()


# -- background jobs ------------------------------------------------------------------------------


def _sync_check(ctx):
    sync = CampaignSync.objects.get(account=ctx["account"])
    problems = [] if sync.last_error and sync.last_error_at else ["no failure recorded"]
    if not Campaign.objects.filter(pk=ctx["waiting"].pk, platform_id__isnull=False).exists():
        problems.append("the mirror lost the campaign")
    return problems


def _unconfirmed(ctx):
    draft = ctx["draft"]
    Campaign.objects.filter(pk=draft.pk).update(
        local_state=S.UNCONFIRMED,
        submit_error="The U-Mail platform did not answer in time. Please try again in a minute.",
        submitted_at=timezone.now(),
        next_reconcile_at=timezone.now(),
    )
    ctx["tasks_before"] = len(platform_tasks(ctx["sandbox"]))
    campaign_reconcile_task.apply(args=[draft.pk], throw=False)


def _unconfirmed_check(ctx):
    draft = Campaign.objects.get(pk=ctx["draft"].pk)
    # Still unknown: it keeps looking later (however long the platform is away), never
    # declares it lost while it cannot ask, and never sends it again.
    if draft.local_state != S.UNCONFIRMED or not draft.next_reconcile_at:
        return [f"reconcile left it {draft.local_state}"]
    if draft.next_reconcile_at <= timezone.now():
        return ["no next search scheduled"]
    return []


def _resend(ctx):
    job = ResendJob.objects.create(
        account=ctx["account"], source=ctx["waiting"], list_name="未打开的人"
    )
    ctx["resend"] = job
    experiments_resend_task.apply(args=[job.pk], throw=False)


def _resend_check(ctx):
    job = ResendJob.objects.get(pk=ctx["resend"].pk)
    ok = job.state == ResendJob.State.FAILED and job.error and job.finished_at
    return [] if ok else [f"resend job {job.state}: {job.error!r}"]


def _live_sync(ctx):
    ctx["live_before"] = Campaign.objects.filter(pk=ctx["waiting"].pk).values().get()
    campaign_sync_task.apply(args=[ctx["waiting"].pk, True], throw=False)


def _live_check(ctx):
    after = Campaign.objects.filter(pk=ctx["waiting"].pk).values().get()
    changed = [
        k for k in ("status", "platform_id", "local_state") if after[k] != ctx["live_before"][k]
    ]
    return [f"a failed live sync changed {changed}"] if changed else []


JOBS = [
    Job(
        "campaign sync",
        lambda ctx: last_attempt(campaigns_sync_account_task, ctx["account"].pk, True),
        _sync_check,
        visible=lambda ctx: (url("index"), "The last sync failed"),
    ),
    Job("live sync of one campaign", _live_sync, _live_check),
    Job(
        "search for a create whose answer was lost",
        _unconfirmed,
        _unconfirmed_check,
        visible=lambda ctx: (url("detail", ctx["draft"].pk), "did not answer in time"),
    ),
    Job(
        "resend to non-openers",
        _resend,
        _resend_check,
        visible=lambda ctx: (
            reverse("experiments:resend-job", args=[ctx["resend"].pk]),
            "alert-danger",
        ),
    ),
]


@pytest.mark.reliability("fault", area="campaigns jobs")
@pytest.mark.parametrize("fault", BREAKING_FAULTS, ids=fault_id)
def test_campaigns_jobs_under_fault(ctx, sweep, fault):
    sweep(**fault)
    problems = job_problems(ctx["client"], JOBS, ctx)
    assert not problems, "\n".join(problems)
