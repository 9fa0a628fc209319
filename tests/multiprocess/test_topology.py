"""The production topology (gunicorn + 2 Celery workers + beat on PostgreSQL and Redis), driven
over HTTP; a worker is killed in the middle of a job and the job still completes exactly once.

Still to add when the features land: the campaign scenario (create a campaign over HTTP, send it,
kill a worker while it is being sent, wait for finished statistics, check one send and one
statistics snapshot) as one more test function with the same fixture and helpers.
"""

from __future__ import annotations

import pytest

from apps.accounts.models import AccountService, PlatformAccount
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
        body = browser.get("/healthz").json()
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
    from apps.ops.registry import resync_steps

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
