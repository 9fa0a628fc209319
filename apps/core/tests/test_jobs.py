"""BackgroundJob's two moves, on one of the job tables (contacts' ImportJob)."""

from __future__ import annotations

import pytest

from apps.accounts.tests.factories import platform_account
from apps.contacts.models import ImportJob
from apps.ops.models import ResyncJob

pytestmark = pytest.mark.django_db
S = ImportJob.State


@pytest.fixture
def job():
    return ImportJob.objects.create(
        account=platform_account(), list_platform_id=1, original_name="a.csv"
    )


def test_a_job_is_claimed_once(job):
    assert ImportJob.claim(job.pk, from_states=[S.UPLOADED], to_state=S.VALIDATING)
    # A message delivered twice, or a second worker: nothing happens.
    assert not ImportJob.claim(job.pk, from_states=[S.UPLOADED], to_state=S.VALIDATING)
    job.refresh_from_db()
    assert job.state == S.VALIDATING


def test_failing_keeps_the_error_and_the_end(job):
    assert ImportJob.fail(job.pk, ValueError("x" * 3000))
    job.refresh_from_db()
    assert job.state == S.FAILED and job.finished_at is not None
    assert job.error == "x" * 2000


def test_failing_only_from_given_states(job):
    assert not ImportJob.fail(job.pk, "late", only_from=[S.VALIDATING])
    job.refresh_from_db()
    assert job.state == S.UPLOADED and job.error == ""


def test_the_state_field_may_be_named_otherwise():
    resync = ResyncJob.objects.create(account=platform_account())
    assert ResyncJob.fail(resync.pk, "gone")
    resync.refresh_from_db()
    assert (resync.status, resync.error) == (ResyncJob.Status.FAILED, "gone")
