"""SMTP (§10) connection test, test mail and notification job under every kind of SMTP fault.

The HTTP faults of the sandbox do not reach SMTP, so a small real TCP server plays the broken
relay here: it holds the connection, resets it, closes it at once, answers like a web server,
cuts its greeting, refuses service (421) or is rate limited (421 4.7.0); and a closed port.
Each run ends with a clear message on the page, the failure recorded, never a 500.
"""

from __future__ import annotations

import contextlib
import socket
import struct
import threading

import pytest
from django.urls import reverse

from apps.smtp.models import OutboundMail, SmtpSettings
from apps.smtp.tasks import notification_send_task
from apps.smtp.tests.factories import smtp_settings

from .pages import Job, Page, job_problems, page_problems

pytestmark = [pytest.mark.django_db]

SMTP_FAULTS = [
    "timeout",
    "reset",
    "refused",
    "empty",
    "html",
    "truncated",
    "unavailable",
    "rate_limit",
    "malformed",
]


class BrokenRelay:
    """A TCP server on 127.0.0.1 that misbehaves in one way for every connection."""

    def __init__(self, mode: str):
        self.mode = mode
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self._open: list[socket.socket] = []
        if mode == "refused":
            self.sock.close()  # nothing listens on the port any more
            return
        self.sock.listen(8)
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self):
        while True:
            try:
                conn, _addr = self.sock.accept()
            except OSError:
                return
            self._open.append(conn)
            with contextlib.suppress(OSError):
                self._misbehave(conn)

    def _misbehave(self, conn: socket.socket) -> None:
        mode = self.mode
        if mode == "timeout":
            return  # accepted, never a word: the client's read timeout ends it
        if mode == "reset":
            conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            conn.close()
        elif mode == "empty":
            conn.close()
        elif mode == "html":
            conn.sendall(
                b"HTTP/1.1 400 Bad Request\r\nContent-Type: text/html\r\n\r\n"
                b"<html><body><h1>400 Bad Request</h1></body></html>\r\n"
            )
            conn.close()
        elif mode == "truncated":
            conn.sendall(b"220 smtp.bestedm.org ES")  # no end of line, then gone
            conn.close()
        elif mode == "unavailable":
            conn.sendall(b"421 4.3.2 Service not available, closing transmission channel\r\n")
            conn.close()
        elif mode == "rate_limit":
            conn.sendall(b"421 4.7.0 Too many connections from your IP, try again later\r\n")
            conn.close()
        elif mode == "malformed":
            conn.sendall(b"\x00\xff\xfe garbage \x1b[31m\r\n")
            conn.close()

    def close(self):
        self.sock.close()
        for conn in self._open:
            conn.close()


@pytest.fixture(params=SMTP_FAULTS)
def case(request):
    """The fault (a fixture parameter named `case`, as the summary table reads it)."""
    return request.param


@pytest.fixture
def relay(case, settings):
    settings.UMAIL_SMTP_TIMEOUT = 0.5
    broken = BrokenRelay(case)
    yield broken
    broken.close()


@pytest.fixture
def ctx(demo_client, demo_account, relay):
    smtp = smtp_settings(demo_account, host="127.0.0.1", port=relay.port, security="none")
    sent = OutboundMail.objects.create(
        account=demo_account,
        kind=OutboundMail.Kind.TEST,
        sender=smtp.mailbox,
        recipients=["earlier@example.com"],
        subject="一封早先的测试邮件",
        body="ok",
        status=OutboundMail.Status.SENT,
    )
    return {"account": demo_account, "client": demo_client, "sent": sent, "smtp": smtp}


def smtp_url(name, *args):
    return reverse(f"smtp:{name}", args=args)


PAGES = [
    Page(
        "connection test",
        smtp_url("connection-test"),
        "post",
        shows=("Connection test failed", "一封早先的测试邮件"),
        message=False,
    ),
    Page(
        "send a test mail",
        smtp_url("send-test"),
        "post",
        {"to": "someone@example.com", "subject": "故障测试", "body": "hello", "format": "text"},
        shows=("故障测试", "someone@example.com", "mail-error"),
        message=False,
    ),
]


@pytest.mark.reliability("fault", area="smtp pages")
def test_smtp_pages_under_fault(ctx, case):
    problems = page_problems(ctx["client"], PAGES, ctx)
    assert not problems, "\n".join(problems)
    smtp = SmtpSettings.objects.get(pk=ctx["smtp"].pk)
    assert smtp.last_test_ok is False and smtp.last_test_message
    mail = OutboundMail.objects.get(subject="故障测试")
    assert mail.status == OutboundMail.Status.FAILED and mail.error


def _notify_run(ctx):
    mail = OutboundMail.objects.create(
        account=ctx["account"],
        kind=OutboundMail.Kind.NOTIFICATION,
        event="reliability",
        recipients=["owner@example.com"],
        subject="导入完成",
        body="done",
        status=OutboundMail.Status.QUEUED,
    )
    ctx["notification"] = mail
    notification_send_task.apply(
        args=[mail.pk], retries=notification_send_task.max_retries, throw=False
    )


def _notify_check(ctx):
    mail = OutboundMail.objects.get(pk=ctx["notification"].pk)
    ok = mail.status == OutboundMail.Status.FAILED and mail.error and mail.attempts == 1
    return [] if ok else [f"notification is {mail.status} after {mail.attempts}: {mail.error!r}"]


JOBS = [
    Job(
        "notification",
        _notify_run,
        _notify_check,
        visible=lambda ctx: (smtp_url("mail-detail", ctx["notification"].pk), "mail-error"),
    ),
]


@pytest.mark.reliability("fault", area="smtp jobs")
def test_smtp_jobs_under_fault(ctx, case):
    problems = job_problems(ctx["client"], JOBS, ctx)
    assert not problems, "\n".join(problems)


@pytest.mark.reliability("fault", area="smtp jobs")
def test_notification_retries_then_succeeds(demo_account, fresh_sandbox, settings):
    """A retryable failure puts the mail back in the queue for the task's next try."""
    from apps.smtp.errors import SmtpError
    from apps.smtp.services import notification_send

    broken = BrokenRelay("unavailable")
    # The operator allows the broken relay too (the allow-list would refuse it before connecting).
    settings.SMTP_ALLOWED_RELAYS = [
        f"127.0.0.1:{broken.port}",
        f"{settings.UMAIL_SMTP_HOST}:{settings.UMAIL_SMTP_PORT}",
    ]
    smtp = smtp_settings(demo_account, host="127.0.0.1", port=broken.port, security="none")
    mail = OutboundMail.objects.create(
        account=demo_account,
        kind=OutboundMail.Kind.NOTIFICATION,
        recipients=["owner@example.com"],
        subject="重试",
        body="x",
        status=OutboundMail.Status.QUEUED,
    )
    with pytest.raises(SmtpError):
        notification_send(mail=mail, final_attempt=False)
    mail.refresh_from_db()
    assert mail.status == OutboundMail.Status.QUEUED and mail.error
    broken.close()
    smtp.port = settings.UMAIL_SMTP_PORT  # the relay is back
    smtp.save()
    notification_send(mail=mail, final_attempt=True)
    mail.refresh_from_db()
    assert mail.status == OutboundMail.Status.SENT and mail.attempts == 2
