"""The operator's resync (every registered resync step) under every injected fault."""

from __future__ import annotations

import pytest
from django.urls import reverse

from apps.ops import services
from apps.ops.models import ResyncJob
from apps.ops.tasks import resync_job_task

from .conftest import BREAKING_FAULTS, fault_id
from .pages import Job, job_problems, last_attempt

pytestmark = [pytest.mark.django_db]


@pytest.fixture
def ctx(demo_client, demo_account, settings):
    settings.OPS_RESYNC_PAUSE_SECONDS = 0
    return {"account": demo_account, "client": demo_client}


def _run(ctx):
    job, _created = services.resync_job_start(account=ctx["account"], enqueue=False)
    ctx["job"] = job
    last_attempt(resync_job_task, job.pk)


def _check(ctx):
    job = ResyncJob.objects.get(pk=ctx["job"].pk)
    if job.status != ResyncJob.Status.FAILED or not job.error or job.lease_expires_at:
        return [f"the job ended {job.status} with error {job.error!r}"]
    return []


JOBS = [
    Job(
        "resync",
        _run,
        _check,
        visible=lambda ctx: (reverse("ops:resync-jobs"), ResyncJob.objects.get().error[:30]),
    )
]


@pytest.mark.reliability("fault", area="ops resync job")
@pytest.mark.parametrize("fault", BREAKING_FAULTS, ids=fault_id)
def test_resync_job_under_fault(ctx, sweep, fault):
    sweep(**fault)  # every script: each resync step talks to its own
    problems = job_problems(ctx["client"], JOBS, ctx)
    assert not problems, "\n".join(problems)


@pytest.mark.reliability("fault", area="ops resync job")
def test_resync_retries_through_a_passing_fault(ctx, inject):
    # Twice: the transport's own read retry takes the first, the task's retry the second.
    inject(kind="http_error", status=502, times=2)
    job, _created = services.resync_job_start(account=ctx["account"], enqueue=False)
    resync_job_task.apply(args=[job.pk], throw=False)  # the retry runs at once here
    job.refresh_from_db()
    assert job.status == ResyncJob.Status.DONE and job.attempts == 2
