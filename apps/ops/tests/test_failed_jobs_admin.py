"""Failed jobs are recorded by the worker; staff see them with the queue depth and retry them."""

import pytest
from django.urls import reverse

from apps.ops.models import FailedTask, ResyncJob
from edmportal.celery import app
from tests.support import wait_until


@pytest.mark.django_db(transaction=True)
def test_a_failing_job_is_recorded_shown_and_retried(admin_client, celery_worker):
    # Sent with a missing argument, as a deploy with mismatched code versions would.
    app.send_task("apps.ops.tasks.resync_job_task", args=[], kwargs={})
    failed = wait_until(
        lambda: FailedTask.objects.filter(task_name="apps.ops.tasks.resync_job_task").first(),
        timeout=60,
    )
    assert failed.exception_type == "TypeError"
    assert "job_id" in failed.exception_message
    assert failed.worker.startswith("test@")
    assert "Traceback" in failed.traceback

    page = admin_client.get(reverse("admin:ops_failedtask_changelist"))
    html = page.content.decode()
    assert page.status_code == 200
    assert "Queues and workers" in html
    assert 'data-queue="celery"' in html or "data-queue=" in html
    assert "apps.ops.tasks.resync_job_task" in html
    assert "Unresolved failed jobs" in html

    response = admin_client.post(
        reverse("admin:ops_failedtask_changelist"),
        {"action": "retry", "_selected_action": [failed.pk]},
        follow=True,
    )
    assert "1 job queued again." in response.content.decode()
    failed.refresh_from_db()
    assert failed.retried_at is not None and failed.retry_task_id
    # Retried with the same (wrong) arguments: it fails again and is recorded again.
    wait_until(lambda: FailedTask.objects.filter(task_id=failed.retry_task_id).exists(), 60)

    admin_client.post(
        reverse("admin:ops_failedtask_changelist"),
        {"action": "mark_resolved", "_selected_action": [failed.pk]},
    )
    assert FailedTask.objects.get(pk=failed.pk).resolved


@pytest.mark.django_db
def test_queue_panel_says_so_when_the_broker_is_down(admin_client, broker_down):
    html = admin_client.get(reverse("admin:ops_failedtask_changelist")).content.decode()
    assert "The broker could not be reached" in html


@pytest.mark.django_db
def test_staff_start_a_resync_from_admin(admin_client, django_capture_on_commit_callbacks):
    from apps.accounts.tests.factories import platform_account

    account = platform_account(username="shop-a")
    with django_capture_on_commit_callbacks() as callbacks:
        response = admin_client.post(
            reverse("admin:ops_resyncjob_add"), {"account": account.pk}, follow=True
        )
    assert response.status_code == 200
    job = ResyncJob.objects.get(account=account)
    assert job.status == "queued" and job.requested_by.username == "admin"
    assert len(callbacks) == 1
