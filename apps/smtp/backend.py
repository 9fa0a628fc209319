"""A Django e-mail backend that relays through the U-Mail platform's SMTP service (§10).

    EMAIL_BACKEND = "apps.smtp.backend.PlatformSMTPBackend"

Where the SMTP settings come from, first match wins:

1. ``get_connection(account=...)``: that platform account's SMTP settings in the portal
   (a ``PlatformAccount``, its id, or its username);
2. ``get_connection(host=..., port=..., username=..., password=..., security=...)``;
3. ``UMAIL_SMTP_ACCOUNT`` (a platform username or account id): that account's SMTP settings;
4. Django's ``EMAIL_HOST``, ``EMAIL_PORT``, ``EMAIL_HOST_USER`` (the sender mailbox),
   ``EMAIL_HOST_PASSWORD``, ``EMAIL_USE_SSL`` / ``EMAIL_USE_TLS``, ``EMAIL_TIMEOUT``, plus
   ``UMAIL_SMTP_VERIFY_CERTIFICATE`` (default True) — for Django projects without the portal.

The envelope sender is always the mailbox that logs in (the platform relays only for its own
mailboxes); the From header stays what the message says. Errors are :mod:`apps.smtp.errors`
(``smtplib.SMTPException`` subclasses, so ``fail_silently`` works as with Django's backend).
A message refused for some recipients but accepted for others counts as sent; the refusals are
logged and kept in ``results``. ``transcript`` holds the steps of the last connection.
"""

from __future__ import annotations

import logging
import threading
from typing import Any

from django.conf import settings
from django.core.mail.backends.base import BaseEmailBackend
from django.core.mail.message import sanitize_address
from django.core.mail.utils import DNS_NAME
from django.utils.translation import gettext as _

from .client import NONE, SSL, STARTTLS, SendResult, SmtpClient, SmtpConfig, Step
from .errors import SmtpConnectError, SmtpError, SmtpNotConfigured

logger = logging.getLogger(__name__)


def _account_config(account: Any) -> SmtpConfig:
    """The SMTP settings stored in the portal for a platform account (model, id or username)."""
    from apps.accounts.models import PlatformAccount

    from .models import SmtpSettings

    if not isinstance(account, PlatformAccount):
        key = str(account).strip()
        accounts = PlatformAccount.objects.all()
        accounts = accounts.filter(pk=int(key)) if key.isdigit() else accounts.filter(username=key)
        # The same username on another platform URL or as another user type: prefer this
        # portal's platform and ordinary users.
        found = sorted(
            accounts,
            key=lambda a: (a.platform_url != settings.UMAIL_PLATFORM_URL, a.user_type != ""),
        )
        if not found:
            raise SmtpNotConfigured(
                _("There is no platform account %(account)s in the portal.") % {"account": key}
            )
        account = found[0]
    smtp = SmtpSettings.objects.filter(account=account).first()
    if smtp is None or not smtp.has_password:
        raise SmtpNotConfigured(
            _(
                "The platform account %(account)s has no SMTP settings yet: an owner sets them "
                "on the portal's SMTP page."
            )
            % {"account": account}
        )
    return smtp.config()


def _settings_config() -> SmtpConfig | None:
    if not settings.EMAIL_HOST_USER:
        return None
    if settings.EMAIL_USE_SSL and settings.EMAIL_USE_TLS:
        raise SmtpNotConfigured(_("EMAIL_USE_SSL and EMAIL_USE_TLS cannot both be set."))
    security = SSL if settings.EMAIL_USE_SSL else STARTTLS if settings.EMAIL_USE_TLS else NONE
    return SmtpConfig(
        host=settings.EMAIL_HOST,
        port=int(settings.EMAIL_PORT),
        username=settings.EMAIL_HOST_USER,
        password=settings.EMAIL_HOST_PASSWORD,
        security=security,
        verify_certificate=settings.UMAIL_SMTP_VERIFY_CERTIFICATE,
        timeout=settings.EMAIL_TIMEOUT or settings.UMAIL_SMTP_TIMEOUT,
        local_hostname=str(DNS_NAME),
    )


class PlatformSMTPBackend(BaseEmailBackend):
    def __init__(
        self,
        fail_silently: bool = False,
        *,
        account: Any = None,
        host: str | None = None,
        port: int | None = None,
        username: str | None = None,
        password: str | None = None,
        security: str | None = None,
        verify_certificate: bool | None = None,
        timeout: float | None = None,
        **kwargs: Any,
    ):
        super().__init__(fail_silently=fail_silently, **kwargs)
        self.account = account
        self.explicit = dict(
            host=host,
            port=port,
            username=username,
            password=password,
            security=security,
            verify_certificate=verify_certificate,
            timeout=timeout,
        )
        self.client: SmtpClient | None = None
        self.transcript: list[Step] = []
        self.results: list[SendResult] = []
        self._lock = threading.RLock()

    def config(self) -> SmtpConfig:
        if self.account is not None:
            return _account_config(self.account)
        given = self.explicit
        if given["host"] or given["username"]:
            return SmtpConfig(
                host=given["host"] or settings.UMAIL_SMTP_HOST,
                port=int(given["port"] or settings.UMAIL_SMTP_PORT),
                username=given["username"] or "",
                password=given["password"] or "",
                security=given["security"] or NONE,
                verify_certificate=(
                    True if given["verify_certificate"] is None else given["verify_certificate"]
                ),
                timeout=given["timeout"] or settings.UMAIL_SMTP_TIMEOUT,
                local_hostname=str(DNS_NAME),
            )
        if settings.UMAIL_SMTP_ACCOUNT:
            return _account_config(settings.UMAIL_SMTP_ACCOUNT)
        config = _settings_config()
        if config is None:
            raise SmtpNotConfigured(
                _(
                    "No SMTP settings to send mail with: set UMAIL_SMTP_ACCOUNT to a platform "
                    "account with SMTP settings, or EMAIL_HOST_USER and EMAIL_HOST_PASSWORD."
                )
            )
        return config

    def open(self) -> bool | None:
        if self.client is not None:
            return False
        client = None
        try:
            client = SmtpClient(self.config())
            client.connect()
            if client.config.username:
                client.login()
        except SmtpError:
            if client is not None:
                client.close()
                self.transcript = client.transcript
            if not self.fail_silently:
                raise
            return None
        self.client = client
        self.transcript = client.transcript
        self.results = []
        return True

    def close(self) -> None:
        if self.client is not None:
            try:
                self.client.close()
            finally:
                self.client = None

    def send_messages(self, email_messages) -> int:
        if not email_messages:
            return 0
        with self._lock:
            new_connection = self.open()
            if self.client is None or new_connection is None:
                return 0
            sent = 0
            try:
                for message in email_messages:
                    if self.client is None:  # lost after a failure we were told to swallow
                        break
                    if self._send(message):
                        sent += 1
            finally:
                if new_connection:
                    self.close()
        return sent

    def _send(self, message) -> bool:
        recipients = message.recipients()
        if not recipients:
            return False
        assert self.client is not None
        encoding = message.encoding or settings.DEFAULT_CHARSET
        login = self.client.config.username
        # The platform relays only for the mailbox that logged in (sandbox/README.md, §10).
        sender = sanitize_address(login if "@" in login else message.from_email, encoding)
        addresses = [sanitize_address(a, encoding) for a in recipients]
        raw = message.message().as_bytes(linesep="\r\n")
        try:
            result = self.client.send(sender, addresses, raw)
        except SmtpError as exc:
            if isinstance(exc, SmtpConnectError):
                self.close()  # the connection is gone; the next send opens a new one
            if not self.fail_silently:
                raise
            return False
        self.results.append(result)
        for refused in result.rejected:
            logger.warning(
                "SMTP refused recipient %s of %r: %s %s",
                refused.address,
                message.subject,
                refused.code,
                refused.reply,
            )
        return True


__all__ = ["PlatformSMTPBackend", "SmtpConnectError", "SmtpError", "SmtpNotConfigured"]
