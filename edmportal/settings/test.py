"""Test settings: DATABASE_URL / REDIS_URL point the suite at PostgreSQL and Redis."""

import os
from pathlib import Path

# Keep the tests' filesystem broker apart from the demo's (only used when no REDIS_URL is set).
os.environ.setdefault(
    "CELERY_FILESYSTEM_DIR", str(Path(__file__).resolve().parents[2] / "var" / "celery-test")
)

from .base import *  # noqa: E402, F403
from .base import env  # noqa: E402

DEBUG = False
SECRET_KEY = "test-secret-key-not-for-production"
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # speed only
CREDENTIALS_KEYS = env.list(
    "EDMPORTAL_CREDENTIALS_KEYS", default=["fX5v3u7Qk6Hn2zv1m8n9w0a1b2c3d4e5f6g7h8i9j0k="]
)
UMAIL_READ_RETRIES = 1
UMAIL_RETRY_BACKOFF = 0.05
UMAIL_READ_TIMEOUT = env.float("UMAIL_READ_TIMEOUT", default=5.0)

# A real Celery worker process reads the same database as the tests, so SQLite needs a file.
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":  # noqa: F405
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / "test-portal.sqlite3")}  # noqa: F405
