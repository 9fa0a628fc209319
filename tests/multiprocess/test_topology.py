"""The production topology (gunicorn + 2 Celery workers + beat on PostgreSQL and Redis), driven
over HTTP; a worker is killed in the middle of a job and the job still completes exactly once:
an operator's resync, and a campaign from the wizard to its finished statistics.
"""

from __future__ import annotations

import re

import pytest

from apps.accounts.clients import client_for_account
from apps.accounts.models import AccountService, PlatformAccount
from apps.analytics.models import CampaignReport, TrackingPoint
from apps.campaigns.models import Campaign
from apps.campaigns.tests.factories import mirror, platform_tasks
from apps.ops.models import FailedTask, ResyncJob
from tests.support import wait_until

pytestmark = pytest.mark.django_db(transaction=True)


def test_two_web_workers_serve_the_portal_with_production_settings(topology):
    assert len(topology.gunicorn_worker_pids()) == 2
    browser = topology.browser()
    page = browser.get("/login/")
    assert page.status_code == 200
    assert len(page.headers["X-Request-ID"]) == 32
    # whitenoise serves the collected, hashed static files.
    css = next(
        href for href in page.text.split('"') if "bootstrap.min" in href and href.endswith(".css")
    )
    assert css != "/static/vendor/bootstrap-5.3.9/bootstrap.min.css"  # manifest-hashed name
    static = browser.get(css)
    assert static.status_code == 200 and "max-age" in static.headers["Cache-Control"]
    # Without the proxy's HTTPS header the portal redirects to HTTPS; /healthz does not.
    plain = browser.session.get(topology.url + "/login/", allow_redirects=False)
    assert plain.status_code == 301 and plain.headers["Location"].startswith("https://")
    assert browser.session.get(topology.url + "/healthz").status_code == 200


def test_beat_and_the_workers_keep_the_scheduler_healthy(topology):
    browser = topology.browser()

    def scheduler_ok():
        body = browser.get("/healthz", headers={"X-Health-Token": "topology-health-token"}).json()
        return body if body["checks"]["scheduler"]["status"] == "ok" else None

    body = wait_until(scheduler_ok, timeout=30, interval=0.5)
    assert body["status"] == "ok", body
    assert body["checks"]["database"]["status"] == "ok"
    assert body["checks"]["broker"]["status"] == "ok"
    assert body["checks"]["platform"]["status"] == "ok"


def test_a_job_survives_a_worker_killed_mid_job_and_completes_exactly_once(topology, fresh_sandbox):
    browser = topology.browser()
    browser.sign_in("demo", "demo-pass")
    account = PlatformAccount.objects.get(username="demo", user_type="")
    fresh_sandbox.patch_account("demo", qty_available=31337, company="重新同步公司")
    since = max((c["seq"] for c in fresh_sandbox.calls()), default=0)

    started = browser.post_form("/ops/resync/", "/ops/resync/start/", {})
    assert started.status_code == 302

    # Mid-job: the first step is checkpointed, the worker is pausing before the second.
    job = wait_until(
        lambda: ResyncJob.objects.filter(
            account=account, status="running", steps_done=["accounts.customer"]
        ).first(),
        timeout=30,
        interval=0.1,
    )
    victim = topology.worker_for_node(job.worker)
    victim.kill()
    assert not victim.alive

    done = wait_until(
        lambda: ResyncJob.objects.filter(pk=job.pk, status="done").first(),
        timeout=45,
        interval=0.25,
    )
    survivor = next(n for n in topology.worker_nodes if not job.worker.startswith(f"{n}@"))
    assert done.attempts == 2  # the original delivery and one redelivery
    assert done.worker.startswith(f"{survivor}@")
    # Each step finished exactly once: the first by the killed worker, the rest (the second and
    # those of apps that register their own steps, e.g. analytics) by the other.
    from apps.core.registry import resync_steps

    steps = [s.name for s in resync_steps()]
    assert steps[:2] == ["accounts.customer", "accounts.service"]
    assert [(e["step"], e["worker"]) for e in done.step_log] == [
        ("accounts.customer", job.worker),
        *((name, done.worker) for name in steps[1:]),
    ]
    calls = [c["do"] for c in fresh_sandbox.calls(since=since) if c["username"] == "demo"]
    assert calls.count("customer-info") == 1
    assert calls.count("service-info") == 1
    account.refresh_from_db()
    assert account.company == "重新同步公司"
    assert AccountService.objects.get(account=account).qty_available == 31337
    assert ResyncJob.objects.filter(account=account).count() == 1
    assert not FailedTask.objects.filter(task_name="apps.ops.tasks.resync_job_task").exists()

    # No copy of the job is left in the queue or held unacknowledged by anyone.
    assert not [m for m in topology.pending_messages() if "resync_job_task" in m]

    # The marketer's page shows it finished.
    table = browser.get("/ops/resync/jobs/").text
    assert f'data-job="{done.pk}" data-status="done"' in table
    assert "hx-trigger" not in table


def running_tasks(worker, name: str) -> list[str]:
    """Ids of `name` tasks the worker's log shows received and not yet finished."""
    log = worker.output()
    received = re.findall(rf"Task {re.escape(name)}\[([0-9a-f-]+)\] received", log)
    return [t for t in received if not re.search(rf"\[{t}\] (succeeded|failed|raised)", log)]


def test_a_campaign_reaches_finished_statistics_despite_a_worker_killed_mid_sync(
    topology, fresh_sandbox
):
    sync_job = "apps.analytics.tasks.analytics_sync_due_task"
    topology.revive_workers()  # the resync scenario killed one
    browser = topology.browser()
    browser.sign_in("demo", "demo-pass")
    account = PlatformAccount.objects.get(username="demo", user_type="")
    mirror(account)  # lists, templates with their checks, domains: what beat's syncs keep
    fresh_sandbox.control("POST", "delivery/settings", {"speed": 100000})
    since = max((c["seq"] for c in fresh_sandbox.calls()), default=0)
    seeded = {t["id"] for t in platform_tasks(fresh_sandbox)}

    # The wizard, over HTTP: content, audience, sender, schedule, then send.
    created = browser.post_form(
        "/campaigns/new/", None, {"name": "多进程拓扑活动", "templates": [501]}
    )
    assert created.status_code == 302, created.text[:2000]
    pk = int(created.headers["Location"].rstrip("/").split("/")[-3])
    steps = {
        "audience": {"maillist": 501, "scope": "all"},
        "sender": {
            "sender_kind": "address",
            "send_account": "notice@demo-shop.cn",
            "sender_name": "深圳示例科技",
            "track_status": 2,
            "subs_link": "on",
        },
        "schedule": {"when": "now"},
    }
    for step, data in steps.items():
        page = f"/campaigns/{pk}/step/{step}/"
        assert browser.post_form(page, None, data).status_code == 302, step
    sent = browser.post_form(f"/campaigns/{pk}/review/", None, {})
    assert sent.status_code == 302, sent.text[:2000]
    campaign = Campaign.objects.get(pk=pk)
    assert campaign.local_state == Campaign.LocalState.ACTIVE and campaign.platform_id

    # The platform delivers it and the opens and clicks of three days arrive.
    fresh_sandbox.control(
        "POST", f"tasks/{campaign.platform_id}/fast-forward", {"seconds": 3 * 86400}
    )
    # §3.1 is held for a while: the worker syncing the statistics is then mid-job.
    fresh_sandbox.control(
        "POST", "faults", {"kind": "latency", "delay": 8, "do": "overview", "times": 1}
    )
    # The marketer fetches the campaign list (the web process sees it finished) and asks for
    # fresh statistics (a job for the workers; beat's minute job may get there first).
    assert browser.post_form("/campaigns/", "/campaigns/refresh/", {}).status_code == 302
    campaign.refresh_from_db()
    assert campaign.status == 3, campaign.status  # finished
    assert browser.post_form("/analytics/", "/analytics/refresh/", {}).status_code == 302

    def holder():
        if not any(f["hits"] for f in fresh_sandbox.control("GET", "faults")):
            return None
        busy = [
            n
            for n in topology.worker_nodes
            if running_tasks(topology.procs[f"worker-{n}"], sync_job)
        ]
        return busy[0] if len(busy) == 1 else None

    node = wait_until(holder, timeout=150, interval=0.1)
    job_id = running_tasks(topology.procs[f"worker-{node}"], sync_job)[0]
    topology.procs[f"worker-{node}"].kill()
    survivor = topology.procs[f"worker-{next(n for n in topology.worker_nodes if n != node)}"]
    assert not TrackingPoint.objects.filter(report__campaign=campaign).exists()

    # The unacknowledged job comes back to the other worker, which finishes it.
    wait_until(
        lambda: re.search(rf"\[{job_id}\] succeeded", survivor.output()), timeout=60, interval=0.25
    )
    report = wait_until(
        lambda: CampaignReport.objects.filter(campaign=campaign, seen_status=3).first(),
        timeout=60,
        interval=0.25,
    )
    # Exactly once: one send, one statistics snapshot, the platform's numbers.
    calls = [c["do"] for c in fresh_sandbox.calls(since=since) if c["username"] == "demo"]
    assert calls.count("add-task") == 1
    made = [t["id"] for t in platform_tasks(fresh_sandbox) if t["id"] not in seeded]
    assert made == [campaign.platform_id]
    assert TrackingPoint.objects.filter(report=report).count() == 1
    with client_for_account(account) as client:
        (stat,) = client.stats.task_stats(send_id=campaign.platform_id)
    assert (report.sent, report.delivered, report.failed) == (stat.total, stat.success, stat.failed)
    assert report.delivered > 0 and report.open_unique > 0 and report.stat_task_id
    assert not FailedTask.objects.filter(task_name=sync_job).exists()

    # The marketer's report shows them.
    page = browser.get(f"/analytics/campaigns/{pk}/")
    assert page.status_code == 200
    delivered = re.search(r'data-testid="delivered">([\d,]+)<', page.text).group(1)
    assert int(delivered.replace(",", "")) == report.delivered
