"""Sign-in through the platform's sendstat login, confirmed over the API."""

import logging
import socket
import threading

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.urls import reverse

from apps.accounts.models import AccountService, Membership, PlatformAccount

LOGIN = reverse("accounts:login")


def sign_in(client, username="demo", password="demo-pass", user_type=""):
    return client.post(LOGIN, {"username": username, "password": password, "user_type": user_type})


@pytest.mark.django_db
def test_sign_in_creates_user_account_and_mirrors(client, fresh_sandbox):
    response = sign_in(client)
    assert response.status_code == 302
    assert response["Location"] == reverse("accounts:overview")
    account = PlatformAccount.objects.get(username="demo", user_type="")
    assert account.platform_url == fresh_sandbox.url
    assert account.company == "深圳示例科技有限公司"
    assert account.get_password() == "demo-pass"
    service = AccountService.objects.get(account=account)
    assert (service.qty_available, service.qty_buytotal) == (63250, 100000)
    user = get_user_model().objects.get(username="demo")
    assert not user.has_usable_password()
    assert Membership.objects.get(user=user, account=account).role == "owner"


@pytest.mark.django_db
def test_platform_password_is_not_stored_in_plain_text(client, fresh_sandbox):
    sign_in(client)
    with connection.cursor() as cursor:
        for table in ("accounts_platformaccount", "auth_user", "django_session"):
            cursor.execute(f"SELECT * FROM {table}")  # noqa: S608 - fixed table names
            for row in cursor.fetchall():
                assert all("demo-pass" not in str(value) for value in row), table


@pytest.mark.django_db
def test_second_sign_in_updates_instead_of_duplicating(client, fresh_sandbox):
    sign_in(client)
    fresh_sandbox.patch_account("demo", qty_available=1234)
    client.logout()
    sign_in(client)
    assert PlatformAccount.objects.filter(username="demo").count() == 1
    assert AccountService.objects.get(account__username="demo").qty_available == 1234


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("username", "password", "user_type"),
    [("demo", "wrong-pass", ""), ("demo", "demo-pass", "agents"), ("ghost", "x", "")],
    ids=["wrong-password", "wrong-user-type", "unknown-user"],
)
def test_refused_credentials_show_a_message_and_change_nothing(
    client, sandbox, username, password, user_type
):
    response = sign_in(client, username, password, user_type)
    assert response.status_code == 401
    assert "did not accept this username, password and user type" in response.content.decode()
    assert not PlatformAccount.objects.exists()
    assert not get_user_model().objects.exists()
    assert "_auth_user_id" not in client.session


@pytest.mark.django_db
def test_agent_and_manager_sign_in(client, fresh_sandbox):
    assert sign_in(client, "agent", "agent-pass", "agents").status_code == 302
    client.logout()
    assert sign_in(client, "manager", "manager-pass", "manager").status_code == 302
    types = set(PlatformAccount.objects.values_list("username", "user_type"))
    assert types == {("agent", "agents"), ("manager", "manager")}


@pytest.mark.django_db
def test_legacy_api_mode_sign_in(client, fresh_sandbox, settings):
    settings.UMAIL_API_MODE = "api"
    assert sign_in(client).status_code == 302
    assert PlatformAccount.objects.get(username="demo").api_mode == "api"


@pytest.mark.django_db
def test_platform_down_gives_a_clear_message(client, settings):
    settings.UMAIL_PLATFORM_URL = "http://127.0.0.1:9/"  # nothing listens there
    response = sign_in(client)
    assert response.status_code == 503
    assert "could not be reached" in response.content.decode()
    assert not PlatformAccount.objects.exists()


@pytest.fixture
def silent_platform():
    """A server that accepts connections and never answers: a platform that hangs."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    held = []
    stop = threading.Event()

    def accept():
        listener.settimeout(0.2)
        while not stop.is_set():
            try:
                held.append(listener.accept()[0])
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{listener.getsockname()[1]}/"
    stop.set()
    thread.join()
    for conn in held:
        conn.close()
    listener.close()


@pytest.mark.django_db
def test_slow_platform_gives_a_clear_message(client, settings, silent_platform):
    settings.UMAIL_PLATFORM_URL = silent_platform
    settings.UMAIL_READ_TIMEOUT = 0.5
    response = sign_in(client)
    assert response.status_code == 503
    assert "did not answer in time" in response.content.decode()


@pytest.mark.django_db
def test_password_never_logged(client, fresh_sandbox, caplog, settings):
    caplog.set_level(logging.DEBUG)
    settings.UMAIL_API_MODE = "api"  # the legacy mode puts an md5 of it in the URL
    sign_in(client)
    import hashlib

    digest = hashlib.md5(b"demo-pass").hexdigest()
    assert "umail" in caplog.text
    assert "demo-pass" not in caplog.text and digest not in caplog.text
    assert "Authorization" not in caplog.text


@pytest.mark.django_db
def test_open_redirect_is_refused(client, fresh_sandbox):
    response = client.post(
        LOGIN + "?next=https://evil.example/",
        {
            "username": "demo",
            "password": "demo-pass",
            "user_type": "",
            "next": "https://evil.example/",
        },
    )
    assert response["Location"] == reverse("accounts:overview")


@pytest.mark.django_db
def test_session_key_rotates_on_sign_in_and_sign_out(client, fresh_sandbox):
    client.get(LOGIN)
    client.session.save()
    before = client.session.session_key
    sign_in(client)
    after = client.session.session_key
    assert before != after
    client.post(reverse("accounts:logout"))
    assert client.session.session_key != after
    assert client.get(reverse("accounts:overview")).status_code == 302


@pytest.mark.django_db
def test_platform_sign_in_never_takes_over_a_local_user_of_the_same_name(client, fresh_sandbox):
    """A staff-made portal user called "demo" keeps its memberships to itself."""
    from .factories import platform_account

    staff_made = get_user_model().objects.create_user("demo", password="local-password-123")
    secret_account = platform_account(username="secret-shop", company="Secret Ltd")
    Membership.objects.create(user=staff_made, account=secret_account, role="owner")

    assert sign_in(client).status_code == 302
    signed_in = get_user_model().objects.get(pk=client.session["_auth_user_id"])
    assert signed_in != staff_made
    assert list(signed_in.platform_accounts.all()) == [
        PlatformAccount.objects.get(username="demo", user_type="")
    ]
    assert "Secret Ltd" not in client.get(reverse("accounts:overview")).content.decode()
    # Signing in again finds the same user through the link, not by name.
    client.logout()
    sign_in(client)
    assert get_user_model().objects.get(pk=client.session["_auth_user_id"]) == signed_in
