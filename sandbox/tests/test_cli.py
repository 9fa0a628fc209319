"""The command line: a real server process over real HTTP, and the seed command."""

# ruff: noqa: S310 - urlopen on the loopback URL the server printed

from __future__ import annotations

import base64
import json
import os
import signal
import subprocess
import sys
import urllib.request
from pathlib import Path

from sandbox.app import md5_hex

ROOT = Path(__file__).resolve().parents[2]


def run_cli(*args: str, **kwargs) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "PYTHONUNBUFFERED": "1"}
    return subprocess.Popen(
        [sys.executable, "-m", "sandbox", *args],
        cwd=kwargs.pop("cwd", ROOT),
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        **kwargs,
    )


def test_serve_answers_and_stops_on_sigterm(tmp_path):
    state = tmp_path / "nested" / "state.sqlite3"
    state_arg = ("--state", str(state), "--seed")
    proc = run_cli("serve", "--host", "127.0.0.1", "--port", "0", "--smtp-port", "0", *state_arg)
    try:
        line = proc.stdout.readline().strip()
        assert line.startswith("sandbox listening on http://127.0.0.1:"), line
        base = line.rsplit(" ", 1)[1]
        with urllib.request.urlopen(f"{base}/_sandbox/health", timeout=10) as r:
            assert r.read() == b"ok\n"
        request = urllib.request.Request(f"{base}/mm-ms/apinew/account.php?do=customer-info")
        token = base64.b64encode(b"demo:demo-pass").decode()
        request.add_header("Authorization", f"Basic {token}")
        with urllib.request.urlopen(request, timeout=10) as r:
            assert r.headers["Content-Type"] == "text/xml; charset=utf-8"
            assert "深圳示例科技有限公司" in r.read().decode("utf-8")
        md5 = md5_hex("demo-pass")
        url = f"{base}/mm-ms/api/account.php?do=service-info&username=demo&password={md5}"
        with urllib.request.urlopen(url, timeout=10) as r:
            assert b"<qty_available>63250</qty_available>" in r.read()
        with urllib.request.urlopen(f"{base}/_sandbox/calls", timeout=10) as r:
            assert len(json.load(r)["calls"]) == 2
    finally:
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=15)
    assert proc.returncode == 0, err
    assert state.exists()
    # The access log shows the legacy request, with the md5 password redacted.
    assert "password=***" in err
    assert md5 not in err and "demo-pass" not in err


def test_seed_command_is_idempotent(tmp_path):
    state = tmp_path / "s.sqlite3"
    for _ in range(2):
        proc = run_cli("seed", "--state", str(state))
        out, err = proc.communicate(timeout=30)
        assert proc.returncode == 0, err
        assert "6 accounts" in out


def test_default_state_path_is_relative_to_cwd(tmp_path):
    proc = run_cli("seed", cwd=tmp_path)
    out, err = proc.communicate(timeout=30)
    assert proc.returncode == 0, err
    assert (tmp_path / "var" / "sandbox.sqlite3").exists()
