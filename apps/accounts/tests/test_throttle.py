"""Sign-in throttling after repeated failures, per username and per IP."""

import pytest
from django.urls import reverse

from apps.accounts.models import SignInAttempt

LOGIN = reverse("accounts:login")


def attempt(client, username="demo", password="wrong", ip="10.0.0.1"):
    return client.post(LOGIN, {"username": username, "password": password}, REMOTE_ADDR=ip)


@pytest.mark.django_db
def test_username_locked_after_five_failures_without_asking_the_platform(client, fresh_sandbox):
    for _ in range(5):
        assert attempt(client).status_code == 401
    before = fresh_sandbox.calls()[-1]["seq"]
    response = attempt(client, password="demo-pass")  # even the right password now waits
    assert response.status_code == 429
    assert "Too many failed sign-ins" in response.content.decode()
    assert int(response["Retry-After"]) > 0
    assert fresh_sandbox.calls(since=before) == []  # the platform was not asked
    assert (
        attempt(client, username="other", password="other-pass", ip="10.0.0.2").status_code == 302
    )


@pytest.mark.django_db
def test_ip_locked_after_many_failures_across_usernames(client, sandbox, settings):
    settings.SIGNIN_MAX_FAILURES_PER_IP = 3
    for name in ("a1", "a2", "a3"):
        assert attempt(client, username=name).status_code == 401
    assert attempt(client, username="a4").status_code == 429
    assert attempt(client, username="a4", ip="10.9.9.9").status_code == 401


@pytest.mark.django_db
def test_success_resets_the_username_count(client, fresh_sandbox):
    for _ in range(4):
        attempt(client)
    assert attempt(client, password="demo-pass").status_code == 302
    client.post(reverse("accounts:logout"))
    for _ in range(4):
        assert attempt(client).status_code == 401
    assert SignInAttempt.objects.filter(succeeded=False).count() == 8


@pytest.mark.django_db
def test_platform_outage_does_not_count_as_failure(client, settings):
    settings.UMAIL_PLATFORM_URL = "http://127.0.0.1:9/"
    for _ in range(6):
        assert attempt(client).status_code == 503
    assert not SignInAttempt.objects.exists()


@pytest.mark.django_db
def test_team_sign_in_is_throttled(client):
    from django.contrib.auth import get_user_model

    get_user_model().objects.create_user("colleague", password="right-password-123")
    url = reverse("accounts:team-login")
    for _ in range(5):
        response = client.post(url, {"username": "colleague", "password": "wrong"})
        assert response.status_code == 200
    response = client.post(url, {"username": "colleague", "password": "right-password-123"})
    assert response.status_code == 429
    assert "Too many failed sign-ins" in response.content.decode()
