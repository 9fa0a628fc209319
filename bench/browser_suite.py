"""Benchmark: the browser journeys' wall time against CI's budget (issue 10: under 10 minutes).

    .venv/bin/python bench/browser_suite.py [pytest arguments, default: tests/browser]

Runs the browser tests exactly as `make test` does (headless Debian Chromium, the live portal,
the sandbox and a real Celery worker as processes) on the database and broker named by
DATABASE_URL / REDIS_URL (SQLite and the filesystem broker without them), and prints each test's
time (setup + call + teardown, from pytest's JUnit report), the session's own start-up (sandbox,
worker, browser, test database) and the total against the 600 s budget.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ET  # noqa: S405 - pytest's own report, not platform input
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

BUDGET = 600.0

try:
    from bench.common import record
except ImportError:  # run on its own before the harness exists: the table is all there is

    def record(*args, **kwargs) -> None:
        return None


def main() -> int:
    args = sys.argv[1:] or ["tests/browser"]
    with tempfile.TemporaryDirectory(prefix="bench-browser-") as tmp:
        report = Path(tmp) / "junit.xml"
        start = time.perf_counter()
        proc = subprocess.run(
            [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
             "-o", "junit_duration_report=total", f"--junitxml={report}", *args],
            cwd=ROOT,
            env=os.environ.copy(),
            capture_output=True,
            text=True,
        )  # fmt: skip
        wall = time.perf_counter() - start
        cases = []
        outcome = {}
        for case in ET.parse(report).getroot().iter("testcase"):  # noqa: S314
            name = f"{case.get('classname', '').rsplit('.', 1)[-1]}::{case.get('name')}"
            cases.append((name, float(case.get("time") or 0)))
            failed = case.find("failure") is not None or case.find("error") is not None
            outcome[name] = (
                "skipped"
                if case.find("skipped") is not None
                else ("FAILED" if failed else "passed")
            )

    width = max([len(n) for n, _ in cases] + [20])
    print(f"{'test':<{width}}  {'seconds':>8}  outcome")
    for name, seconds in sorted(cases, key=lambda c: -c[1]):
        print(f"{name:<{width}}  {seconds:8.1f}  {outcome[name]}")
    in_tests = sum(s for _, s in cases)
    print(f"{'sum of the tests':<{width}}  {in_tests:8.1f}")
    print(f"{'session start-up and collection':<{width}}  {wall - in_tests:8.1f}")
    met = wall < BUDGET and proc.returncode == 0
    print(
        f"{'wall time':<{width}}  {wall:8.1f}  budget {BUDGET:.0f} s: {'met' if met else 'NOT met'}"
    )
    print(f"{len(cases)} tests on {os.cpu_count()} cores, load {os.getloadavg()[0]:.2f}; "
          f"pytest exit status {proc.returncode}")  # fmt: skip
    if proc.returncode:
        print(proc.stdout[-4000:])
    record(
        "browser_suite",
        f"browser journeys, {len(cases)} tests in headless Chromium",
        seconds=wall,
        target=f"< {BUDGET:.0f} s (CI budget for the browser tests)",
        met=met,
        note=f"{sum(1 for o in outcome.values() if o == 'passed')} passed",
    )
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
