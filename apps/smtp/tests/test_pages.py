"""The SMTP pages, signed in as `demo` through the sandbox, sending to its real SMTP service."""

from __future__ import annotations

import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from apps.accounts.models import Membership
from apps.accounts.tests.factories import member, platform_account
from apps.core.models import AuditEntry
from apps.smtp.models import OutboundMail, SmtpSettings

from .factories import DEMO_MAILBOX, DEMO_MAILBOX_PASSWORD, smtp_settings

pytestmark = pytest.mark.django_db


def settings_form(sandbox, **changes) -> dict:
    data = {
        "host": "127.0.0.1",
        "port": sandbox.smtp_port,
        "security": "none",
        "verify_certificate": "on",
        "mailbox": DEMO_MAILBOX,
        "password": DEMO_MAILBOX_PASSWORD,
        "from_name": "深圳示例科技",
        "notify_to": "",
    }
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


def text_of(response) -> str:
    return response.content.decode()


def test_index_before_setup(demo_client):
    response = demo_client.get(reverse("smtp:index"))
    assert response.status_code == 200
    html = text_of(response)
    assert html.count("<h1") == 1
    assert "SMTP is not set up for this account yet." in html
    assert reverse("smtp:settings") in html
    # The section is in the sidebar.
    assert f'href="{reverse("smtp:index")}"' in html


def test_settings_form_defaults_to_the_configured_relay(demo_client, sandbox):
    html = text_of(demo_client.get(reverse("smtp:settings")))
    assert 'name="host" value="127.0.0.1"' in html
    assert f'name="port" value="{sandbox.smtp_port}"' in html
    for label in ("SMTP server", "Port", "Encryption", "Sender mailbox", "Mailbox password"):
        assert f">{label}</label>" in html or f">{label}</legend>" in html


def test_save_and_test_shows_the_servers_answer(demo_client, demo_account, sandbox):
    response = demo_client.post(
        reverse("smtp:settings"), settings_form(sandbox, test="1"), follow=True
    )
    assert response.redirect_chain[-1][0] == reverse("smtp:index")
    html = text_of(response)
    assert "SMTP settings saved." in html
    assert (
        f"Connected to 127.0.0.1:{sandbox.smtp_port} and logged in as {DEMO_MAILBOX}: "
        "235 2.7.0 Authentication successful"
    ) in html
    assert "passed" in html and "深圳示例科技" in html
    # The server's answers, step by step.
    assert "220" in html and "U-Mail sandbox ESMTP" in html

    smtp = SmtpSettings.objects.get(account=demo_account)
    assert smtp.last_test_ok is True
    assert smtp.get_password() == DEMO_MAILBOX_PASSWORD
    assert DEMO_MAILBOX_PASSWORD not in smtp.password_encrypted
    # Never shown again, never in the audit log.
    assert DEMO_MAILBOX_PASSWORD not in text_of(demo_client.get(reverse("smtp:settings")))
    assert DEMO_MAILBOX_PASSWORD not in html
    actions = list(
        AuditEntry.objects.filter(account=demo_account).values_list("action", "outcome", "detail")
    )
    assert ("smtp.connection.test", "ok") in [(a, o) for a, o, _ in actions]
    assert all(DEMO_MAILBOX_PASSWORD not in str(d) for _, _, d in actions)


def test_a_wrong_password_fails_the_test_with_the_servers_answer_and_is_not_saved(
    demo_client, demo_account, sandbox
):
    response = demo_client.post(
        reverse("smtp:settings"),
        settings_form(sandbox, password="wrong-pass", test="1"),
        follow=True,
    )
    html = text_of(response)
    assert response.status_code == 400
    assert "Not saved: the connection test failed." in html
    assert "The SMTP server refused the mailbox notice@demo-shop.cn" in html
    assert "535 5.7.8 Error: authentication failed" in html
    assert "wrong-pass" not in html and "SMTP settings saved." not in html
    assert not SmtpSettings.objects.filter(account=demo_account).exists()


def test_a_refused_password_is_logged_as_refused_not_unreachable(
    demo_client, demo_account, sandbox
):
    smtp_settings(demo_account)
    smtp = SmtpSettings.objects.get(account=demo_account)
    smtp.set_password("wrong-pass")
    smtp.save()
    demo_client.post(reverse("smtp:connection-test"))
    entry = AuditEntry.objects.get(account=demo_account, action="smtp.connection.test")
    assert entry.outcome == AuditEntry.Outcome.REFUSED and entry.platform_status == "535"


@pytest.mark.parametrize(
    ("changes", "field_error"),
    [
        ({"host": "http://smtp.bestedm.org"}, "without http://"),
        ({"host": ""}, "This field is required."),
        ({"port": "70000"}, "less than or equal to 65535"),
        ({"port": "465", "security": "none"}, "Port 465 is SSL/TLS from the start"),
        ({"port": "25", "security": "ssl"}, "Port 25 does not start with TLS"),
        ({"mailbox": "not-an-address"}, "Enter a valid email address."),
        ({"password": ""}, "Enter the password of notice@demo-shop.cn."),
        ({"notify_to": "ops@example.com, nope"}, "Not an e-mail address: nope"),
        ({"security": "rot13"}, "Select a valid choice."),
    ],
)
def test_bad_settings_are_explained_and_change_nothing(
    demo_client, demo_account, sandbox, changes, field_error
):
    response = demo_client.post(reverse("smtp:settings"), settings_form(sandbox, **changes))
    assert response.status_code == 400
    assert field_error in text_of(response)
    assert not SmtpSettings.objects.filter(account=demo_account).exists()


def test_an_empty_password_keeps_the_stored_one_but_not_for_another_mailbox(
    demo_client, demo_account, sandbox
):
    smtp_settings(demo_account)
    response = demo_client.post(
        reverse("smtp:settings"), settings_form(sandbox, password="", from_name="新名字")
    )
    assert response.status_code == 302
    smtp = SmtpSettings.objects.get(account=demo_account)
    assert smtp.from_name == "新名字" and smtp.get_password() == DEMO_MAILBOX_PASSWORD

    response = demo_client.post(
        reverse("smtp:settings"), settings_form(sandbox, password="", mailbox="news@demo-shop.cn")
    )
    assert response.status_code == 400
    assert "Enter the password of news@demo-shop.cn." in text_of(response)
    assert SmtpSettings.objects.get(account=demo_account).mailbox == DEMO_MAILBOX


def test_connection_test_against_an_unreachable_server_is_a_message_not_a_500(
    demo_client, demo_account, settings, sandbox
):
    settings.SMTP_ALLOWED_RELAYS = ["127.0.0.1:9"]  # allowed, but nothing listens there
    smtp_settings(demo_account, port=9)
    response = demo_client.post(reverse("smtp:connection-test"), follow=True)
    assert response.status_code == 200
    assert "Connection test failed: Nothing accepts connections at 127.0.0.1:9" in text_of(response)
    assert SmtpSettings.objects.get(account=demo_account).last_test_ok is False


def send_form(**changes) -> dict:
    data = {
        "to": "zhangwei@example.com",
        "subject": "测试 umail邮件系统",
        "format": "text",
        "body": "这是 smtp测试邮件",
    }
    data.update(changes)
    return data


def test_send_a_chinese_test_mail_with_an_attachment(demo_client, demo_account, sandbox):
    smtp_settings(demo_account, from_name="深圳示例科技")
    pdf = b"%PDF-1.4 " + bytes(range(256))
    response = demo_client.post(
        reverse("smtp:send-test"),
        send_form(
            format="html",
            body="<h1>这是 smtp测试邮件</h1>",
            attachment=SimpleUploadedFile("账单.pdf", pdf, "application/pdf"),
        ),
        follow=True,
    )
    mail = OutboundMail.objects.get(account=demo_account)
    assert response.redirect_chain[-1][0] == reverse("smtp:mail-detail", args=[mail.pk])
    html = text_of(response)
    assert "The SMTP server accepted the test mail." in html
    assert mail.status == OutboundMail.Status.SENT and mail.queue_id
    assert f"queued by the server as {mail.queue_id}" in html
    assert "RCPT TO:&lt;zhangwei@example.com&gt;" in html
    assert "2.1.5 Ok" in html
    # The HTML body is shown only in a sandboxed frame.
    assert 'sandbox="" srcdoc="&lt;h1&gt;这是 smtp测试邮件&lt;/h1&gt;"' in html

    [entry] = [m for m in sandbox.mail() if m["queue_id"] == mail.queue_id]
    assert entry["subject"] == "测试 umail邮件系统"
    parsed = sandbox.mail_message(entry["id"])
    assert parsed["From"].addresses[0].display_name == "深圳示例科技"
    assert "这是 smtp测试邮件" in parsed.get_body(("html",)).get_content()
    assert parsed.get_body(("plain",)).get_content().strip() == "这是 smtp测试邮件"
    [attachment] = parsed.iter_attachments()
    assert attachment.get_filename() == "账单.pdf" and attachment.get_content() == pdf
    assert AuditEntry.objects.filter(account=demo_account, action="smtp.mail.test").exists()


def test_a_rejected_recipient_shows_code_and_text(demo_client, demo_account, sandbox):
    smtp_settings(demo_account)
    response = demo_client.post(
        reverse("smtp:send-test"),
        send_form(to="ok@example.com, gone@nowhere.invalid"),
        follow=True,
    )
    html = text_of(response)
    assert "accepted the mail but refused some recipients" in html
    rows = re.findall(r"<tr>\s*<td>(.*?)</td>\s*<td>(.*?)</td>\s*<td>(\d+)</td>", html, re.S)
    answers = {
        address: (re.sub(r"<[^>]+>", "", badge).strip(), code) for address, badge, code in rows
    }
    assert answers == {
        "ok@example.com": ("accepted", "250"),
        "gone@nowhere.invalid": ("rejected", "550"),
    }
    assert "Recipient address rejected: Domain not found" in html

    response = demo_client.post(
        reverse("smtp:send-test"), send_form(to="gone@nowhere.invalid"), follow=True
    )
    html = text_of(response)
    assert "Rejected" in html
    assert "The SMTP server refused every recipient (gone@nowhere.invalid: 550 5.1.2" in html


def test_send_test_failure_is_recorded_not_a_500(demo_client, demo_account):
    smtp_settings(demo_account, password="stale-password")
    response = demo_client.post(reverse("smtp:send-test"), send_form(), follow=True)
    assert response.status_code == 200
    mail = OutboundMail.objects.get(account=demo_account)
    assert mail.status == OutboundMail.Status.FAILED
    assert "refused the mailbox notice@demo-shop.cn and its password: 535" in text_of(response)


@pytest.mark.parametrize(
    ("changes", "error"),
    [
        ({"to": "a@example.com, broken"}, "Not an e-mail address: broken"),
        ({"to": ",".join(f"r{i}@example.com" for i in range(11))}, "At most 10 recipients"),
        ({"subject": ""}, "This field is required."),
        ({"format": "pdf"}, "Select a valid choice."),
    ],
)
def test_bad_test_mail_input(demo_client, demo_account, changes, error):
    smtp_settings(demo_account)
    response = demo_client.post(reverse("smtp:send-test"), send_form(**changes))
    assert response.status_code == 400
    assert error in text_of(response)
    assert not OutboundMail.objects.exists()


def test_send_test_needs_settings_first(demo_client):
    response = demo_client.get(reverse("smtp:send-test"), follow=True)
    assert response.redirect_chain[-1][0] == reverse("smtp:settings")
    assert "Set up SMTP first" in text_of(response)


def test_another_accounts_mail_is_a_404_and_not_listed(demo_client, demo_account):
    other = platform_account(username="other")
    foreign = OutboundMail.objects.create(
        account=other, kind="test", subject="other's secret", recipients=["x@example.com"]
    )
    assert demo_client.get(reverse("smtp:mail-detail", args=[foreign.pk])).status_code == 404
    assert "other&#x27;s secret" not in text_of(demo_client.get(reverse("smtp:index")))


def test_index_lists_and_filters_the_mail(demo_client, demo_account):
    OutboundMail.objects.create(
        account=demo_account, kind="test", subject="账单测试", status="sent", recipients=["a@x.cn"]
    )
    OutboundMail.objects.create(
        account=demo_account,
        kind="notification",
        event="quota_low",
        subject="Sending quota low",
        status="failed",
        recipients=["b@x.cn"],
    )
    html = text_of(demo_client.get(reverse("smtp:index")))
    assert "账单测试" in html and "Sending quota low" in html
    html = text_of(demo_client.get(reverse("smtp:index"), {"kind": "notification"}))
    assert "账单测试" not in html and "Sending quota low" in html
    html = text_of(demo_client.get(reverse("smtp:index"), {"subject": "b@x.cn"}))
    assert "账单测试" not in html and "Sending quota low" in html


@pytest.mark.parametrize(
    ("role", "settings_status", "send_status"),
    [
        (Membership.Role.VIEWER, 403, 403),
        (Membership.Role.EDITOR, 403, 403),
        (Membership.Role.SENDER, 403, 200),
        (Membership.Role.OWNER, 200, 200),
    ],
)
def test_roles(client, sandbox, role, settings_status, send_status):
    account = platform_account(username="demo", platform_url=sandbox.url)
    smtp_settings(account)
    client.force_login(member(account, role=role))
    assert client.get(reverse("smtp:index")).status_code == 200
    assert client.get(reverse("smtp:settings")).status_code == settings_status
    assert client.post(reverse("smtp:connection-test")).status_code in (
        (302,) if settings_status == 200 else (403,)
    )
    assert client.get(reverse("smtp:send-test")).status_code == send_status


def test_the_sender_mailbox_is_chosen_from_the_domains_mirror(demo_client, demo_account, sandbox):
    domain_services = pytest.importorskip("apps.domains.services")
    html = text_of(demo_client.get(reverse("smtp:settings")))
    assert '<input type="email" name="mailbox"' in html  # nothing mirrored yet: typed
    assert "No sender mailbox is known to the portal yet" in html

    domain_services.domains_sync(account=demo_account)
    html = text_of(demo_client.get(reverse("smtp:settings")))
    options = re.findall(r'<option value="([^"]+@[^"]+)"', html)
    assert options == ["news@demo-shop.cn", "notice@demo-shop.cn"]
    response = demo_client.post(
        reverse("smtp:settings"), settings_form(sandbox, mailbox="service@other-trade.cn")
    )
    assert response.status_code == 400 and "Select a valid choice" in text_of(response)
    response = demo_client.post(reverse("smtp:settings"), settings_form(sandbox))
    assert response.status_code == 302


def test_html_to_text_keeps_lines():
    from apps.smtp.services import html_to_text

    assert (
        html_to_text("<h1>这是 smtp测试邮件</h1><p>金额：&yen;1,280</p><p>a<br>b</p>")
        == "这是 smtp测试邮件\n金额：¥1,280\na\nb"
    )
