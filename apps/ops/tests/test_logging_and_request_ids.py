"""Request ids on requests, responses and log lines; the JSON log format."""

import json
import logging

import pytest

from apps.ops.context import request_id_var
from apps.ops.logging import JsonFormatter, RequestIdFilter


def _record(msg="hello %s", args=("world",), **extra):
    record = logging.LogRecord("edmportal.test", logging.INFO, __file__, 1, msg, args, None)
    for key, value in extra.items():
        setattr(record, key, value)
    RequestIdFilter().filter(record)
    return record


def test_json_formatter_writes_one_object_with_request_id_and_extras():
    token = request_id_var.set("req-123")
    try:
        record = _record(status=200, path="/x")
    finally:
        request_id_var.reset(token)
    line = JsonFormatter().format(record)
    assert "\n" not in line
    payload = json.loads(line)
    assert payload["message"] == "hello world"
    assert payload["level"] == "INFO"
    assert payload["logger"] == "edmportal.test"
    assert payload["request_id"] == "req-123"
    assert payload["status"] == 200 and payload["path"] == "/x"
    assert payload["time"].endswith("+00:00")


def test_json_formatter_keeps_exceptions_on_one_line():
    try:
        raise ValueError("boom")
    except ValueError:
        import sys

        record = logging.LogRecord("x", logging.ERROR, __file__, 1, "failed", (), sys.exc_info())
    RequestIdFilter().filter(record)
    payload = json.loads(JsonFormatter().format(record))
    assert "ValueError: boom" in payload["exc_info"]
    assert payload["request_id"] == "-"


@pytest.mark.django_db
def test_every_response_carries_a_request_id(client):
    first = client.get("/login/")
    second = client.get("/login/")
    assert len(first["X-Request-ID"]) == 32
    assert first["X-Request-ID"] != second["X-Request-ID"]


@pytest.mark.django_db
def test_a_proxys_request_id_is_kept_and_a_forged_one_replaced(client):
    kept = client.get("/login/", headers={"X-Request-ID": "lb-7f3a.01"})
    assert kept["X-Request-ID"] == "lb-7f3a.01"
    forged = client.get("/login/", headers={"X-Request-ID": 'x" level="CRITICAL'})
    assert forged["X-Request-ID"] != 'x" level="CRITICAL'
    assert len(forged["X-Request-ID"]) == 32


@pytest.mark.django_db
def test_log_lines_of_a_request_carry_its_id(client, caplog):
    with caplog.at_level(logging.INFO, logger="edmportal.access"):
        response = client.get("/login/", headers={"X-Request-ID": "trace-42"})
    access = [r for r in caplog.records if r.name == "edmportal.access"]
    assert access, "the access line was not logged"
    assert access[-1].request_id == "trace-42"
    assert access[-1].status == response.status_code
    assert access[-1].path == "/login/"
    assert request_id_var.get() == "-"  # reset after the request
