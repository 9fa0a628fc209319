"""Sign-in lockout (django-axes): per username and client address, plus per client address;
the platform sign-in, the team sign-in and /admin/ alike; X-Forwarded-For only from a trusted
proxy."""

import pytest
from axes.models import AccessAttempt
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse

LOGIN = reverse("accounts:login")
PROXY = "10.0.0.2"


def attempt(client, username="demo", password="wrong", ip="10.0.0.1", **extra):
    return client.post(LOGIN, {"username": username, "password": password}, REMOTE_ADDR=ip, **extra)


def via_proxy(client, forwarded_for, **kwargs):
    return attempt(client, ip=PROXY, HTTP_X_FORWARDED_FOR=forwarded_for, **kwargs)


@pytest.mark.django_db
def test_username_locked_for_that_client_without_asking_the_platform(client, fresh_sandbox):
    for _ in range(5):
        assert attempt(client).status_code == 401
    before = fresh_sandbox.calls()[-1]["seq"]
    response = attempt(client, password="demo-pass")  # even the right password now waits
    assert response.status_code == 429
    assert "Too many failed sign-ins" in response.content.decode()
    assert int(response["Retry-After"]) > 0
    assert fresh_sandbox.calls(since=before) == []  # the platform was not asked
    # Another client signs in to the same username: one client's failures never lock it out.
    assert attempt(Client(), password="demo-pass", ip="10.0.0.2").status_code == 302


@pytest.mark.django_db
def test_client_address_locked_after_many_failures_across_usernames(client, sandbox, settings):
    settings.SIGNIN_MAX_FAILURES_PER_IP = 3
    for name in ("a1", "a2", "a3"):
        assert attempt(client, username=name).status_code == 401
    assert attempt(client, username="a4").status_code == 429
    assert attempt(client, username="a4", ip="10.9.9.9").status_code == 401


@pytest.mark.django_db
def test_behind_the_trusted_proxy_each_client_counts_alone(fresh_sandbox, settings):
    """Regression: behind the proxy everyone shared the proxy's REMOTE_ADDR, so 20 failures
    from one client locked every sign-in out."""
    settings.TRUSTED_PROXIES = [PROXY]
    attacker = Client()
    for n in range(25):
        response = via_proxy(attacker, "203.0.113.66", username=f"made-up-{n}")
        assert response.status_code in (401, 429)
    assert via_proxy(attacker, "203.0.113.66", password="demo-pass").status_code == 429
    assert via_proxy(Client(), "198.51.100.7", password="demo-pass").status_code == 302


@pytest.mark.django_db
def test_forwarded_for_from_an_untrusted_client_is_ignored(fresh_sandbox, settings):
    settings.TRUSTED_PROXIES = [PROXY]
    attacker = Client()
    for n in range(5):
        # Not sent by the proxy: a made-up header must not give each guess a fresh address.
        response = attempt(attacker, ip="203.0.113.9", HTTP_X_FORWARDED_FOR=f"192.0.2.{n}")
        assert response.status_code == 401
    assert attempt(attacker, ip="203.0.113.9", password="demo-pass").status_code == 429
    assert {a.ip_address for a in AccessAttempt.objects.all()} == {"203.0.113.9"}


@pytest.mark.django_db
def test_success_resets_the_count_of_that_username_only(client, fresh_sandbox):
    for _ in range(4):
        attempt(client)
    assert attempt(client, password="demo-pass").status_code == 302
    client.post(reverse("accounts:logout"))
    for _ in range(4):
        assert attempt(client).status_code == 401
    assert sum(a.failures_since_start for a in AccessAttempt.objects.all()) == 4


@pytest.mark.django_db
def test_platform_outage_does_not_count_as_failure(client, settings):
    settings.UMAIL_PLATFORM_URL = "http://127.0.0.1:9/"
    for _ in range(6):
        assert attempt(client).status_code == 503
    assert not AccessAttempt.objects.exists()


@pytest.mark.django_db
def test_team_sign_in_is_locked_out(client):
    get_user_model().objects.create_user("colleague", password="right-password-123")
    url = reverse("accounts:team-login")
    for _ in range(4):
        response = client.post(url, {"username": "colleague", "password": "wrong"})
        assert response.status_code == 200
    assert client.post(url, {"username": "colleague", "password": "wrong"}).status_code == 429
    response = client.post(url, {"username": "colleague", "password": "right-password-123"})
    assert response.status_code == 429
    assert "Too many failed sign-ins" in response.content.decode()
    other = Client(REMOTE_ADDR="10.1.2.3")
    assert (
        other.post(url, {"username": "colleague", "password": "right-password-123"}).status_code
        == 302
    )


@pytest.mark.django_db
def test_admin_sign_in_is_locked_after_repeated_failures():
    """Regression: /admin/ had no throttle; 30 wrong passwords, then the right one worked."""
    get_user_model().objects.create_superuser("boss", password="right-password-123")
    url = reverse("admin:login")
    client = Client()
    for _ in range(12):
        client.post(url, {"username": "boss", "password": "wrong", "next": "/admin/"})
    response = client.post(url, {"username": "boss", "password": "right-password-123"})
    assert response.status_code == 429
    assert "_auth_user_id" not in client.session
    assert client.get(reverse("admin:index")).status_code == 302  # still signed out
    # Another client is not locked out of the same username.
    other = Client(REMOTE_ADDR="10.7.7.7")
    response = other.post(url, {"username": "boss", "password": "right-password-123"})
    assert response.status_code == 302 and "_auth_user_id" in other.session
