"""Trying SMTP settings before they are saved ("Save and test"): connect, set up TLS and log in
with what the form holds, so that settings that do not work are never stored beside a "saved"
message. An empty password means the stored one (same mailbox only)."""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings as django_settings
from django.core.mail.utils import DNS_NAME
from django.utils.translation import gettext as _

from .client import SmtpClient, SmtpConfig
from .errors import SmtpError
from .models import SmtpSettings


@dataclass(frozen=True)
class Trial:
    ok: bool
    message: str


def smtp_settings_try(
    *,
    account,
    host: str,
    port: int,
    security: str,
    verify_certificate: bool,
    mailbox: str,
    password: str = "",
    **_ignored,
) -> Trial:
    if not password:
        stored = SmtpSettings.objects.filter(account=account).first()
        if stored is None or not stored.has_password or stored.mailbox.lower() != mailbox.lower():
            return Trial(
                False,
                _("Enter the password of the sender mailbox %(mailbox)s.") % {"mailbox": mailbox},
            )
        password = stored.get_password()
    client = SmtpClient(
        SmtpConfig(
            host=host,
            port=port,
            username=mailbox,
            password=password,
            security=security,
            verify_certificate=verify_certificate,
            timeout=django_settings.UMAIL_SMTP_TIMEOUT,
            local_hostname=str(DNS_NAME),
        )
    )
    try:
        client.connect()
        client.login()
    except SmtpError as exc:
        return Trial(False, str(exc))
    finally:
        client.close()
    return Trial(True, "")
