"""Fixtures for the sandbox tests: a fresh seeded state file per test, werkzeug's test client.

No Django here: these are plain tests (the project's pytest loads pytest-django, which leaves
tests without the ``db`` marker alone). Fixture names avoid pytest-django's ``client``.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest
from werkzeug.test import Client, TestResponse

from sandbox.app import SandboxApp, create_app, md5_hex


@pytest.fixture(autouse=True)
def _platform_is_sandbox():
    """Override the project-wide autouse fixture of this name for the sandbox's own tests.

    That one points Django settings at a sandbox process and needs pytest-django's
    ``settings``; these tests exercise the WSGI app directly and must run without Django.
    """


def pytest_configure(config):
    config.addinivalue_line(
        "markers", "sandbox_profile(name): run the sandbox under that profile (default strict)"
    )


@pytest.fixture
def sandbox_app(tmp_path, request) -> SandboxApp:
    marker = request.node.get_closest_marker("sandbox_profile")
    profile_name = marker.args[0] if marker else "strict"
    app = create_app(
        tmp_path / "state" / "sandbox.sqlite3", seed_data=True, profile_name=profile_name
    )
    yield app
    app.store.close()


@pytest.fixture
def sandbox_client(sandbox_app) -> Client:
    return Client(sandbox_app)


def parse_xml(response: TestResponse) -> ET.Element:
    assert response.headers["Content-Type"] == "text/xml; charset=utf-8"
    body = response.get_data()
    assert body.startswith(b'<?xml version="1.0" encoding="UTF-8"?>')
    return ET.fromstring(body)


def legacy_query(username: str, password: str) -> dict[str, str]:
    return {"username": username, "password": md5_hex(password)}
