"""One SMTP conversation with the platform's relay (§10), recorded as a transcript.

The platform's relay listens on 25 (plain), 465 (TLS from the start) and 587 (STARTTLS) and wants
``AUTH LOGIN`` as a sender mailbox (§7.8). Its own sample client says ``HELO``, not ``EHLO``, so
this client falls back to HELO when EHLO is refused and then still logs in (smtplib alone would
refuse because a HELO server advertises no AUTH). Every failure becomes one of
:mod:`apps.smtp.errors` with the server's code and text; the transcript never holds a password.

No Django here: the e-mail backend and the portal's services both build on this.
"""

from __future__ import annotations

import re
import smtplib
import socket
import ssl
from dataclasses import asdict, dataclass, field

from django.utils.translation import gettext as _

from .errors import (
    SmtpAuthError,
    SmtpConnectError,
    SmtpDataRefused,
    SmtpError,
    SmtpRecipientsRefused,
    SmtpSenderRefused,
    SmtpTimeout,
    SmtpTlsError,
)
from .relays import relay_check

NONE, SSL, STARTTLS = "none", "ssl", "starttls"
SECURITY_MODES = (NONE, SSL, STARTTLS)
_QUEUE_ID = re.compile(r"queued as (\S+)", re.IGNORECASE)


@dataclass(frozen=True)
class SmtpConfig:
    host: str
    port: int
    username: str
    password: str = field(repr=False)
    security: str = NONE  # "none" | "ssl" (implicit TLS) | "starttls"
    verify_certificate: bool = True
    timeout: float = 20.0
    local_hostname: str | None = None

    def __post_init__(self):
        if self.security not in SECURITY_MODES:
            raise ValueError(f"security must be one of {SECURITY_MODES}, not {self.security!r}")

    @property
    def where(self) -> str:
        return f"{self.host}:{self.port}"


@dataclass(frozen=True)
class Step:
    """One command and the server's answer, as shown to people (no secrets)."""

    command: str
    code: int | None
    reply: str

    def as_dict(self) -> dict:
        return asdict(self)

    @property
    def ok(self) -> bool:
        return self.code is not None and self.code < 400


@dataclass(frozen=True)
class RecipientResult:
    address: str
    code: int
    reply: str

    @property
    def accepted(self) -> bool:
        return self.code in (250, 251)

    def as_dict(self) -> dict:
        return {**asdict(self), "accepted": self.accepted}


@dataclass
class SendResult:
    sender: str
    recipients: list[RecipientResult]
    data_code: int
    data_reply: str

    @property
    def accepted(self) -> list[str]:
        return [r.address for r in self.recipients if r.accepted]

    @property
    def rejected(self) -> list[RecipientResult]:
        return [r for r in self.recipients if not r.accepted]

    @property
    def queue_id(self) -> str:
        match = _QUEUE_ID.search(self.data_reply)
        return match.group(1) if match else ""


def _text(reply: bytes | str) -> str:
    if isinstance(reply, bytes):
        reply = reply.decode("utf-8", "replace")
    return " ".join(reply.split("\n")).strip()


def tls_context(verify: bool) -> ssl.SSLContext:
    context = ssl.create_default_context()
    if not verify:
        # The operator switched verification off (e.g. a self-signed test server): encrypt only.
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    return context


class SmtpClient:
    """``with SmtpClient(config) as client: client.login(); client.send(...)``.

    ``transcript`` lists every step with the server's answer, also after a failure (the error
    carries a copy).
    """

    def __init__(self, config: SmtpConfig):
        self.config = config
        self.transcript: list[Step] = []
        self.smtp: smtplib.SMTP | None = None
        self.greeting = ""  # "EHLO" or "HELO", whichever the server accepted
        self.tls = False

    # -- plumbing ------------------------------------------------------------------------------

    def _step(self, command: str, code: int | None, reply: bytes | str) -> Step:
        step = Step(command, code, _text(reply))
        self.transcript.append(step)
        return step

    def _fail(
        self, cls: type[SmtpError], message: str, step: Step | None = None, **kw
    ) -> SmtpError:
        return cls(
            message,
            code=step.code if step else None,
            reply=step.reply if step else "",
            transcript=self.transcript,
            **kw,
        )

    def _network_error(self, exc: BaseException, doing: str) -> SmtpError:
        """Map socket, TLS and smtplib transport failures to a sentence."""
        where = self.config.where
        self._step(doing, None, f"{exc.__class__.__name__}: {exc}")
        if isinstance(exc, smtplib.SMTPServerDisconnected) and isinstance(
            exc.__context__, TimeoutError
        ):
            exc = exc.__context__  # smtplib reports a read timeout as a disconnection
        if isinstance(exc, ssl.SSLCertVerificationError):
            return self._fail(
                SmtpTlsError,
                _(
                    "The certificate of %(where)s could not be verified (%(reason)s). Use a "
                    "server name that matches its certificate, or turn certificate "
                    "verification off for a test server."
                )
                % {"where": where, "reason": exc.verify_message or exc.reason or exc},
            )
        if isinstance(exc, ssl.SSLError):
            return self._fail(
                SmtpTlsError,
                _(
                    "TLS with %(where)s failed (%(reason)s). Check the port and security "
                    "setting: 465 is TLS from the start, 587 uses STARTTLS, 25 is usually plain."
                )
                % {"where": where, "reason": exc.reason or exc},
            )
        if isinstance(exc, TimeoutError | socket.timeout):
            return self._fail(
                SmtpTimeout,
                _("The SMTP server %(where)s did not answer within %(seconds)s seconds.")
                % {"where": where, "seconds": f"{self.config.timeout:g}"},
            )
        if isinstance(exc, socket.gaierror):
            return self._fail(
                SmtpConnectError,
                _("The SMTP server name %(host)s could not be resolved.")
                % {"host": self.config.host},
            )
        if isinstance(exc, ConnectionRefusedError):
            return self._fail(
                SmtpConnectError,
                _("Nothing accepts connections at %(where)s: check the host and port.")
                % {"where": where},
            )
        if isinstance(exc, smtplib.SMTPServerDisconnected):
            return self._fail(
                SmtpConnectError,
                _("The SMTP server %(where)s closed the connection unexpectedly.")
                % {"where": where},
            )
        return self._fail(
            SmtpConnectError,
            _("The SMTP server %(where)s could not be reached (%(reason)s).")
            % {"where": where, "reason": exc},
        )

    # -- the conversation ----------------------------------------------------------------------

    def connect(self) -> None:
        """Connect, read the banner, greet (EHLO, else HELO) and set up TLS as configured."""
        cfg = self.config
        local = cfg.local_hostname or "localhost"
        # Only the relays the operator allows, checked before any socket opens.
        relay_check(cfg.host, cfg.port)
        try:
            if cfg.security == SSL:
                self.smtp = smtplib.SMTP_SSL(
                    local_hostname=local,
                    timeout=cfg.timeout,
                    context=tls_context(cfg.verify_certificate),
                )
                self.tls = True
            else:
                self.smtp = smtplib.SMTP(local_hostname=local, timeout=cfg.timeout)
            # smtplib takes the TLS server name (SNI, certificate check) from _host, which only
            # its constructor sets; connecting here instead keeps the banner for the transcript.
            self.smtp._host = cfg.host
            code, banner = self.smtp.connect(cfg.host, cfg.port)
        except (OSError, smtplib.SMTPException) as exc:
            raise self._network_error(exc, f"connect {cfg.where}") from exc
        step = self._step(f"connect {cfg.where}" + (" (TLS)" if self.tls else ""), code, banner)
        if code != 220:
            raise self._fail(
                SmtpConnectError,
                _("The SMTP server %(where)s refused the connection: %(code)s %(reply)s")
                % {"where": cfg.where, "code": code, "reply": step.reply},
                step,
            )
        self._greet()
        if cfg.security == STARTTLS:
            self._starttls()

    def _greet(self) -> None:
        assert self.smtp is not None
        local = self.config.local_hostname or "localhost"
        try:
            code, reply = self.smtp.ehlo(local)
            self._step(f"EHLO {local}", code, reply)
            self.greeting = "EHLO"
            if code != 250:
                code, reply = self.smtp.helo(local)
                step = self._step(f"HELO {local}", code, reply)
                self.greeting = "HELO"
                if code != 250:
                    raise self._fail(
                        SmtpConnectError,
                        _("The SMTP server refused the greeting: %(code)s %(reply)s")
                        % {"code": code, "reply": step.reply},
                        step,
                    )
        except (OSError, smtplib.SMTPServerDisconnected) as exc:
            if isinstance(exc, SmtpError):
                raise
            raise self._network_error(exc, "EHLO") from exc

    def _starttls(self) -> None:
        assert self.smtp is not None
        if not self.smtp.has_extn("starttls"):
            self._step("STARTTLS", None, "not offered by the server")
            raise self._fail(
                SmtpTlsError,
                _(
                    "The SMTP server %(where)s does not offer STARTTLS. Choose “SSL/TLS” for "
                    "port 465 or no encryption for port 25."
                )
                % {"where": self.config.where},
            )
        try:
            code, reply = self.smtp.starttls(context=tls_context(self.config.verify_certificate))
        except (OSError, smtplib.SMTPException) as exc:
            raise self._network_error(exc, "STARTTLS") from exc
        self._step("STARTTLS", code, reply)
        self.tls = True
        self._greet()  # the session starts over inside TLS

    def login(self) -> Step:
        assert self.smtp is not None
        cfg = self.config
        if not self.smtp.has_extn("auth"):
            # A HELO greeting advertises nothing; the platform still takes AUTH LOGIN there.
            self.smtp.esmtp_features["auth"] = "LOGIN PLAIN"
        command = f"AUTH ({cfg.username})"
        try:
            code, reply = self.smtp.login(cfg.username, cfg.password)
        except smtplib.SMTPAuthenticationError as exc:
            step = self._step(command, exc.smtp_code, exc.smtp_error)
            raise self._fail(
                SmtpAuthError,
                _(
                    "The SMTP server refused the mailbox %(user)s and its password: "
                    "%(code)s %(reply)s"
                )
                % {"user": cfg.username, "code": exc.smtp_code, "reply": step.reply},
                step,
            ) from exc
        except smtplib.SMTPNotSupportedError as exc:
            step = self._step(command, None, str(exc))
            raise self._fail(
                SmtpAuthError,
                _("The SMTP server %(where)s does not accept a login.") % {"where": cfg.where},
                step,
            ) from exc
        except smtplib.SMTPException as exc:
            if isinstance(exc, smtplib.SMTPServerDisconnected):
                raise self._network_error(exc, command) from exc
            step = self._step(command, None, str(exc))
            raise self._fail(
                SmtpAuthError,
                _("Logging in to the SMTP server failed: %(reason)s") % {"reason": exc},
                step,
            ) from exc
        except OSError as exc:
            raise self._network_error(exc, command) from exc
        return self._step(command, code, reply)

    def send(self, sender: str, recipients: list[str], message: bytes) -> SendResult:
        """MAIL, RCPT for each recipient, DATA. Raises only when nothing was accepted."""
        assert self.smtp is not None
        smtp = self.smtp
        options = []
        if smtp.has_extn("8bitmime") and not message.isascii():
            options.append("BODY=8BITMIME")
        if smtp.has_extn("smtputf8") and not all(a.isascii() for a in [sender, *recipients]):
            options.append("SMTPUTF8")
        try:
            code, reply = smtp.mail(sender, options)
            step = self._step(f"MAIL FROM:<{sender}>", code, reply)
            if code != 250:
                smtp.rset()
                raise self._fail(
                    SmtpSenderRefused,
                    _("The SMTP server refused the sender %(sender)s: %(code)s %(reply)s")
                    % {"sender": sender, "code": code, "reply": step.reply},
                    step,
                )
            results = []
            for address in recipients:
                code, reply = smtp.rcpt(address)
                step = self._step(f"RCPT TO:<{address}>", code, reply)
                results.append(RecipientResult(address, code, step.reply))
            if not any(r.accepted for r in results):
                smtp.rset()
                refused = "; ".join(f"{r.address}: {r.code} {r.reply}" for r in results)
                raise self._fail(
                    SmtpRecipientsRefused,
                    _("The SMTP server refused every recipient (%(refused)s).")
                    % {"refused": refused},
                    step,
                    recipients=results,
                )
            try:
                code, reply = smtp.data(message)
            except smtplib.SMTPDataError as exc:
                step = self._step("DATA", exc.smtp_code, exc.smtp_error)
                raise self._fail(
                    SmtpDataRefused,
                    _("The SMTP server refused the message: %(code)s %(reply)s")
                    % {"code": exc.smtp_code, "reply": step.reply},
                    step,
                ) from exc
            step = self._step(f"DATA ({len(message):,} bytes)", code, reply)
        except SmtpError:
            raise
        except (OSError, smtplib.SMTPException) as exc:
            raise self._network_error(exc, "sending") from exc
        return SendResult(sender, results, code, step.reply)

    def close(self) -> None:
        if self.smtp is None:
            return
        try:
            code, reply = self.smtp.quit()
            self._step("QUIT", code, reply)
        except (OSError, smtplib.SMTPException):
            self.smtp.close()
        self.smtp = None

    def __enter__(self) -> SmtpClient:
        try:
            self.connect()
        except BaseException:
            self.close()
            raise
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()
