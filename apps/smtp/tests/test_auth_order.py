"""§10: AUTH LOGIN first (the manual's sample), PLAIN only as a fallback."""

from __future__ import annotations

import smtplib

import pytest

from apps.smtp.client import SmtpClient


class FakeSmtp(smtplib.SMTP):
    """Records the mechanisms tried; `refuse` maps a mechanism to the SMTP code it gets."""

    def __init__(self, advertised: str, refuse: dict[str, int] | None = None):
        super().__init__()  # no connection
        self.esmtp_features = {"auth": advertised} if advertised else {}
        self.refuse = refuse or {}
        self.tried: list[str] = []

    def auth(self, mechanism, authobject, *, initial_response_ok=True):
        self.tried.append(mechanism)
        if mechanism in self.refuse:
            raise smtplib.SMTPAuthenticationError(self.refuse[mechanism], b"no")
        return 235, b"2.7.0 Authentication successful"


def client_with(smtp: FakeSmtp) -> SmtpClient:
    client = SmtpClient.__new__(SmtpClient)
    client.smtp = smtp
    return client


@pytest.mark.parametrize("advertised", ["PLAIN LOGIN", "LOGIN PLAIN", ""])
def test_login_is_tried_first(advertised):
    smtp = FakeSmtp(advertised)
    assert client_with(smtp)._auth_login_then_plain("a@b.cn", "pw")[0] == 235
    assert smtp.tried == ["LOGIN"]


def test_plain_when_login_is_not_supported():
    smtp = FakeSmtp("PLAIN LOGIN", refuse={"LOGIN": 504})
    assert client_with(smtp)._auth_login_then_plain("a@b.cn", "pw")[0] == 235
    assert smtp.tried == ["LOGIN", "PLAIN"]
    only_plain = FakeSmtp("PLAIN")
    client_with(only_plain)._auth_login_then_plain("a@b.cn", "pw")
    assert only_plain.tried == ["PLAIN"]


def test_a_refused_password_is_not_tried_twice():
    smtp = FakeSmtp("PLAIN LOGIN", refuse={"LOGIN": 535})
    with pytest.raises(smtplib.SMTPAuthenticationError):
        client_with(smtp)._auth_login_then_plain("a@b.cn", "pw")
    assert smtp.tried == ["LOGIN"]
