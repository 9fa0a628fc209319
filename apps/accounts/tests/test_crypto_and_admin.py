import pytest
from django.core.exceptions import ImproperlyConfigured
from django.urls import reverse

from apps.accounts import crypto

from .factories import account_service, platform_account

NEW_KEY = "q0Yd4y3r6b2bq1Zb7Xb0mJ6yq9qQ0x1Q2nV3c4d5e6E="


def test_encrypt_round_trip_and_ciphertext_differs():
    token = crypto.encrypt("密码-secret")
    assert "secret" not in token
    assert crypto.decrypt(token) == "密码-secret"
    assert crypto.encrypt("密码-secret") != token  # random IV


def test_rotation_keeps_old_ciphertexts_readable(settings):
    old = crypto.encrypt("pw")
    settings.CREDENTIALS_KEYS = [NEW_KEY, *settings.CREDENTIALS_KEYS]
    assert crypto.decrypt(old) == "pw"
    rotated = crypto.rotate(old)
    settings.CREDENTIALS_KEYS = [NEW_KEY]
    assert crypto.decrypt(rotated) == "pw"
    with pytest.raises(crypto.CredentialDecryptError):
        crypto.decrypt(old)


def test_missing_key_is_a_clear_configuration_error(settings):
    settings.CREDENTIALS_KEYS = []
    with pytest.raises(ImproperlyConfigured, match="EDMPORTAL_CREDENTIALS_KEYS"):
        crypto.encrypt("pw")


@pytest.mark.django_db
def test_admin_never_shows_the_password(admin_client):
    account = platform_account(password="hunter2-plain")
    account_service(account)
    change = admin_client.get(reverse("admin:accounts_platformaccount_change", args=[account.pk]))
    listing = admin_client.get(reverse("admin:accounts_platformaccount_changelist"))
    for response in (change, listing):
        assert response.status_code == 200
        body = response.content.decode()
        assert "hunter2-plain" not in body
        assert account.password_encrypted not in body
        assert "password_encrypted" not in body
