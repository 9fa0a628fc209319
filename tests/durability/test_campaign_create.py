"""A process killed in the middle of creating a campaign (its add-task call in flight, the
platform creating the task anyway): once the safety net has run, the campaign is linked to the
one task the platform made, and nothing was sent twice.

Two processes make campaigns: the web process (the marketer's "send") and a worker (an A/B
test's winner sent to the rest of the list). Each is killed here with SIGKILL while the sandbox
holds its add-task call; the platform carries the call out after the process is gone.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys

import pytest
from django.utils import timezone

from apps.accounts.models import PlatformAccount
from apps.campaigns.models import Campaign
from apps.campaigns.tasks import campaigns_sync_active_task
from apps.campaigns.tests.factories import mirror, platform_tasks, url, wizard
from apps.experiments import services as experiments
from apps.experiments.models import ABTest
from apps.experiments.tasks import experiments_ab_due_task
from tests.support import wait_until

from .harness import ROOT, Worker, database_url

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.worker]
S = Campaign.LocalState


def made(sandbox) -> list[dict]:
    return [t for t in platform_tasks(sandbox) if t["fixed_speed"] is None]


def add_task_calls(sandbox) -> int:
    return sum(1 for c in sandbox.calls() if c.get("do") == "add-task")


def hold_add_task(sandbox, seconds=4):
    sandbox.control(
        "POST",
        "faults",
        {"kind": "latency", "delay": seconds, "do": "add-task", "times": 1},
    )


def held(sandbox) -> bool:
    return any(f["hits"] for f in sandbox.control("GET", "faults"))


def safety_net(worker_queue: str | None, campaign_pk: int) -> None:
    """What beat does every minute (campaigns_sync_active_task: reconcile_overdue), after the
    five minutes a submission may take: the clock is moved on rather than waited for."""
    Campaign.objects.filter(pk=campaign_pk, local_state=S.SUBMITTING).update(
        submitted_at=timezone.now() - timezone.timedelta(minutes=6)
    )
    campaigns_sync_active_task.apply_async(queue=worker_queue)


@pytest.mark.reliability("durability", area="campaign create")
@pytest.mark.parametrize("case", ["web process killed mid-create"])
def test_web_process_killed_while_creating(
    demo_client, demo_account, fresh_sandbox, tmp_path, case
):
    mirror(demo_account)
    campaign, _ = wizard(demo_client, content={"name": "进程崩溃时创建"})
    hold_add_task(fresh_sandbox)
    script = (
        "import django; django.setup();"
        "from apps.campaigns import services; from apps.campaigns.models import Campaign;"
        f"c = Campaign.objects.get(pk={campaign.pk});"
        "services.campaign_submit(account=c.account, user=None, campaign=c)"
    )
    env = dict(os.environ, DJANGO_SETTINGS_MODULE="edmportal.settings.test")
    env.update(DATABASE_URL=database_url(), UMAIL_PLATFORM_URL=fresh_sandbox.url)
    env["UMAIL_READ_TIMEOUT"] = "10"
    web = subprocess.Popen(
        [sys.executable, "-c", script], cwd=ROOT, env=env, start_new_session=True
    )
    try:
        wait_until(lambda: held(fresh_sandbox), timeout=30, interval=0.05)
    finally:
        os.killpg(web.pid, signal.SIGKILL)
        web.wait(timeout=10)
    campaign.refresh_from_db()
    assert campaign.local_state == S.SUBMITTING and campaign.platform_id is None
    wait_until(lambda: len(made(fresh_sandbox)) == 1, timeout=15)  # the platform made it

    # A second click meanwhile sends nothing: the campaign is on its way.
    demo_client.post(url("review", campaign.pk))
    queue = f"durability-campaign-{os.getpid()}"
    worker = Worker(
        queue=queue,
        log=tmp_path / "worker.log",
        platform_url=fresh_sandbox.url,
        broker_url=_broker(),
    )
    try:
        safety_net(queue, campaign.pk)
        wait_until(
            lambda: Campaign.objects.filter(pk=campaign.pk, local_state=S.ACTIVE).exists(),
            timeout=60,
        )
    finally:
        worker.stop()
    campaign.refresh_from_db()
    assert [t["id"] for t in made(fresh_sandbox)] == [campaign.platform_id]
    assert add_task_calls(fresh_sandbox) == 1


def _broker() -> str:
    from django.conf import settings

    return settings.CELERY_BROKER_URL


@pytest.mark.reliability("durability", area="campaign create")
@pytest.mark.parametrize("case", ["worker killed mid-A/B-winner create"])
def test_worker_killed_while_sending_the_ab_winner(
    demo_client, demo_account, fresh_sandbox, tmp_path, case
):
    mirror(demo_account)
    fresh_sandbox.control("POST", "delivery/settings", {"speed": 100000})
    draft, _ = wizard(
        demo_client,
        content={
            "name": "崩溃时的对比",
            "templates": [501, 502],
            "ab_test": "on",
            "ab_percent": 40,
            "ab_wait_hours": 0,
            "ab_metric": "opens",
            "ab_mode": "auto",
        },
        audience={"scope": "all"},
    )
    demo_client.post(url("review", draft.pk))
    ab = ABTest.objects.get()

    def finished():
        experiments.abtest_refresh(ab=ab)
        return all(v.status == 3 for v in ab.variants)

    wait_until(finished, timeout=30, interval=0.3)
    for variant in ab.variants:
        fresh_sandbox.control("POST", f"tasks/{variant.platform_id}/fast-forward", {"seconds": 4e5})
    before = len(made(fresh_sandbox))
    hold_add_task(fresh_sandbox)
    queue = f"durability-ab-{os.getpid()}"
    first = Worker(
        queue=queue, log=tmp_path / "worker1.log", platform_url=fresh_sandbox.url,
        broker_url=_broker(),
    )  # fmt: skip
    try:
        experiments_ab_due_task.apply_async(queue=queue)
        wait_until(lambda: held(fresh_sandbox), timeout=30, interval=0.05)
    finally:
        first.kill()
    wait_until(lambda: len(made(fresh_sandbox)) == before + 1, timeout=15)
    ab.refresh_from_db()
    assert ab.state == ABTest.State.SENDING_WINNER and ab.rest_campaign is not None

    second = Worker(
        queue=queue, log=tmp_path / "worker2.log", platform_url=fresh_sandbox.url,
        broker_url=_broker(),
    )  # fmt: skip
    try:
        # The redelivered beat job decides nothing again; the safety net links the rest.
        experiments_ab_due_task.apply_async(queue=queue)
        safety_net(queue, ab.rest_campaign.pk)
        wait_until(
            lambda: Campaign.objects.filter(pk=ab.rest_campaign.pk, local_state=S.ACTIVE).exists(),
            timeout=60,
        )
    finally:
        second.stop()
    rests = [t for t in made(fresh_sandbox) if t["send_qty_start"] == ab.test_end + 1]
    assert len(rests) == 1  # the rest of the list is sent to once
    ab.refresh_from_db()
    assert ab.rest_campaign.platform_id == rests[0]["id"]
    assert Campaign.objects.filter(ab_test=ab, ab_role="winner").count() == 1
    assert PlatformAccount.objects.count() == 1


@pytest.mark.reliability("durability", area="campaign create")
@pytest.mark.parametrize("case", ["two workers decide the same A/B test"])
def test_two_deciders_at_once_send_the_winner_once(demo_client, demo_account, fresh_sandbox, case):
    """Beat's A/B job overlapping itself (a slow platform makes one run outlast the minute):
    both see the test due; only one may send the winner to the rest."""
    import threading

    from django.db import connection

    mirror(demo_account)
    fresh_sandbox.control("POST", "delivery/settings", {"speed": 100000})
    draft, _ = wizard(
        demo_client,
        content={
            "name": "并发决定",
            "templates": [501, 502],
            "ab_test": "on",
            "ab_percent": 40,
            "ab_wait_hours": 0,
            "ab_metric": "opens",
            "ab_mode": "auto",
        },
        audience={"scope": "all"},
    )
    demo_client.post(url("review", draft.pk))
    ab = ABTest.objects.get()

    def finished():
        experiments.abtest_refresh(ab=ab)
        return all(v.status == 3 for v in ab.variants)

    wait_until(finished, timeout=30, interval=0.3)
    for variant in ab.variants:
        fresh_sandbox.control("POST", f"tasks/{variant.platform_id}/fast-forward", {"seconds": 4e5})
    before = len(made(fresh_sandbox))
    # Statistics answer slowly: both deciders are past the "is it due?" check meanwhile.
    fresh_sandbox.control("POST", "faults", {"kind": "latency", "delay": 1, "script": "track.php"})
    errors = []

    def decide():
        try:
            experiments.abtests_due()
        except Exception as exc:  # reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=decide) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    fresh_sandbox.control("POST", "faults/clear")
    assert not errors, errors
    assert Campaign.objects.filter(ab_test=ab, ab_role="winner").count() == 1
    assert len(made(fresh_sandbox)) == before + 1
