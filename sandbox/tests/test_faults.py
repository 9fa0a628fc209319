"""Fault injection through /_sandbox/faults."""

import json
import threading

import pytest
import requests
from werkzeug.serving import make_server

from sandbox.faults import RATE_LIMIT_STATUS

DEMO = ("demo", "demo-pass")
URL = "/mm-ms/apinew/account.php?do=service-info"


def add(client, **spec):
    response = client.post("/_sandbox/faults", data=json.dumps(spec))
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()


def get(client):
    from base64 import b64encode

    token = b64encode(b"demo:demo-pass").decode()
    return client.get(URL, headers={"Authorization": f"Basic {token}"})


def test_unknown_kind_is_refused(sandbox_client):
    response = sandbox_client.post("/_sandbox/faults", data=json.dumps({"kind": "gremlins"}))
    assert response.status_code == 400


@pytest.mark.parametrize(
    ("kind", "status", "starts"),
    [
        ("http_error", 502, b"<html>"),
        ("html", 200, b"<!DOCTYPE html>"),
        ("malformed", 200, b"<?xml"),
        ("empty", 200, b""),
        ("xml_bomb", 200, b"<?xml"),
        ("xxe", 200, b"<?xml"),
    ],
)
def test_replacing_faults(sandbox_client, kind, status, starts):
    add(sandbox_client, kind=kind, script="account.php")
    response = get(sandbox_client)
    assert response.status_code == status
    assert response.get_data().startswith(starts)


def test_rate_limit_answer(sandbox_client):
    add(sandbox_client, kind="rate_limit")
    body = get(sandbox_client).get_data(as_text=True)
    assert f"<status>{RATE_LIMIT_STATUS}</status>" in body


def test_damaging_faults(sandbox_client):
    whole = get(sandbox_client).get_data()
    add(sandbox_client, kind="truncated", times=1)
    assert get(sandbox_client).get_data() == whole[: len(whole) // 2]
    add(sandbox_client, kind="gbk", times=1)
    gbk = get(sandbox_client)
    assert gbk.get_data().decode("gbk").startswith('<?xml version="1.0" encoding="GBK"?>')
    add(sandbox_client, kind="gbk_mislabel", times=1)
    assert b'encoding="UTF-8"' in get(sandbox_client).get_data()
    assert get(sandbox_client).get_data() == whole  # every fault used up


def test_matching_and_times(sandbox_client):
    add(sandbox_client, kind="empty", do="customer-info", times=2)
    assert get(sandbox_client).get_data()  # service-info is not matched
    faults = sandbox_client.get("/_sandbox/faults").get_json()
    assert faults[0]["hits"] == 0
    sandbox_client.post("/_sandbox/faults/clear")
    assert sandbox_client.get("/_sandbox/faults").get_json() == []


def test_reset_clears_faults(sandbox_client):
    add(sandbox_client, kind="html")
    sandbox_client.post("/_sandbox/reset")
    assert get(sandbox_client).status_code == 200
    assert b"<service>" in get(sandbox_client).get_data()


def test_connection_reset_over_real_http(sandbox_app):
    server = make_server("127.0.0.1", 0, sandbox_app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{server.server_port}"
    try:
        requests.post(f"{base}/_sandbox/faults", json={"kind": "reset", "times": 1}, timeout=5)
        with pytest.raises(requests.ConnectionError):
            requests.get(base + URL, auth=DEMO, timeout=5)
        assert requests.get(base + URL, auth=DEMO, timeout=5).status_code == 200
    finally:
        server.shutdown()
