"""A broker restart: the Redis the workers and pages use is killed and comes back empty (no
persistence: every queued and unacknowledged message is gone), while an import is being parsed
and while a marketer confirms another. Nothing is lost and nothing is duplicated once things
run again: the worker reconnects (or, where Celery gives up on a lost connection holding
unacknowledged messages, exits and is restarted by the supervisor, as docker-compose's restart
policy does), a page that could not queue says so instead of a 500, and the safety nets (the
worker-start resume and beat's) pick up the job whose next step was in the lost queue.

A private redis-server of this test (never the shared one) and a worker pointed at it.
"""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from apps.accounts.clients import client_for_account
from apps.accounts.models import PlatformAccount
from apps.contacts import services as contacts
from apps.contacts.models import ImportJob, MailList
from apps.contacts.tasks import contacts_import_resume_task
from apps.contacts.tests.factories import csv_text
from apps.core.queue import QUEUE_DOWN
from tests.support import wait_until

from .harness import PrivateRedis, Supervisor, Worker, app_broker

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.worker]


def sign_in() -> Client:
    client = Client()
    response = client.post(reverse("accounts:login"), {"username": "demo", "password": "demo-pass"})
    assert response.status_code == 302
    return client


def upload_and_validate(client, account, start: int) -> ImportJob:
    """Upload through the page and validate in this process (as the worker would)."""
    data = csv_text(700, start=start).encode()
    response = client.post(
        reverse("contacts:import-upload", args=[501]),
        {"file": SimpleUploadedFile(f"batch{start}.csv", data, "text/csv")},
    )
    assert response.status_code == 302
    job = ImportJob.objects.filter(account=account).latest("pk")
    ImportJob.objects.filter(pk=job.pk).update(state=ImportJob.State.VALIDATING)
    job = contacts.import_validate(job_id=job.pk)
    assert job.state == "validated" and job.rows_good == 700
    return job


def confirm(client, job):
    return client.post(reverse("contacts:import-confirm", args=[job.pk]), follow=True)


@pytest.mark.reliability("durability", area="broker")
@pytest.mark.parametrize("case", ["broker restarted empty"])
def test_broker_restart_loses_nothing_and_duplicates_nothing(fresh_sandbox, tmp_path, case):
    fresh_sandbox.control("POST", "contacts/settings", {"parse_seconds": 4})
    client = sign_in()
    account = PlatformAccount.objects.get(username="demo")
    contacts.list_sync(account=account)
    redis = PrivateRedis(tmp_path)
    supervisor = None
    try:
        supervisor = Supervisor(
            lambda n: Worker(
                queue="celery",
                log=tmp_path / f"worker{n}.log",
                platform_url=fresh_sandbox.url,
                broker_url=redis.url,
            )
        )
        with app_broker(redis.url):
            first = upload_and_validate(client, account, start=10_000)
            second = upload_and_validate(client, account, start=20_000)

            # The first import goes to the platform; while it is being parsed, its next poll
            # waits in the broker (and in the worker's memory).
            page = confirm(client, first)
            assert page.status_code == 200
            wait_until(
                lambda: ImportJob.objects.filter(pk=first.pk, state="parsing").exists(),
                timeout=30,
            )

            redis.kill()  # the broker is gone
            page = confirm(client, second)  # ... while a marketer confirms the second import
            assert page.status_code == 200  # a page, not a 500
            second.refresh_from_db()
            assert second.state == ImportJob.State.FAILED and second.error == QUEUE_DOWN
            assert QUEUE_DOWN in page.content.decode()  # said on the page, with "send again"

            redis.start()  # back, empty: the poll message of the first import is lost
            # Beat's safety net (every minute) resumes parses whose poll is overdue; here
            # the clock is moved on instead of waiting for it.
            ImportJob.objects.filter(pk=first.pk, state="parsing").update(
                next_poll_at=timezone.now() - timezone.timedelta(minutes=2)
            )
            wait_until(lambda: _send(contacts_import_resume_task), timeout=60)
            wait_until(
                lambda: ImportJob.objects.filter(pk=first.pk, state="done").exists(), timeout=90
            )

            # The marketer sends the second one again: it goes through once.
            page = confirm(client, second)
            assert page.status_code == 200
            wait_until(
                lambda: ImportJob.objects.filter(pk=second.pk, state="done").exists(), timeout=90
            )
    finally:
        if supervisor is not None:
            supervisor.stop()
        redis.kill()

    with client_for_account(account) as platform:
        rows = [a.address for a in platform.contacts.iter_addresses(list_id=501)]
    expected = {f"user{i}@example.com" for i in (*range(10_000, 10_700), *range(20_000, 20_700))}
    assert expected <= set(rows)  # nothing lost
    assert len(rows) == len(set(rows)) == 25 + 1400  # nothing twice
    contacts.list_sync(account=account)
    assert MailList.objects.get(account=account, platform_id=501).count == 1425


def _send(task) -> bool:
    """Publish like beat does; False while the worker's broker connection is coming back."""
    try:
        task.delay()
    except Exception:
        return False
    return True
