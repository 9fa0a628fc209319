"""No duplicates, no losses: a create whose reply is lost is reconciled against §6.1 before
anything is sent again; the platform's add-task limit is kept by the portal across processes."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.db import connection
from django.utils import timezone

from apps.campaigns import ratelimit, services
from apps.campaigns.models import AddTaskCall, Campaign
from tests.support import wait_until

from .factories import mirror, page, platform_tasks, url, wizard

S = Campaign.LocalState
ROOT = Path(__file__).resolve().parents[3]


def add_task_calls(sandbox, since=0):
    return [c for c in sandbox.calls(since=since) if c["do"] == "add-task"]


def created(sandbox):
    """Tasks made by the test (the seeded history runs at a fixed speed)."""
    return [t for t in platform_tasks(sandbox) if t["fixed_speed"] is None]


@pytest.mark.django_db(transaction=True)
@pytest.mark.worker
def test_a_timed_out_create_is_found_on_the_platform_not_sent_twice(
    demo_client, demo_account, fresh_sandbox, celery_worker, settings
):
    mirror(demo_account)
    campaign, _ = wizard(demo_client, content={"name": "Slow platform"})
    settings.UMAIL_READ_TIMEOUT = 1
    fresh_sandbox.control(
        "POST",
        "faults",
        {"kind": "timeout", "script": "task.php", "do": "add-task", "delay": 3, "times": 1},
    )
    response = demo_client.post(url("review", campaign.pk), follow=True)
    body = page(response)
    assert "did not confirm in time" in body and "do not create it again" in body
    campaign.refresh_from_db()
    assert campaign.local_state == S.UNCONFIRMED and campaign.platform_id is None
    assert "Review and send again" not in body  # no retry while it may exist
    # A second click does not call add-task again (counted below, once the held call is logged).
    demo_client.post(url("review", campaign.pk))

    def linked():
        campaign.refresh_from_db()
        return campaign.local_state == S.ACTIVE

    wait_until(linked, timeout=60, interval=0.5)  # the worker searched §6.1 and found it
    tasks = created(fresh_sandbox)
    assert [t["id"] for t in tasks] == [campaign.platform_id]
    assert campaign.sn == tasks[0]["sn"]
    assert len(add_task_calls(fresh_sandbox)) == 1
    assert "Waiting" in page(demo_client.get(url("detail", campaign.pk)))
    from apps.core.models import AuditEntry

    assert AuditEntry.objects.filter(action="campaigns.campaign.reconciled").count() == 1


@pytest.mark.django_db
def test_a_lost_create_that_never_happened_becomes_sendable_after_the_search(
    demo, demo_account, fresh_sandbox
):
    campaign, _ = wizard(demo)
    fresh_sandbox.control(
        "POST", "faults", {"kind": "reset", "script": "task.php", "do": "add-task", "times": 1}
    )
    demo.post(url("review", campaign.pk))
    campaign.refresh_from_db()
    assert campaign.local_state == S.UNCONFIRMED
    for _ in range(len(services.RECONCILE_GAPS)):
        services.campaign_reconcile(campaign_id=campaign.pk)
        campaign.refresh_from_db()
        assert campaign.local_state == S.UNCONFIRMED  # still looking
    services.campaign_reconcile(campaign_id=campaign.pk)
    campaign.refresh_from_db()
    assert campaign.local_state == S.LOST
    assert "it was not created" in campaign.submit_error
    body = page(demo.get(url("detail", campaign.pk)))
    assert "Review and send again" in body
    demo.post(url("review", campaign.pk))
    campaign.refresh_from_db()
    assert campaign.local_state == S.ACTIVE
    assert [t["id"] for t in created(fresh_sandbox)] == [campaign.platform_id]


@pytest.mark.django_db
def test_a_full_sync_during_the_search_links_instead_of_duplicating(
    demo, demo_account, fresh_sandbox, settings
):
    campaign, _ = wizard(demo)
    settings.UMAIL_READ_TIMEOUT = 0.5
    fresh_sandbox.control(
        "POST",
        "faults",
        {"kind": "timeout", "script": "task.php", "do": "add-task", "delay": 1.5, "times": 1},
    )
    demo.post(url("review", campaign.pk))
    time.sleep(2.5)  # the held call has been carried out by now
    settings.UMAIL_READ_TIMEOUT = 5
    services.campaigns_sync_account(account=demo_account, full=True)
    campaign.refresh_from_db()
    assert campaign.local_state == S.ACTIVE
    task_id = created(fresh_sandbox)[0]["id"]
    assert campaign.platform_id == task_id
    assert Campaign.objects.filter(account=demo_account, platform_id=task_id).count() == 1


@pytest.fixture
def demo(demo_client, demo_account, fresh_sandbox):
    mirror(demo_account)
    return demo_client


@pytest.mark.django_db
def test_the_101st_create_in_an_hour_is_refused_with_the_time_it_frees_up(
    demo, demo_account, fresh_sandbox
):
    now = timezone.now()
    oldest = now - timezone.timedelta(minutes=59)
    AddTaskCall.objects.bulk_create(
        [AddTaskCall(account=demo_account, at=oldest if i == 0 else now) for i in range(100)]
    )
    AddTaskCall.objects.create(account=demo_account, at=now - timezone.timedelta(hours=2))
    budget = ratelimit.budget(account=demo_account)
    assert (budget.used, budget.remaining) == (100, 0)
    assert budget.frees_at == oldest + timezone.timedelta(hours=1)
    campaign, _ = wizard(demo)
    frees = timezone.localtime(budget.frees_at).strftime("%H:%M:%S")
    body = page(demo.get(url("review", campaign.pk)))
    assert "New campaigns left this hour: 0 of 100" in body
    assert f"The next one frees up at {frees}" in body
    since = fresh_sandbox.calls()[-1]["seq"]
    response = demo.post(url("review", campaign.pk), follow=True)
    assert frees in page(response)
    assert add_task_calls(fresh_sandbox, since) == []  # refused before any call
    campaign.refresh_from_db()
    assert campaign.local_state == S.DRAFT
    with pytest.raises(ratelimit.AddTaskLimitReached) as info:
        ratelimit.reserve(account=demo_account)
    assert info.value.budget.frees_at == oldest + timezone.timedelta(hours=1)
    assert AddTaskCall.objects.filter(account=demo_account).count() == 101


@pytest.mark.django_db
def test_the_platforms_own_limit_reply_is_shown(demo, demo_account, fresh_sandbox):
    campaign, _ = wizard(demo)
    fresh_sandbox.control(
        "POST", "faults", {"kind": "rate_limit", "script": "task.php", "do": "add-task"}
    )
    body = page(demo.post(url("review", campaign.pk), follow=True))
    assert "rate limit was reached" in body
    campaign.refresh_from_db()
    assert campaign.local_state == S.REJECTED
    assert created(fresh_sandbox) == []


RESERVE = """
import os, sys, time
import django
django.setup()
from apps.accounts.models import PlatformAccount
from apps.campaigns import ratelimit
account = PlatformAccount.objects.get(pk=int(sys.argv[1]))
start = float(sys.argv[2])
while time.time() < start:
    time.sleep(0.005)
granted = refused = 0
for _ in range(70):
    try:
        ratelimit.reserve(account=account)
        granted += 1
    except ratelimit.AddTaskLimitReached:
        refused += 1
print(granted, refused)
"""


@pytest.mark.django_db(transaction=True)
def test_the_limit_holds_across_two_processes():
    from apps.accounts.tests.factories import platform_account
    from conftest import _database_url

    account = platform_account(username="racer")
    env = dict(os.environ)
    env.update(
        DJANGO_SETTINGS_MODULE="edmportal.settings.test",
        DATABASE_URL=_database_url(connection.settings_dict),
        PYTHONPATH=str(ROOT),
    )
    start = time.time() + 3  # both start together, after Django is up
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", RESERVE, str(account.pk), str(start)],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    results = []
    for proc in procs:
        out, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err[-2000:]
        results.append(tuple(int(x) for x in out.split()))
    granted = sum(g for g, _ in results)
    assert granted == 100, results
    assert sum(r for _, r in results) == 40
    assert all(g > 0 for g, _ in results)  # they really raced
    assert AddTaskCall.objects.filter(account=account).count() == 100
