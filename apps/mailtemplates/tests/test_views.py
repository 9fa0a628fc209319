"""Pages, through Django's test client signed in as `demo`, against the sandbox process."""

import io
import re
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from apps.accounts.models import Membership
from apps.accounts.tests.factories import member, platform_account
from apps.mailtemplates.models import CheckResult, MailTemplate
from apps.mailtemplates.views import PREVIEW_CSP

from .factories import attachment, mail_template, synced

pytestmark = pytest.mark.django_db

CLEAN_HTML = (
    "<p>尊敬的 {$fullname}，您好！春季新品已经上架，欢迎选购。</p>"
    '<p><img src="https://example.com/a.png" alt="新品"></p>'
    '<p><a href="https://example.com/shop">选购</a> <a href="https://example.com/u">退订</a></p>'
)


def editor_post(client, url, follow=False, **fields):
    data = {
        "name": "春季上新",
        "subjects": ["春季上新", "{$fullname}，新品到了"],
        "html": CLEAN_HTML,
        "text": "春季新品已经上架",
        "encoding": "base64",
        "action": "save",
    }
    data.update(fields)
    return client.post(url, data, follow=follow)


@pytest.fixture
def instant(fresh_sandbox):
    fresh_sandbox.control("POST", "templates/check-delay", {"seconds": 0})
    return fresh_sandbox


# -- list --------------------------------------------------------------------------------------


def test_first_visit_fetches_the_list_and_shows_badges(demo_client, fresh_sandbox):
    response = demo_client.get(reverse("mailtemplates:index"))
    assert response.status_code == 200
    html = response.content.decode()
    assert html.count("<h1") == 1
    assert "会员欢迎邮件" in html and "春季促销" in html
    assert 'data-testid="template-table"' in html
    # Unknown verdicts are being fetched: their badges poll the local mirror every 2 s.
    assert 'hx-trigger="every 2s"' in html
    # The legend says what each colour means.
    for word in ("Checking", "Green", "Yellow", "Red, passed", "Rejected: the platform will not"):
        assert word in html
    assert "Templates" in html  # in the sidebar now that the index URL exists


def test_list_filters_by_status_and_text(demo_client, demo_account, fresh_sandbox):
    demo_client.get(reverse("mailtemplates:index"))  # first sync
    mail_template(demo_account, name="红色模板", check_result=CheckResult.RED, colour="red")
    mail_template(demo_account, name="绿色模板", subjects=["独特主题"])
    red = demo_client.get(reverse("mailtemplates:index"), {"check_result": "red"})
    assert "红色模板" in red.content.decode() and "绿色模板" not in red.content.decode()
    by_subject = demo_client.get(reverse("mailtemplates:index"), {"name": "独特"})
    assert "绿色模板" in by_subject.content.decode()
    assert "红色模板" not in by_subject.content.decode()


def test_list_shows_size_subjects_and_attachment_count(demo_client, demo_account, fresh_sandbox):
    demo_client.get(reverse("mailtemplates:index"))
    tpl = mail_template(demo_account, name="带附件", subjects=["A", "B", "C"], size_kb=321)
    attachment(tpl)
    attachment(tpl)
    html = demo_client.get(reverse("mailtemplates:index"), {"name": "带附件"}).content.decode()
    assert "321&nbsp;KB" in html
    assert "+2 A/B" in html
    row = re.search(r"<tr[^>]*>(?:(?!</tr>).)*带附件(?:(?!</tr>).)*</tr>", html, re.S).group(0)
    assert re.search(r"<td[^>]*>\s*2\s*</td>", row)


def test_platform_down_on_first_visit_shows_a_message_not_a_500(demo_client, demo_account):
    demo_account.platform_url = "http://127.0.0.1:9/"
    demo_account.save()
    response = demo_client.get(reverse("mailtemplates:index"))
    assert response.status_code == 200
    assert "could not be reached" in response.content.decode()


def test_refresh_button_syncs(demo_client, fresh_sandbox):
    response = demo_client.post(reverse("mailtemplates:sync"), follow=True)
    assert "Templates refreshed from the platform: 2 new" in response.content.decode()


# -- create ------------------------------------------------------------------------------------


def test_new_template_page(demo_client, fresh_sandbox):
    html = demo_client.get(reverse("mailtemplates:create")).content.decode()
    assert html.count("<h1") == 1
    assert 'data-testid="attachment-limits"' in html and "Up to 10 files at once" in html
    assert 'data-merge-tag="{$fullname}"' in html and 'data-merge-tag="{$var10}"' in html
    assert re.search(r'<iframe[^>]*id="draft-preview"[^>]*sandbox=""', html)
    assert "codemirror-5.65.21/codemirror.js" in html


def test_create_with_two_subjects_chinese_html_attachment_and_text(demo_client, instant):
    pdf = SimpleUploadedFile("价目表.pdf", b"%PDF-1.4 data", content_type="application/pdf")
    png = SimpleUploadedFile("图.png", b"\x89PNG data", content_type="image/png")
    response = editor_post(
        demo_client, reverse("mailtemplates:create"), attachments=[pdf, png], follow=True
    )
    template = MailTemplate.objects.get(name="春季上新")
    assert response.redirect_chain[-1][0] == reverse("mailtemplates:edit", args=[template.pk])
    assert "Template uploaded" in response.content.decode()
    row = instant.control("GET", f"templates/{template.platform_id}")
    assert row["subjects"] == ["春季上新", "{$fullname}，新品到了"]
    assert row["content"] == CLEAN_HTML
    assert [a["name"] for a in row["attachments"]] == ["价目表.pdf", "图.png"]
    assert template.attachments.count() == 2
    assert 'data-testid="tpl-status"' in response.content.decode()


def test_lint_warnings_block_the_upload_until_acknowledged(demo_client, fresh_sandbox):
    html = "<p>Hello</p><img src='x.png'><script src='https://evil.example/x.js'></script>"
    url = reverse("mailtemplates:create")
    before = fresh_sandbox.calls()[-1]["seq"]
    response = editor_post(demo_client, url, html=html, text="")
    page = response.content.decode()
    assert response.status_code == 200
    assert "Nothing was uploaded yet" in page
    for code in ("no_text_part", "img_no_alt", "script"):
        assert f'data-code="{code}"' in page
    assert 'name="acknowledge"' in page
    assert not MailTemplate.objects.exists()
    assert [c for c in fresh_sandbox.calls(since=before) if c["do"] == "add-tpl"] == []
    response = editor_post(demo_client, url, html=html, text="", acknowledge="on")
    assert response.status_code == 302
    assert MailTemplate.objects.count() == 1


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"subjects": ["a|b"]}, "cannot contain “|”"),
        ({"subjects": ["", " "]}, "Enter at least one subject."),
        ({"subjects": ["same", "same"]}, "Two subjects are the same"),
        ({"html": "  "}, "The HTML body is empty."),
        ({"name": ""}, "This field is required."),
    ],
)
def test_bad_input_gets_a_clear_message_and_changes_nothing(
    demo_client, fresh_sandbox, fields, message
):
    response = editor_post(demo_client, reverse("mailtemplates:create"), **fields)
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not MailTemplate.objects.exists()


def test_too_large_attachment_is_refused_before_upload(demo_client, fresh_sandbox, settings):
    settings.MAILTEMPLATES_MAX_ATTACHMENT_BYTES = 10
    big = SimpleUploadedFile("big.bin", b"x" * 11)
    response = editor_post(demo_client, reverse("mailtemplates:create"), attachments=[big])
    assert "Larger than 10" in response.content.decode()
    assert not MailTemplate.objects.exists()


def test_generate_text_without_javascript_and_with_htmx(demo_client, fresh_sandbox):
    response = editor_post(
        demo_client, reverse("mailtemplates:create"), text="", action="generate_text"
    )
    assert "春季新品已经上架，欢迎选购。" in response.content.decode()
    assert "选购 (https://example.com/shop)" in response.content.decode()
    assert not MailTemplate.objects.exists()
    partial = demo_client.post(
        reverse("mailtemplates:text-from-html"), {"html": "<p>一</p><p>二</p>"}
    )
    assert partial.content.decode().startswith('<div id="text-field">')
    assert "一\n\n二" in partial.content.decode()


def test_import_html_and_zip_fill_the_editor(demo_client, fresh_sandbox):
    url = reverse("mailtemplates:create")
    page = SimpleUploadedFile("mail.html", "<p>导入的页面</p>".encode("gbk"))
    response = editor_post(demo_client, url, html="<p>old</p>", action="import", import_file=page)
    assert "导入的页面" in response.content.decode()
    assert 'data-testid="import-report"' in response.content.decode()
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("index.html", '<img src="img/a.png" alt="a">')
        zf.writestr("img/a.png", b"\x89PNG")
    archive = SimpleUploadedFile("mail.zip", buf.getvalue())
    response = editor_post(demo_client, url, action="import", import_file=archive)
    assert "data:image/png;base64,iVBORw==" in response.content.decode()
    assert "1 image was embedded" in response.content.decode()
    bad = SimpleUploadedFile("mail.zip", b"not a zip")
    response = editor_post(demo_client, url, action="import", import_file=bad)
    assert "damaged" in response.content.decode()
    assert not MailTemplate.objects.exists()


def test_lint_endpoint(demo_client, fresh_sandbox):
    response = demo_client.post(
        reverse("mailtemplates:lint"), {"html": "<img src=a.png>", "text": "", "subjects": ["x"]}
    )
    assert 'data-code="img_no_alt"' in response.content.decode()
    clean = demo_client.post(
        reverse("mailtemplates:lint"),
        {"html": CLEAN_HTML, "text": "x", "subjects": ["x"]},
    )
    assert 'data-testid="lint-clean"' in clean.content.decode()


def test_platform_refusal_keeps_the_form(demo_client, demo_account, fresh_sandbox):
    demo_account.platform_url = "http://127.0.0.1:9/"
    demo_account.save()
    response = editor_post(demo_client, reverse("mailtemplates:create"))
    assert response.status_code == 200
    page = response.content.decode()
    assert "Nothing was saved" in page and "春季上新" in page
    assert not MailTemplate.objects.exists()


# -- edit --------------------------------------------------------------------------------------


def test_edit_page_and_update(demo_client, demo_account, instant):
    demo_client.get(reverse("mailtemplates:index"))
    template = MailTemplate.objects.get(platform_id=501)
    url = reverse("mailtemplates:edit", args=[template.pk])
    page = demo_client.get(url).content.decode()
    assert page.count("<h1") == 1
    assert 'value="欢迎加入深圳示例科技"' in page
    assert "{$fullname}，您的会员礼包已到账" in page
    response = editor_post(demo_client, url, name="新名字", subjects=["只有一个主题"])
    assert response.status_code == 302
    row = instant.control("GET", "templates/501")
    assert (row["name"], row["subjects"]) == ("新名字", ["只有一个主题"])
    template.refresh_from_db()
    assert template.polling and template.name == "新名字"
    # The same content again uploads nothing.
    response = editor_post(demo_client, url, name="新名字", subjects=["只有一个主题"], follow=True)
    assert "Nothing changed" in response.content.decode()


def test_status_partial_polls_only_while_checking(demo_client, demo_account, fresh_sandbox):
    template = mail_template(demo_account, check_result=CheckResult.CHECKING, poll_state="polling")
    url = reverse("mailtemplates:status", args=[template.pk])
    assert 'hx-trigger="every 2s"' in demo_client.get(url).content.decode()
    MailTemplate.objects.filter(pk=template.pk).update(
        poll_state="done", check_result=CheckResult.RED, colour="red"
    )
    final = demo_client.get(url).content.decode()
    assert "hx-trigger" not in final
    assert "The platform will not send this template." in final
    compact = demo_client.get(url, {"compact": "1"}).content.decode()
    assert "hx-trigger" not in compact and "text-bg-danger" in compact
    # The list's size cell is refreshed with the badge.
    assert f'<span id="tpl-size-{template.pk}" hx-swap-oob="true">1&nbsp;KB</span>' in compact


def test_recheck_restarts_polling(demo_client, demo_account, fresh_sandbox):
    template = mail_template(demo_account, poll_state="timed_out", check_result="")
    demo_client.post(reverse("mailtemplates:recheck", args=[template.pk]))
    template.refresh_from_db()
    assert template.polling and template.poll_generation == 1


# -- delete ------------------------------------------------------------------------------------


def test_delete_with_confirmation(demo_client, demo_account, fresh_sandbox):
    demo_client.get(reverse("mailtemplates:index"))
    template = MailTemplate.objects.get(platform_id=502)
    url = reverse("mailtemplates:delete", args=[template.pk])
    page = demo_client.get(url).content.decode()
    assert "cannot be undone" in page
    assert MailTemplate.objects.filter(pk=template.pk).exists()  # a GET deletes nothing
    assert 'data-testid="typed-confirmation"' in page
    response = demo_client.post(url, {"confirm": "wrong"})
    assert "nothing was deleted" in response.content.decode()
    assert MailTemplate.objects.filter(pk=template.pk).exists()
    response = demo_client.post(url, {"confirm": template.name}, follow=True)
    assert "deleted" in response.content.decode()
    assert not MailTemplate.objects.filter(pk=template.pk).exists()
    with pytest.raises(Exception):  # noqa: B017 - 404 from the sandbox's control endpoint
        fresh_sandbox.control("GET", "templates/502")


def test_delete_warns_about_scheduled_campaigns(demo_client, demo_account, monkeypatch):
    template = mail_template(demo_account)
    monkeypatch.setattr(
        "apps.mailtemplates.selectors.template_scheduled_campaigns",
        lambda **kw: ["Spring campaign (2026-04-01 09:00)"],
    )
    url = reverse("mailtemplates:delete", args=[template.pk])
    page = demo_client.get(url).content.decode()
    assert 'data-testid="campaign-warning"' in page and "Spring campaign" in page
    response = demo_client.post(url, follow=True)
    assert "Confirm that the scheduled campaigns" in response.content.decode()
    assert MailTemplate.objects.filter(pk=template.pk).exists()


def test_scheduled_campaigns_hook_is_empty_until_campaigns_exist(demo_account):
    from apps.mailtemplates.selectors import template_scheduled_campaigns

    assert template_scheduled_campaigns(account=demo_account, template_id=1) == []


# -- attachments -------------------------------------------------------------------------------


def test_attachments_page_actions(demo_client, demo_account, instant):
    demo_client.get(reverse("mailtemplates:index"))
    template = MailTemplate.objects.get(platform_id=501)
    files = [
        SimpleUploadedFile("一.txt", b"one"),
        SimpleUploadedFile("二.txt", b"two"),
        SimpleUploadedFile("三.txt", b"three"),
    ]
    response = demo_client.post(
        reverse("mailtemplates:attachments-add", args=[template.pk]), {"files": files}, follow=True
    )
    assert "Attached: 一.txt, 二.txt, 三.txt" in response.content.decode()
    assert 'data-testid="attachment-list"' in response.content.decode()
    first = template.attachments.first()
    demo_client.post(reverse("mailtemplates:attachment-delete", args=[template.pk, first.pk]))
    assert template.attachments.count() == 2
    assert len(instant.control("GET", "templates/501")["attachments"]) == 2
    demo_client.post(reverse("mailtemplates:attachments-delete-all", args=[template.pk]))
    assert template.attachments.count() == 0
    assert instant.control("GET", "templates/501")["attachments"] == []


def test_attachment_limits_apply_to_the_template_total(demo_client, demo_account, settings):
    settings.MAILTEMPLATES_MAX_TOTAL_ATTACHMENT_BYTES = 1500
    template = mail_template(demo_account)
    attachment(template, size_bytes=1000)
    response = demo_client.post(
        reverse("mailtemplates:attachments-add", args=[template.pk]),
        {"files": [SimpleUploadedFile("x.bin", b"x" * 600)]},
        follow=True,
    )
    assert "All attachments together would be" in response.content.decode()
    assert template.attachments.count() == 1


# -- preview: the security-critical part -------------------------------------------------------


EVIL = (
    "<p>{$fullname}</p><script>parent.document.title='pwned'</script>"
    "<img src=x onerror=\"fetch('/templates/')\">"
)


def test_preview_frame_headers(demo_client, demo_account):
    template = mail_template(demo_account, html=EVIL)
    response = demo_client.get(reverse("mailtemplates:preview-frame", args=[template.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == "text/html; charset=utf-8"
    csp = response["Content-Security-Policy"]
    assert csp == PREVIEW_CSP
    directives = {d.split()[0]: d.split()[1:] for d in csp.split("; ")}
    assert directives["default-src"] == ["'none'"]
    assert directives["img-src"] == ["data:", "https:", "http:"]
    assert directives["style-src"] == ["'unsafe-inline'"]
    assert "sandbox" in directives and directives["sandbox"] == []
    assert "script-src" not in directives  # falls back to default-src 'none'
    assert response["X-Frame-Options"] == "SAMEORIGIN"
    assert response["Cache-Control"] == "no-store, private"
    assert response["X-Content-Type-Options"] == "nosniff"
    # The sample contact's values are filled in; the template itself is served unchanged.
    assert response.content.decode() == EVIL.replace("{$fullname}", "张三")


def test_only_the_preview_is_frameable(demo_client, demo_account):
    template = mail_template(demo_account)
    for name in ("mailtemplates:edit", "mailtemplates:preview"):
        response = demo_client.get(reverse(name, args=[template.pk]))
        assert response["X-Frame-Options"] == "DENY"
        assert "Content-Security-Policy" not in response or "sandbox" not in response.get(
            "Content-Security-Policy", ""
        )


def test_preview_page_embeds_a_sandboxed_iframe_at_both_widths(demo_client, demo_account):
    template = mail_template(
        demo_account,
        subjects=["给 {$fullname} 的信", "B"],
        text="嗨 {$fullname}",
        html="<p>{$fullname}</p>",
    )
    url = reverse("mailtemplates:preview", args=[template.pk])
    desktop = demo_client.get(url).content.decode()
    iframe = re.search(r"<iframe[^>]*data-testid=\"preview-frame\"[^>]*>", desktop, re.S).group(0)
    assert re.search(r'\ssandbox=""', iframe)  # no allow-scripts, no allow-same-origin
    assert "allow-" not in iframe
    assert "width:640px" in iframe
    assert "给 张三 的信" in desktop and "嗨 张三" in desktop
    mobile = demo_client.get(url, {"width": "mobile", "fullname": "李四"}).content.decode()
    iframe = re.search(r"<iframe[^>]*data-testid=\"preview-frame\"[^>]*>", mobile, re.S).group(0)
    assert "width:375px" in iframe and "fullname=%E6%9D%8E%E5%9B%9B" in iframe
    assert "给 李四 的信" in mobile
    frame = demo_client.get(
        reverse("mailtemplates:preview-frame", args=[template.pk]), {"fullname": "<b>李四</b>"}
    )
    assert "&lt;b&gt;李四&lt;/b&gt;" in frame.content.decode()  # sample values are escaped


def test_draft_preview_has_the_same_protection(demo_client, fresh_sandbox):
    response = demo_client.post(reverse("mailtemplates:preview-draft"), {"html": EVIL})
    assert response["Content-Security-Policy"] == PREVIEW_CSP
    assert response["X-Frame-Options"] == "SAMEORIGIN"
    assert "<script>" in response.content.decode()


def test_draft_preview_needs_csrf(fresh_sandbox, demo_account):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(Membership.objects.get(account=demo_account).user)
    response = client.post(reverse("mailtemplates:preview-draft"), {"html": "<p>x</p>"})
    assert response.status_code == 403


# -- isolation and roles -----------------------------------------------------------------------


def test_another_accounts_template_is_404_everywhere(demo_client, fresh_sandbox):
    other = platform_account(username="other", password="other-pass")
    theirs = mail_template(other, name="他们的")
    for name in (
        "mailtemplates:edit",
        "mailtemplates:status",
        "mailtemplates:preview",
        "mailtemplates:preview-frame",
        "mailtemplates:delete",
    ):
        assert demo_client.get(reverse(name, args=[theirs.pk])).status_code == 404, name
    for name in (
        "mailtemplates:delete",
        "mailtemplates:recheck",
        "mailtemplates:attachments-add",
        "mailtemplates:attachments-delete-all",
    ):
        assert demo_client.post(reverse(name, args=[theirs.pk])).status_code == 404, name
    assert MailTemplate.objects.filter(pk=theirs.pk).exists()
    assert "他们的" not in demo_client.get(reverse("mailtemplates:index")).content.decode()


def test_viewer_reads_but_cannot_write(client, demo_account, fresh_sandbox):
    synced(demo_account)  # no first-visit sync, which would drop this platform-less template
    template = mail_template(demo_account)
    viewer = member(demo_account, role=Membership.Role.VIEWER)
    client.force_login(viewer)
    assert client.get(reverse("mailtemplates:index")).status_code == 200
    page = client.get(reverse("mailtemplates:edit", args=[template.pk]))
    assert page.status_code == 200
    assert "lets you view templates but not change them" in page.content.decode()
    assert editor_post(client, reverse("mailtemplates:edit", args=[template.pk])).status_code == 403
    assert editor_post(client, reverse("mailtemplates:create")).status_code == 403
    assert client.post(reverse("mailtemplates:delete", args=[template.pk])).status_code == 403
    assert MailTemplate.objects.filter(pk=template.pk).exists()


def test_anonymous_is_sent_to_sign_in(client):
    response = client.get(reverse("mailtemplates:index"))
    assert response.status_code == 302 and "/login/" in response["Location"]


# -- merge-tag picker --------------------------------------------------------------------------


def test_picker_names_variables_after_a_contact_list(demo_client, demo_account):
    contacts = pytest.importorskip("apps.contacts.models")
    if not hasattr(contacts, "MailList"):
        pytest.skip("the contacts feature has no lists yet")
    contacts.MailList.objects.create(
        account=demo_account,
        platform_id=7001,
        subject="VIP 会员",
        status="enabled",
        var_labels={"var1": "会员等级"},
    )
    synced(demo_account)
    page = demo_client.get(reverse("mailtemplates:create")).content.decode()
    assert '<option value="7001">VIP 会员</option>' in page
    picker = demo_client.get(reverse("mailtemplates:merge-tags"), {"list": "7001"})
    html = picker.content.decode()
    assert "var1 · 会员等级" in html and 'data-merge-tag="{$var1}"' in html
    assert "var2 · var2" not in html and ">var2 <code" in html
    unnamed = demo_client.get(reverse("mailtemplates:merge-tags")).content.decode()
    assert "会员等级" not in unnamed


def test_import_into_an_empty_form_shows_no_field_errors(demo_client, fresh_sandbox, monkeypatch):
    url = reverse("mailtemplates:create")
    page = SimpleUploadedFile("mail.html", "<p>导入</p>".encode())
    response = demo_client.post(
        url, {"action": "import", "import_file": page, "subjects": [""], "name": ""}
    )
    html = response.content.decode()
    assert "导入" in html and "This field is required" not in html
    # A page that would be too large once its images are embedded is refused up front.
    monkeypatch.setattr("apps.mailtemplates.views.MAX_HTML_BYTES", 10)
    big = SimpleUploadedFile("big.html", b"<p>" + b"x" * 100 + b"</p>")
    response = demo_client.post(url, {"action": "import", "import_file": big})
    assert "Nothing was imported" in response.content.decode()
    assert "xxxxxxxxxx" not in response.content.decode()
