"""§10 the platform's SMTP relay, played on 127.0.0.1 with aiosmtpd.

What the documentation shows (§10 samples, catalogue): the client connects to port 25, says
``HELO`` (PHP sample) or ``EHLO`` (Python's smtplib), logs in with ``AUTH LOGIN`` as a sender
mailbox created under §7.8, then ``MAIL FROM`` / ``RCPT TO`` / ``DATA``. The sandbox's choices
where it is silent are in sandbox/README.md ("SMTP"). In short:

* AUTH LOGIN and PLAIN, checked by :func:`sandbox.ops.smtp.find_mailbox`, accepted after EHLO or
  plain HELO, and over plain TCP (the platform's port 25 has no TLS requirement);
* MAIL, RCPT and DATA need a login (530); the envelope sender must be the logged-in mailbox
  (553); a disabled bulk-mail service refuses MAIL (554);
* a recipient in the reserved ``.invalid`` domain is refused with 550 (a "rejected recipient"
  on demand); more than :data:`MAX_RECIPIENTS` get 452;
* STARTTLS is offered with a self-signed certificate made at start; ``--smtps-port`` adds an
  implicit-TLS listener (the platform's 465);
* accepted messages are stored whole (raw bytes + envelope) in the state store.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import hmac
import ipaddress
import logging
import os
import ssl
import tempfile
import threading
import warnings
from email.headerregistry import Address
from typing import Any

from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session

from sandbox.clock import Clock
from sandbox.ops.smtp import find_mailbox, smtp_setting, store_message
from sandbox.store import Store

log = logging.getLogger("sandbox.smtp")


class _KnownNoise(logging.Filter):
    """aiosmtpd logs these on every connection or login; both are expected here (see above)."""

    NOISE = ("Session.login_data is deprecated", "auth_required == True but auth_require_tls")

    def filter(self, record: logging.LogRecord) -> bool:
        return not str(record.msg).startswith(self.NOISE)


logging.getLogger("mail.log").addFilter(_KnownNoise())

SERVER_NAME = "smtp.bestedm.org"
MAX_RECIPIENTS = 100
DATA_SIZE_LIMIT = 20 * 1024 * 1024


def make_tls_context(hostname: str = "localhost") -> ssl.SSLContext:
    """A server context with a fresh self-signed certificate (never trusted by a verifying client).

    Generated at each start with ``cryptography``: nothing secret is kept on disk afterwards.
    """
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, SERVER_NAME)])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=30))
        .add_extension(
            x509.SubjectAlternativeName(
                [
                    x509.DNSName(SERVER_NAME),
                    x509.DNSName(hostname),
                    x509.IPAddress(ipaddress.ip_address("127.0.0.1")),
                ]
            ),
            critical=False,
        )
        .sign(key, hashes.SHA256())
    )
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "smtp.pem")
        with open(path, "wb") as fh:
            fh.write(
                key.private_bytes(
                    serialization.Encoding.PEM,
                    serialization.PrivateFormat.PKCS8,
                    serialization.NoEncryption(),
                )
            )
            fh.write(cert.public_bytes(serialization.Encoding.PEM))
        context.load_cert_chain(path)
    return context


class SandboxSMTP(SMTP):
    """aiosmtpd's server, plus AUTH after plain HELO (as the platform's PHP sample client sends)."""

    # What common servers send (base64 of "Username:" / "Password:"); aiosmtpd's default differs.
    AuthLoginUsernameChallenge = "Username:"
    AuthLoginPasswordChallenge = "Password:"

    def __init__(self, handler: Handler, *, implicit_tls: bool = False, **kwargs: Any):
        with warnings.catch_warnings():
            # aiosmtpd warns about AUTH without TLS; port 25 of the platform is exactly that.
            warnings.simplefilter("ignore")
            super().__init__(handler, **kwargs)
        self.implicit_tls = implicit_tls

    @property
    def is_tls(self) -> bool:
        return self.implicit_tls or self._tls_protocol is not None

    async def smtp_EHLO(self, hostname: str) -> None:
        if not smtp_setting(self.event_handler.store, "ehlo"):
            # An old server that only knows HELO (switched on by POST /_sandbox/smtp/settings).
            await self.push("502 5.5.2 Error: command not recognized")
            return
        await super().smtp_EHLO(hostname)

    async def smtp_AUTH(self, arg: str) -> None:
        session = self.session
        if session is None or not session.host_name or session.extended_smtp:
            return await super().smtp_AUTH(arg)
        # After HELO aiosmtpd answers "500 not recognized"; the platform accepts AUTH there.
        # The flag only lets smtp_AUTH through and is put back before MAIL can be parsed.
        session.extended_smtp = True
        try:
            return await super().smtp_AUTH(arg)
        finally:
            session.extended_smtp = False


class Handler:
    """Envelope checks and storage; one instance serves every connection."""

    def __init__(self, store: Store, clock: Clock):
        self.store = store
        self.clock = clock

    # -- AUTH -----------------------------------------------------------------------------------

    def authenticate(
        self, server: SMTP, session: Session, envelope: Envelope, mechanism: str, auth_data: Any
    ) -> AuthResult:
        if not isinstance(auth_data, LoginPassword):
            return AuthResult(success=False, handled=False)
        login = auth_data.login.decode("utf-8", "replace")
        password = auth_data.password.decode("utf-8", "replace")
        row = find_mailbox(self.store, login)
        # A missing mailbox gets the same answer as a bad password, so logins cannot be probed.
        if row is None or not hmac.compare_digest(password.encode(), row["password"].encode()):
            log.info("smtp auth failed for %s from %s", login, session.peer)
            return AuthResult(
                success=False, handled=False, message="535 5.7.8 Error: authentication failed"
            )
        return AuthResult(success=True, auth_data=row)

    # -- envelope -------------------------------------------------------------------------------

    async def handle_MAIL(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: list
    ) -> str:
        mailbox = (session.auth_data or {}).get("mailbox", "")
        if address.strip().lower() != mailbox.lower():
            return f"553 5.7.1 <{address}>: Sender address rejected: not owned by user {mailbox}"
        account = self.store.account_by_id(session.auth_data["account_id"])
        if account is not None and account["service_status"] != "enabled":
            return "554 5.7.1 Service disabled: the bulk-mail service of this account is disabled"
        envelope.mail_from = address
        envelope.mail_options.extend(options)
        return "250 2.1.0 Ok"

    async def handle_RCPT(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: list
    ) -> str:
        try:
            parsed = Address(addr_spec=address)
        except Exception:
            return f"501 5.1.3 <{address}>: Bad recipient address syntax"
        if not parsed.username or "." not in parsed.domain:
            return f"501 5.1.3 <{address}>: Bad recipient address syntax"
        if parsed.domain.lower().rstrip(".").endswith(".invalid"):
            return f"550 5.1.2 <{address}>: Recipient address rejected: Domain not found"
        if len(envelope.rcpt_tos) >= MAX_RECIPIENTS:
            return f"452 4.5.3 Error: too many recipients (at most {MAX_RECIPIENTS} a message)"
        envelope.rcpt_tos.append(address)
        envelope.rcpt_options.extend(options)
        return "250 2.1.5 Ok"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        raw = envelope.original_content or b""
        row = session.auth_data or {}
        peer = session.peer
        _, queue_id = store_message(
            self.store,
            received_at=self.clock.timestamp(),
            account_id=row.get("account_id"),
            mailbox=row.get("mailbox", ""),
            mail_from=envelope.mail_from or "",
            rcpt_to=list(envelope.rcpt_tos),
            raw=raw,
            peer=f"{peer[0]}:{peer[1]}" if isinstance(peer, tuple) else str(peer or ""),
            helo=session.host_name or "",
            tls=getattr(server, "is_tls", False),
        )
        log.info(
            "smtp accepted %s from %s for %d recipient(s)",
            queue_id,
            row.get("mailbox"),
            len(envelope.rcpt_tos),
        )
        return f"250 2.0.0 Ok: queued as {queue_id}"


class SmtpService:
    """The SMTP listeners on their own thread and event loop, beside werkzeug's HTTP server."""

    def __init__(
        self,
        store: Store,
        clock: Clock,
        *,
        host: str = "127.0.0.1",
        port: int = 2525,
        smtps_port: int | None = None,
        starttls: bool = True,
    ):
        self.host = host
        self.requested_port = port
        self.requested_smtps_port = smtps_port
        self.handler = Handler(store, clock)
        self.tls_context = make_tls_context() if (starttls or smtps_port is not None) else None
        self.starttls = starttls
        self.loop = asyncio.new_event_loop()
        self.port: int | None = None
        self.smtps_port: int | None = None
        self._servers: list[asyncio.AbstractServer] = []
        self._thread: threading.Thread | None = None

    def _factory(self, *, implicit_tls: bool) -> SandboxSMTP:
        return SandboxSMTP(
            self.handler,
            implicit_tls=implicit_tls,
            hostname=SERVER_NAME,
            ident="U-Mail sandbox ESMTP",
            # STARTTLS on the plain port only; the implicit-TLS port already is TLS.
            tls_context=None if implicit_tls or not self.starttls else self.tls_context,
            data_size_limit=DATA_SIZE_LIMIT,
            enable_SMTPUTF8=True,
            auth_required=True,
            auth_require_tls=False,
            authenticator=self.handler.authenticate,
            timeout=120,
            loop=self.loop,
        )

    async def _start(self) -> None:
        plain = await self.loop.create_server(
            lambda: self._factory(implicit_tls=False), host=self.host, port=self.requested_port
        )
        self._servers.append(plain)
        self.port = plain.sockets[0].getsockname()[1]
        if self.requested_smtps_port is not None:
            secure = await self.loop.create_server(
                lambda: self._factory(implicit_tls=True),
                host=self.host,
                port=self.requested_smtps_port,
                ssl=self.tls_context,
            )
            self._servers.append(secure)
            self.smtps_port = secure.sockets[0].getsockname()[1]

    def _run(self, ready: threading.Event) -> None:
        # Binding happens on this thread too: the caller's thread may already run an event loop.
        asyncio.set_event_loop(self.loop)
        try:
            self.loop.run_until_complete(self._start())
        except BaseException as exc:  # reported to start() and raised there
            self._error = exc
            for server in self._servers:
                server.close()
            ready.set()
            return
        ready.set()
        self.loop.run_forever()
        # Stopped: close the listeners, end the open sessions, then the loop.
        for server in self._servers:
            server.close()
        tasks = asyncio.all_tasks(self.loop)
        for task in tasks:
            task.cancel()
        self.loop.run_until_complete(asyncio.gather(*tasks, return_exceptions=True))
        self.loop.close()

    def start(self) -> None:
        """Bind the listeners (raising OSError when a port is taken) and serve on a thread."""
        ready = threading.Event()
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, args=(ready,), name="smtp", daemon=True)
        self._thread.start()
        ready.wait()
        if self._error is not None:
            self._thread.join()
            self._thread = None
            self.loop.close()
            raise self._error

    def stop(self) -> None:
        if self._thread is None:
            return
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(timeout=10)
        self._thread = None
