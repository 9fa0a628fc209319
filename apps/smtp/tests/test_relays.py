"""SSRF / port scans through the SMTP settings: only the operator's relays are ever contacted."""

import socket
import threading

import pytest
from django.urls import reverse

from apps.smtp import relays, services
from apps.smtp.errors import SmtpRelayNotAllowed
from apps.smtp.models import OutboundMail, SmtpSettings

from .factories import smtp_settings
from .test_pages import settings_form, text_of

pytestmark = pytest.mark.django_db


class Listener:
    """A TCP port that counts the connections it gets (a stand-in for an internal service)."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(5)
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]
        self.accepted = 0
        self._stop = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self):
        while not self._stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except OSError:
                continue
            self.accepted += 1
            conn.sendall(b"220 internal service ready\r\n")
            conn.close()

    def close(self):
        self._stop.set()
        self.thread.join(2)
        self.sock.close()


@pytest.fixture
def listener():
    box = Listener()
    yield box
    box.close()


def test_default_allow_list_is_the_platform_relay_on_25(settings):
    settings.SMTP_ALLOWED_RELAYS = []
    settings.UMAIL_SMTP_HOST, settings.UMAIL_SMTP_PORT = "smtp.bestedm.org", 25
    settings.EMAIL_HOST_USER = ""
    assert relays.allowed_relays() == [("smtp.bestedm.org", 25)]
    assert relays.relay_is_allowed("SMTP.bestedm.org.", "25")
    assert not relays.relay_is_allowed("smtp.bestedm.org", 587)
    settings.SMTP_ALLOWED_RELAYS = ["smtp.bestedm.org:25", "smtp.bestedm.org:587"]
    assert relays.relay_is_allowed("smtp.bestedm.org", 587)
    with pytest.raises(SmtpRelayNotAllowed):
        relays.relay_check("10.0.0.1", 22)


def test_the_form_refuses_another_host_or_port_before_any_connection(
    demo_client, demo_account, sandbox, listener
):
    """Regression: any tenant could set any host and port and read the connection test."""
    for host, port in (("127.0.0.1", listener.port), ("localhost", sandbox.smtp_port)):
        response = demo_client.post(
            reverse("smtp:settings"), {**settings_form(sandbox, host=host, port=port), "test": "1"}
        )
        assert response.status_code == 400
        assert "is not allowed" in text_of(response)
    assert listener.accepted == 0
    assert not SmtpSettings.objects.filter(account=demo_account).exists()
    # The allowed relay is still accepted.
    response = demo_client.post(reverse("smtp:settings"), settings_form(sandbox))
    assert response.status_code == 302


def test_stored_settings_outside_the_list_are_never_contacted(
    demo_client, demo_account, fresh_sandbox, listener
):
    """Settings saved before the allow-list (or written by other code) reach no socket: not the
    connection test, not a test mail, not a background notification."""
    smtp_settings(demo_account, port=listener.port)
    response = demo_client.post(reverse("smtp:connection-test"), follow=True)
    assert f"does not connect to 127.0.0.1:{listener.port}" in text_of(response)
    mail = OutboundMail.objects.create(
        account=demo_account,
        kind=OutboundMail.Kind.NOTIFICATION,
        recipients=["ops@example.com"],
        subject="Import finished",
        body="done",
    )
    services.notification_send(mail=mail, final_attempt=True)
    assert mail.status == OutboundMail.Status.FAILED and "does not connect" in mail.error
    assert listener.accepted == 0
