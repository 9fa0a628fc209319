"""Templates (§5) pages and background jobs under every injected fault."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from apps.mailtemplates import services
from apps.mailtemplates.models import MailTemplate, TemplateSync
from apps.mailtemplates.tasks import template_check_poll_task, template_sync_task
from apps.mailtemplates.tests.factories import attachment

from .conftest import BREAKING_FAULTS, fault_id
from .pages import Job, Page, job_problems, last_attempt, page_problems

pytestmark = [pytest.mark.django_db]
SCRIPT = "template.php"
HTML = (
    "<p>尊敬的 {$fullname}，您好！故障中的模板。</p>"
    '<p><a href="https://example.com/shop">选购</a> <a href="https://example.com/u">退订</a></p>'
)


def url(name, *args):
    return reverse(f"mailtemplates:{name}", args=args)


def mirror_state(account):
    return sorted(
        MailTemplate.objects.filter(account=account).values_list("platform_id", "name", "html")
    )


@pytest.fixture
def ctx(demo_client, demo_account):
    services.template_sync(account=demo_account)
    welcome = MailTemplate.objects.get(account=demo_account, platform_id=501)
    # A local attachment row to remove (the platform answers for it or fails).
    atta = attachment(welcome, name="价目表.pdf")
    return {"account": demo_account, "client": demo_client, "welcome": welcome, "atta": atta}


def _first_visit(ctx):
    TemplateSync.objects.filter(account=ctx["account"]).delete()


def editor(name="故障中的模板"):
    return {
        "name": name,
        "subjects": ["故障中的模板", "{$fullname}，你好"],
        "html": HTML,
        "text": "故障中的模板",
        "encoding": "base64",
        "action": "save",
    }


def _pdf(ctx):
    return {"files": [SimpleUploadedFile("新附件.pdf", b"%PDF-1.4 fault", "application/pdf")]}


PAGES = [
    Page("index, first visit", url("index"), before=_first_visit),
    Page("refresh", url("sync"), "post", shows=("会员欢迎邮件", "春季促销")),
    Page("upload a new template", url("create"), "post", editor()),
    Page(
        "save changes",
        lambda c: url("edit", c["welcome"].pk),
        "post",
        lambda c: editor("会员欢迎邮件（改）"),
    ),
    Page(
        "delete",
        lambda c: url("delete", c["welcome"].pk),
        "post",
        {"confirm": "会员欢迎邮件"},
        shows=("会员欢迎邮件",),
    ),
    Page(
        "attach files",
        lambda c: url("attachments-add", c["welcome"].pk),
        "post",
        _pdf,
        shows=("会员欢迎邮件", "价目表.pdf"),
    ),
    Page(
        "remove an attachment",
        lambda c: url("attachment-delete", c["welcome"].pk, c["atta"].pk),
        "post",
        shows=("价目表.pdf",),
    ),
    Page(
        "remove all attachments",
        lambda c: url("attachments-delete-all", c["welcome"].pk),
        "post",
        shows=("价目表.pdf",),
    ),
]


@pytest.mark.reliability("fault", area="templates pages")
@pytest.mark.parametrize("fault", BREAKING_FAULTS, ids=fault_id)
def test_templates_pages_under_fault(ctx, sweep, fault):
    before = mirror_state(ctx["account"])
    sweep(script=SCRIPT, **fault)
    problems = page_problems(ctx["client"], PAGES, ctx, fault)
    assert not problems, "\n".join(problems)
    assert mirror_state(ctx["account"]) == before
    assert ctx["welcome"].attachments.filter(pk=ctx["atta"].pk).exists()


@pytest.mark.reliability("fault", area="templates pages")
def test_reads_retry_through_a_passing_fault(ctx, inject):
    _first_visit(ctx)
    MailTemplate.objects.filter(account=ctx["account"]).delete()
    inject(script=SCRIPT, do="list-tpl", kind="http_error", status=503, times=1)
    page = ctx["client"].get(url("index")).content.decode()
    assert "会员欢迎邮件" in page and "could not be reached" not in page


# -- background jobs ------------------------------------------------------------------------------


def _sync_check(ctx):
    sync = TemplateSync.objects.get(account=ctx["account"])
    problems = [] if sync.last_error and sync.last_error_at else ["no failure recorded"]
    if not MailTemplate.objects.filter(account=ctx["account"], platform_id=501).exists():
        problems.append("the mirror lost a template")
    return problems


def _poll_run(ctx):
    template = ctx["welcome"]
    with_deadline = dict(
        poll_state=MailTemplate.PollState.POLLING,
        poll_generation=7,
        poll_attempts=0,
        # The last poll the chain would make: its deadline has come.
        poll_deadline=timezone.now() - timezone.timedelta(seconds=1),
    )
    MailTemplate.objects.filter(pk=template.pk).update(**with_deadline)
    template_check_poll_task.apply(args=[template.pk, 7, 0], throw=False)


def _poll_check(ctx):
    template = MailTemplate.objects.get(pk=ctx["welcome"].pk)
    if template.poll_state not in (
        MailTemplate.PollState.FAILED,
        MailTemplate.PollState.TIMED_OUT,
    ):
        return [f"the poll ended {template.poll_state}"]
    return [] if template.poll_error else ["the poll recorded no error"]


def _poll_visible(ctx):
    template = MailTemplate.objects.get(pk=ctx["welcome"].pk)
    text = (
        "could not get the check result"
        if template.poll_state == MailTemplate.PollState.FAILED
        else "had not finished checking"
    )
    return url("status", template.pk), text


JOBS = [
    Job(
        "template sync",
        lambda ctx: last_attempt(template_sync_task, ctx["account"].pk),
        _sync_check,
        visible=lambda ctx: (url("index"), "The last refresh from the platform failed"),
    ),
    Job("content-check poll", _poll_run, _poll_check, visible=_poll_visible),
]


@pytest.mark.reliability("fault", area="templates jobs")
@pytest.mark.parametrize("fault", BREAKING_FAULTS, ids=fault_id)
def test_templates_jobs_under_fault(ctx, sweep, fault):
    sweep(script=SCRIPT, **fault)
    problems = job_problems(ctx["client"], JOBS, ctx)
    assert not problems, "\n".join(problems)
