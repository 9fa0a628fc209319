"""The e-mail backend against the sandbox's real SMTP service: what arrives, and every failure."""

from __future__ import annotations

import logging
import socket

import pytest
from django.core.mail import EmailMessage, EmailMultiAlternatives, get_connection, send_mail

from apps.accounts.tests.factories import platform_account
from apps.smtp.backend import PlatformSMTPBackend
from apps.smtp.errors import (
    SmtpAuthError,
    SmtpConnectError,
    SmtpNotConfigured,
    SmtpRecipientsRefused,
    SmtpTimeout,
    SmtpTlsError,
)

from .factories import DEMO_MAILBOX, DEMO_MAILBOX_PASSWORD, smtp_settings

BACKEND = "apps.smtp.backend.PlatformSMTPBackend"
PDF = b"%PDF-1.4\n" + bytes(range(256)) * 40 + b"\n%%EOF\n"


@pytest.fixture
def demo_smtp(db, fresh_sandbox, settings):
    """`demo` with SMTP settings in the portal, and the backend configured to use them."""
    account = platform_account(
        username="demo", password="demo-pass", platform_url=fresh_sandbox.url
    )
    smtp_settings(account, from_name="深圳示例科技")
    settings.EMAIL_BACKEND = BACKEND
    settings.UMAIL_SMTP_ACCOUNT = "demo"
    return account


@pytest.fixture
def explicit(fresh_sandbox, settings):
    """Django's own EMAIL_* settings, as another Django project would configure the backend."""
    settings.EMAIL_BACKEND = BACKEND
    settings.UMAIL_SMTP_ACCOUNT = ""
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = fresh_sandbox.smtp_port
    settings.EMAIL_HOST_USER = DEMO_MAILBOX
    settings.EMAIL_HOST_PASSWORD = DEMO_MAILBOX_PASSWORD
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_TIMEOUT = 10
    return settings


def test_chinese_subject_body_and_attachments_arrive_intact(demo_smtp, fresh_sandbox):
    subject = "您的验证码：834271（10 分钟内有效）"
    body = "张伟您好：\n\n您的注册验证码是 834271。如非本人操作，请忽略本邮件。\n\n深圳示例科技"
    message = EmailMessage(
        subject,
        body,
        from_email=f"深圳示例科技 <{DEMO_MAILBOX}>",
        to=["张伟 <zhangwei@example.com>"],
    )
    message.attach("账单-2026年11月.pdf", PDF, "application/pdf")
    message.attach("说明.txt", "附件里的中文：账单明细", "text/plain")
    assert message.send() == 1

    [entry] = fresh_sandbox.mail()
    assert entry["subject"] == subject
    assert entry["mail_from"] == DEMO_MAILBOX and entry["account"] == "demo"
    assert entry["rcpt_to"] == ["zhangwei@example.com"]
    parsed = fresh_sandbox.mail_message(entry["id"])
    # Django folds a long encoded subject onto a continuation line; unfolding leaves one space.
    assert parsed["Subject"].lstrip() == subject
    assert parsed["From"].addresses[0].display_name == "深圳示例科技"
    assert parsed["To"].addresses[0].display_name == "张伟"
    # SMTP carries CRLF line ends; the text itself is unchanged.
    assert parsed.get_body(("plain",)).get_content().replace("\r\n", "\n") == body
    pdf, text = parsed.iter_attachments()
    assert (pdf.get_filename(), pdf.get_content_type()) == (
        "账单-2026年11月.pdf",
        "application/pdf",
    )
    assert pdf.get_content() == PDF
    assert text.get_filename() == "说明.txt"
    assert text.get_content().strip() == "附件里的中文：账单明细"


def test_html_mail_with_explicit_settings_as_any_django_project(explicit, fresh_sandbox):
    message = EmailMultiAlternatives(
        "订单已发货", "您的订单已发货。", from_email=DEMO_MAILBOX, to=["buyer@example.com"]
    )
    message.attach_alternative("<p>您的订单<b>已发货</b>。</p>", "text/html")
    assert message.send() == 1
    parsed = fresh_sandbox.mail_message(fresh_sandbox.mail()[-1]["id"])
    assert parsed.get_body(("html",)).get_content().strip() == "<p>您的订单<b>已发货</b>。</p>"
    assert parsed.get_body(("plain",)).get_content().strip() == "您的订单已发货。"


def test_send_mail_helper_and_the_envelope_sender_is_the_mailbox(demo_smtp, fresh_sandbox):
    # The header From may differ; the platform relays for the mailbox that logged in.
    assert send_mail("Hi", "body", "Shop <shop@example.com>", ["a@example.com"]) == 1
    [entry] = fresh_sandbox.mail()
    assert entry["mail_from"] == DEMO_MAILBOX
    parsed = fresh_sandbox.mail_message(entry["id"])
    assert parsed["From"] == "Shop <shop@example.com>"


def test_one_connection_for_several_messages(demo_smtp, fresh_sandbox):
    with get_connection() as connection:
        for n in range(3):
            EmailMessage(f"#{n}", "x", to=[f"r{n}@example.com"], connection=connection).send()
    entries = fresh_sandbox.mail()
    assert [e["subject"] for e in entries] == ["#0", "#1", "#2"]
    assert len({e["peer"] for e in entries}) == 1  # the same client socket


def test_wrong_password_is_a_clear_error(explicit):
    explicit.EMAIL_HOST_PASSWORD = "not-the-password"
    with pytest.raises(SmtpAuthError) as caught:
        send_mail("x", "y", None, ["a@example.com"])
    message = str(caught.value)
    assert "refused the mailbox notice@demo-shop.cn and its password" in message
    assert "535" in message and caught.value.code == 535
    assert "not-the-password" not in message
    assert all("not-the-password" not in step.reply for step in caught.value.transcript)


def test_fail_silently_swallows_a_wrong_password(explicit):
    explicit.EMAIL_HOST_PASSWORD = "nope"
    assert send_mail("x", "y", None, ["a@example.com"], fail_silently=True) == 0


def test_unreachable_server_is_a_clear_error(explicit):
    explicit.EMAIL_PORT = 9  # nothing listens there
    with pytest.raises(SmtpConnectError) as caught:
        send_mail("x", "y", None, ["a@example.com"])
    assert (
        str(caught.value) == "Nothing accepts connections at 127.0.0.1:9: check the host and port."
    )
    assert caught.value.retryable


def test_a_server_that_never_answers_times_out(explicit):
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen()  # accepts into the backlog, never says 220
        explicit.EMAIL_PORT = silent.getsockname()[1]
        explicit.EMAIL_TIMEOUT = 0.5
        with pytest.raises(SmtpTimeout) as caught:
            send_mail("x", "y", None, ["a@example.com"])
    assert "did not answer within 0.5 seconds" in str(caught.value)


def test_a_rejected_recipient_is_a_clear_error(demo_smtp, fresh_sandbox):
    with pytest.raises(SmtpRecipientsRefused) as caught:
        send_mail("x", "y", None, ["nobody@shop.invalid"])
    [refused] = caught.value.recipients
    assert (refused.address, refused.code) == ("nobody@shop.invalid", 550)
    assert "Recipient address rejected: Domain not found" in refused.reply
    assert "refused every recipient (nobody@shop.invalid: 550 5.1.2" in str(caught.value)
    assert fresh_sandbox.mail() == []


def test_partly_rejected_recipients_still_send_and_are_reported(demo_smtp, fresh_sandbox, caplog):
    connection = get_connection()
    message = EmailMessage("x", "y", to=["ok@example.com", "gone@shop.invalid"])
    with caplog.at_level(logging.WARNING, logger="apps.smtp.backend"):
        assert connection.send_messages([message]) == 1
    [result] = connection.results
    assert result.accepted == ["ok@example.com"]
    assert [(r.address, r.code) for r in result.rejected] == [("gone@shop.invalid", 550)]
    assert result.queue_id and result.queue_id in result.data_reply
    assert "gone@shop.invalid" in caplog.text
    assert fresh_sandbox.mail()[0]["rcpt_to"] == ["ok@example.com"]


def test_starttls_and_certificate_verification(explicit, fresh_sandbox):
    explicit.EMAIL_USE_TLS = True
    explicit.UMAIL_SMTP_VERIFY_CERTIFICATE = True
    with pytest.raises(SmtpTlsError) as caught:
        send_mail("x", "y", None, ["a@example.com"])
    assert "could not be verified" in str(caught.value)
    assert "self-signed certificate" in str(caught.value)

    explicit.UMAIL_SMTP_VERIFY_CERTIFICATE = False
    assert send_mail("over starttls", "y", None, ["a@example.com"]) == 1
    assert fresh_sandbox.mail()[-1]["tls"] is True


def test_implicit_tls(explicit, fresh_sandbox):
    explicit.EMAIL_USE_SSL = True
    explicit.EMAIL_PORT = fresh_sandbox.smtps_port
    explicit.UMAIL_SMTP_VERIFY_CERTIFICATE = False
    assert send_mail("over tls", "y", None, ["a@example.com"]) == 1
    assert fresh_sandbox.mail()[-1]["tls"] is True


def test_ssl_against_a_plain_port_explains_the_port(explicit):
    explicit.EMAIL_USE_SSL = True
    explicit.UMAIL_SMTP_VERIFY_CERTIFICATE = False
    with pytest.raises(SmtpTlsError) as caught:
        send_mail("x", "y", None, ["a@example.com"])
    assert "465 is TLS from the start" in str(caught.value)


def test_a_helo_only_server_still_gets_auth_login(explicit, fresh_sandbox):
    fresh_sandbox.control("POST", "smtp/settings", {"ehlo": False})
    connection = get_connection()
    assert connection.send_messages([EmailMessage("helo", "y", to=["a@example.com"])]) == 1
    commands = [(s.command.split()[0], s.code) for s in connection.transcript]
    assert commands[:4] == [("connect", 220), ("EHLO", 502), ("HELO", 250), ("AUTH", 235)]
    assert fresh_sandbox.mail()[-1]["helo"]


def test_account_given_to_get_connection(demo_smtp, fresh_sandbox, settings):
    settings.UMAIL_SMTP_ACCOUNT = ""
    connection = get_connection(account=demo_smtp)
    assert EmailMessage("by account", "y", to=["a@example.com"], connection=connection).send()
    connection = get_connection(account=demo_smtp.pk)
    assert EmailMessage("by id", "y", to=["a@example.com"], connection=connection).send()
    assert [m["subject"] for m in fresh_sandbox.mail()] == ["by account", "by id"]


def test_not_configured_is_a_clear_error(db, settings):
    settings.EMAIL_BACKEND = BACKEND
    settings.UMAIL_SMTP_ACCOUNT = ""
    settings.EMAIL_HOST_USER = ""
    with pytest.raises(SmtpNotConfigured) as caught:
        send_mail("x", "y", None, ["a@example.com"])
    assert "set UMAIL_SMTP_ACCOUNT" in str(caught.value)

    settings.UMAIL_SMTP_ACCOUNT = "demo"
    with pytest.raises(SmtpNotConfigured, match="no platform account demo"):
        send_mail("x", "y", None, ["a@example.com"])
    platform_account(username="demo")
    with pytest.raises(SmtpNotConfigured, match="has no SMTP settings yet"):
        send_mail("x", "y", None, ["a@example.com"])


def test_the_backend_never_shows_the_password(demo_smtp):
    backend = PlatformSMTPBackend(account=demo_smtp)
    assert DEMO_MAILBOX_PASSWORD not in repr(backend.config())
    backend.send_messages([EmailMessage("x", "y", to=["a@example.com"])])
    assert backend.transcript
    assert all(DEMO_MAILBOX_PASSWORD not in f"{s.command} {s.reply}" for s in backend.transcript)


def test_an_unknown_server_name_is_a_clear_error(explicit):
    explicit.EMAIL_HOST = "smtp.no-such-host.invalid"
    with pytest.raises(SmtpConnectError) as caught:
        send_mail("x", "y", None, ["a@example.com"])
    assert str(caught.value) == (
        "The SMTP server name smtp.no-such-host.invalid could not be resolved."
    )
