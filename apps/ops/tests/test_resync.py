"""Resync jobs: exactly-once completion under redelivery, and the owner's page."""

import pytest
from django.urls import reverse
from django.utils import timezone

from apps.accounts.models import AccountService, Membership
from apps.accounts.tests.factories import member, platform_account
from apps.core import registry
from apps.core.models import AuditEntry
from apps.ops import services
from apps.ops.models import ResyncJob
from tests.support import wait_until


@pytest.fixture
def quick(settings):
    settings.OPS_RESYNC_PAUSE_SECONDS = 0
    settings.OPS_JOB_LEASE_SECONDS = 60


@pytest.mark.django_db
def test_a_duplicate_delivery_waits_for_the_running_one(quick, sandbox):
    account = platform_account(username="demo", password="demo-pass", platform_url=sandbox.url)
    job = ResyncJob.objects.create(account=account)
    claimed, _ = services._claim(job.pk, "a@host")  # worker a is working on it
    assert claimed.attempts == 1

    outcome = services.resync_job_run(job_id=job.pk, worker="b@host")
    assert outcome.state == "busy"
    assert 55 < outcome.retry_in <= 60
    job.refresh_from_db()
    assert (job.status, job.attempts, job.worker, job.steps_done) == ("running", 1, "a@host", [])


@pytest.mark.django_db
def test_after_a_crash_the_redelivery_resumes_and_finishes_once(quick, fresh_sandbox):
    account = platform_account(
        username="demo", password="demo-pass", platform_url=fresh_sandbox.url
    )
    job = ResyncJob.objects.create(account=account)
    # Worker a claimed the job, finished the first step, then died: its lease ran out.
    services._claim(job.pk, "a@host")
    ResyncJob.objects.filter(pk=job.pk).update(
        steps_done=["accounts.customer"],
        step_log=[{"step": "accounts.customer", "worker": "a@host", "attempt": 1, "at": "t"}],
        lease_expires_at=timezone.now() - timezone.timedelta(seconds=1),
    )
    since = fresh_sandbox.calls()[-1]["seq"] if fresh_sandbox.calls() else 0

    outcome = services.resync_job_run(job_id=job.pk, worker="b@host")
    assert (outcome.state, outcome.attempt) == ("done", 2)
    job.refresh_from_db()
    assert job.status == "done" and job.finished_at is not None
    # Every registered step ran, in order (other apps register theirs after the accounts').
    steps = [step.name for step in registry.resync_steps()]
    assert steps[:2] == ["accounts.customer", "accounts.service"]
    assert job.steps_done == steps
    assert [(e["step"], e["worker"]) for e in job.step_log] == [
        ("accounts.customer", "a@host"),
        *[(name, "b@host") for name in steps[1:]],
    ]
    # The step finished before the crash was not fetched again.
    done_calls = [(c["script"], c["do"]) for c in fresh_sandbox.calls(since=since)]
    assert ("account.php", "customer-info") not in done_calls
    assert done_calls.count(("account.php", "service-info")) == 1

    # A late duplicate of the message finds the job finished and does nothing.
    assert services.resync_job_run(job_id=job.pk, worker="c@host").state == "already_finished"
    job.refresh_from_db()
    assert job.attempts == 2 and job.worker == "b@host"


@pytest.mark.django_db
def test_a_superseded_execution_cannot_write(quick):
    account = platform_account()
    job = ResyncJob.objects.create(account=account)
    services._claim(job.pk, "a@host")
    ResyncJob.objects.filter(pk=job.pk).update(lease_expires_at=timezone.now())
    services._claim(job.pk, "b@host")  # took over: attempt 2
    assert services._checkpoint(job.pk, 1, lambda j: setattr(j, "status", "done")) is False
    job.refresh_from_db()
    assert (job.status, job.attempts) == ("running", 2)


@pytest.mark.django_db
def test_starting_twice_gives_the_same_job(django_capture_on_commit_callbacks):
    account = platform_account()
    user = member(account)
    with django_capture_on_commit_callbacks() as callbacks:
        first, created = services.resync_job_start(account=account, user=user)
        second, created_again = services.resync_job_start(account=account, user=user)
    assert created and not created_again and first.pk == second.pk
    assert len(callbacks) == 1
    entry = AuditEntry.objects.get(action="ops.resync")
    assert (entry.account, entry.user, entry.target) == (account, user, f"job {first.pk}")


@pytest.mark.django_db
def test_a_broker_outage_fails_the_job_with_a_message(broker_down):
    account = platform_account()
    job, _ = services.resync_job_start(account=account, enqueue=False)
    services._enqueue_resync(job.pk)
    job.refresh_from_db()
    assert job.status == "failed"
    assert "queue could not be reached" in job.error


# -- the owner's page -----------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_owner_resyncs_from_the_page_and_a_worker_finishes_it(
    demo_client, demo_account, celery_worker, fresh_sandbox
):
    fresh_sandbox.patch_account("demo", qty_available=4242)
    page = demo_client.get(reverse("ops:resync"))
    assert page.status_code == 200
    html = page.content.decode()
    assert html.count("<h1") == 1
    assert "Service and quota (§1.2)" in html

    response = demo_client.post(reverse("ops:resync-start"))
    assert response.status_code == 302
    job = ResyncJob.objects.get(account=demo_account)
    done = wait_until(
        lambda: ResyncJob.objects.filter(pk=job.pk, status="done").first(), timeout=60
    )
    assert done.attempts == 1
    assert AccountService.objects.get(account=demo_account).qty_available == 4242
    partial = demo_client.get(reverse("ops:resync-jobs")).content.decode()
    assert 'data-status="done"' in partial
    assert "hx-trigger" not in partial  # nothing running: the table stops polling


@pytest.mark.django_db
def test_a_running_job_keeps_the_table_polling_and_blocks_a_second(demo_client, demo_account):
    ResyncJob.objects.create(account=demo_account, status="running")
    page = demo_client.get(reverse("ops:resync")).content.decode()
    assert 'hx-trigger="every 2s"' in page
    response = demo_client.post(reverse("ops:resync-start"), follow=True)
    assert "already under way" in response.content.decode()
    assert ResyncJob.objects.filter(account=demo_account).count() == 1


@pytest.mark.django_db
def test_only_owners_resync_and_only_their_own_jobs_show(demo_client, demo_account):
    other = platform_account(username="other-co")
    ResyncJob.objects.create(account=other, status="failed", error="secret-of-other")
    html = demo_client.get(reverse("ops:resync")).content.decode()
    assert "secret-of-other" not in html

    Membership.objects.filter(account=demo_account).update(role="sender")
    assert demo_client.get(reverse("ops:resync")).status_code == 403
    assert demo_client.post(reverse("ops:resync-start")).status_code == 403
    assert not ResyncJob.objects.filter(account=demo_account).exists()
