"""Imports end to end: pages, the real Celery worker, the sandbox's asynchronous parse."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.files.uploadhandler import TemporaryFileUploadHandler
from django.db import connection
from django.urls import reverse

from apps.accounts.tests.factories import platform_account
from apps.contacts import services
from apps.contacts.models import ImportJob, MailList
from apps.contacts.tasks import contacts_import_upload_task
from tests.support import wait_until

from .factories import HEADER_TRADITIONAL, NAMES_TRADITIONAL, csv_text, mail_list, xlsx_bytes

ROOT = Path(__file__).resolve().parents[3]
WRITE_OPS = {"ml-addr-add", "ml-addr-add-file"}


def url(name, *args):
    return reverse(f"contacts:{name}", args=args)


def platform_writes(sandbox, since):
    return [c for c in sandbox.calls(since=since) if c["do"] in WRITE_OPS]


def last_seq(sandbox):
    calls = sandbox.calls()
    return calls[-1]["seq"] if calls else 0


def upload(client, list_id, content: bytes, name: str):
    return client.post(
        url("import-upload", list_id), {"file": SimpleUploadedFile(name, content)}, follow=True
    )


def map_and_check(client, job, mapping=None, has_header=True):
    data = {"has_header": "on"} if has_header else {}
    for i, field in enumerate(mapping or job.mapping):
        data[f"col_{i}"] = field
    return client.post(url("import-detail", job.pk), data, follow=True)


@pytest.mark.django_db(transaction=True)
def test_gbk_csv_with_header_through_the_file_upload(demo_client, celery_worker, fresh_sandbox):
    fresh_sandbox.control("POST", "contacts/settings", {"parse_seconds": 1})
    demo_client.get(url("index"))
    extra = ["bad address,x,1,y", "USER3@example.com,重复,1,y"]
    content = csv_text(800, extra=extra).encode("gbk")
    body = upload(demo_client, 502, content, "客户.csv").content.decode()
    job = ImportJob.objects.get()
    assert "GBK / GB18030" in body or "gb18030" in body
    assert "张伟" in body  # the preview, converted
    assert (job.encoding, job.has_header) == ("gb18030", True)
    assert job.mapping == ["address", "fullname", "phone", "area"]

    map_and_check(demo_client, job)
    job = wait_until(
        lambda: ImportJob.objects.filter(pk=job.pk, state="validated").first(), timeout=60
    )
    assert (job.rows_total, job.rows_good, job.rows_invalid, job.rows_duplicate) == (802, 800, 1, 1)
    body = demo_client.get(url("import-detail", job.pk)).content.decode()
    assert "Send 800 addresses to the platform" in body
    rejects = demo_client.get(url("import-rejects", job.pk))
    text = b"".join(rejects.streaming_content).decode("utf-8-sig")
    assert "bad address" in text and "duplicate in the file" in text

    before = last_seq(fresh_sandbox)
    demo_client.post(url("import-confirm", job.pk))
    job = wait_until(lambda: ImportJob.objects.filter(pk=job.pk, state="done").first(), timeout=90)
    assert job.upload_method == "file" and job.platform_import_id
    assert (job.log_count_all, job.log_invalid, job.log_duplicate, job.log_status) == (800, 0, 0, 1)
    assert not job.stored_file and not job.converted_file  # removed once the platform confirmed
    assert job.rejects_file and Path(job.rejects_file).exists()
    writes = platform_writes(fresh_sandbox, before)
    assert [c["do"] for c in writes] == ["ml-addr-add-file"]
    polls = [c for c in fresh_sandbox.calls(since=before) if c["do"] == "ml-addr-add-file-query"]
    assert len(polls) >= 1
    assert MailList.objects.get(platform_id=502).count == 12 + 800
    progress = demo_client.get(url("import-progress", job.pk)).content.decode()
    assert "The platform finished importing the file" in progress and "hx-get" not in progress


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("fmt", ["txt", "xlsx"])
def test_small_files_go_through_the_batch_call(demo_client, celery_worker, fresh_sandbox, fmt):
    demo_client.get(url("index"))
    if fmt == "txt":
        content = "\n".join(
            f"t{i}@example.com;名字{i};M;1990-01-0{1 + i % 9};135;上海;金卡" for i in range(30)
        ).encode()
    else:
        content = xlsx_bytes(
            [["Email", "Name"]] + [[f"t{i}@example.com", f"名字{i}"] for i in range(30)]
        )
    upload(demo_client, 503, content, f"small.{fmt}")
    job = ImportJob.objects.get()
    map_and_check(demo_client, job, has_header=fmt == "xlsx")
    wait_until(lambda: ImportJob.objects.filter(pk=job.pk, state="validated").exists(), timeout=60)
    before = last_seq(fresh_sandbox)
    demo_client.post(url("import-confirm", job.pk))
    job = wait_until(lambda: ImportJob.objects.filter(pk=job.pk, state="done").first(), timeout=60)
    assert job.upload_method == "batch" and "成功添加 30 个地址" in job.platform_message
    writes = platform_writes(fresh_sandbox, before)
    assert len(writes) == 1 and "ml_addr" in writes[0]["params"]
    found = services.address_page(account=job.account, list_id=503, keyword="t1@example.com")
    assert found.addresses[0].fullname == "名字1"
    if fmt == "txt":
        assert found.addresses[0].var1 == "金卡"


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00", "not a text file"),
        (b"", "The submitted file is empty"),
        (b"email,name\na@example.com,x\n" + b"y" * 200_000 + b"\n", "longer than"),
    ],
    ids=["binary", "empty", "huge-line"],
)
def test_bad_files_are_refused_at_upload(demo_client, content, message):
    demo_client.get(url("index"))
    before = _stored_files()
    body = upload(demo_client, 501, content, "bad.csv").content.decode()
    assert message in body
    assert not ImportJob.objects.exists()
    assert _stored_files() == before  # nothing kept


def _stored_files() -> set[Path]:
    from django.conf import settings

    return set((Path(settings.MEDIA_ROOT) / "contacts-imports").glob("*/*"))


@pytest.mark.django_db
def test_no_email_column_is_refused_at_mapping(demo_client):
    demo_client.get(url("index"))
    upload(demo_client, 501, "姓名,手机\n张三,138\n李四,139\n".encode(), "names.csv")
    job = ImportJob.objects.get()
    body = map_and_check(demo_client, job, mapping=["fullname", "phone"]).content.decode()
    assert "Choose the column that holds the e-mail addresses" in body
    assert ImportJob.objects.get().state == "uploaded"


@pytest.mark.django_db(transaction=True)
def test_all_invalid_changes_nothing_on_the_platform(demo_client, celery_worker, fresh_sandbox):
    demo_client.get(url("index"))
    before = last_seq(fresh_sandbox)
    upload(demo_client, 501, b"email,name\nnope,x\nalso nope,y\n", "invalid.csv")
    job = ImportJob.objects.get()
    map_and_check(demo_client, job, mapping=["address", "fullname"])
    job = wait_until(
        lambda: ImportJob.objects.filter(pk=job.pk, state="failed").first(), timeout=60
    )
    assert "No row has a valid, new address" in job.error
    assert job.rows_invalid == 2
    body = demo_client.get(url("import-detail", job.pk)).content.decode()
    assert "Send to the platform again" not in body
    assert demo_client.post(url("import-confirm", job.pk)).status_code == 302
    time.sleep(0.5)
    assert platform_writes(fresh_sandbox, before) == []


@pytest.mark.django_db
def test_another_accounts_import_is_404(client, demo_client):
    stranger = platform_account(username="stranger2")
    job = ImportJob.objects.create(account=stranger, list_platform_id=1, original_name="x.csv")
    for name in ("import-detail", "import-progress", "import-rejects"):
        assert demo_client.get(url(name, job.pk)).status_code == 404
    assert demo_client.post(url("import-confirm", job.pk)).status_code == 404


def _database_url() -> str:
    s = connection.settings_dict
    if s["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{s['NAME']}"
    auth = f"{s.get('USER') or ''}{':' + s['PASSWORD'] if s.get('PASSWORD') else ''}"
    auth = f"{auth}@" if auth else ""
    port = f":{s['PORT']}" if s.get("PORT") else ""
    return f"postgres://{auth}{s.get('HOST') or '127.0.0.1'}{port}/{s['NAME']}"


class OwnWorker:
    """A Celery worker of this test alone, on its own queue, that can be killed like a crash."""

    def __init__(self, queue: str, log: Path, sandbox_url: str):
        from django.conf import settings

        env = dict(os.environ)
        env.update(
            DJANGO_SETTINGS_MODULE="edmportal.settings.test",
            DATABASE_URL=_database_url(),
            UMAIL_PLATFORM_URL=sandbox_url,
            CELERY_BROKER_URL=settings.CELERY_BROKER_URL,
            CELERY_TASK_DEFAULT_QUEUE=queue,  # follow-up tasks stay on this worker's queue
        )
        self.log = log
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "edmportal", "worker", "-l", "info",
             "--concurrency", "1", "--without-gossip", "--without-mingle", "-Q", queue,
             "-n", f"{queue}-{time.monotonic_ns()}@%h"],
            cwd=ROOT, env=env, stdout=log.open("w"), stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip
        deadline = time.monotonic() + 60
        while "ready" not in log.read_text():
            if self.proc.poll() is not None or time.monotonic() > deadline:
                self.kill()
                raise RuntimeError(log.read_text()[-3000:])
            time.sleep(0.2)

    def kill(self) -> None:
        """SIGKILL the whole worker (main process and pool): nothing gets to clean up."""
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait(timeout=20)


@pytest.mark.django_db(transaction=True)
def test_import_interrupted_by_a_worker_restart_completes(fresh_sandbox, tmp_path):
    fresh_sandbox.control("POST", "contacts/settings", {"parse_seconds": 8})
    account = platform_account(
        username="demo", password="demo-pass", platform_url=fresh_sandbox.url
    )
    maillist = mail_list(account, platform_id=501, subject="VIP 客户")
    content = csv_text(
        700, names=NAMES_TRADITIONAL, header_words=HEADER_TRADITIONAL, start=5000
    ).encode("big5")
    job = services.import_create(
        account=account,
        user=None,
        maillist=maillist,
        uploaded=SimpleUploadedFile("客戶.csv", content),
    )
    assert job.encoding == "cp950"
    ImportJob.objects.filter(pk=job.pk).update(state="validating")
    job = services.import_validate(job_id=job.pk)
    assert (job.state, job.rows_good) == ("validated", 700)
    ImportJob.objects.filter(pk=job.pk).update(state="uploading")

    queue = f"contacts-restart-{os.getpid()}"
    first = OwnWorker(queue, tmp_path / "worker1.log", fresh_sandbox.url)
    try:
        contacts_import_upload_task.apply_async((job.pk,), queue=queue)
        wait_until(
            lambda: ImportJob.objects.filter(
                pk=job.pk, state="parsing", poll_attempts__gte=1
            ).exists(),
            timeout=60,
        )
    finally:
        first.kill()  # mid-import: the platform is still parsing, the next poll was in memory
    time.sleep(1)
    job.refresh_from_db()
    assert job.state == "parsing" and job.stored_file  # the file is kept until confirmed

    second = OwnWorker(queue, tmp_path / "worker2.log", fresh_sandbox.url)
    try:
        job = wait_until(
            lambda: ImportJob.objects.filter(pk=job.pk, state="done").first(), timeout=90
        )
    finally:
        second.kill()
    assert job.log_count_all == 700 and job.log_status == 1
    assert not job.stored_file and not Path(job.converted_file or "/nonexistent").exists()
    found = services.address_page(account=account, list_id=501, keyword="user5001@example.com")
    assert found.addresses[0].fullname == NAMES_TRADITIONAL[5001 % len(NAMES_TRADITIONAL)]


@pytest.mark.django_db
def test_a_viewer_cannot_change_an_imports_column_mapping(client, demo_client, fresh_sandbox):
    """Regression: the import page's mapping form required a sign-in only."""
    from django.contrib.auth import get_user_model

    from apps.accounts.models import Membership

    demo_client.get(url("index"))
    upload(demo_client, 502, csv_text(3).encode(), "list.csv")
    job = ImportJob.objects.get()
    viewer = get_user_model().objects.create(username="watcher")
    Membership.objects.create(user=viewer, account=job.account, role=Membership.Role.VIEWER)
    client.force_login(viewer)
    assert client.get(url("import-detail", job.pk)).status_code == 200  # watching is fine
    mapping = ["fullname", "address", "", ""]
    response = client.post(
        url("import-detail", job.pk), {f"col_{i}": m for i, m in enumerate(mapping)}
    )
    assert response.status_code == 403
    job.refresh_from_db()
    assert job.mapping == ["address", "fullname", "phone", "area"]
    assert job.state == ImportJob.State.UPLOADED


class _SpyHandler(TemporaryFileUploadHandler):
    """Django's handler that stores files on disk, counting what reaches it."""

    received: list[int] = []

    def receive_data_chunk(self, raw_data, start):
        self.received.append(len(raw_data))
        return super().receive_data_chunk(raw_data, start)


@pytest.mark.django_db
def test_an_import_file_over_its_limit_is_refused_while_streaming(
    demo_client, settings, sandbox, monkeypatch
):
    """Under the request limit but over the per-file limit: the counting handler stops the file
    as it streams in; nothing past the limit reaches the disk, no job is created."""
    from apps.contacts import views
    from apps.core.uploads import UploadLimits

    assert views.import_upload_view.upload_limits.file_bytes == settings.CONTACTS_IMPORT_MAX_BYTES
    settings.FILE_UPLOAD_HANDLERS = ["apps.contacts.tests.test_imports._SpyHandler"]
    _SpyHandler.received = []
    monkeypatch.setattr(views.import_upload_view, "upload_limits", UploadLimits(8 << 20, 1 << 20))
    demo_client.get(url("index"))
    content = b"someone@example.com\n" * ((3 << 20) // 20)  # 3 MB
    response = demo_client.post(
        url("import-upload", 502), {"file": SimpleUploadedFile("big.csv", content)}
    )
    assert response.status_code == 413
    assert "at most 1.0" in response.content.decode()
    assert not ImportJob.objects.exists()
    assert 0 < sum(_SpyHandler.received) <= 1 << 20
