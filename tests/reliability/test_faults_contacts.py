"""Contacts (§4) pages and background jobs under every injected fault."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.urls import reverse

from apps.accounts.clients import client_for_account
from apps.contacts import services
from apps.contacts.models import ContactsSync, ImportJob, MailList
from apps.contacts.services import import_dir
from apps.contacts.tasks import (
    contacts_import_poll_task,
    contacts_import_upload_task,
    contacts_sync_lists_task,
)
from apps.contacts.tests.factories import csv_text

from .conftest import BREAKING_FAULTS, fault_id
from .pages import Job, Page, job_problems, last_attempt, page_problems

pytestmark = [pytest.mark.django_db]
SCRIPT = "mloperate.php"


def url(name, *args):
    return reverse(f"contacts:{name}", args=args)


def mirror_state(account):
    return sorted(
        MailList.objects.filter(account=account).values_list(
            "platform_id", "subject", "count", "status"
        )
    )


@pytest.fixture
def ctx(demo_client, demo_account):
    services.list_sync(account=demo_account)
    with client_for_account(demo_account) as client:
        address = client.contacts.addr_list(list_id=501, page=1, limit=1).addresses[0]
    return {"account": demo_account, "address": address.id, "client": demo_client}


def _first_visit(ctx):
    ContactsSync.objects.filter(account=ctx["account"]).delete()


PAGES = [
    Page("index, first visit", url("index"), before=_first_visit, message=True),
    Page("refresh lists", url("lists-refresh"), "post", shows=("VIP 客户", "Newsletter")),
    Page("list detail (§4.8)", url("list-detail", 501), shows=("VIP 客户",)),
    Page("all addresses (§4.8)", url("addresses")),
    Page("search addresses", url("addresses") + "?q=member&page=2"),
    Page(
        "edit address",
        lambda c: url("address-edit", 501, c["address"]),
        shows=("VIP 客户",),
    ),
    # A text export has no end marker: a cut reply whose lines are whole cannot be told from a
    # shorter list (a connection that drops mid-body does raise, and ends the download).
    Page(
        "export addresses",
        url("export", 501, "addresses", "csv"),
        shows=("VIP 客户",),
        unnoticeable=("truncated",),
    ),
    Page(
        "export unsubscribes",
        url("export", 502, "unsubscribes", "xlsx"),
        unnoticeable=("truncated",),
    ),
    Page(
        "create list",
        url("list-create"),
        "post",
        {"subject": "故障中新建", "description": "", "status": "enabled"},
    ),
    Page(
        "edit list",
        url("list-edit", 501),
        "post",
        {"subject": "VIP 客户（改）", "description": "", "status": "enabled"},
    ),
    Page("disable list", url("list-status", 501), "post", shows=("VIP 客户",)),
    Page(
        "delete list",
        url("list-delete", 502),
        "post",
        {"confirm": "Newsletter subscribers"},
        shows=("Newsletter subscribers",),
    ),
    Page("empty list", url("list-empty", 501), "post", {"confirm": "VIP 客户"}),
    Page(
        "subscribe",
        url("subscriptions", 502),
        "post",
        {"action": "subscribe", "addresses": "new.one@example.com"},
        shows=("Newsletter subscribers",),
    ),
    Page(
        "unsubscribe",
        url("subscriptions", 502),
        "post",
        {"action": "unsubscribe", "addresses": "member001@list502.example.com"},
    ),
    Page(
        "add address",
        url("address-create", 501),
        "post",
        {"address": "during.fault@example.com", "fullname": "故障"},
        shows=("VIP 客户",),
    ),
    Page(
        "delete address",
        lambda c: url("address-delete", 501, c["address"]),
        "post",
        shows=("VIP 客户",),
    ),
]


@pytest.mark.reliability("fault", area="contacts pages")
@pytest.mark.parametrize("fault", BREAKING_FAULTS, ids=fault_id)
def test_contacts_pages_under_fault(ctx, sweep, fault):
    before = mirror_state(ctx["account"])
    sweep(script=SCRIPT, **fault)
    problems = page_problems(ctx["client"], PAGES, ctx, fault)
    assert not problems, "\n".join(problems)
    # Nothing the platform did not confirm reached the mirror.
    assert mirror_state(ctx["account"]) == before


# -- background jobs ------------------------------------------------------------------------------


def _import_job(ctx, state, rows=20):
    """An import ready for the platform: validated locally, converted file on disk."""
    account = ctx["account"]
    folder = Path(import_dir(account))
    converted = folder / f"reliability-{state}-{rows}.platform.txt"
    converted.write_text(
        "".join(f"fault{i}@example.com;名字{i}\n" for i in range(rows)), encoding="utf-8"
    )
    stored = folder / f"reliability-{state}-{rows}.csv"
    stored.write_text(csv_text(rows), encoding="utf-8")
    return ImportJob.objects.create(
        account=account,
        list_platform_id=501,
        list_subject="VIP 客户",
        original_name="faults.csv",
        size=stored.stat().st_size,
        stored_file=str(stored),
        converted_file=str(converted),
        file_format="csv",
        encoding="utf-8",
        delimiter=",",
        has_header=True,
        mapping=["address", "fullname", "phone", "area"],
        rows_total=rows,
        rows_good=rows,
        state=state,
    )


def _sync_run(ctx):
    last_attempt(contacts_sync_lists_task, ctx["account"].pk)


def _sync_check(ctx):
    sync = ContactsSync.objects.get(account=ctx["account"])
    problems = [] if sync.last_error and sync.last_error_at else ["no failure recorded"]
    if MailList.objects.filter(account=ctx["account"]).count() != 3:
        problems.append("the mirror lost lists")
    return problems


def _upload_run(ctx):
    ctx["batch"] = _import_job(ctx, ImportJob.State.UPLOADING, rows=20)
    ctx["file"] = _import_job(ctx, ImportJob.State.UPLOADING, rows=600)
    contacts_import_upload_task.apply(args=[ctx["batch"].pk], throw=False)
    contacts_import_upload_task.apply(args=[ctx["file"].pk], throw=False)


def _upload_check(ctx):
    problems = []
    for key in ("batch", "file"):
        job = ImportJob.objects.get(pk=ctx[key].pk)
        if job.state != ImportJob.State.FAILED or not job.error:
            problems.append(f"{key} import is {job.state}, error {job.error!r}")
        if not job.converted_file or not Path(job.converted_file).exists():
            problems.append(f"{key} import lost its file: it could not be sent again")
    return problems


def _poll_run(ctx):
    job = _import_job(ctx, ImportJob.State.PARSING, rows=600)
    ImportJob.objects.filter(pk=job.pk).update(platform_import_id=999999, poll_token=1)
    ctx["parsing"] = job
    contacts_import_poll_task.apply(args=[job.pk, 1], throw=False)


def _poll_check(ctx):
    job = ImportJob.objects.get(pk=ctx["parsing"].pk)
    # A failing platform is no verdict on the file: polling goes on, with backoff.
    if job.state != ImportJob.State.PARSING or job.poll_attempts != 1 or not job.next_poll_at:
        return [f"poll left the job {job.state} after {job.poll_attempts} polls"]
    return []


JOBS = [
    Job(
        "list sync",
        _sync_run,
        _sync_check,
        visible=lambda ctx: (url("index"), "The last refresh failed"),
    ),
    Job(
        "import upload",
        _upload_run,
        _upload_check,
        visible=lambda ctx: (url("import-progress", ctx["file"].pk), "import-error"),
    ),
    Job("import poll", _poll_run, _poll_check),
]


@pytest.mark.reliability("fault", area="contacts jobs")
@pytest.mark.parametrize("fault", BREAKING_FAULTS, ids=fault_id)
def test_contacts_jobs_under_fault(ctx, sweep, fault):
    sweep(script=SCRIPT, **fault)
    problems = job_problems(ctx["client"], JOBS, ctx)
    assert not problems, "\n".join(problems)


@pytest.mark.reliability("fault", area="contacts pages")
def test_reads_retry_through_a_passing_fault(ctx, inject):
    inject(script=SCRIPT, do="ml-addr-list", kind="http_error", status=503, times=1)
    page = ctx["client"].get(url("list-detail", 501)).content.decode()
    assert "member001@list501.example.com" in page
    assert "could not be reached" not in page
