"""Every page, partial and e-mail-free template renders in both languages, and in Chinese no
English is left but data and technical names.

The pages are rendered by Django's test client against the sandbox with real data (lists,
templates, domains and mailboxes synced from it, an import at each stage, SMTP settings and mail,
a resync, audit entries, a toast), signed in as `demo`, as a team member without rights, as an
agent and without an account. A page showing a string that is not translated (wrapped but missing
from the catalogue, or not wrapped at all) fails with the page and the text. The templates every
request rendered are collected; a template under templates/ that no page renders fails too, so
a new page is either added here or the test says so.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path

import polib
import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from apps.accounts.models import Membership
from apps.accounts.preferences import preference_update
from apps.accounts.tests.factories import member
from apps.analytics import services as analytics_services
from apps.analytics.models import CampaignReport, HygieneRun
from apps.analytics.tests import factories as analytics_factories
from apps.campaigns.tests import factories as campaigns_factories
from apps.contacts import services as contacts_services
from apps.contacts.models import ImportJob, MailList
from apps.core.models import Notification
from apps.domains import services as domains_services
from apps.domains.models import Mailbox, SenderDomain
from apps.experiments.models import ABTest, ResendJob
from apps.mailtemplates.models import MailTemplate
from apps.ops.models import ResyncJob
from apps.smtp.models import OutboundMail
from apps.smtp.tests.factories import smtp_settings

from .i18n_support import CODE, PENDING, english_left, only_in_pending, portal_data, sandbox_data
from .i18n_visits import visits

pytestmark = pytest.mark.django_db

TEMPLATE_DIRS = [Path(settings.BASE_DIR) / "templates", Path(settings.BASE_DIR) / "apps"]
# Hard-coded in Django's admin: alt="Search" on the search icon, alt="True" / "False" / "None" on
# boolean icons.
DJANGO_UNTRANSLATED = {"Search", "True", "False", "None"}


def _agent_sub_account_pk() -> int:
    from apps.accounts.models import SubAccount

    return SubAccount.objects.filter(account__username="agent").order_by("pk").first().pk


@pytest.fixture
def world(demo_client, demo_account, fresh_sandbox, tmp_path, settings):
    """Real data from the sandbox plus local jobs in every state the pages show."""
    settings.MEDIA_ROOT = str(tmp_path / "media")
    account = demo_account
    user = Membership.objects.get(account=account, via_platform_login=True).user
    # Lists, templates (with their content check), domains and quota, as the wizard needs them.
    campaigns_factories.mirror(account)
    maillist = MailList.objects.get(account=account, platform_id=501)
    address = contacts_services.address_page(account=account, list_id=501).addresses[0]
    template = MailTemplate.objects.filter(account=account).order_by("platform_id").first()
    domain = SenderDomain.objects.filter(account=account, is_system=False).order_by("pk").first()
    if not Mailbox.objects.filter(domain=domain).exists():
        domains_services.mailboxes_sync(domain=domain)
    box = Mailbox.objects.filter(domain=domain).first()

    # Imports: one checked and waiting for confirmation, one finished, one failed.
    upload = SimpleUploadedFile(
        "客户.csv", "邮箱,姓名\nwang@example.com,王芳\nbad-address,李娜\n".encode(), "text/csv"
    )
    waiting = contacts_services.import_create(
        account=account, user=user, maillist=maillist, uploaded=upload
    )
    contacts_services.import_configure(
        job=waiting, mapping=["address", "fullname"], has_header=True
    )
    contacts_services.import_validate(job_id=waiting.pk)
    done = ImportJob.objects.create(
        account=account,
        user=user,
        list_platform_id=501,
        list_subject=maillist.subject,
        original_name="members.csv",
        state=ImportJob.State.DONE,
        rows_total=10,
        rows_good=9,
        rows_invalid=1,
        log_count_all=9,
        log_invalid=0,
        log_duplicate=0,
        log_status=1,
        finished_at=timezone.now(),
    )
    failed = ImportJob.objects.create(
        account=account,
        user=user,
        list_platform_id=501,
        list_subject=maillist.subject,
        original_name="broken.csv",
        state=ImportJob.State.FAILED,
        error="add_maillist_error: 联系人分类不存在",
        finished_at=timezone.now(),
    )
    smtp_settings(account)
    mail = OutboundMail.objects.create(
        account=account,
        kind=OutboundMail.Kind.TEST,
        created_by=user,
        sender="notice@demo-shop.cn",
        recipients=["wang@example.com"],
        subject="测试邮件",
        body="你好",
        status=OutboundMail.Status.SENT,
        sent_at=timezone.now(),
    )
    ResyncJob.objects.create(
        account=account,
        requested_by=user,
        status=ResyncJob.Status.DONE,
        steps_done=["customer", "service"],
        finished_at=timezone.now(),
    )
    Notification.objects.create(
        user=user,
        account=account,
        key="test:toast",
        level=Notification.Level.SUCCESS,
        message_id="The import of “%(file)s” into the list “%(list)s” has finished.",
        params={"file": "members.csv", "list": maillist.subject},
        url=reverse("contacts:import-detail", args=[done.pk]),
    )
    # Campaigns: a draft at its review, a finished one, an A/B test and a resend.
    draft, _response = campaigns_factories.wizard(demo_client)
    sent = campaigns_factories.campaign(
        account,
        name="春季促销",
        status=3,
        track_status=2,
        send_count=25,
        send_now=True,
        send_time=None,
        time_start=timezone.now() - dt.timedelta(hours=2),
        time_end=timezone.now() - dt.timedelta(hours=1),
    )
    ab = ABTest.objects.create(
        account=account,
        name="主题测试",
        list_id=501,
        list_name=maillist.subject,
        audience=25,
        test_end=10,
        created_by=user,
        decide_at=timezone.now() + dt.timedelta(hours=3),
    )
    for label in ("A", "B"):
        campaigns_factories.campaign(
            account, name=f"主题测试 {label}", ab_test=ab, ab_role="variant", ab_label=label
        )
    resend = ResendJob.objects.create(
        account=account,
        source=sent,
        user=user,
        list_name="春季促销 — 未打开",
        state=ResendJob.State.RUNNING,
        openers=10,
        recipients=25,
        added=12,
    )
    # Analytics: a campaign really sent and tracked on the sandbox's clock, its report, the
    # openers fetched, and the list hygiene run that followed it.
    analytics_services.hygiene_update_settings(
        account=account, user=None, enabled=True, remove_from_lists=False
    )
    hygiene_list = analytics_factories.make_list(account, "清洗测试", analytics_factories.LINES)
    reported = analytics_factories.send(account, fresh_sandbox, list_id=hygiene_list, track=2)
    analytics_services.reports_sync_due()
    report = CampaignReport.objects.get(campaign=reported)
    run = HygieneRun.objects.get(report=report)
    analytics_services.hygiene_collect(run_id=run.pk)
    fetch = analytics_services.detail_request(report=report, kind="opens")
    analytics_services.detail_fetch(fetch_id=fetch.pk)
    viewer = Client()
    viewer.force_login(member(account, username="viewer-member", role="viewer"))
    lonely = Client()
    lonely.force_login(get_user_model().objects.create(username="no-account-user"))
    agent = Client()
    agent.post("/login/", {"username": "agent", "password": "agent-pass", "user_type": "agents"})
    staff = Client()
    staff.force_login(
        get_user_model().objects.create(username="ops-staff", is_staff=True, is_superuser=True)
    )
    # A team member's username locked out for the test client's address (127.0.0.1), and a
    # request limit the "upload too large" visit exceeds.
    from axes.models import AccessAttempt

    AccessAttempt.objects.create(
        username="portal:locked-colleague",
        ip_address="127.0.0.1",
        user_agent="<unknown>",
        failures_since_start=settings.SIGNIN_MAX_FAILURES_PER_USERNAME,
        attempt_time=timezone.now(),
        get_data="",
        post_data="",
        http_accept="",
        path_info="/login/team/",
    )
    settings.UPLOAD_MAX_REQUEST_BYTES = 2 << 20
    return {
        "clients": {
            "demo": demo_client,
            "viewer": viewer,
            "lonely": lonely,
            "agent": agent,
            "staff": staff,
            "anonymous": Client(),
        },
        "users": {"demo": user},
        "ids": {
            "subaccount": _agent_sub_account_pk(),
            "account": account.pk,
            "list": 501,
            "address": address.id,
            "template": template.pk,
            "domain": domain.pk,
            "mailbox": box.pk,
            "waiting": waiting.pk,
            "done": done.pk,
            "failed": failed.pk,
            "mail": mail.pk,
            "draft": draft.pk,
            "sent": sent.pk,
            "ab": ab.pk,
            "resend": resend.pk,
            "reported": reported.pk,
            "hygiene": run.pk,
        },
    }


def pending_texts() -> set[str]:
    """Names and sentences of the sections still being built (PENDING): their models appear in
    the admin's menu and their strings elsewhere before their translations can be written."""
    from django.apps import apps
    from django.utils.text import capfirst

    texts = set()
    for app in apps.get_app_configs():
        if f"{app.label}/" not in PENDING:
            continue
        for model in app.get_models():
            for name in (model._meta.verbose_name, model._meta.verbose_name_plural):
                texts.update({str(name), capfirst(str(name))})
    catalogue = polib.pofile(str(Path(settings.BASE_DIR) / "locale/zh_Hans/LC_MESSAGES/django.po"))
    texts.update(entry.msgid for entry in catalogue if only_in_pending(entry))
    return texts


def _render_all(world, language: str, rendered: set[str], check: Callable | None):
    for client in world["clients"].values():
        client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    preference_update(user=world["users"]["demo"], language=language)
    Notification.objects.update(shown_at=None)
    failures = []
    for visit in visits(world["ids"], language):
        client = world["clients"][visit.who]
        headers = {"HTTP_HX_REQUEST": "true"} if visit.htmx else {}
        response = getattr(client, visit.method)(visit.url, visit.data or {}, **headers)
        assert response.status_code == visit.status, (
            f"{visit.name} ({language}): {response.status_code}"
        )
        rendered.update(t.name for t in response.templates if t.name)
        if check is not None and visit.check_text and response.status_code != 302:
            problems = check(response.content.decode())
            if visit.who == "staff":
                problems = [p for p in problems if p not in DJANGO_UNTRANSLATED]
            if problems:
                failures.append(f"{visit.name} {visit.url}: {problems[:6]}")
    return failures


def test_every_page_is_fully_chinese_and_renders_in_english(world, fresh_sandbox):
    rendered: set[str] = set()
    # English first: the Chinese pass comes after every write above, with all the data in place.
    assert not _render_all(world, "en", rendered, check=None)
    # What the visits typed in is data too (e.g. an invalid address shown back as refused).
    typed = {
        str(v)
        for visit in visits(world["ids"], "zh-hans")
        for v in (visit.data or {}).values()
        if not CODE.fullmatch(str(v))
    }
    data = "\n".join(portal_data() | sandbox_data(fresh_sandbox) | typed)

    pending = pending_texts()

    def check(html: str):
        if "<html" in html[:300]:
            assert 'lang="zh-hans"' in html[:300]
        return [t for t in english_left(html, data) if t.rstrip(":") not in pending]

    failures = _render_all(world, "zh-hans", rendered, check)
    assert not failures, "English left on Chinese pages:\n" + "\n".join(failures)

    # Every template of the project was rendered by at least one page above.
    templates = set()
    for folder in TEMPLATE_DIRS:
        for path in folder.rglob("*.html"):
            parts = path.relative_to(folder).parts
            if folder.name == "apps":
                if "templates" not in parts:
                    continue
                parts = parts[parts.index("templates") + 1 :]
            templates.add("/".join(parts))
    unrendered = sorted(t for t in templates - rendered if not t.startswith(PENDING))
    assert not unrendered, f"templates no page rendered: {unrendered}"


def test_key_sentences_come_out_chinese(world):
    client = world["clients"]["demo"]
    preference_update(user=world["users"]["demo"], language="zh-hans")
    page = client.get(reverse("accounts:overview")).content.decode()
    for sentence in ("账户概览", "发送配额", "从平台刷新", "退出", "联系人", "模板", "群发任务"):
        assert sentence in page
    page = client.get(reverse("contacts:index")).content.decode()
    assert "联系人分类" in page and "新建联系人分类" in page
    page = client.get(reverse("accounts:help")).content.decode()
    assert "批次号" in page and "扣点" in page and "统计任务 ID" in page
