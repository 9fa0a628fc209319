"""Summarise the reliability and security suites into a table, generated from the test run.

Tests opt in with `@pytest.mark.reliability("fault" | "hostile" | "isolation" | "durability",
area="contacts")`; the row's case is the test's `fault` parameter's kind (and status), or its
`case` parameter, or the test's name. The table is written to test-artifacts/ on every run and to
docs/RELIABILITY.md when EDMPORTAL_UPDATE_DOCS=1 (`make reliability-report`).
"""

from __future__ import annotations

import os
from collections import defaultdict
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CATEGORIES = {
    "fault": "Faults injected by the sandbox",
    "hostile": "Hostile input",
    "isolation": "Isolation and access",
    "durability": "Durability (processes killed and restarted)",
}

_rows: dict[tuple[str, str, str], dict[str, int]] = defaultdict(lambda: defaultdict(int))
_keys: dict[str, tuple[str, str, str]] = {}


def pytest_configure(config):
    config.addinivalue_line(
        "markers", "reliability(category, area=''): counted in the reliability summary table"
    )


def _case(item) -> str:
    params = getattr(getattr(item, "callspec", None), "params", {})
    fault = params.get("fault")
    if isinstance(fault, dict):
        return " ".join(str(fault[k]) for k in ("kind", "status") if k in fault)
    if "case" in params:
        return str(params["case"])
    return item.originalname.removeprefix("test_").replace("_", " ")


def pytest_collection_modifyitems(items):
    for item in items:
        marker = item.get_closest_marker("reliability")
        if marker and marker.args:
            _keys[item.nodeid] = (marker.args[0], marker.kwargs.get("area", ""), _case(item))


def pytest_runtest_logreport(report):
    key = _keys.get(report.nodeid)
    if key is None:
        return
    if report.when == "call" or (report.when == "setup" and not report.passed):
        _rows[key]["passed" if report.passed else "skipped" if report.skipped else "failed"] += 1


def render() -> str:
    lines = [
        "# Reliability and security summary",
        "",
        "Generated from the test run (`make reliability-report`); do not edit by hand.",
        "",
    ]
    for category, title in CATEGORIES.items():
        rows = sorted((k, v) for k, v in _rows.items() if k[0] == category)
        if not rows:
            continue
        total = {o: sum(v[o] for _, v in rows) for o in ("passed", "failed", "skipped")}
        lines += [
            f"## {title}",
            "",
            f"{sum(total.values())} checks: {total['passed']} passed, "
            f"{total['failed']} failed, {total['skipped']} skipped.",
            "",
            "| area | case | checks | result |",
            "|---|---|---|---|",
        ]
        for (_, area, case), counts in rows:
            n = sum(counts.values())
            result = (
                "pass"
                if counts["failed"] == 0 and counts["passed"]
                else ("FAIL" if counts["failed"] else "skipped")
            )
            lines.append(f"| {area} | {case} | {n} | {result} |")
        lines.append("")
    return "\n".join(lines)


@pytest.hookimpl(trylast=True)
def pytest_sessionfinish(session):
    if not _rows:
        return
    text = render()
    out = ROOT / "test-artifacts" / "reliability-summary.md"
    out.parent.mkdir(exist_ok=True)
    out.write_text(text)
    if os.environ.get("EDMPORTAL_UPDATE_DOCS") == "1":
        (ROOT / "docs" / "RELIABILITY.md").write_text(text)
