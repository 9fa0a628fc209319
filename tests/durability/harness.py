"""Real processes for the durability suite: Celery workers that can be killed like a crash, and
a private Redis that can be killed and restarted empty (never the shared one)."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

# A crashed worker's unacknowledged message comes back after 4 s (production: the task time
# limit plus half an hour); workers look for such messages every second.
FAST_FAILOVER = {
    "CELERY_VISIBILITY_TIMEOUT": "4",
    "CELERY_UNACKED_RESTORE_INTERVAL": "1",
    "CELERY_UNACKED_RESTORE_THROTTLE": "1",
    "OPS_JOB_LEASE_SECONDS": "4",
    "OPS_RESYNC_PAUSE_SECONDS": "0",
}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def database_url() -> str:
    from django.db import connection

    from conftest import _database_url

    return _database_url(connection.settings_dict)


class Worker:
    """`celery worker` on its own queue (and broker), in its own process group."""

    def __init__(self, *, queue: str, log: Path, platform_url: str, broker_url: str, **env):
        environment = dict(os.environ)
        environment.update(
            DJANGO_SETTINGS_MODULE="edmportal.settings.test",
            DATABASE_URL=database_url(),
            UMAIL_PLATFORM_URL=platform_url,
            UMAIL_READ_TIMEOUT="10",
            CELERY_BROKER_URL=broker_url,
            # Follow-up tasks (polls, retries) stay on this worker's queue.
            CELERY_TASK_DEFAULT_QUEUE=queue,
            **FAST_FAILOVER,
        )
        environment.update({k: str(v) for k, v in env.items()})
        self.log = log
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "edmportal", "worker", "-l", "info",
             "--concurrency", "2", "--without-gossip", "--without-mingle", "--without-heartbeat",
             "-Q", queue, "-n", f"{queue}-{time.monotonic_ns()}@%h"],
            cwd=ROOT, env=environment, stdout=log.open("w"), stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip
        deadline = time.monotonic() + 60
        while "ready" not in self.output():
            if self.proc.poll() is not None or time.monotonic() > deadline:
                self.kill()
                raise RuntimeError(f"worker did not start:\n{self.output()[-3000:]}")
            time.sleep(0.2)

    def output(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""

    def kill(self) -> None:
        """SIGKILL the main process and its pool at once: a crash, nothing cleans up."""
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait(timeout=20)

    def stop(self) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.proc.pid, signal.SIGTERM)
        try:
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.kill()


class PrivateRedis:
    """A redis-server of this test alone, without persistence: a restart forgets everything,
    like a broker replaced by a fresh one."""

    def __init__(self, tmp: Path):
        if not shutil.which("redis-server"):
            raise RuntimeError("redis-server is not installed")
        self.port = free_port()
        self.tmp = tmp
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.proc: subprocess.Popen | None = None
        self.start()

    def start(self) -> None:
        log = (self.tmp / f"redis-{self.port}.log").open("a")
        self.proc = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no", "--dir", str(self.tmp)],
            stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            with (
                contextlib.suppress(OSError),
                socket.create_connection(("127.0.0.1", self.port), timeout=0.5) as sock,
            ):
                sock.sendall(b"PING\r\n")
                if sock.recv(16).startswith(b"+PONG"):
                    return
            time.sleep(0.05)
        raise RuntimeError("private redis did not start")

    def kill(self) -> None:
        if self.proc is not None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=10)
            self.proc = None

    def restart(self) -> None:
        self.kill()
        self.start()

    def keys(self) -> list[str]:
        out = subprocess.run(
            ["redis-cli", "-p", str(self.port), "--raw", "KEYS", "*"],
            capture_output=True, text=True, timeout=10, check=False,
        )  # fmt: skip
        return [k for k in out.stdout.split() if k]


@contextlib.contextmanager
def app_broker(url: str):
    """Point this (test) process's Celery app at `url` while the block runs: pages and services
    called here publish where the test's own worker listens."""
    from kombu import pools

    from edmportal.celery import app

    def reset():
        # Kombu keeps connection pools per broker URL process-wide: empty the registry, or a
        # closed pool would be handed out again for the same URL.
        with contextlib.suppress(Exception):
            pools.reset()
        app._pool = None
        with contextlib.suppress(AttributeError, KeyError):
            app.__dict__["amqp"]._producer_pool = None

    old = app.conf.broker_url
    app.conf.broker_url = url
    reset()
    try:
        yield app
    finally:
        app.conf.broker_url = old
        reset()


class Supervisor:
    """Keeps one worker running, as the production restart policy does (docker-compose
    `restart: unless-stopped`): a worker that exits is started again."""

    def __init__(self, make_worker):
        import threading

        self._make = make_worker
        self.restarts = 0
        self.worker = make_worker(0)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, daemon=True)
        self._thread.start()

    def _watch(self) -> None:
        while not self._stop.wait(0.5):
            if self.worker.proc.poll() is not None:
                self.restarts += 1
                with contextlib.suppress(RuntimeError):  # the broker may still be down
                    self.worker = self._make(self.restarts)

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=10)
        self.worker.stop()
