"""Encryption at rest for platform credentials (Fernet: AES-128-CBC + HMAC-SHA256).

Keys come from settings.CREDENTIALS_KEYS; the first key encrypts, every key decrypts, so a new key
can be put in front and old ciphertexts re-encrypted at leisure.
"""

from __future__ import annotations

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured


class CredentialDecryptError(Exception):
    """A stored credential cannot be decrypted with any configured key."""


def _fernet() -> MultiFernet:
    keys = [k for k in settings.CREDENTIALS_KEYS if k]
    if not keys:
        raise ImproperlyConfigured(
            "EDMPORTAL_CREDENTIALS_KEYS is not set: platform passwords cannot be encrypted. "
            "Generate a key with: python -c 'from cryptography.fernet import Fernet; "
            "print(Fernet.generate_key().decode())'"
        )
    try:
        return MultiFernet([Fernet(k) for k in keys])
    except ValueError as exc:
        raise ImproperlyConfigured(
            "EDMPORTAL_CREDENTIALS_KEYS holds a key that is not 32 url-safe base64 bytes."
        ) from exc


def encrypt(plaintext: str) -> str:
    return _fernet().encrypt(plaintext.encode()).decode()


def decrypt(ciphertext: str) -> str:
    try:
        return _fernet().decrypt(ciphertext.encode()).decode()
    except InvalidToken as exc:
        raise CredentialDecryptError("No configured key decrypts this credential.") from exc


def rotate(ciphertext: str) -> str:
    """Re-encrypt with the first (newest) key."""
    return _fernet().rotate(ciphertext.encode()).decode()
