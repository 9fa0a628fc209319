"""Production settings: check --deploy is clean, missing secrets stop the start, JSON logs."""

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

ROOT = Path(__file__).resolve().parents[3]

REALISTIC = {
    "DJANGO_SETTINGS_MODULE": "edmportal.settings.prod",
    "DJANGO_SECRET_KEY": "q8V1o-3rT0pZcN6yXw2LkJ9hGf4dSa7eRt5Yu8Ii0Op3Lk2Jh1Gf6Ds9Aq4Wz7Xc",
    "EDMPORTAL_CREDENTIALS_KEYS": Fernet.generate_key().decode(),
    "DJANGO_ALLOWED_HOSTS": "edm.example.com",
    "DATABASE_URL": "postgres://edmportal:s3cret@db.internal:5432/edmportal",
    "REDIS_URL": "redis://redis.internal:6379/0",
    "UMAIL_PLATFORM_URL": "http://www.bestedm.org/",
}


def manage(*args, env_overrides=None, drop=()):
    env = {k: v for k, v in os.environ.items() if k in ("PATH", "HOME", "LANG", "TMPDIR")}
    env.update(REALISTIC)
    env.update(env_overrides or {})
    for key in drop:
        env.pop(key, None)
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_check_deploy_is_clean():
    result = manage("check", "--deploy", "--fail-level", "WARNING")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def test_check_deploy_is_clean_with_hsts_switched_on():
    result = manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        env_overrides={
            "DJANGO_SECURE_HSTS_SECONDS": "31536000",
            "DJANGO_SECURE_HSTS_INCLUDE_SUBDOMAINS": "true",
            "DJANGO_SECURE_HSTS_PRELOAD": "true",
        },
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues (0 silenced)" in result.stdout


def test_hsts_is_on_by_default_and_can_be_switched_off():
    code = "from django.conf import settings as s; print(s.SECURE_HSTS_SECONDS)"
    assert manage("shell", "-c", code).stdout.split()[-1] == "31536000"
    off = {"DJANGO_SECURE_HSTS_SECONDS": "0"}
    assert manage("shell", "-c", code, env_overrides=off).stdout.split()[-1] == "0"
    result = manage("check", "--deploy", "--fail-level", "WARNING", env_overrides=off)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize(
    ("missing", "message"),
    [
        ("DJANGO_SECRET_KEY", "Set DJANGO_SECRET_KEY"),
        ("EDMPORTAL_CREDENTIALS_KEYS", "Set EDMPORTAL_CREDENTIALS_KEYS"),
        ("DJANGO_ALLOWED_HOSTS", "Set DJANGO_ALLOWED_HOSTS"),
    ],
)
def test_a_missing_secret_stops_the_start_with_a_clear_message(missing, message):
    result = manage("check", drop=[missing])
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert message in result.stderr


def test_debug_cannot_be_switched_on_in_production():
    result = manage("check", env_overrides={"DJANGO_DEBUG": "true"})
    assert result.returncode != 0
    assert "DJANGO_DEBUG must not be on" in result.stderr


def test_production_values_come_from_the_environment():
    code = (
        "from django.conf import settings as s; import json; print(json.dumps({"
        "'debug': s.DEBUG, 'hosts': s.ALLOWED_HOSTS, 'origins': s.CSRF_TRUSTED_ORIGINS,"
        "'secure': [s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, s.SECURE_SSL_REDIRECT],"
        "'hsts': s.SECURE_HSTS_SECONDS, 'whitenoise': 'whitenoise.middleware.WhiteNoiseMiddleware'"
        " in s.MIDDLEWARE, 'acks_late': s.CELERY_TASK_ACKS_LATE,"
        "'limits': [s.CELERY_TASK_SOFT_TIME_LIMIT, s.CELERY_TASK_TIME_LIMIT],"
        "'visibility': s.CELERY_BROKER_TRANSPORT_OPTIONS['visibility_timeout'],"
        "'retries': s.CELERY_BROKER_CONNECTION_MAX_RETRIES, 'log': s.LOG_FORMAT}))"
    )
    result = manage(
        "shell",
        "-c",
        code,
        env_overrides={"DJANGO_ALLOWED_HOSTS": "edm.example.com,.example.org"},
    )
    assert result.returncode == 0, result.stderr
    values = json.loads(result.stdout.strip().splitlines()[-1])
    assert values["debug"] is False
    assert values["hosts"] == ["edm.example.com", ".example.org"]
    assert values["origins"] == ["https://edm.example.com", "https://*.example.org"]
    assert values["secure"] == [True, True, True]
    assert values["hsts"] == 31536000  # on by default (a year); opt out with 0
    assert values["whitenoise"] is True
    assert values["acks_late"] is True
    soft, hard = values["limits"]
    assert soft < hard
    # An unacknowledged job comes back only after the longest job could have finished.
    assert values["visibility"] > hard
    assert values["retries"] is None  # workers keep reconnecting (with backoff)
    assert values["log"] == "json"


def test_production_logs_are_json_lines_with_a_request_id():
    code = (
        "from django.test import Client; "
        "Client().get('/no-such-page/', HTTP_HOST='edm.example.com', "
        "HTTP_X_REQUEST_ID='abc-123', secure=True)"
    )
    result = manage("shell", "-c", code)
    assert result.returncode == 0, result.stderr
    lines = [json.loads(line) for line in result.stderr.splitlines() if line.startswith("{")]
    access = [line for line in lines if line["logger"] == "edmportal.access"]
    assert access, result.stderr
    assert access[0]["request_id"] == "abc-123"
    assert access[0]["path"] == "/no-such-page/"
    assert access[0]["status"] == 404
    assert isinstance(access[0]["duration_ms"], int | float)
    assert 0 <= access[0]["duration_ms"] < 60_000  # measured, in milliseconds


# -- the deployment files -------------------------------------------------------------------------

SETTING = re.compile(r"""env(?:\.\w+)?\(\s*["']([A-Z][A-Z0-9_]+)["']""")


def _settings_variables() -> set[str]:
    names = set()
    for path in (ROOT / "edmportal" / "settings").glob("*.py"):
        names |= set(SETTING.findall(path.read_text()))
    return names


def _documented() -> set[str]:
    text = (ROOT / ".env.example").read_text()
    return set(re.findall(r"^(?:# )?([A-Z][A-Z0-9_]+)=", text, re.MULTILINE))


def test_env_example_documents_every_setting():
    missing = sorted(_settings_variables() - _documented())
    assert not missing, f"add these settings to .env.example: {missing}"


def test_compose_passes_only_documented_variables():
    compose = (ROOT / "docker-compose.yml").read_text()
    passed = set(re.findall(r"^\s+- ([A-Z][A-Z0-9_]+)\s*$", compose, re.MULTILINE))
    substituted = set(re.findall(r"\$\{([A-Z][A-Z0-9_]+)", compose))
    undocumented = sorted((passed | substituted) - _documented())
    assert not undocumented, f"document these in .env.example: {undocumented}"
    # Everything the settings read is either passed to the containers or fixed by compose.
    fixed = {"DATABASE_URL", "REDIS_URL", "DJANGO_SETTINGS_MODULE"}
    image = {"DJANGO_STATIC_ROOT", "DJANGO_MEDIA_ROOT"}  # set in the Dockerfile
    local_only = {"CELERY_BROKER_URL", "CELERY_FILESYSTEM_DIR"}  # compose uses Redis
    never = {"DJANGO_DEBUG"}  # refused by the production settings
    not_passed = sorted(_settings_variables() - passed - fixed - image - local_only - never)
    assert not not_passed, f"pass these to the containers in docker-compose.yml: {not_passed}"


@pytest.mark.skipif(not shutil.which("docker-compose"), reason="docker-compose is not installed")
def test_compose_file_validates():
    result = subprocess.run(
        ["docker-compose", "-f", "docker-compose.yml", "config", "-q"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
