"""List hygiene: after a campaign finishes, exactly its hard failures (and the list's new
unsubscribes) are suppressed and, when switched on, removed from the list; runs are logged and
idempotent. One test runs the whole chain in the real Celery worker."""

from __future__ import annotations

import pytest
from django.utils import timezone

from apps.accounts.models import PlatformAccount
from apps.analytics import services
from apps.analytics.models import CampaignReport, HygieneItem, HygieneRun
from apps.campaigns.models import Campaign
from apps.campaigns.services import campaigns_sync_account
from apps.campaigns.tests.factories import mirror
from apps.contacts.models import Suppression
from tests.support import wait_until

from .factories import LINES, list_addresses, make_list, platform_json, send, url

HARD = (1, 8, 9)


def hard_failures(sandbox, report) -> set[str]:
    items = platform_json(sandbox, "failexportall.php", task_id=report.stat_task_id, type="all")
    return {i["email"].lower() for i in items if int(i["type"]) in HARD}


def run_hygiene(report) -> HygieneRun:
    run = HygieneRun.objects.get(report=report)
    services.hygiene_collect(run_id=run.pk)
    more = True
    while more:
        run, more = services.hygiene_remove(run_id=run.pk)
    return run


@pytest.fixture
def demo(demo_client, demo_account, fresh_sandbox):
    mirror(demo_account)
    return demo_account


@pytest.mark.django_db
@pytest.mark.parametrize("remove", [True, False])
def test_hygiene_suppresses_and_removes_exactly_the_hard_failures(demo, fresh_sandbox, remove):
    services.hygiene_update_settings(
        account=demo, user=None, enabled=True, remove_from_lists=remove
    )
    list_id = make_list(demo, "Hygiene test", LINES)
    before = list_addresses(fresh_sandbox, list_id)
    assert len(before) == len(LINES)
    campaign = send(demo, fresh_sandbox, list_id=list_id, track=0)
    services.reports_sync_due()
    report = CampaignReport.objects.get(campaign=campaign)
    hard = hard_failures(fresh_sandbox, report)
    assert {"bounce1@x.cn", "bounce2@x.cn", "z1@q.invalid"} <= hard
    assert not {"full1@x.cn", "reject1@x.cn", "spam1@x.cn"} & hard  # soft: left alone
    run = run_hygiene(report)
    assert run.state == "done" and run.hard_failures == len(hard)
    suppressed = set(
        Suppression.objects.filter(account=demo, reason="hard_bounce").values_list(
            "email", flat=True
        )
    )
    assert suppressed == hard
    after = list_addresses(fresh_sandbox, list_id)
    if remove:
        assert after == before - hard
        assert run.removed == len(hard)
        assert (
            set(
                HygieneItem.objects.filter(run=run, action="removed").values_list(
                    "email", flat=True
                )
            )
            == hard
        )
    else:
        assert after == before
        assert run.removed == 0
    # Idempotent: collecting again changes nothing (no new items, no new suppressions).
    HygieneRun.objects.filter(pk=run.pk).update(state="pending")
    services.hygiene_collect(run_id=run.pk)
    assert HygieneItem.objects.filter(run=run).count() == len(hard)
    assert Suppression.objects.filter(account=demo, reason="hard_bounce").count() == len(hard)


@pytest.mark.django_db
def test_unsubscribes_since_the_campaign_are_suppressed(demo, fresh_sandbox):
    from apps.accounts.clients import client_for_account

    list_id = make_list(demo, "Unsubscribe test", LINES[6:])
    campaign = send(demo, fresh_sandbox, list_id=list_id, track=0)
    with client_for_account(demo) as client:
        client.contacts.unsubscribe(list_id=list_id, addresses=["ok3@x.cn", "ok4@x.cn"])
    services.reports_sync_due()
    report = CampaignReport.objects.get(campaign=campaign)
    run = run_hygiene(report)
    assert run.unsubscribes == 2
    assert {"ok3@x.cn", "ok4@x.cn"} <= set(
        Suppression.objects.filter(account=demo, reason="unsubscribe").values_list(
            "email", flat=True
        )
    )


@pytest.mark.django_db
def test_hygiene_is_logged_and_reviewable(demo_client, demo, fresh_sandbox):
    list_id = make_list(demo, "Review test", LINES)
    campaign = send(demo, fresh_sandbox, list_id=list_id, track=0)
    services.reports_sync_due()
    run = run_hygiene(CampaignReport.objects.get(campaign=campaign))
    body = demo_client.get(url("hygiene")).content.decode()
    assert "Review test" in body and 'data-testid="hygiene-runs"' in body
    detail = demo_client.get(url("hygiene-run", run.pk)).content.decode()
    assert "bounce1@x.cn" in detail and "Mailbox does not exist" in detail
    assert "full1@x.cn" not in detail


@pytest.mark.django_db
def test_a_platform_failure_during_hygiene_is_recorded(demo, fresh_sandbox):
    list_id = make_list(demo, "Failing", LINES)
    campaign = send(demo, fresh_sandbox, list_id=list_id, track=0)
    services.reports_sync_due()
    report = CampaignReport.objects.get(campaign=campaign)
    run = HygieneRun.objects.get(report=report)
    fresh_sandbox.control(
        "POST", "faults", {"kind": "http_error", "script": "failexportall.php", "times": 10}
    )
    services.hygiene_collect(run_id=run.pk)
    fresh_sandbox.control("POST", "faults/clear")
    run.refresh_from_db()
    assert run.state == "failed" and run.error
    assert not Suppression.objects.filter(account=demo, source="analytics").exists()
    run = run_hygiene(report)  # a later attempt succeeds
    assert run.state == "done" and run.attempts == 2


@pytest.mark.django_db(transaction=True)
def test_done_when_a_tracked_campaign_finishes_everything_follows(
    celery_worker, fresh_sandbox, client
):
    """The issue's scenario in the real worker: report, charts data, exports and hygiene."""
    response = client.post(
        "/login/", {"username": "demo", "password": "demo-pass", "user_type": ""}
    )
    assert response.status_code == 302
    account = PlatformAccount.objects.get(username="demo", user_type="")
    mirror(account)
    services.hygiene_update_settings(
        account=account, user=None, enabled=True, remove_from_lists=True
    )
    list_id = make_list(account, "Done when", LINES)
    before = list_addresses(fresh_sandbox, list_id)
    campaign = send(account, fresh_sandbox, list_id=list_id, track=2, mirror=False)
    campaigns_sync_account(account=account, full=True)
    campaign = Campaign.objects.get(account=account, platform_id=campaign)
    from apps.analytics.tasks import analytics_sync_due_task

    analytics_sync_due_task.delay()
    report = wait_until(
        lambda: CampaignReport.objects.filter(
            campaign=campaign, stats_synced_at__isnull=False
        ).first()
    )
    run = wait_until(
        lambda: HygieneRun.objects.filter(report=report, state="done").first(), timeout=60
    )
    hard = hard_failures(fresh_sandbox, report)
    assert list_addresses(fresh_sandbox, list_id) == before - hard
    assert run.removed == len(hard) > 0
    body = client.get(url("report", campaign.pk)).content.decode()
    assert f'data-testid="delivered">{report.delivered}<' in body.replace(",", "")
    assert report.open_unique > 0
    export = client.get(url("failures", campaign.pk), {"type": 1, "source": "xml", "fmt": "csv"})
    content = b"".join(export.streaming_content).decode("utf-8-sig")
    assert "bounce1@x.cn" in content and "full1@x.cn" not in content
    assert timezone.now() >= report.synced_at


@pytest.mark.django_db
def test_the_campaign_review_warns_about_suppressed_addresses_left_in_the_list(demo, fresh_sandbox):
    from apps.campaigns import services as campaign_services
    from apps.campaigns.tests.factories import campaign as make_campaign
    from apps.contacts.services import list_sync

    services.hygiene_update_settings(account=demo, user=None, enabled=True, remove_from_lists=False)
    list_id = make_list(demo, "Kept", LINES)
    campaign = send(demo, fresh_sandbox, list_id=list_id, track=0)
    services.reports_sync_due()
    run = run_hygiene(CampaignReport.objects.get(campaign=campaign))
    list_sync(account=demo)
    draft = make_campaign(
        demo, local_state=Campaign.LocalState.DRAFT, list_id=list_id, platform_id=None
    )
    review = campaign_services.review(account=demo, campaign=draft)
    warning = f"{run.hard_failures} addresses of this list failed permanently"
    assert any(warning in str(w) for w in review.warnings), review.warnings
    other = make_campaign(
        demo, local_state=Campaign.LocalState.DRAFT, list_id=501, platform_id=None
    )
    assert not any(
        "failed permanently" in str(w)
        for w in campaign_services.review(account=demo, campaign=other).warnings
    )


@pytest.mark.django_db
def test_removal_stopped_by_the_platform_resumes_later(demo, fresh_sandbox):
    services.hygiene_update_settings(account=demo, user=None, enabled=True, remove_from_lists=True)
    list_id = make_list(demo, "Interrupted", LINES)
    campaign = send(demo, fresh_sandbox, list_id=list_id, track=0)
    services.reports_sync_due()
    report = CampaignReport.objects.get(campaign=campaign)
    run = HygieneRun.objects.get(report=report)
    services.hygiene_collect(run_id=run.pk)
    fresh_sandbox.control(
        "POST", "faults", {"kind": "http_error", "script": "mloperate.php", "times": 50}
    )
    run, more = services.hygiene_remove(run_id=run.pk)
    fresh_sandbox.control("POST", "faults/clear")
    assert more and run.state == "removing" and run.error and run.removed == 0
    while more:
        run, more = services.hygiene_remove(run_id=run.pk)
    assert run.state == "done" and not run.error
    assert run.removed == len(hard_failures(fresh_sandbox, report))
