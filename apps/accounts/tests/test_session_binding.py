"""Sessions end when the platform password they were opened with changes; lifetime settings."""

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

from apps.accounts.clients import client_for_account
from apps.accounts.models import PlatformAccount
from apps.umail.errors import AuthenticationFailed

OVERVIEW = reverse("accounts:overview")


def signed_in(password="demo-pass", ip="10.0.0.1"):
    client = Client(REMOTE_ADDR=ip)
    response = client.post(reverse("accounts:login"), {"username": "demo", "password": password})
    assert response.status_code == 302, response.status_code
    assert client.get(OVERVIEW).status_code == 200
    return client


@pytest.mark.django_db
def test_old_session_ends_when_the_owner_signs_in_with_a_new_password(fresh_sandbox):
    """Regression: a session opened with the old password kept reading, and could write again
    once the new password was saved on the shared account record."""
    old = signed_in()
    fresh_sandbox.patch_account("demo", password="new-pass-2")
    new = signed_in(password="new-pass-2", ip="10.0.0.9")
    response = old.get(OVERVIEW)
    assert response.status_code == 302 and reverse("accounts:login") in response["Location"]
    assert "_auth_user_id" not in old.session
    # A write from the old session is refused too (signed out), the new one goes on.
    assert old.post(reverse("accounts:overview-refresh")).status_code == 302
    assert new.get(OVERVIEW).status_code == 200


@pytest.mark.django_db
def test_signing_in_again_with_the_same_password_keeps_other_sessions(fresh_sandbox):
    first = signed_in()
    signed_in(ip="10.0.0.3")
    assert first.get(OVERVIEW).status_code == 200


@pytest.mark.django_db
def test_platform_refusing_the_stored_password_ends_every_session(fresh_sandbox):
    client = signed_in()
    fresh_sandbox.patch_account("demo", password="changed-elsewhere")
    account = PlatformAccount.objects.get(username="demo")
    with pytest.raises(AuthenticationFailed), client_for_account(account) as platform:
        platform.account.customer_info()
    assert client.get(OVERVIEW).status_code == 302


def test_session_lifetime_is_twelve_hours_sliding_by_default():
    assert settings.SESSION_COOKIE_AGE == 12 * 60 * 60
    assert 0 < settings.SESSION_RENEW_SECONDS < settings.SESSION_COOKIE_AGE


@pytest.mark.django_db
def test_a_used_session_is_renewed(fresh_sandbox, settings):
    settings.SESSION_RENEW_SECONDS = 0
    client = signed_in()
    before = client.session.get_expiry_date()
    client.get(OVERVIEW)
    assert client.session.get_expiry_date() >= before
