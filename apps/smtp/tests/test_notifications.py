"""The portal's own notifications go out through the backend to the sandbox's SMTP service."""

from __future__ import annotations

import pytest

from apps.accounts.models import AccountService
from apps.accounts.services import account_refresh_service
from apps.accounts.tests.factories import account_service, member, platform_account
from apps.smtp import notifications, services
from apps.smtp.errors import SmtpConnectError
from apps.smtp.models import OutboundMail, QuotaAlert
from tests.support import wait_until

from .factories import DEMO_MAILBOX, DEMO_MAILBOX_PASSWORD, smtp_settings


@pytest.fixture
def demo(db, fresh_sandbox):
    account = platform_account(
        username="demo", password="demo-pass", platform_url=fresh_sandbox.url
    )
    user = member(account)
    user.email = "zhangwei@example.com"
    user.save()
    return account


def queued(account, **fields) -> OutboundMail:
    return OutboundMail.objects.create(
        account=account,
        kind=OutboundMail.Kind.NOTIFICATION,
        subject=fields.pop("subject", "导入完成"),
        body=fields.pop("body", "已导入 980 个地址。"),
        **fields,
    )


def test_a_notification_goes_to_the_members_through_the_accounts_settings(demo, fresh_sandbox):
    smtp_settings(demo, from_name="edmportal")
    mail = services.notification_send(mail=queued(demo))
    assert mail.status == OutboundMail.Status.SENT, mail.error
    assert mail.recipients == ["zhangwei@example.com"] and mail.sender == DEMO_MAILBOX
    [entry] = fresh_sandbox.mail()
    assert (entry["subject"], entry["rcpt_to"]) == ("导入完成", ["zhangwei@example.com"])
    parsed = fresh_sandbox.mail_message(entry["id"])
    assert parsed.get_body(("plain",)).get_content().strip() == "已导入 980 个地址。"
    assert parsed["From"] == f"edmportal <{DEMO_MAILBOX}>"


def test_notification_addresses_set_on_the_smtp_page_win(demo, fresh_sandbox):
    smtp_settings(demo, notify_to="ops@example.com, boss@example.com")
    services.notification_send(mail=queued(demo))
    assert fresh_sandbox.mail()[0]["rcpt_to"] == ["ops@example.com", "boss@example.com"]


def test_without_account_settings_the_portal_wide_relay_is_used(demo, fresh_sandbox, settings):
    settings.UMAIL_SMTP_ACCOUNT = ""
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", fresh_sandbox.smtp_port
    settings.EMAIL_HOST_USER, settings.EMAIL_HOST_PASSWORD = DEMO_MAILBOX, DEMO_MAILBOX_PASSWORD
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.DEFAULT_FROM_EMAIL = DEMO_MAILBOX
    mail = services.notification_send(mail=queued(demo))
    assert mail.status == OutboundMail.Status.SENT, mail.error
    assert fresh_sandbox.mail()[0]["rcpt_to"] == ["zhangwei@example.com"]


def test_not_sent_without_settings_or_recipients(demo, settings):
    settings.UMAIL_SMTP_ACCOUNT = ""
    settings.EMAIL_HOST_USER = ""
    mail = services.notification_send(mail=queued(demo))
    assert mail.status == OutboundMail.Status.SKIPPED
    assert "No SMTP settings" in mail.error

    lonely = platform_account(username="lonely")
    smtp_settings(lonely)
    mail = services.notification_send(mail=queued(lonely))
    assert mail.status == OutboundMail.Status.SKIPPED
    assert "No recipient" in mail.error


def test_failures_are_recorded_and_retried_only_when_they_may_pass(demo, fresh_sandbox, settings):
    settings.SMTP_ALLOWED_RELAYS = [f"127.0.0.1:{fresh_sandbox.smtp_port}", "127.0.0.1:9"]
    settings_row = smtp_settings(demo, password="stale-password")
    mail = services.notification_send(mail=queued(demo), final_attempt=False)
    assert mail.status == OutboundMail.Status.FAILED  # a wrong password will not get better
    assert "535" in mail.error and mail.transcript

    settings_row.port = 9
    settings_row.save()
    mail = queued(demo)
    with pytest.raises(SmtpConnectError):
        services.notification_send(mail=mail, final_attempt=False)
    mail.refresh_from_db()
    assert mail.status == OutboundMail.Status.QUEUED and "127.0.0.1:9" in mail.error
    services.notification_send(mail=mail, final_attempt=True)
    assert mail.status == OutboundMail.Status.FAILED and mail.attempts == 2


def test_sending_is_idempotent(demo, fresh_sandbox):
    smtp_settings(demo)
    mail = services.notification_send(mail=queued(demo))
    services.notification_send(mail=mail)
    assert len(fresh_sandbox.mail()) == 1


def test_quota_low_is_notified_once_and_rearms(db):
    account = platform_account(username="demo")
    service = account_service(account, qty_available=50_000, qty_buytotal=100_000)

    def check(available: int) -> OutboundMail | None:
        service.qty_available = available
        return notifications.quota_checked(account=account, service=service)

    assert check(50_000) is None
    first = check(9_000)  # below 10 %
    assert first.event == notifications.QUOTA_LOW
    assert first.subject == "Sending quota low: 9,000 of 100,000 credits left"
    assert "below 10%" in first.body
    assert check(8_000) is None  # still low: no second mail
    assert check(60_000) is None  # bought more: re-armed
    assert QuotaAlert.objects.get(account=account).low is False
    assert check(500) is not None
    assert OutboundMail.objects.filter(event=notifications.QUOTA_LOW).count() == 2


def test_helpers_for_other_apps(db):
    account = platform_account(username="demo", company="深圳示例科技有限公司")
    mail = notifications.notify_import_finished(
        account=account, list_name="VIP 客户", imported=980, rejected=20
    )
    assert mail.subject == "Import finished: VIP 客户" and "Imported: 980" in mail.body
    assert mail.event == notifications.IMPORT_FINISHED
    mail = notifications.notify_domain_verified(account=account, domain="demo-shop.cn")
    assert mail.subject == "Domain verified: demo-shop.cn"
    assert "深圳示例科技有限公司" in mail.body and mail.status == OutboundMail.Status.QUEUED


@pytest.mark.django_db(transaction=True)
def test_quota_refresh_sends_the_quota_low_mail_through_the_worker(celery_worker, fresh_sandbox):
    account = platform_account(
        username="demo", password="demo-pass", platform_url=fresh_sandbox.url
    )
    user = member(account)
    user.email = "zhangwei@example.com"
    user.save()
    smtp_settings(account)
    fresh_sandbox.patch_account("demo", qty_available=4_000, qty_buytotal=100_000)

    account_refresh_service(account=account)

    assert AccountService.objects.get(account=account).qty_available == 4_000
    mail = wait_until(
        lambda: OutboundMail.objects.filter(
            account=account, event="quota_low", status=OutboundMail.Status.SENT
        ).first(),
        timeout=60,
    )
    [entry] = [m for m in fresh_sandbox.mail() if m["queue_id"] == mail.queue_id]
    assert entry["subject"] == "Sending quota low: 4,000 of 100,000 credits left"
    assert entry["rcpt_to"] == ["zhangwei@example.com"]
    # The next refresh, still low, sends nothing more.
    account_refresh_service(account=account)
    assert OutboundMail.objects.filter(account=account, event="quota_low").count() == 1


@pytest.mark.django_db(transaction=True)
def test_notify_from_another_app_arrives_through_the_worker(celery_worker, fresh_sandbox):
    account = platform_account(
        username="demo", password="demo-pass", platform_url=fresh_sandbox.url
    )
    smtp_settings(account, notify_to="ops@example.com")
    mail = notifications.notify_import_finished(account=account, list_name="新客户", imported=3)
    mail = wait_until(
        lambda: OutboundMail.objects.filter(pk=mail.pk, status=OutboundMail.Status.SENT).first(),
        timeout=60,
    )
    [entry] = [m for m in fresh_sandbox.mail() if m["queue_id"] == mail.queue_id]
    assert entry["subject"] == "Import finished: 新客户"
    assert entry["rcpt_to"] == ["ops@example.com"]
