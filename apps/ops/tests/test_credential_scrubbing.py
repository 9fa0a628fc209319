"""Legacy-mode md5 credentials never reach a stored traceback or a log line, even through the
`raise … from` chain of a network error (the URL carries password=<md5>)."""

from __future__ import annotations

import hashlib
import io
import json
import logging
import sys

import pytest

from apps.ops.logging import JsonFormatter, RedactFilter, RequestIdFilter
from apps.ops.models import FailedTask
from apps.ops.signals import record_task_failure
from apps.umail.client import UmailClient
from apps.umail.errors import PlatformUnavailable
from apps.umail.redaction import redact, scrub_exception_chain

PASSWORD = "legacy-secret-42"  # noqa: S105
MD5 = hashlib.md5(PASSWORD.encode(), usedforsecurity=False).hexdigest()


def legacy_network_error() -> PlatformUnavailable:
    client = UmailClient.connect(
        platform_url="http://127.0.0.1:9/", username="old", password=PASSWORD, api_mode="api"
    )
    with client, pytest.raises(PlatformUnavailable) as caught:
        client.account.customer_info()
    return caught.value


def chain_text(exc: BaseException) -> str:
    import traceback

    return "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))


def test_the_chain_of_a_network_error_holds_no_md5():
    exc = legacy_network_error()
    assert exc.__cause__ is not None  # the requests error is kept for debugging
    text = chain_text(exc)
    assert "password=***" in text or "127.0.0.1" in text
    assert MD5 not in text


def test_scrubbing_reaches_every_link_of_a_chain():
    try:
        try:
            raise OSError(f"GET /mm-ms/api/x.php?username=u&password={MD5}&do=y failed")
        except OSError as inner:
            raise ValueError("outer", f"http://h/?pwd={MD5}") from inner
    except ValueError as exc:
        scrub_exception_chain(exc)
        assert MD5 not in chain_text(exc)
    assert redact(f"Authorization: Basic {MD5}") == "Authorization: Basic ***"
    assert redact(f"redis://user:{MD5}@host/0") == "redis://user:***@host/0"


@pytest.mark.django_db
def test_a_failed_task_stores_no_md5(monkeypatch):
    # A chain that was not scrubbed at its source (another library, a future code path).
    try:
        try:
            raise ConnectionError(f"Max retries exceeded with url: /a.php?password={MD5}")
        except ConnectionError as inner:
            raise PlatformUnavailable("The platform could not be reached.") from inner
    except PlatformUnavailable as exc:
        error = exc
    sender = type("Task", (), {"name": "contacts.sync", "request": None})()
    record_task_failure(sender=sender, task_id="t1", exception=error, traceback=None, einfo=None)
    failed = FailedTask.objects.get(task_id="t1")
    assert "ConnectionError" in failed.traceback  # the chain is still there
    assert MD5 not in failed.traceback and MD5 not in failed.exception_message


@pytest.mark.parametrize("formatter", [logging.Formatter("%(message)s"), JsonFormatter()])
def test_logged_tracebacks_and_messages_hold_no_md5(formatter):
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(formatter)
    handler.addFilter(RedactFilter())
    handler.addFilter(RequestIdFilter())
    log = logging.getLogger("test.scrub")
    log.addHandler(handler)
    try:
        try:
            try:
                raise ConnectionError(f"url: /a.php?username=u&password={MD5}")
            except ConnectionError as inner:
                raise PlatformUnavailable("unreachable") from inner
        except PlatformUnavailable:
            log.exception("sync failed for %s", f"http://x/?password={MD5}")
        log.error("plain %s", f"pwd={MD5}", exc_info=(None, None, None))
    finally:
        log.removeHandler(handler)
    output = stream.getvalue()
    assert "ConnectionError" in output and "sync failed" in output
    assert MD5 not in output
    if isinstance(formatter, JsonFormatter):
        assert "exc_info" in json.loads(output.splitlines()[0])


def test_the_projects_log_handler_scrubs(settings):
    assert "redact" in settings.LOGGING["handlers"]["console"]["filters"]
    assert sys.modules["apps.ops.logging"].RedactFilter is RedactFilter
