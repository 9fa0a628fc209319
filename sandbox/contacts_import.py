"""The asynchronous §4.9.3 file parse: a background thread per state store.

An upload is stored, recorded in ``ml_imports`` with state ``no_complete`` and a ``ready_at``
time (now + ``parse_seconds``, like the platform's "系统定时检测导入地址任务"), and the thread
parses it once that time has come. §4.9.4 reads the state (``no_complete`` until the parse ends,
then ``success`` or ``error``); §4.15 reads the counts. Because the queue is the table, a
sandbox restarted with parses pending resumes them when the next §4.9.3/§4.9.4 call starts the
thread again.
"""

from __future__ import annotations

import logging
import threading
import time
from pathlib import Path

from sandbox.clock import Clock
from sandbox.contacts_store import insert_addresses, parse_line
from sandbox.store import Store

log = logging.getLogger("sandbox.contacts")

DEFAULT_PARSE_SECONDS = 2.0
# A line longer than this is not an address line; such a file is refused as malformed.
MAX_LINE_BYTES = 64 * 1024


class MalformedFile(Exception):
    def __init__(self, status: int, detail: str):
        super().__init__(detail)
        self.status = status
        self.detail = detail


class ImportWorker:
    def __init__(self, store: Store, clock: Clock):
        self.store = store
        self.clock = clock
        self.parse_seconds = DEFAULT_PARSE_SECONDS
        self._wake = threading.Event()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None

    def ensure_started(self) -> None:
        with self._lock:
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(
                    target=self._run, name="sandbox-import-parser", daemon=True
                )
                self._thread.start()

    def notify(self) -> None:
        self.ensure_started()
        self._wake.set()

    def _run(self) -> None:
        while True:
            try:
                wait = self._process_due()
            except Exception:  # a reset may drop the tables under us; try again shortly
                log.exception("import parser loop failed")
                wait = 1.0
            self._wake.wait(timeout=wait)
            self._wake.clear()

    def _process_due(self) -> float:
        """Parse every import that is due; return how long to sleep until the next one."""
        conn = self.store.conn
        while True:
            row = conn.execute(
                "SELECT * FROM ml_imports WHERE state = 'no_complete' ORDER BY ready_at, id LIMIT 1"
            ).fetchone()
            if row is None:
                return 60.0
            delay = row["ready_at"] - time.time()
            if delay > 0:
                return min(delay, 60.0)
            self.parse(row)

    def parse(self, row) -> None:
        conn = self.store.conn
        path = Path(row["filepath"])
        try:
            total, invalid, duplicate = self._insert_file(row, path)
        except MalformedFile as exc:
            conn.execute(
                "UPDATE ml_imports SET state = 'error', status = ?, detail = ? WHERE id = ?",
                (exc.status, exc.detail, row["id"]),
            )
        except Exception as exc:
            log.exception("import %s failed", row["id"])
            conn.execute(
                "UPDATE ml_imports SET state = 'error', status = -3, detail = ? WHERE id = ?",
                (f"文件解析失败：{exc}", row["id"]),
            )
        else:
            conn.execute(
                "UPDATE ml_imports SET state = 'success', status = 1, detail = '解析完成', "
                "count_all = ?, count_err_1 = ?, count_err_2 = ? WHERE id = ?",
                (total, invalid, duplicate, row["id"]),
            )

    def _insert_file(self, row, path: Path) -> tuple[int, int, int]:
        if not path.exists() or path.stat().st_size == 0:
            raise MalformedFile(-2, "文件为空")
        with path.open("rb") as fh:
            head = fh.read(8192)
        if b"\x00" in head:
            raise MalformedFile(-1, "文件格式错误：不是文本文件")
        conn = self.store.conn
        if (
            conn.execute(
                "SELECT 1 FROM maillists WHERE id = ? AND account_id = ?",
                (row["list_id"], row["account_id"]),
            ).fetchone()
            is None
        ):
            raise MalformedFile(-3, "联系人分类不存在")
        # Check the whole file first: a malformed file changes nothing.
        self._check_text(path)
        return insert_addresses(
            conn,
            account_id=row["account_id"],
            list_id=row["list_id"],
            rows=self._rows(path),
            now=self.clock.timestamp(),
            batch=10_000,
            commit_each_batch=True,
        )

    @staticmethod
    def _check_text(path: Path) -> None:
        with path.open("rb") as fh:
            for number, raw in enumerate(iter(lambda: fh.readline(MAX_LINE_BYTES + 1), b""), 1):
                if len(raw) > MAX_LINE_BYTES:
                    raise MalformedFile(-1, f"文件格式错误：第 {number} 行过长")
                if b"\x00" in raw:
                    raise MalformedFile(-1, "文件格式错误：不是文本文件")
                try:
                    raw.decode("utf-8")
                except UnicodeDecodeError as exc:
                    raise MalformedFile(-1, f"文件编码错误：第 {number} 行不是 UTF-8 编码") from exc

    @staticmethod
    def _rows(path: Path):
        with path.open("r", encoding="utf-8-sig", newline="") as fh:
            for line in fh:
                line = line.strip("\r\n")
                if line.strip():
                    yield parse_line(line)


_WORKERS: dict[int, ImportWorker] = {}
_WORKERS_LOCK = threading.Lock()


def worker_for(store: Store, clock: Clock) -> ImportWorker:
    with _WORKERS_LOCK:
        worker = _WORKERS.get(id(store))
        if worker is None or worker.store is not store:
            worker = _WORKERS[id(store)] = ImportWorker(store, clock)
        return worker


def uploads_dir(store: Store) -> Path:
    folder = store.path.parent / (store.path.name + ".uploads")
    folder.mkdir(parents=True, exist_ok=True)
    return folder
