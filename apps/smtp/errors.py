"""What can go wrong on the way to the platform's SMTP relay (§10), in words a person can act on.

Every error is an ``smtplib.SMTPException`` (so an ``OSError``, as Django's own SMTP backend raises
and ``fail_silently`` swallows) carrying the server's code and text when there was one, and the
transcript so far (never a password). ``retryable`` says whether the same send may pass later.
"""

from __future__ import annotations

import smtplib
from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .client import RecipientResult, Step


class SmtpError(smtplib.SMTPException):
    retryable = False

    def __init__(
        self,
        message: str,
        *,
        code: int | None = None,
        reply: str = "",
        transcript: Sequence[Step] = (),
    ):
        super().__init__(message)
        self.message = message
        self.code = code
        self.reply = reply
        self.transcript = list(transcript)

    def __str__(self) -> str:
        return self.message


class SmtpNotConfigured(SmtpError):
    """No SMTP settings to send with (no account settings, no host/login in the settings)."""


class SmtpRelayNotAllowed(SmtpNotConfigured):
    """The host and port are not among the relays the portal's operator allows: no connection
    was attempted (apps.smtp.relays)."""


class SmtpConnectError(SmtpError):
    """The server could not be reached, refused the connection, or hung up."""

    retryable = True


class SmtpTimeout(SmtpConnectError):
    """The server did not answer in time."""


class SmtpTlsError(SmtpError):
    """TLS could not be set up: a certificate that does not verify, or no STARTTLS offered."""


class SmtpAuthError(SmtpError):
    """The server refused the mailbox and password."""


class SmtpSenderRefused(SmtpError):
    """MAIL FROM was refused (e.g. a sender address the mailbox does not own)."""

    @property
    def retryable(self) -> bool:  # 4xx: temporary
        return bool(self.code and 400 <= self.code < 500)


class SmtpRecipientsRefused(SmtpError):
    """Every recipient was refused; ``recipients`` holds each one's code and text."""

    def __init__(self, message: str, *, recipients: Sequence[RecipientResult], **kwargs):
        super().__init__(message, **kwargs)
        self.recipients = list(recipients)

    @property
    def retryable(self) -> bool:
        return all(400 <= r.code < 500 for r in self.recipients)


class SmtpDataRefused(SmtpError):
    """The server refused the message itself after DATA (size, content)."""

    @property
    def retryable(self) -> bool:
        return bool(self.code and 400 <= self.code < 500)
