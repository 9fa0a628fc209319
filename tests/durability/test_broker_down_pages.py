"""The broker unreachable while a marketer uses the pages: every action whose work goes to the
queue answers with a page (never a 500), says what happened, and leaves the work in a state
that can be started again or that a safety net resumes.

The Celery app of this process is pointed at a closed port (a real refused connection).
"""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from apps.campaigns.models import Campaign
from apps.campaigns.tests.factories import mirror, url, wizard
from apps.contacts import services as contacts
from apps.contacts.models import ImportJob
from apps.contacts.tests.factories import csv_text
from apps.core.queue import QUEUE_DOWN
from apps.experiments.models import ResendJob
from apps.mailtemplates.models import MailTemplate

from .harness import app_broker

pytestmark = [pytest.mark.django_db(transaction=True)]
CLOSED = "redis://127.0.0.1:9/0"


def page_of(response) -> str:
    assert response.status_code in (200, 302), response.status_code
    return response.content.decode()


@pytest.mark.reliability("durability", area="broker")
@pytest.mark.parametrize("case", ["broker down: import steps"])
def test_import_steps_with_the_broker_down(demo_client, demo_account, fresh_sandbox, case):
    contacts.list_sync(account=demo_account)
    response = demo_client.post(
        reverse("contacts:import-upload", args=[501]),
        {"file": SimpleUploadedFile("a.csv", csv_text(20).encode(), "text/csv")},
    )
    job = ImportJob.objects.get(account=demo_account)
    with app_broker(CLOSED):
        contacts.import_configure(job=job, mapping=job.mapping, has_header=job.has_header)
        job.refresh_from_db()
        assert job.state == ImportJob.State.UPLOADED  # back to the mapping step
        ImportJob.objects.filter(pk=job.pk).update(state=ImportJob.State.VALIDATING)
        contacts.import_validate(job_id=job.pk)
        response = demo_client.post(reverse("contacts:import-confirm", args=[job.pk]), follow=True)
    body = page_of(response)
    job.refresh_from_db()
    assert job.state == ImportJob.State.FAILED and job.error == QUEUE_DOWN
    assert QUEUE_DOWN in body and "Send to the platform again" in body
    assert not [c for c in fresh_sandbox.calls() if (c.get("do") or "").startswith("ml-addr-add")]


@pytest.mark.reliability("durability", area="broker")
@pytest.mark.parametrize("case", ["broker down: template content check"])
def test_template_upload_with_the_broker_down(demo_client, demo_account, fresh_sandbox, case):
    with app_broker(CLOSED):
        response = demo_client.post(
            reverse("mailtemplates:create"),
            {
                "name": "队列不通",
                "subjects": ["队列不通"],
                "html": '<p>你好</p><a href="https://example.com/u">退订</a>',
                "text": "你好",
                "encoding": "base64",
                "action": "save",
            },
            follow=True,
        )
    body = page_of(response)
    template = MailTemplate.objects.get(account=demo_account, name="队列不通")
    assert template.poll_state == MailTemplate.PollState.FAILED and template.poll_error
    assert "Ask again" in body  # the button that starts the check again


@pytest.mark.reliability("durability", area="broker")
@pytest.mark.parametrize("case", ["broker down: campaign search and resend"])
def test_campaign_actions_with_the_broker_down(demo_client, demo_account, fresh_sandbox, case):
    mirror(demo_account)
    campaign, _ = wizard(demo_client, content={"name": "队列不通的活动"})
    fresh_sandbox.control(
        "POST", "faults", {"kind": "reset", "script": "task.php", "do": "add-task", "times": 1}
    )
    with app_broker(CLOSED):
        # A lost answer needs a search later: it cannot be queued, the page still answers.
        body = page_of(demo_client.post(url("review", campaign.pk), follow=True))
        assert "did not confirm in time" in body
        campaign.refresh_from_db()
        assert campaign.local_state == Campaign.LocalState.UNCONFIRMED
        assert campaign.next_reconcile_at is not None  # beat's reconcile_overdue finds it
        # Say it went out and finished (tracked): a resend to non-openers is offered.
        Campaign.objects.filter(pk=campaign.pk).update(
            local_state=Campaign.LocalState.ACTIVE, platform_id=880_777, status=3,
            track_status=2, time_start=timezone.now(),
        )  # fmt: skip
        response = demo_client.post(
            reverse("experiments:resend", args=[campaign.pk]),
            {"list_name": "没打开的人"},
            follow=True,
        )
    page_of(response)
    job = ResendJob.objects.get(source=campaign)
    assert job.state == ResendJob.State.FAILED and job.error == QUEUE_DOWN
