"""apps.umail.health.ping: is the platform root reachable (no credentials, any HTTP answer)?"""

import socket

from apps.umail.health import ping


def test_the_sandbox_root_is_reachable_without_an_api_call(sandbox):
    since = max((c["seq"] for c in sandbox.calls()), default=0)
    result = ping(sandbox.url, timeout=2)
    assert result.reachable
    assert result.status_code is not None
    assert result.detail == f"HTTP {result.status_code}"
    assert sandbox.calls(since=since) == []  # no API call, no credentials


def test_a_closed_port_is_unreachable():
    result = ping("http://127.0.0.1:9/", timeout=1)
    assert not result.reachable
    assert result.status_code is None
    assert "could not be reached" in result.detail


def test_a_silent_server_costs_only_the_timeout():
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)
    try:
        result = ping(f"http://127.0.0.1:{listener.getsockname()[1]}/", timeout=0.3)
    finally:
        listener.close()
    assert not result.reachable
    assert "did not answer in time" in result.detail
    assert result.elapsed_ms < 2000
