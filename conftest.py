"""Fixtures for the whole suite: the sandbox platform and a Celery worker, as real processes."""

from __future__ import annotations

import contextlib
import email
import email.policy
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Sandbox:
    """The sandbox platform running as its own process, plus its control endpoints."""

    def __init__(self, state: Path, log: Path):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}/"
        self.log = log
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "sandbox",
                "serve",
                "--host",
                "127.0.0.1",
                "--port",
                str(self.port),
                "--state",
                str(state),
                "--seed",
                # Every suite runs against the strict profile (the platform as documented).
                "--profile",
                "strict",
                "--smtp-port",
                "0",
                "--smtps-port",
                "0",
            ],
            cwd=ROOT,
            stdout=log.open("w"),
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"sandbox exited: {log.read_text()[-2000:]}")
            try:
                self.control("GET", "health", raw=True)
                # §10 SMTP on the free ports the sandbox printed (before HTTP started serving).
                printed = log.read_text()
                self.smtp_port, self.smtps_port = (
                    int(re.search(rf"sandbox {kind} listening on \S+:(\d+)", printed).group(1))
                    for kind in ("smtp", "smtps")
                )
                return
            except OSError:
                time.sleep(0.1)
        raise RuntimeError("sandbox did not start within 30 s")

    def control(self, method: str, path: str, body: dict | None = None, raw: bool = False):
        data = (
            json.dumps(body).encode() if body is not None else (b"" if method == "POST" else None)
        )
        req = urllib.request.Request(
            f"{self.url}_sandbox/{path}",
            data=data,
            method=method,
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(req, timeout=10) as resp:  # noqa: S310 - loopback only
            payload = resp.read()
        return payload if raw else json.loads(payload or b"null")

    def reset(self) -> None:
        self.control("POST", "reset", raw=True)

    @contextlib.contextmanager
    def profile(self, **spec):
        """Run a block under another profile and/or quirks, e.g. `profile="permissive"` or
        `quirks=True`; the previous ones are restored after it."""
        before = self.control("GET", "profile")
        self.control("POST", "profile", spec)
        try:
            yield self
        finally:
            self.control("POST", "profile", before)

    def patch_account(self, username: str, **fields) -> dict:
        return self.control("POST", f"accounts/{username}", fields)

    def calls(self, since: int = 0) -> list[dict]:
        reply = self.control("GET", f"calls?since={since}")
        return reply["calls"] if isinstance(reply, dict) else reply

    def mail(self, since: int = 0) -> list[dict]:
        """Messages the sandbox's SMTP service accepted after id `since`, oldest first."""
        return sorted(self.control("GET", f"mail?since={since}")["messages"], key=lambda m: m["id"])

    def mail_message(self, message_id: int) -> email.message.EmailMessage:
        """One received message, parsed from its stored raw bytes."""
        raw = self.control("GET", f"mail/{message_id}/raw", raw=True)
        return email.message_from_bytes(raw, policy=email.policy.default)

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()


@pytest.fixture(scope="session")
def sandbox(tmp_path_factory) -> Sandbox:
    tmp = tmp_path_factory.mktemp("sandbox")
    box = Sandbox(tmp / "state.sqlite3", tmp / "sandbox.log")
    yield box
    box.stop()


@pytest.fixture
def fresh_sandbox(sandbox) -> Sandbox:
    """The sandbox reset to its seeded state, for tests that change platform data."""
    sandbox.reset()
    return sandbox


@pytest.fixture
def permissive_sandbox(fresh_sandbox) -> Sandbox:
    """The sandbox under its permissive profile (the older latitude), for tests of the portal's
    guesses where the manual is silent; strict again afterwards."""
    with fresh_sandbox.profile(profile="permissive"):
        yield fresh_sandbox


@pytest.fixture
def quirky_sandbox(fresh_sandbox) -> Sandbox:
    """The sandbox serving replies as the manual prints them (`--quirks`)."""
    with fresh_sandbox.profile(quirks=True):
        yield fresh_sandbox


@pytest.fixture(autouse=True)
def _platform_is_sandbox(request, settings):
    """Every Django test talks to the sandbox process, never to the real platform."""
    if "sandbox" in request.fixturenames or "fresh_sandbox" in request.fixturenames:
        settings.UMAIL_PLATFORM_URL = request.getfixturevalue("sandbox").url
        settings.UMAIL_SMTP_HOST = "127.0.0.1"
        settings.UMAIL_SMTP_PORT = request.getfixturevalue("sandbox").smtp_port
    else:
        # A closed port: any accidental platform call fails fast instead of leaving the machine.
        settings.UMAIL_PLATFORM_URL = "http://127.0.0.1:9/"
        settings.UMAIL_SMTP_HOST, settings.UMAIL_SMTP_PORT = "127.0.0.1", 9


def _database_url(settings_dict: dict) -> str:
    if settings_dict["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{settings_dict['NAME']}"
    user = settings_dict.get("USER") or ""
    password = f":{settings_dict['PASSWORD']}" if settings_dict.get("PASSWORD") else ""
    auth = f"{user}{password}@" if user else ""
    port = f":{settings_dict['PORT']}" if settings_dict.get("PORT") else ""
    return (
        f"postgres://{auth}{settings_dict.get('HOST') or '127.0.0.1'}{port}/{settings_dict['NAME']}"
    )


class Worker:
    def __init__(self, proc: subprocess.Popen, log: Path):
        self.proc = proc
        self.log = log


@pytest.fixture(scope="session")
def celery_worker(django_db_setup, django_db_blocker, sandbox, tmp_path_factory) -> Worker:
    """A real `celery worker` process on the test database, the test broker and the sandbox.

    Tests using it need committed data: mark them `@pytest.mark.django_db(transaction=True)`.
    """
    from django.conf import settings
    from django.db import connection

    from edmportal.celery import app

    if settings.CELERY_BROKER_URL == "filesystem://":
        # Messages left by an earlier run would be delivered to this one.
        queue = Path(settings.CELERY_FILESYSTEM_DIR) / "queue"
        shutil.rmtree(queue, ignore_errors=True)
        queue.mkdir(parents=True)
    else:
        with app.connection_for_write() as conn:  # a fresh connection, whatever pools exist
            app.control.purge(connection=conn)
    log = tmp_path_factory.mktemp("worker") / "worker.log"
    env = dict(os.environ)
    env.update(
        DJANGO_SETTINGS_MODULE="edmportal.settings.test",
        DATABASE_URL=_database_url(connection.settings_dict),
        UMAIL_PLATFORM_URL=sandbox.url,
        UMAIL_SMTP_HOST="127.0.0.1",
        UMAIL_SMTP_PORT=str(sandbox.smtp_port),
        CELERY_BROKER_URL=settings.CELERY_BROKER_URL,
    )
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "edmportal",
            "worker",
            "-l",
            "info",
            "--concurrency",
            "2",
            "--without-gossip",
            "--without-mingle",
            "-n",
            "test@%h",
        ],
        cwd=ROOT,
        env=env,
        stdout=log.open("w"),
        stderr=subprocess.STDOUT,
    )
    deadline = time.monotonic() + 60
    while "ready" not in log.read_text():
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            raise RuntimeError(f"celery worker did not start: {log.read_text()[-3000:]}")
        time.sleep(0.2)
    yield Worker(proc, log)
    proc.terminate()
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()


@pytest.fixture
def demo_client(client, fresh_sandbox):
    """A Django test client signed in through the sandbox as `demo` (an ordinary user, owner)."""
    response = client.post(
        "/login/", {"username": "demo", "password": "demo-pass", "user_type": ""}
    )
    assert response.status_code == 302, response.content[:500]
    return client


@pytest.fixture
def demo_account(demo_client):
    from apps.accounts.models import PlatformAccount

    return PlatformAccount.objects.get(username="demo", user_type="")


def pytest_collection_modifyitems(items):
    """Browser journeys run last: Playwright's sync API keeps an event loop running in the main
    thread for the whole browser session, which would break later tests that run asyncio."""
    items.sort(key=lambda item: item.get_closest_marker("browser") is not None)
