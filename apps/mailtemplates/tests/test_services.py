"""Services against the sandbox platform process: every §5 operation, mirror and audit."""

import datetime as dt
import time

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone

from apps.accounts.clients import client_for_account
from apps.core.models import AuditEntry
from apps.mailtemplates import services
from apps.mailtemplates.models import CheckResult, MailTemplate
from apps.umail.errors import PlatformRejected, PlatformUnavailable

pytestmark = pytest.mark.django_db

BODY = (
    "<p>尊敬的{$fullname}：</p>\n<p>您好！春季上新 ¥99 — “限时”😀 &amp; <b>粗体</b></p>\n"
    "<p>多行\n\t缩进 ]]> 结束</p>"
)
SUBJECTS = ["【新品】春季上新 😀", "{$fullname}，您的专属优惠"]


@pytest.fixture
def demo_user(demo_account):
    return get_user_model().objects.get(username="demo")


@pytest.fixture
def instant_check(fresh_sandbox):
    fresh_sandbox.control("POST", "templates/check-delay", {"seconds": 0})
    return fresh_sandbox


def stored(sandbox, tpl_id):
    return sandbox.control("GET", f"templates/{tpl_id}")


def create(account, user, **kwargs):
    fields = dict(
        name="春季上新",
        subjects=SUBJECTS,
        html=BODY,
        text="您好！春季上新",
        encoding="base64",
        files=[],
    )
    fields.update(kwargs)
    return services.template_create(account=account, user=user, **fields)


def test_create_round_trips_chinese_byte_exact(demo_account, demo_user, fresh_sandbox):
    files = [
        services.NewFile("价目表.pdf", b"%PDF-1.4 \x00\xff binary", "application/pdf"),
        services.NewFile("说明.txt", "中文说明".encode(), "text/plain"),
    ]
    template = create(demo_account, demo_user, html=BODY.replace("\n", "\r\n"), files=files)
    row = stored(fresh_sandbox, template.platform_id)
    # What the platform stored is exactly what was meant (CR LF from a browser becomes LF).
    assert row["content"] == BODY
    assert row["content"].encode("utf-8") == BODY.encode("utf-8")
    assert row["subjects"] == SUBJECTS
    assert row["name"] == "春季上新"
    assert row["text_content"] == "您好！春季上新"
    assert row["encoding"] == "base64"
    import hashlib

    assert [(a["name"], a["size"], a["sha256"]) for a in row["attachments"]] == [
        (f.name, len(f.data), hashlib.sha256(f.data).hexdigest()) for f in files
    ]
    # And list-tpl brings back the same bytes into the mirror.
    template.refresh_from_db()
    assert template.html == BODY
    assert template.subjects == SUBJECTS
    assert [(a.name, a.size_bytes) for a in template.attachments.all()] == [
        ("价目表.pdf", len(files[0].data)),
        ("说明.txt", 12),
    ]
    assert template.platform_created_at is not None
    assert template.poll_state == MailTemplate.PollState.POLLING
    assert template.check_result == CheckResult.CHECKING
    entry = AuditEntry.objects.get(action="templates.create")
    assert entry.outcome == "ok" and str(template.platform_id) in entry.target


def test_sync_reads_back_what_was_sent(demo_account, demo_user, fresh_sandbox):
    template = create(demo_account, demo_user)
    MailTemplate.objects.filter(pk=template.pk).update(html="stale", subjects=["old"])
    services.template_sync(account=demo_account)
    template.refresh_from_db()
    assert template.html == BODY and template.subjects == SUBJECTS
    assert template.text == "您好！春季上新"  # list-tpl has no text part: the portal keeps it


def test_create_enqueues_the_poller_after_commit(
    demo_account, demo_user, fresh_sandbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        template = create(demo_account, demo_user)
    assert len(callbacks) == 1
    assert template.poll_generation == 1 and template.poll_attempts == 0
    assert template.poll_deadline > timezone.now()


def test_refused_create_changes_nothing_locally(demo_account, demo_user, fresh_sandbox):
    with pytest.raises(PlatformRejected):
        create(demo_account, demo_user, html=" ")  # the platform requires content
    assert not MailTemplate.objects.exists()
    entry = AuditEntry.objects.get(action="templates.create")
    assert entry.outcome == "refused" and entry.platform_status == "error"


def test_unreachable_platform_changes_nothing(demo_account, demo_user, settings):
    demo_account.platform_url = "http://127.0.0.1:9/"
    demo_account.save()
    with pytest.raises(PlatformUnavailable):
        create(demo_account, demo_user)
    assert not MailTemplate.objects.exists()
    assert AuditEntry.objects.get(action="templates.create").outcome == "failed"


def test_update_sends_changes_and_restarts_the_check(demo_account, demo_user, instant_check):
    template = create(demo_account, demo_user)
    changed = services.template_update(
        account=demo_account,
        user=demo_user,
        template=template,
        name="改名",
        subjects=["唯一主题"],
        html="<p>新内容</p>",
        text="新内容",
        encoding="quoted-printable",
    )
    assert changed
    row = stored(instant_check, template.platform_id)
    assert (row["name"], row["subjects"], row["content"]) == ("改名", ["唯一主题"], "<p>新内容</p>")
    assert (row["text_content"], row["encoding"]) == ("新内容", "quoted-printable")
    template.refresh_from_db()
    assert template.poll_generation == 2 and template.name == "改名"
    # Nothing changed: no call at all.
    before = instant_check.calls()[-1]["seq"]
    assert not services.template_update(
        account=demo_account,
        user=demo_user,
        template=template,
        name="改名",
        subjects=["唯一主题"],
        html="<p>新内容</p>",
        text="新内容",
        encoding="quoted-printable",
    )
    assert instant_check.calls(since=before) == []


def test_update_of_text_only_still_satisfies_edit_tpl(demo_account, demo_user, fresh_sandbox):
    template = create(demo_account, demo_user)
    services.template_update(
        account=demo_account,
        user=demo_user,
        template=template,
        name=template.name,
        subjects=template.subjects,
        html=template.html,
        text="只改了纯文本",
        encoding=template.encoding,
    )
    assert stored(fresh_sandbox, template.platform_id)["text_content"] == "只改了纯文本"


def test_delete(demo_account, demo_user, fresh_sandbox):
    template = create(demo_account, demo_user)
    services.template_delete(account=demo_account, user=demo_user, template=template)
    assert not MailTemplate.objects.filter(pk=template.pk).exists()
    with pytest.raises(Exception):  # noqa: B017 - any 404 from the control endpoint
        stored(fresh_sandbox, template.platform_id)


def test_attachments_add_several_remove_one_and_all(demo_account, demo_user, fresh_sandbox):
    template = create(demo_account, demo_user)
    services.template_attachments_add(
        account=demo_account,
        user=demo_user,
        template=template,
        files=[
            services.NewFile("a.txt", b"A" * 10, "text/plain"),
            services.NewFile("图片.png", b"\x89PNG" * 3, "image/png"),
            services.NewFile("a.txt", b"B" * 20, "text/plain"),  # same name, another file
        ],
    )
    rows = list(template.attachments.all())
    assert [(a.name, a.size_bytes) for a in rows] == [
        ("a.txt", 10),
        ("图片.png", 12),
        ("a.txt", 20),
    ]
    assert len(stored(fresh_sandbox, template.platform_id)["attachments"]) == 3
    services.template_attachment_delete(
        account=demo_account, user=demo_user, template=template, attachment=rows[1]
    )
    assert [a["name"] for a in stored(fresh_sandbox, template.platform_id)["attachments"]] == [
        "a.txt",
        "a.txt",
    ]
    assert template.attachments.count() == 2
    services.template_attachment_delete(account=demo_account, user=demo_user, template=template)
    assert stored(fresh_sandbox, template.platform_id)["attachments"] == []
    assert template.attachments.count() == 0
    actions = list(AuditEntry.objects.values_list("action", flat=True).order_by("id"))
    assert actions.count("templates.attachments.delete") == 2


def test_sync_mirrors_the_platform_list(demo_account, demo_user, fresh_sandbox):
    result = services.template_sync(account=demo_account)
    assert (result.created, result.removed) == (2, 0)
    names = set(MailTemplate.objects.filter(account=demo_account).values_list("name", flat=True))
    assert names == {"会员欢迎邮件", "春季促销"}
    welcome = MailTemplate.objects.get(platform_id=501)
    assert welcome.subjects == ["欢迎加入深圳示例科技", "{$fullname}，您的会员礼包已到账"]
    # The seeded templates' verdicts are unknown locally until polled.
    assert welcome.poll_state == MailTemplate.PollState.POLLING
    # A template deleted on the platform (e.g. in its console) disappears from the mirror.
    stale = MailTemplate.objects.create(
        account=demo_account, platform_id=424242, name="gone", subjects=["x"]
    )
    MailTemplate.objects.filter(pk=stale.pk).update(created_at=timezone.now() - dt.timedelta(1))
    result = services.template_sync(account=demo_account)
    assert result.removed == 1
    assert not MailTemplate.objects.filter(pk=stale.pk).exists()


def test_sync_asks_again_when_changed_elsewhere(demo_account, demo_user, instant_check):
    template = create(demo_account, demo_user)
    services.template_poll_step(template_id=template.pk, generation=1, attempt=0)
    services.template_sync(account=demo_account)
    template.refresh_from_db()
    assert template.poll_state == MailTemplate.PollState.DONE  # unchanged: not asked again
    time.sleep(1.1)  # the platform's timestamps have a one-second resolution
    with client_for_account(demo_account) as client:  # as if edited in the platform's console
        client.templates.edit(template.platform_id, content="<p>免费</p>")
    services.template_sync(account=demo_account)
    template.refresh_from_db()
    assert template.polling and template.html == "<p>免费</p>"


def test_sync_failure_is_recorded(demo_account, settings):
    demo_account.platform_url = "http://127.0.0.1:9/"
    demo_account.save()
    with pytest.raises(PlatformUnavailable):
        services.template_sync(account=demo_account)
    assert demo_account.template_sync.last_error


def test_sync_is_scoped_to_the_account(demo_account, fresh_sandbox):
    services.template_sync(account=demo_account)
    assert not MailTemplate.objects.filter(platform_id=601).exists()


# -- the poller's step (the task wraps it; test_tasks.py runs it in a real worker) ------------


def test_poll_step_finishes_on_final_status(demo_account, demo_user, instant_check):
    template = create(demo_account, demo_user)
    assert services.template_poll_step(template_id=template.pk, generation=1, attempt=0) is None
    template.refresh_from_db()
    assert template.poll_state == MailTemplate.PollState.DONE
    assert template.check_result == CheckResult.GREEN
    assert template.size_kb >= 1 and template.size_status == 1
    # A repeated message for the same attempt does nothing (and asks the platform nothing).
    before = instant_check.calls()[-1]["seq"]
    assert services.template_poll_step(template_id=template.pk, generation=1, attempt=0) is None
    assert instant_check.calls(since=before) == []


def test_poll_step_backs_off_while_checking(demo_account, demo_user, fresh_sandbox, settings):
    settings.MAILTEMPLATES_POLL_BASE_SECONDS = 1.0
    settings.MAILTEMPLATES_POLL_MAX_SECONDS = 5.0
    fresh_sandbox.control("POST", "templates/check-delay", {"seconds": 600})
    template = create(demo_account, demo_user)
    delays = [
        services.template_poll_step(template_id=template.pk, generation=1, attempt=n)
        for n in range(4)
    ]
    assert delays == [2.0, 4.0, 5.0, 5.0]
    template.refresh_from_db()
    assert template.poll_attempts == 4 and template.check_result == CheckResult.CHECKING


def test_poll_step_stops_at_the_deadline(demo_account, demo_user, fresh_sandbox):
    fresh_sandbox.control("POST", "templates/check-delay", {"seconds": 600})
    template = create(demo_account, demo_user)
    MailTemplate.objects.filter(pk=template.pk).update(
        poll_deadline=timezone.now() - dt.timedelta(seconds=1)
    )
    assert services.template_poll_step(template_id=template.pk, generation=1, attempt=0) is None
    template.refresh_from_db()
    assert template.poll_state == MailTemplate.PollState.TIMED_OUT
    assert template.check_result == CheckResult.UNKNOWN


def test_poll_step_of_an_older_generation_stops(demo_account, demo_user, instant_check):
    template = create(demo_account, demo_user)
    services.template_recheck(template=template)  # generation 2
    assert services.template_poll_step(template_id=template.pk, generation=1, attempt=0) is None
    template.refresh_from_db()
    assert template.poll_state == MailTemplate.PollState.POLLING  # gen 1 touched nothing


def test_poll_step_records_a_red_verdict(demo_account, demo_user, instant_check):
    template = create(
        demo_account, demo_user, subjects=["免费中奖"], html="<p>casino lottery winner</p>"
    )
    services.template_poll_step(template_id=template.pk, generation=1, attempt=0)
    template.refresh_from_db()
    assert template.check_result == CheckResult.RED and template.rejected


def test_poll_step_fails_cleanly_when_the_template_is_gone(demo_account, demo_user, instant_check):
    template = create(demo_account, demo_user)
    instant_check.reset()  # the platform forgets it
    assert services.template_poll_step(template_id=template.pk, generation=1, attempt=0) is None
    template.refresh_from_db()
    assert template.poll_state == MailTemplate.PollState.FAILED
    assert "模板不存在" in template.poll_error
