"""Feedback on long work (job toasts, htmx messages), the first-steps guide and the help."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.http import HttpResponse
from django.test import Client, RequestFactory
from django.urls import reverse
from django.utils import timezone

from apps.accounts.models import Membership, UserPreference
from apps.accounts.preferences import notifications_scan, preference_update
from apps.accounts.tests.factories import member
from apps.contacts.models import ImportJob
from apps.core import notifications
from apps.core.middleware import HtmxMessagesMiddleware
from apps.core.models import Notification
from apps.mailtemplates.models import MailTemplate
from apps.mailtemplates.tests.factories import mail_template
from apps.ops.models import ResyncJob
from tests.support import wait_until

TOASTS = "/notifications/"


def poll(client, **headers) -> str:
    response = client.get(TOASTS, HTTP_HX_REQUEST="true", **headers)
    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store"
    return response.content.decode()


def demo_user():
    return get_user_model().objects.get(username="demo")


def finished_import(account, user, state=ImportJob.State.DONE, **fields):
    return ImportJob.objects.create(
        account=account,
        user=user,
        list_platform_id=501,
        list_subject="VIP 客户",
        original_name="会员.csv",
        state=state,
        finished_at=timezone.now(),
        **fields,
    )


# -- toasts for background jobs ------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_an_import_finished_by_the_worker_becomes_a_toast(
    demo_client, celery_worker, fresh_sandbox
):
    assert poll(demo_client).strip() == ""  # the first poll starts the clock: no backlog
    demo_client.get(reverse("contacts:index"))
    content = "邮箱,姓名\nnew1@example.com,王芳\nnew2@example.com,李娜\n".encode()
    demo_client.post(
        reverse("contacts:import-upload", args=[502]),
        {"file": SimpleUploadedFile("客户.csv", content)},
    )
    job = ImportJob.objects.get()
    demo_client.post(
        reverse("contacts:import-detail", args=[job.pk]),
        {"has_header": "on", "col_0": "address", "col_1": "fullname"},
    )
    wait_until(lambda: ImportJob.objects.filter(pk=job.pk, state="validated").exists(), 60)
    assert poll(demo_client).strip() == ""  # still running: nothing to say
    demo_client.post(reverse("contacts:import-confirm", args=[job.pk]))
    wait_until(lambda: ImportJob.objects.filter(pk=job.pk, state="done").exists(), 60)
    toast = poll(demo_client)
    assert "The import of “客户.csv” into the list “Newsletter subscribers” has finished." in toast
    assert reverse("contacts:import-detail", args=[job.pk]) in toast
    assert 'data-level="success"' in toast and 'role="status"' in toast
    assert poll(demo_client).strip() == ""  # shown once


@pytest.mark.django_db
def test_a_failed_import_is_an_error_toast_in_the_readers_language(demo_client, demo_account):
    poll(demo_client)
    finished_import(demo_account, demo_user(), state=ImportJob.State.FAILED, error="x")
    preference_update(user=demo_user(), language="zh-hans")
    toast = poll(demo_client)
    assert "“会员.csv”导入联系人分类“VIP 客户”失败。打开查看原因。" in toast
    assert 'role="alert"' in toast and 'data-bs-autohide="false"' in toast


@pytest.mark.django_db
def test_toasts_are_for_the_user_who_started_the_job(demo_client, demo_account):
    colleague = member(demo_account, username="colleague", role="owner")
    other = Client()
    other.force_login(colleague)
    poll(demo_client), poll(other)
    finished_import(demo_account, demo_user())
    ResyncJob.objects.create(
        account=demo_account,
        requested_by=colleague,
        status=ResyncJob.Status.FAILED,
        error="boom",
        finished_at=timezone.now(),
    )
    mine, theirs = poll(demo_client), poll(other)
    assert "会员.csv" in mine and "Fetching everything again" not in mine
    assert "Fetching everything again from the platform failed" in theirs
    assert "会员.csv" not in theirs


@pytest.mark.django_db
def test_template_checks_reach_the_editors_of_the_account(demo_client, demo_account):
    viewer = Client()
    viewer.force_login(member(demo_account, username="viewer", role="viewer"))
    poll(demo_client), poll(viewer)
    template = mail_template(demo_account, name="春季新品")
    MailTemplate.objects.filter(pk=template.pk).update(
        poll_state=MailTemplate.PollState.DONE,
        check_result="red",
        poll_finished_at=timezone.now(),
    )
    toast = poll(demo_client)
    assert "The platform rejected the template “春季新品” in its content check." in toast
    assert poll(viewer).strip() == ""


@pytest.mark.django_db
def test_scanning_is_idempotent_and_news_is_not_old(demo_client, demo_account):
    user = demo_user()
    poll(demo_client)
    job = finished_import(demo_account, user)
    notifications_scan(user=user)
    notifications_scan(user=user)  # an overlapping scan (another tab) adds nothing
    assert Notification.objects.filter(user=user).count() == 1
    # A job that ended before the user's first poll is not news.
    UserPreference.objects.filter(user=user).update(notifications_scanned_at=None)
    Notification.objects.all().delete()
    ImportJob.objects.filter(pk=job.pk).update(finished_at=timezone.now() - dt.timedelta(hours=1))
    assert poll(demo_client).strip() == ""
    assert poll(demo_client).strip() == ""


@pytest.mark.django_db
def test_signed_out_pages_stop_polling():
    response = Client().get(TOASTS, HTTP_HX_REQUEST="true")
    assert response.status_code == 286  # htmx's "stop polling"
    assert response.content == b""


@pytest.mark.django_db
def test_a_broken_translation_placeholder_never_breaks_the_toast(demo_client):
    user = demo_user()
    note = notifications.notify(
        user=user, key="k", message="Exported %(count)s rows.", params={"other": 1}
    )
    assert note.text == "Exported %(count)s rows."
    note = notifications.notify(
        user=user, key="k2", message="Exported %(count)s rows.", params={"count": 12345}
    )
    assert note.text == "Exported 12,345 rows."


# -- messages of htmx requests ---------------------------------------------------------------------


@pytest.mark.django_db
def test_messages_of_an_htmx_request_travel_as_toasts_in_ascii_headers():
    def view(request):
        messages.success(request, "名单已保存。")
        messages.error(request, "Second")
        response = HttpResponse("<p>fragment</p>")
        response["HX-Trigger"] = "changed"
        return response

    request = RequestFactory().get("/x", HTTP_HX_REQUEST="true")
    from django.contrib.messages.storage.fallback import FallbackStorage
    from django.contrib.sessions.backends.db import SessionStore

    request.session = SessionStore()
    request._messages = FallbackStorage(request)
    response = HtmxMessagesMiddleware(view)(request)
    header = response["HX-Trigger"]
    header.encode("ascii")  # HTTP headers must be ASCII
    triggers = json.loads(header)
    assert triggers["changed"] is None
    assert triggers["edmportal:toasts"] == [
        {"level": "success", "text": "名单已保存。"},
        {"level": "error", "text": "Second"},
    ]
    # Consumed: the next full page does not show them again.
    assert request._messages.used and request._messages._queued_messages == []


@pytest.mark.django_db
def test_full_pages_and_redirects_keep_their_messages():
    def redirecting(request):
        messages.success(request, "Saved")
        return HttpResponse(status=302, headers={"Location": "/"})

    from django.contrib.messages.storage.fallback import FallbackStorage
    from django.contrib.sessions.backends.db import SessionStore

    for headers in ({"HTTP_HX_REQUEST": "true"}, {}):
        request = RequestFactory().post("/x", **headers)
        request.session = SessionStore()
        request._messages = FallbackStorage(request)
        response = HtmxMessagesMiddleware(redirecting)(request)
        assert "HX-Trigger" not in response
        assert [str(m) for m in request._messages] == ["Saved"]


# -- the guide and the help ------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_guide_shows_on_the_first_visit_until_dismissed(demo_client):
    page = demo_client.get(reverse("accounts:overview")).content.decode()
    assert 'data-testid="guide"' in page
    steps = [reverse("contacts:index"), reverse("mailtemplates:index")]
    assert all(f'href="{url}"' in page for url in steps)
    guide = page[page.index('data-testid="guide"') :]
    guide = guide[: guide.index("</section>")]
    titles = ["Contact lists", "Template", "Campaign", "Report"]
    assert [guide.index(f">{t}<") for t in titles] == sorted(guide.index(f">{t}<") for t in titles)
    # Not on other pages.
    assert 'data-testid="guide"' not in demo_client.get(reverse("contacts:index")).content.decode()
    response = demo_client.post(
        reverse("accounts:guide-dismiss"), {"next": "/"}, HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 200 and response.content == b""
    assert 'data-testid="guide"' not in demo_client.get("/").content.decode()
    # Remembered for the user, not the browser.
    other = Client()
    other.post("/login/", {"username": "demo", "password": "demo-pass", "user_type": ""})
    assert 'data-testid="guide"' not in other.get("/").content.decode()
    # And it can be shown again from the help.
    demo_client.post(reverse("accounts:guide-reopen"))
    assert 'data-testid="guide"' in demo_client.get("/").content.decode()


@pytest.mark.django_db
def test_dismissing_without_javascript_goes_back(demo_client):
    response = demo_client.post(reverse("accounts:guide-dismiss"), {"next": "/contacts/"})
    assert response.status_code == 302 and response["Location"] == "/contacts/"
    response = demo_client.post(
        reverse("accounts:guide-dismiss"), {"next": "https://evil.example/"}
    )
    assert response["Location"] == "/"


@pytest.mark.django_db
def test_help_explains_the_platforms_terms(demo_client):
    page = demo_client.get(reverse("accounts:help")).content.decode()
    assert page.count("<h1") == 1
    for anchor in (
        "term-batch-number",
        "term-statistics-task-id",
        "term-send-id",
        "term-deduction",
    ):
        assert f'id="{anchor}"' in page
    assert "批次号" in page and "扣点" in page
    assert "not for the send id" in page  # statistics task id vs send id


def test_term_tag_renders_a_help_mark():
    from django.template import Context, Template

    html = Template('{% load portal %}{% term "batch_number" %}{% term "nope" %}').render(Context())
    assert 'href="/help/#term-batch-number"' in html and 'data-bs-toggle="popover"' in html
    assert "ident or sn" in html and html.count("<a ") == 1


@pytest.mark.django_db
def test_layout_navigation_and_breadcrumbs(demo_client, demo_account):
    page = demo_client.get(reverse("contacts:index")).content.decode()
    assert 'id="sidebar"' in page and 'class="offcanvas-md offcanvas-start' in page
    assert 'aria-controls="sidebar"' in page  # the phone's menu button
    assert 'data-testid="current-account"' in page and "深圳示例科技有限公司" in page
    assert 'data-testid="breadcrumbs"' in page
    crumbs = page[page.index('data-testid="breadcrumbs"') :][:600]
    assert 'href="/"' in crumbs and 'aria-current="page">Contacts<' in crumbs
    assert 'hx-get="/notifications/"' in page
    page = demo_client.get(reverse("accounts:preferences")).content.decode()
    crumbs = page[page.index('data-testid="breadcrumbs"') :][:600]
    assert 'aria-current="page">Preferences<' in crumbs
    assert Membership.objects.filter(account=demo_account).exists()
