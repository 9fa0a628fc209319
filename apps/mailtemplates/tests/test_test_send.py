"""Test sends: the template, with a contact's merge values, through the account's SMTP settings
to the sandbox's real SMTP service; the received message is checked."""

from __future__ import annotations

import pytest
from django.urls import reverse

from apps.accounts.tests.factories import platform_account
from apps.core.models import AuditEntry
from apps.mailtemplates.tests.factories import attachment, mail_template
from apps.smtp.tests.factories import smtp_settings

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4 " + bytes(range(256))


def _template(account, **fields):
    defaults = dict(
        name="会员通知",
        subjects=["{$fullname}，您的{$var1}权益"],
        html='<p>亲爱的 {$fullname}：</p><p>您的积分 {$var2}。</p><a href="https://example.com/">查看</a>',
        text="亲爱的 {$fullname}：积分 {$var2}",
    )
    defaults.update(fields)
    return mail_template(account, **defaults)


def _received(sandbox, since, address):
    entries = [m for m in sandbox.mail(since=since) if address in " ".join(m.get("to") or [])]
    if not entries:
        entries = sandbox.mail(since=since)
    return sandbox.mail_message(entries[-1]["id"])


def _last_id(sandbox) -> int:
    mails = sandbox.mail()
    return mails[-1]["id"] if mails else 0


def test_a_contacts_values_and_held_attachments_arrive(demo_client, demo_account, sandbox):
    smtp_settings(demo_account, from_name="深圳示例科技")
    template = _template(demo_account)
    attachment(
        template, name="账单.pdf", size_bytes=len(PDF), content=PDF, content_type="application/pdf"
    )
    attachment(template, name="platform-only.docx", size_bytes=None)
    since = _last_id(sandbox)
    response = demo_client.post(
        reverse("mailtemplates:test-send", args=[template.pk]),
        {
            "to": "tester@example.com, boss@example.com",
            "contact_list": "501",
            "contact_email": "member001@list501.example.com",
        },
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert html.count('data-testid="outcome"') == 2
    assert "The test was sent." in html
    assert "Accepted by the SMTP server: 250" in html
    assert "platform-only.docx" in html and "Not included in this test" in html

    message = _received(sandbox, since, "tester@example.com")
    assert message["Subject"] == "李艳，您的银卡权益"
    body = message.get_body(("html",)).get_content()
    assert "亲爱的 李艳" in body and "您的积分 100" in body
    assert "{$" not in body
    assert "积分 100" in message.get_body(("plain",)).get_content()
    [held] = list(message.iter_attachments())
    assert held.get_filename() == "账单.pdf" and held.get_content() == PDF
    assert AuditEntry.objects.filter(account=demo_account, action="templates.test_send").exists()


def test_without_a_contact_the_sample_values_are_used(demo_client, demo_account, sandbox):
    smtp_settings(demo_account)
    template = _template(demo_account)
    since = _last_id(sandbox)
    response = demo_client.post(
        reverse("mailtemplates:test-send", args=[template.pk]), {"to": "me@example.com"}
    )
    assert response.status_code == 200
    assert "sample contact" in response.content.decode()
    message = _received(sandbox, since, "me@example.com")
    assert message["Subject"] == "张三，您的变量1权益"


def test_each_address_gets_its_outcome(demo_client, demo_account, sandbox):
    smtp_settings(demo_account)
    template = _template(demo_account)
    response = demo_client.post(
        reverse("mailtemplates:test-send", args=[template.pk]),
        {"to": "ok@example.com, gone@nowhere.invalid"},
    )
    html = response.content.decode()
    assert "reached some of the addresses only" in html
    assert "Refused: " in html and "550" in html
    assert html.count("text-bg-success") >= 1 and html.count('"badge text-bg-danger"') == 1


@pytest.mark.parametrize(
    "data, error",
    [
        ({"to": ""}, "This field is required."),
        (
            {
                "to": "a@example.com,b@example.com,c@example.com,d@example.com,e@example.com,"
                "f@example.com"
            },
            "At most 5 recipients",
        ),
        ({"to": "not-an-address"}, "Not an e-mail address"),
        ({"to": "a@example.com", "contact_email": "nobody@nowhere.example"}, "No contact with"),
    ],
)
def test_bad_input_sends_nothing(demo_client, demo_account, sandbox, data, error):
    smtp_settings(demo_account)
    template = _template(demo_account)
    before = len(sandbox.mail())
    response = demo_client.post(reverse("mailtemplates:test-send", args=[template.pk]), data)
    assert response.status_code == 400
    assert error in response.content.decode()
    assert len(sandbox.mail()) == before


def test_without_smtp_settings_the_page_says_so(demo_client, demo_account):
    template = _template(demo_account)
    response = demo_client.get(reverse("mailtemplates:test-send", args=[template.pk]))
    assert "Set up SMTP first" in response.content.decode()
    response = demo_client.post(
        reverse("mailtemplates:test-send", args=[template.pk]), {"to": "me@example.com"}
    )
    assert response.status_code == 200
    assert "The test was not sent." in response.content.decode()


def test_another_accounts_template_is_a_404(demo_client):
    other = mail_template(platform_account(username="other-co"))
    response = demo_client.get(reverse("mailtemplates:test-send", args=[other.pk]))
    assert response.status_code == 404


def test_uploading_through_the_portal_keeps_the_file(demo_client, demo_account, sandbox):
    from apps.mailtemplates import services
    from apps.mailtemplates.sendtest import held_attachments

    template = services.template_create(
        account=demo_account,
        user=None,
        name="带附件",
        subjects=["附件测试"],
        html="<p>见附件</p>",
        files=[services.NewFile("价目表.pdf", PDF, "application/pdf")],
    )
    held, missing = held_attachments(template)
    assert [a.name for a in held] == ["价目表.pdf"] and missing == []
    assert bytes(held[0].content) == PDF
