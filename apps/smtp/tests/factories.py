"""Factories for SMTP tests, with the sandbox's seeded sender mailboxes."""

from __future__ import annotations

from django.conf import settings

from apps.smtp.models import SmtpSettings

# Seeded in the sandbox for `demo` and `other` (sandbox/README.md, §10).
DEMO_MAILBOX, DEMO_MAILBOX_PASSWORD = "notice@demo-shop.cn", "Notice-pass-2026"
OTHER_MAILBOX, OTHER_MAILBOX_PASSWORD = "service@other-trade.cn", "Service-pass-2026"


def smtp_settings(
    account, *, mailbox=DEMO_MAILBOX, password=DEMO_MAILBOX_PASSWORD, **fields
) -> SmtpSettings:
    """SMTP settings pointing at the test sandbox's SMTP service (set by the root conftest)."""
    fields.setdefault("host", settings.UMAIL_SMTP_HOST)
    fields.setdefault("port", settings.UMAIL_SMTP_PORT)
    smtp = SmtpSettings(account=account, mailbox=mailbox, **fields)
    smtp.set_password(password)
    smtp.save()
    return smtp
