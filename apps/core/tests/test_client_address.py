"""The client address rule: X-Forwarded-For only from the operator's trusted proxies."""

import pytest
from django.test import RequestFactory

from apps.core.client_address import client_address


def address(remote, forwarded=None):
    meta = {"REMOTE_ADDR": remote}
    if forwarded is not None:
        meta["HTTP_X_FORWARDED_FOR"] = forwarded
    return client_address(RequestFactory().get("/", **meta))


@pytest.mark.parametrize(
    ("trusted", "remote", "forwarded", "expected"),
    [
        ([], "10.0.0.2", "203.0.113.5", "10.0.0.2"),  # no proxy configured: header ignored
        (["10.0.0.2"], "10.0.0.2", "203.0.113.5", "203.0.113.5"),
        (["10.0.0.2"], "198.51.100.1", "203.0.113.5", "198.51.100.1"),  # not from the proxy
        # A client's own made-up hop on the left is not believed: the proxy appended the real one.
        (["10.0.0.2"], "10.0.0.2", "1.2.3.4, 203.0.113.5", "203.0.113.5"),
        (["10.0.0.0/8"], "10.0.0.2", "203.0.113.5, 10.0.0.9", "203.0.113.5"),
        (["10.0.0.2"], "10.0.0.2", "not-an-address", "10.0.0.2"),
        (["10.0.0.2"], "10.0.0.2", None, "10.0.0.2"),
        (["10.0.0.2"], "10.0.0.2", "[2001:db8::1]:443", "2001:db8::1"),
        (["10.0.0.2"], "10.0.0.2", "203.0.113.5:5555", "203.0.113.5"),
    ],
)
def test_client_address(settings, trusted, remote, forwarded, expected):
    settings.TRUSTED_PROXIES = trusted
    assert address(remote, forwarded) == expected


def test_no_remote_address_is_unknown(settings):
    assert client_address(RequestFactory().get("/", REMOTE_ADDR="")) is None
