"""Writes for §10 SMTP: the account's SMTP settings, the connection test, sending test mails and
the portal's notifications (through :class:`apps.smtp.backend.PlatformSMTPBackend`)."""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from html import unescape

from django.contrib.auth import get_user_model
from django.core.mail import EmailMessage, EmailMultiAlternatives
from django.db import transaction
from django.utils import timezone
from django.utils.html import strip_tags
from django.utils.translation import gettext as _

from apps.accounts.models import PlatformAccount
from apps.core.audit import audited, record
from apps.core.models import AuditEntry

from .backend import PlatformSMTPBackend
from .client import SmtpClient
from .errors import (
    SmtpAuthError,
    SmtpError,
    SmtpNotConfigured,
    SmtpRecipientsRefused,
    SmtpTlsError,
)
from .models import OutboundMail, SmtpSettings
from .relays import relay_check

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Attachment:
    name: str
    content: bytes
    content_type: str


@dataclass(frozen=True)
class ConnectionTest:
    ok: bool
    message: str
    transcript: list[dict]


_BLOCK_END = re.compile(r"(?i)<br\s*/?>|</(p|div|h[1-6]|li|tr|table|blockquote|pre)>")


def html_to_text(html: str) -> str:
    """The plain-text part of an HTML test mail: block ends become line breaks."""
    text = unescape(strip_tags(_BLOCK_END.sub("\n", html)))
    lines = [" ".join(line.split()) for line in text.splitlines()]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


def _settings_or_refuse(account: PlatformAccount) -> SmtpSettings:
    smtp = SmtpSettings.objects.filter(account=account).first()
    if smtp is None or not smtp.has_password:
        raise SmtpNotConfigured(_("Set the SMTP server, sender mailbox and its password first."))
    return smtp


def smtp_settings_save(
    *,
    account: PlatformAccount,
    user,
    host: str,
    port: int,
    security: str,
    verify_certificate: bool,
    mailbox: str,
    password: str = "",
    from_name: str = "",
    notify_to: str = "",
) -> SmtpSettings:
    """Create or change the account's SMTP settings; an empty password keeps the stored one.

    The settings are local (the platform has no API for them), so this cannot be refused by the
    platform; the audit entry records what changed, never the password.
    """
    relay_check(host, port)  # the form refuses it first; no other caller may store one either
    detail = {
        "host": host,
        "port": port,
        "security": security,
        "verify_certificate": verify_certificate,
        "password_changed": bool(password),
    }
    with (
        audited(
            account=account, user=user, action="smtp.settings.save", target=mailbox, detail=detail
        ),
        transaction.atomic(),
    ):
        smtp = SmtpSettings.objects.select_for_update().filter(account=account).first()
        if smtp is None:
            smtp = SmtpSettings(account=account)
        changed_login = smtp.pk is None or smtp.mailbox.lower() != mailbox.lower()
        if changed_login and not password:
            # A stored password belongs to the old mailbox: never send it for another one.
            raise SmtpNotConfigured(
                _("Enter the password of the sender mailbox %(mailbox)s.") % {"mailbox": mailbox}
            )
        smtp.host = host
        smtp.port = port
        smtp.security = security
        smtp.verify_certificate = verify_certificate
        smtp.mailbox = mailbox
        smtp.from_name = from_name
        smtp.notify_to = notify_to
        if password:
            smtp.set_password(password)
        # Old test results say nothing about new settings.
        smtp.last_test_at = None
        smtp.last_test_ok = None
        smtp.last_test_message = ""
        smtp.last_test_transcript = []
        smtp.updated_by = user if user is not None and user.is_authenticated else None
        smtp.save()
    return smtp


def smtp_connection_test(*, account: PlatformAccount, user) -> ConnectionTest:
    """Connect, greet, set up TLS and log in with the saved settings; keep the server's answers."""
    smtp = _settings_or_refuse(account)
    client = SmtpClient(smtp.config())
    refused = None  # the server's answer when it refused (not when it could not be reached)
    try:
        client.connect()
        login = client.login()
    except SmtpError as exc:
        ok, message = False, str(exc)
        if isinstance(exc, SmtpAuthError | SmtpTlsError) and exc.code:
            refused = str(exc.code)
    else:
        ok = True
        message = _("Connected to %(where)s and logged in as %(mailbox)s: %(code)s %(reply)s") % {
            "where": client.config.where,
            "mailbox": smtp.mailbox,
            "code": login.code,
            "reply": login.reply,
        }
    finally:
        client.close()
    transcript = [step.as_dict() for step in client.transcript]
    smtp.last_test_at = timezone.now()
    smtp.last_test_ok = ok
    smtp.last_test_message = message
    smtp.last_test_transcript = transcript
    smtp.save(
        update_fields=["last_test_at", "last_test_ok", "last_test_message", "last_test_transcript"]
    )
    record(
        account=account,
        user=user,
        action="smtp.connection.test",
        target=smtp.mailbox,
        # A refused password is the server's answer, not an unreachable platform.
        outcome=(
            AuditEntry.Outcome.OK
            if ok
            else AuditEntry.Outcome.REFUSED
            if refused
            else AuditEntry.Outcome.FAILED
        ),
        platform_status=refused or "",
        message=message,
    )
    return ConnectionTest(ok=ok, message=message, transcript=transcript)


def _deliver(mail: OutboundMail, message: EmailMessage, backend: PlatformSMTPBackend) -> None:
    """Send one message and record the outcome on ``mail`` (saved). Re-raises SMTP errors."""
    mail.attempts += 1
    try:
        backend.send_messages([message])
    except SmtpError as exc:
        mail.error = str(exc)
        if isinstance(exc, SmtpRecipientsRefused):
            mail.status = OutboundMail.Status.REJECTED
            mail.results = [r.as_dict() for r in exc.recipients]
        else:
            mail.status = OutboundMail.Status.FAILED
        raise
    else:
        result = backend.results[-1]
        mail.results = [r.as_dict() for r in result.recipients]
        mail.queue_id = result.queue_id[:100]
        mail.status = OutboundMail.Status.PARTIAL if result.rejected else OutboundMail.Status.SENT
        mail.error = ""
        mail.sent_at = timezone.now()
    finally:
        mail.transcript = [step.as_dict() for step in backend.transcript]
        mail.save()


def smtp_send_test(
    *,
    account: PlatformAccount,
    user,
    to: list[str],
    subject: str,
    body: str,
    is_html: bool,
    attachment: Attachment | None = None,
    attachments: list[Attachment] | None = None,
    text: str | None = None,
    audit_action: str = "smtp.mail.test",
) -> OutboundMail:
    """Send a test transactional mail now and return its record with the SMTP transcript.

    Raises SmtpNotConfigured without settings; any other SMTP failure is recorded on the returned
    mail (status rejected or failed) instead of raised, so the page can show the transcript.
    `attachments` and `text` (the plain-text part; generated from the HTML when None) serve the
    template test send (apps.mailtemplates.sendtest).
    """
    smtp = _settings_or_refuse(account)
    files = [*([attachment] if attachment else []), *(attachments or [])]
    mail = OutboundMail.objects.create(
        account=account,
        kind=OutboundMail.Kind.TEST,
        created_by=user if user is not None and user.is_authenticated else None,
        sender=smtp.mailbox,
        recipients=to,
        subject=subject[:255],
        body=body,
        is_html=is_html,
        attachment_name=", ".join(f.name for f in files)[:255],
        attachment_size=sum(len(f.content) for f in files) if files else None,
    )
    if is_html:
        plain = html_to_text(body) if text is None else text
        message = EmailMultiAlternatives(subject, plain, from_email=smtp.from_address, to=to)
        message.attach_alternative(body, "text/html")
    else:
        message = EmailMessage(subject, body, from_email=smtp.from_address, to=to)
    for file in files:
        message.attach(file.name, file.content, file.content_type)
    login_refused = False
    try:
        _deliver(mail, message, PlatformSMTPBackend(account=account))
    except SmtpAuthError:
        login_refused = True  # recorded on the mail; the server refused, it was reachable
    except SmtpError:
        pass  # the outcome is recorded on the mail
    record(
        account=account,
        user=user,
        action=audit_action,
        target=", ".join(to),
        detail={"subject": subject, "status": mail.status, "queue_id": mail.queue_id},
        outcome=AuditEntry.Outcome.REFUSED
        if login_refused
        else {
            OutboundMail.Status.SENT: AuditEntry.Outcome.OK,
            OutboundMail.Status.PARTIAL: AuditEntry.Outcome.OK,
            OutboundMail.Status.REJECTED: AuditEntry.Outcome.REFUSED,
        }.get(mail.status, AuditEntry.Outcome.FAILED),
        message=mail.error,
    )
    return mail


# -- notifications -------------------------------------------------------------------------------


def notification_recipients(account: PlatformAccount, smtp: SmtpSettings | None) -> list[str]:
    """The addresses set on the SMTP page, else the e-mail of every member of the account."""
    if smtp is not None and smtp.notification_recipients():
        return smtp.notification_recipients()
    emails = (
        get_user_model()
        .objects.filter(membership__account=account)
        .exclude(email="")
        .order_by("email")
        .values_list("email", flat=True)
        .distinct()
    )
    return list(emails)


def notification_send(*, mail: OutboundMail, final_attempt: bool = True) -> OutboundMail:
    """Send a queued notification through the account's SMTP settings (idempotent).

    Without SMTP settings for the account the portal-wide ones are used (UMAIL_SMTP_ACCOUNT or
    EMAIL_HOST_USER); with neither, or no recipient, the mail is marked "not sent" with the
    reason. Retryable failures raise unless ``final_attempt``; the outcome is on the mail.
    """
    if mail.status != OutboundMail.Status.QUEUED:
        return mail
    account = mail.account
    smtp = SmtpSettings.objects.filter(account=account).first()
    if smtp is not None and not smtp.has_password:
        smtp = None
    recipients = list(mail.recipients) or notification_recipients(account, smtp)
    if not recipients:
        mail.status = OutboundMail.Status.SKIPPED
        mail.error = _("No recipient: set notification addresses on the SMTP page.")
        mail.save(update_fields=["status", "error"])
        return mail
    mail.recipients = recipients
    backend = PlatformSMTPBackend(account=account) if smtp else PlatformSMTPBackend()
    from_email = smtp.from_address if smtp else None
    try:
        config = backend.config()
    except SmtpNotConfigured as exc:
        mail.status = OutboundMail.Status.SKIPPED
        mail.error = str(exc)
        mail.save(update_fields=["status", "error", "recipients"])
        return mail
    mail.sender = config.username
    message = EmailMessage(mail.subject, mail.body, from_email=from_email, to=recipients)
    try:
        _deliver(mail, message, backend)
    except SmtpError as exc:
        if exc.retryable and not final_attempt:
            # Back to the queue for the task's next try; the error stays visible meanwhile.
            mail.status = OutboundMail.Status.QUEUED
            mail.save(update_fields=["status"])
            raise
        logger.warning("notification %s for %s failed: %s", mail.pk, account, exc)
    return mail
