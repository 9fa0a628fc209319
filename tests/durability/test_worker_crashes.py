"""Workers killed (SIGKILL, the whole process group) in the middle of a job, with a platform
request in flight: once another worker takes over, nothing is lost and nothing is duplicated.

Runs real `celery worker` processes on the test database and broker (PostgreSQL and Redis in
CI), each on a queue of its own, against the sandbox process. The sandbox holds the request the
worker is making (a `latency` fault), so the kill lands while the platform is working on it.
"""

from __future__ import annotations

import os

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile

from apps.accounts.clients import client_for_account
from apps.accounts.tests.factories import platform_account
from apps.contacts import services as contacts
from apps.contacts.models import ContactsSync, ImportJob, MailList
from apps.contacts.tasks import contacts_import_upload_task, contacts_sync_lists_task
from apps.contacts.tests.factories import csv_text, mail_list
from apps.mailtemplates.models import MailTemplate, TemplateSync
from apps.mailtemplates.tasks import template_sync_task
from tests.support import wait_until

from .harness import Worker

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.worker]


def hits(sandbox) -> int:
    return sum(f["hits"] for f in sandbox.control("GET", "faults"))


def queue_name(case: str) -> str:
    return f"durability-{case.replace(' ', '-')}-{os.getpid()}"


def start_worker(tmp_path, sandbox, queue, n):
    return Worker(
        queue=queue,
        log=tmp_path / f"worker{n}.log",
        platform_url=sandbox.url,
        broker_url=settings.CELERY_BROKER_URL,
    )


def platform_addresses(account, list_id) -> list[str]:
    with client_for_account(account) as client:
        return [a.address.lower() for a in client.contacts.iter_addresses(list_id=list_id)]


@pytest.mark.reliability("durability", area="contacts import")
@pytest.mark.parametrize("case", ["worker killed mid-upload"])
def test_worker_killed_while_the_file_is_uploading(fresh_sandbox, tmp_path, case):
    fresh_sandbox.control("POST", "contacts/settings", {"parse_seconds": 1})
    account = platform_account(
        username="demo", password="demo-pass", platform_url=fresh_sandbox.url
    )
    maillist = mail_list(account, platform_id=501, subject="VIP 客户")
    before = platform_addresses(account, 501)
    job = contacts.import_create(
        account=account,
        user=None,
        maillist=maillist,
        uploaded=SimpleUploadedFile("客户.csv", csv_text(700, start=7000).encode()),
    )
    contacts.import_configure(job=job, mapping=job.mapping, has_header=job.has_header)
    job = contacts.import_validate(job_id=job.pk)
    assert (job.state, job.rows_good) == ("validated", 700)
    ImportJob.objects.filter(pk=job.pk).update(state=ImportJob.State.UPLOADING)
    # The platform receives the file, then takes 4 s to answer: the worker dies meanwhile.
    fresh_sandbox.control(
        "POST", "faults", {"kind": "latency", "delay": 4, "do": "ml-addr-add-file", "times": 1}
    )
    queue = queue_name(case)
    first = start_worker(tmp_path, fresh_sandbox, queue, 1)
    try:
        contacts_import_upload_task.apply_async((job.pk,), queue=queue)
        wait_until(lambda: hits(fresh_sandbox) == 1, timeout=30, interval=0.05)
    finally:
        first.kill()
    second = start_worker(tmp_path, fresh_sandbox, queue, 2)
    try:
        done = wait_until(
            lambda: ImportJob.objects.filter(pk=job.pk, state="done").first(), timeout=90
        )
    finally:
        second.stop()
    after = platform_addresses(account, 501)
    expected = {f"user{i}@example.com" for i in range(7000, 7700)}
    assert expected <= set(after)  # nothing lost
    assert len(after) == len(set(after)) == len(before) + 700  # nothing twice
    assert MailList.objects.get(pk=maillist.pk).count == len(after)
    assert not done.stored_file  # the files went once the platform confirmed


SYNCS = {
    "lists": ("mloperate.php", "maillist-list", contacts_sync_lists_task),
    "templates": ("template.php", "list-tpl", template_sync_task),
}


@pytest.mark.reliability("durability", area="sync")
@pytest.mark.parametrize("case", sorted(SYNCS))
def test_worker_killed_mid_sync(fresh_sandbox, tmp_path, case):
    script, do, task = SYNCS[case]
    account = platform_account(
        username="demo", password="demo-pass", platform_url=fresh_sandbox.url
    )
    with client_for_account(account) as client:  # something new on the platform to mirror
        client.contacts.maillist_add(subject="同步中崩溃")
        client.templates.add(name="同步中崩溃", subjects=["主题"], content="<p>x</p>")
        remote_lists = {(m.id, m.subject) for m in client.contacts.maillist_list()}
        remote_templates = {(t.id, t.name) for t in client.templates.list()}
    fresh_sandbox.control(
        "POST", "faults", {"kind": "latency", "delay": 4, "script": script, "do": do, "times": 1}
    )
    queue = queue_name(f"sync-{case}")
    first = start_worker(tmp_path, fresh_sandbox, queue, 1)
    try:
        task.apply_async((account.pk,), queue=queue)
        wait_until(lambda: hits(fresh_sandbox) == 1, timeout=30, interval=0.05)
    finally:
        first.kill()
    second = start_worker(tmp_path, fresh_sandbox, queue, 2)
    try:
        if case == "lists":
            wait_until(
                lambda: ContactsSync.objects.filter(
                    account=account, lists_synced_at__isnull=False
                ).exists(),
                timeout=60,
            )
        else:
            wait_until(
                lambda: TemplateSync.objects.filter(
                    account=account, synced_at__isnull=False
                ).exists(),
                timeout=60,
            )
    finally:
        second.stop()
    if case == "lists":
        mirror = list(
            MailList.objects.filter(account=account).values_list("platform_id", "subject")
        )
        assert set(mirror) == remote_lists and len(mirror) == len(remote_lists)
    else:
        mirror = list(
            MailTemplate.objects.filter(account=account).values_list("platform_id", "name")
        )
        assert set(mirror) == remote_templates and len(mirror) == len(remote_templates)
