"""What every benchmark shares: recording a result for `bench/run.py`, RSS, load, a sandbox.

A benchmark calls `record(...)` once per measured figure. When it runs under the harness
(`BENCH_RESULTS` names a JSON-lines file) the figure is appended there; run on its own, the call
does nothing and the script's own table is all there is.
"""

from __future__ import annotations

import json
import os
import resource
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCH_DB = "postgres://postgres@127.0.0.1:5432/edmportal_bench"


def record(
    benchmark: str,
    figure: str,
    *,
    seconds: float | None = None,
    throughput: float | None = None,
    unit: str = "",
    peak_rss_mb: float | None = None,
    baseline: dict | None = None,
    target: str = "",
    met: bool | None = None,
    note: str = "",
) -> None:
    """One line of the harness's table; `baseline` holds the same keys for the comparison."""
    path = os.environ.get("BENCH_RESULTS")
    if not path:
        return
    entry = {
        "benchmark": benchmark,
        "figure": figure,
        "seconds": seconds,
        "throughput": throughput,
        "unit": unit,
        "peak_rss_mb": peak_rss_mb,
        "baseline": baseline,
        "target": target,
        "met": met,
        "note": note,
        "load": load_average(),
    }
    with open(path, "a", encoding="utf-8") as fh:
        fh.write(json.dumps(entry, ensure_ascii=False) + "\n")


def load_average() -> float:
    return round(os.getloadavg()[0], 2)


def peak_rss_mb() -> float:
    """This process's peak resident set size so far (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def current_rss_mb() -> float:
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class SandboxProcess:
    """The sandbox as its own HTTP process, as in production (its memory is not ours)."""

    def __init__(self, state: Path, *, seed: bool = True):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}/"
        args = [sys.executable, "-m", "sandbox", "serve", "--host", "127.0.0.1"]
        args += ["--port", str(self.port), "--state", str(state), "--smtp-port", "-1"]
        self.proc = subprocess.Popen(
            args + (["--seed"] if seed else []),
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=(state.parent / "sandbox.log").open("w"),
        )
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(self.url + "_sandbox/health", timeout=2):  # noqa: S310
                    break
            except OSError:
                if self.proc.poll() is not None or time.monotonic() > deadline:
                    log = (state.parent / "sandbox.log").read_text()[-2000:]
                    raise RuntimeError(f"the sandbox did not start:\n{log}") from None
                time.sleep(0.2)

    def control(self, path: str, body: dict | None = None, timeout: float = 600) -> dict:
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(  # noqa: S310 (our own http:// loopback URL)
            self.url + "_sandbox/" + path.lstrip("/"),
            data=data,
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
            return json.loads(response.read() or b"{}")

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()
