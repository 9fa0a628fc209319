"""A 200 MB template upload against a real gunicorn worker (production settings): the worker's
memory must not grow with it (the issue measured 111 -> 484 MB for 400 MB before the limits).

The worker's resident memory before the upload is compared with its peak (VmHWM) after it."""

from __future__ import annotations

import re
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

from .topology import ROOT, Topology

UPLOAD_BYTES = 200 * 1024 * 1024
MAX_GROWTH_BYTES = 60 * 1024 * 1024

pytestmark = pytest.mark.django_db(transaction=True)


def _status_kib(pid: int, field: str) -> int:
    text = Path(f"/proc/{pid}/status").read_text()
    return int(re.search(rf"^{field}:\s+(\d+) kB", text, re.M).group(1))


@pytest.fixture(scope="module")
def web(django_db_setup, django_db_blocker, sandbox, tmp_path_factory):
    from django.conf import settings
    from django.db import connection

    from conftest import _database_url

    if "postgresql" not in settings.DATABASES["default"]["ENGINE"] or not (
        settings.CELERY_BROKER_URL.startswith("redis")
    ):
        pytest.skip("runs gunicorn on PostgreSQL and Redis: set DATABASE_URL and REDIS_URL")
    topo = Topology(
        database_url=_database_url(connection.settings_dict),
        redis_url=settings.CELERY_BROKER_URL,
        platform_url=sandbox.url,
        credentials_keys=",".join(settings.CREDENTIALS_KEYS),
        tmp=tmp_path_factory.mktemp("upload-memory"),
        web_workers=1,
        worker_nodes=(),
    )
    subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput", "-v", "0"],
        cwd=ROOT,
        env=topo.env(),
        check=True,
        capture_output=True,
    )
    topo._spawn(
        "web",
        [
            "-m",
            "gunicorn",
            "edmportal.wsgi:application",
            f"--bind=127.0.0.1:{topo.port}",
            "--workers=1",
            "--timeout=60",
        ],
    )
    try:
        deadline = time.monotonic() + 60
        while not _answers(topo.url):
            assert topo.procs["web"].alive, topo.procs["web"].output()[-3000:]
            assert time.monotonic() < deadline, "gunicorn did not start"
            time.sleep(0.3)
        yield topo
    finally:
        topo.stop()


def _answers(url: str) -> bool:
    import requests

    try:
        requests.get(url + "/login/", headers={"X-Forwarded-Proto": "https"}, timeout=2)
    except requests.RequestException:
        return False
    return True


def _multipart(boundary: str, fields: dict, file_field: str, size: int):
    """A multipart body streamed in 1 MB pieces (the client never holds it either)."""
    head = b""
    for name, value in fields.items():
        head += (
            f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'
        ).encode()
    head += (
        f'--{boundary}\r\nContent-Disposition: form-data; name="{file_field}"; '
        f'filename="huge.html"\r\nContent-Type: text/html\r\n\r\n'
    ).encode()
    tail = f"\r\n--{boundary}--\r\n".encode()
    piece = b"<p>" + b"x" * (1024 * 1024 - 7) + b"</p>"
    return _Body([head, *([piece] * (size // len(piece))), tail])


class _Body:
    """A file-like body with a known length (requests then sends Content-Length, not chunks);
    it yields the same 1 MB piece again and again, so the client holds no 200 MB either."""

    def __init__(self, parts: list[bytes]):
        self.parts = parts
        self.length = sum(len(p) for p in parts)
        self.index = 0
        self.offset = 0

    def __len__(self) -> int:
        return self.length

    def read(self, size: int = -1) -> bytes:
        if self.index >= len(self.parts):
            return b""
        part = self.parts[self.index]
        size = len(part) - self.offset if size is None or size < 0 else size
        chunk = part[self.offset : self.offset + size]
        self.offset += len(chunk)
        if self.offset >= len(part):
            self.index, self.offset = self.index + 1, 0
        return chunk


def test_a_200_mb_template_upload_does_not_grow_the_web_process(web, sandbox):
    browser = web.browser()
    browser.sign_in("demo", "demo-pass")
    page = browser.get("/templates/new/")
    assert page.status_code == 200
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)
    (pid,) = web.gunicorn_worker_pids()
    before = _status_kib(pid, "VmRSS") * 1024

    boundary = uuid.uuid4().hex
    body = _multipart(
        boundary,
        {"csrfmiddlewaretoken": token, "action": "import", "name": "huge"},
        "import_file",
        UPLOAD_BYTES,
    )
    response = browser.request(
        "POST",
        "/templates/new/",
        data=body,
        headers={
            "Content-Type": f"multipart/form-data; boundary={boundary}",
        },
    )
    peak = _status_kib(pid, "VmHWM") * 1024
    assert response.status_code == 413, response.status_code
    assert "The upload is too large" in response.text
    growth = peak - before
    print(f"web worker: {before / 2**20:.0f} MB before, peak {peak / 2**20:.0f} MB")
    assert growth < MAX_GROWTH_BYTES, f"grew by {growth / 2**20:.0f} MB"
    assert browser.get("/templates/").status_code == 200  # the worker goes on serving
