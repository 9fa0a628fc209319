"""The production topology as real processes, without Docker, for tests.

gunicorn (production settings, 2 workers) + 2 Celery worker nodes + beat, on the machine's
PostgreSQL (the test database) and Redis, talking to the sandbox platform. A `Browser` drives the
portal over HTTP the way a browser behind a TLS-terminating proxy does.

Adding a scenario is one more test function using the `topology` fixture (see conftest.py):
sign in with `topology.browser().sign_in(...)`, drive pages, then wait on database rows.
"""

from __future__ import annotations

import contextlib
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Proc:
    name: str
    popen: subprocess.Popen
    log: Path

    @property
    def alive(self) -> bool:
        return self.popen.poll() is None

    def output(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""

    def kill(self) -> None:
        """SIGKILL the whole process group (a prefork worker's children too): a crash."""
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.popen.pid, signal.SIGKILL)
        self.popen.wait(timeout=10)


@dataclass
class Topology:
    database_url: str
    redis_url: str
    platform_url: str
    credentials_keys: str
    tmp: Path
    web_workers: int = 2
    worker_nodes: tuple[str, ...] = ("a", "b")
    extra_env: dict = field(default_factory=dict)
    procs: dict[str, Proc] = field(default_factory=dict)

    def __post_init__(self):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        # Own Redis key prefix: this run's queues never meet another test run's or worker's.
        self.key_prefix = f"topology-{uuid.uuid4().hex[:8]}:"
        self.hostname = socket.gethostname()

    # -- configuration --------------------------------------------------------------------------

    def env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "CELERY_"))}
        env.update(
            DJANGO_SETTINGS_MODULE="edmportal.settings.prod",
            DJANGO_SECRET_KEY="topology-" + "k" * 60,
            EDMPORTAL_CREDENTIALS_KEYS=self.credentials_keys,
            DJANGO_ALLOWED_HOSTS="127.0.0.1",
            DJANGO_STATIC_ROOT=str(self.tmp / "static"),
            DATABASE_URL=self.database_url,
            REDIS_URL=self.redis_url,
            CELERY_REDIS_KEY_PREFIX=self.key_prefix,
            UMAIL_PLATFORM_URL=self.platform_url,
            PYTHONUNBUFFERED="1",
        )
        env.update({k: str(v) for k, v in self.extra_env.items()})
        return env

    def _spawn(self, name: str, args: list[str]) -> Proc:
        log = self.tmp / f"{name}.log"
        popen = subprocess.Popen(
            [sys.executable, *args],
            cwd=ROOT,
            env=self.env(),
            stdout=log.open("w"),
            stderr=subprocess.STDOUT,
            start_new_session=True,  # own process group, so a kill takes the children too
        )
        proc = Proc(name, popen, log)
        self.procs[name] = proc
        return proc

    # -- lifecycle ------------------------------------------------------------------------------

    def start(self, timeout: float = 90) -> Topology:
        subprocess.run(
            [sys.executable, "manage.py", "collectstatic", "--noinput", "-v", "0"],
            cwd=ROOT,
            env=self.env(),
            check=True,
            capture_output=True,
        )
        self._spawn(
            "web",
            [
                "-m",
                "gunicorn",
                "edmportal.wsgi:application",
                f"--bind=127.0.0.1:{self.port}",
                f"--workers={self.web_workers}",
                "--timeout=30",
                "--graceful-timeout=5",
            ],
        )
        for node in self.worker_nodes:
            self._spawn_worker(node)
        self._spawn(
            "beat",
            [
                "-m",
                "celery",
                "--app=edmportal",
                "beat",
                "--loglevel=INFO",
                f"--schedule={self.tmp / 'beat-schedule'}",
            ],
        )
        deadline = time.monotonic() + timeout
        ready = {
            **{f"worker-{n}": f"{n}@{self.hostname} ready" for n in self.worker_nodes},
            "beat": "beat: Starting",
        }
        while True:
            for proc in self.procs.values():
                if not proc.alive:
                    raise RuntimeError(f"{proc.name} exited:\n{proc.output()[-4000:]}")
            waiting = [n for n, text in ready.items() if text not in self.procs[n].output()]
            web_up = self.web_answers()
            if not waiting and web_up:
                return self
            if time.monotonic() > deadline:
                logs = "\n".join(f"--- {n}\n{p.output()[-2000:]}" for n, p in self.procs.items())
                raise RuntimeError(f"not ready in {timeout:.0f} s: {waiting}\n{logs}")
            time.sleep(0.2)

    def _spawn_worker(self, node: str) -> Proc:
        return self._spawn(
            f"worker-{node}",
            [
                "-m",
                "celery",
                "--app=edmportal",
                "worker",
                "--loglevel=INFO",
                "--concurrency=1",
                "--without-gossip",
                "--without-mingle",
                f"--hostname={node}@%h",
            ],
        )

    def revive_workers(self, timeout: float = 60) -> None:
        """Start again the worker nodes an earlier scenario killed (their logs start afresh)."""
        dead = [n for n in self.worker_nodes if not self.procs[f"worker-{n}"].alive]
        for node in dead:
            self._spawn_worker(node)
        deadline = time.monotonic() + timeout
        for node in dead:
            proc = self.procs[f"worker-{node}"]
            while f"{node}@{self.hostname} ready" not in proc.output():
                if not proc.alive or time.monotonic() > deadline:
                    raise RuntimeError(f"worker {node} did not start:\n{proc.output()[-4000:]}")
                time.sleep(0.2)

    def web_answers(self) -> bool:
        try:
            with urllib.request.urlopen(f"{self.url}/healthz", timeout=2) as resp:  # noqa: S310
                return resp.status == 200
        except (urllib.error.URLError, OSError):
            return False

    def stop(self) -> None:
        for proc in self.procs.values():
            if proc.alive:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.popen.pid, signal.SIGTERM)
        for proc in self.procs.values():
            try:
                proc.popen.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
        self._forget_redis_keys()

    def _forget_redis_keys(self) -> None:
        import redis

        client = redis.Redis.from_url(self.redis_url)
        try:
            keys = list(client.scan_iter(match=self.key_prefix + "*", count=500))
            if keys:
                client.delete(*keys)
        finally:
            client.close()

    # -- helpers for scenarios ------------------------------------------------------------------

    def worker_for_node(self, hostname: str) -> Proc:
        """The worker process whose Celery node name is `hostname` (e.g. "a@myhost")."""
        return self.procs[f"worker-{hostname.split('@', 1)[0]}"]

    def gunicorn_worker_pids(self) -> list[int]:
        return [
            int(p)
            for p in re.findall(r"Booting worker with pid: (\d+)", self.procs["web"].output())
        ]

    def pending_messages(self, queue: str = "celery") -> list[str]:
        """Raw messages of this topology still queued or delivered but not acknowledged."""
        import redis

        client = redis.Redis.from_url(self.redis_url)
        try:
            queued = client.lrange(self.key_prefix + queue, 0, -1)
            unacked = client.hvals(self.key_prefix + "unacked")
        finally:
            client.close()
        return [m.decode() for m in [*queued, *unacked]]

    def browser(self) -> Browser:
        return Browser(self.url)


class Browser:
    """HTTP like a browser behind a TLS-terminating proxy: the portal sees HTTPS through
    X-Forwarded-Proto, so its cookies are Secure; this class keeps and sends them itself
    (a client library would not send Secure cookies over the plain loopback HTTP)."""

    def __init__(self, base_url: str):
        self.base_url = base_url
        self.origin = "https://" + base_url.split("://", 1)[1]
        self.cookies: dict[str, str] = {}
        self.session = requests.Session()

    def request(self, method: str, path: str, **kwargs) -> requests.Response:
        headers = {
            "X-Forwarded-Proto": "https",
            "Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items()),
            **kwargs.pop("headers", {}),
        }
        if method == "POST":
            headers.setdefault("Origin", self.origin)
            headers.setdefault("Referer", self.origin + path)
        response = self.session.request(
            method,
            self.base_url + path,
            headers=headers,
            allow_redirects=False,
            timeout=30,
            **kwargs,
        )
        for cookie in response.cookies:
            if cookie.value:
                self.cookies[cookie.name] = cookie.value
            else:
                self.cookies.pop(cookie.name, None)
        return response

    def get(self, path: str, **kwargs) -> requests.Response:
        return self.request("GET", path, **kwargs)

    def post_form(self, page: str, action: str | None, data: dict) -> requests.Response:
        """GET `page`, take its CSRF token, POST `data` to `action` (default: the page)."""
        form_page = self.get(page)
        assert form_page.status_code == 200, (page, form_page.status_code)
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form_page.text)
        assert token, f"no CSRF token on {page}"
        return self.request(
            "POST", action or page, data={"csrfmiddlewaretoken": token.group(1), **data}
        )

    def sign_in(self, username: str, password: str, user_type: str = "") -> requests.Response:
        """Sign in through the platform, as a marketer does."""
        response = self.post_form(
            "/login/", None, {"username": username, "password": password, "user_type": user_type}
        )
        assert response.status_code == 302, (response.status_code, response.text[:500])
        return response

    def sign_in_admin(self, username: str, password: str) -> requests.Response:
        """Sign in to /admin/ with a staff user's local password."""
        response = self.post_form(
            "/admin/login/?next=/admin/",
            None,
            {"username": username, "password": password, "next": "/admin/"},
        )
        assert response.status_code == 302, (response.status_code, response.text[:500])
        return response
