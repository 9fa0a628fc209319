"""Access at the front door, for the summary table: sign-in lockout per username + client
address and per client address (the right password is refused too once locked, without asking
the platform; another client is not locked out), session keys rotated on sign-in and sign-out,
and the platform password stored encrypted.

The behaviour is the accounts section's (apps/accounts/lockout.py, tests there in detail);
these run it end to end through the pages against the sandbox.
"""

from __future__ import annotations

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

from apps.accounts.models import PlatformAccount

pytestmark = [pytest.mark.django_db]


def sign_in(client, username="demo", password="demo-pass", ip="198.51.100.7"):
    return client.post(
        reverse("accounts:login"),
        {"username": username, "password": password},
        REMOTE_ADDR=ip,
    )


def login_calls(sandbox) -> int:
    return sum(1 for c in sandbox.calls() if c["script"] == "sendstat")


@pytest.mark.reliability("isolation", area="sign-in")
@pytest.mark.parametrize("case", ["throttled per username and client address"])
def test_a_username_is_locked_after_repeated_failures(fresh_sandbox, case):
    client = Client()
    for n in range(settings.SIGNIN_MAX_FAILURES_PER_USERNAME):
        assert sign_in(client, password=f"guess-{n}", ip="203.0.113.5").status_code == 401
    before = login_calls(fresh_sandbox)
    locked = sign_in(client, ip="203.0.113.5")  # the right password, from the same client
    assert locked.status_code == 429 and int(locked["Retry-After"]) > 0
    assert login_calls(fresh_sandbox) == before  # the platform was not even asked
    assert not PlatformAccount.objects.exists()
    # Another client's sign-in to the same username is not locked out by those failures.
    assert sign_in(Client(), ip="203.0.113.200").status_code == 302


@pytest.mark.reliability("isolation", area="sign-in")
@pytest.mark.parametrize("case", ["throttled per IP"])
def test_an_ip_is_locked_after_failures_across_usernames(fresh_sandbox, settings, case):
    settings.SIGNIN_MAX_FAILURES_PER_IP = 4
    client = Client()
    for n in range(4):
        assert sign_in(client, username=f"nobody{n}", password="x").status_code == 401
    assert sign_in(client).status_code == 429  # demo's right password, same IP
    assert sign_in(Client(), ip="198.51.100.99").status_code == 302  # another IP may


@pytest.mark.reliability("isolation", area="sign-in")
@pytest.mark.parametrize("case", ["session rotated on sign-in and sign-out"])
def test_session_key_rotates(fresh_sandbox, case):
    client = Client()
    client.get(reverse("accounts:login"))
    client.session.save()
    anonymous = client.session.session_key
    assert sign_in(client).status_code == 302
    signed_in = client.cookies[settings.SESSION_COOKIE_NAME].value
    assert signed_in and signed_in != anonymous
    client.post(reverse("accounts:logout"))
    after = client.cookies[settings.SESSION_COOKIE_NAME].value
    assert after != signed_in
    assert client.get(reverse("accounts:overview")).status_code == 302  # signed out
    # The old session is dead: replaying its cookie gets the sign-in page.
    replay = Client()
    replay.cookies[settings.SESSION_COOKIE_NAME] = signed_in
    assert replay.get(reverse("accounts:overview")).status_code == 302


@pytest.mark.reliability("isolation", area="sign-in")
@pytest.mark.parametrize("case", ["platform password encrypted at rest"])
def test_platform_password_is_encrypted_at_rest(fresh_sandbox, case):
    assert sign_in(Client()).status_code == 302
    account = PlatformAccount.objects.get(username="demo")
    stored = PlatformAccount.objects.filter(pk=account.pk).values_list(
        "password_encrypted", flat=True
    )[0]
    assert stored and "demo-pass" not in stored
    assert account.get_password() == "demo-pass"
