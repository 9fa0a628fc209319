"""The benchmark harness: every benchmark, one table, written to docs/PERFORMANCE.md.

    .venv/bin/python bench/run.py [--only NAME[,NAME]] [--all] [--no-write] [--list]

`make bench` runs this. Each benchmark is its own script under `bench/` and runs as its own
process with its full log in `var/bench/logs/NAME.log`. Scripts report their figures through
`bench.common.record()` (time, throughput, peak RSS, the baseline measured beside it in the same
run, the target and whether it was met); for scripts that only print a table the harness reads
that table (`parse`), and for any script it notes the wall time and the process tree's peak RSS.
The load average is written beside every figure: the machine is shared, so the ratio to the
baseline measured in the same run is the number that holds on a busy machine.

The generated part of docs/PERFORMANCE.md sits between the `bench:begin`/`bench:end` markers;
the prose around it (what limits each figure, how the design scales) is written by hand.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import re
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.common import BENCH_DB, load_average  # noqa: E402

LOGS = ROOT / "var" / "bench" / "logs"
DOC = ROOT / "docs" / "PERFORMANCE.md"
BEGIN, END = "<!-- bench:begin -->", "<!-- bench:end -->"


@dataclass
class Bench:
    name: str
    args: list[str]
    timeout: int
    what: str
    parse: object = None  # (stdout) -> list of record dicts, for scripts that only print
    extra: bool = False  # run with --all only (not one of issue 11's figures)
    needs: list[str] = field(default_factory=list)  # files that must exist (work in progress)


# -- readers of the tables printed by scripts that do not call record() ----------------------


def _num(text: str) -> float:
    return float(text.replace(",", ""))


def parse_detail(out: str) -> list[dict]:
    """analytics_detail_parse.py: one line per reader."""
    rows = {}
    pattern = (
        r"^(stream \+ store \(portal\)|iter_children \+ dataclasses|whole document \+ "
        r"dataclasses)\s+([\d,]+)\s+(\S+)\s+([\d.]+)s\s+([\d.]+)s\s+([\d,]+)\s+(\d+)MB\s+(-?\d+)MB"
    )
    for m in re.finditer(pattern, out, re.M):
        rows[m.group(1)] = {
            "rows": int(_num(m.group(2))),
            "stored": m.group(3),
            "seconds": float(m.group(4)),
            "cpu_seconds": float(m.group(5)),
            "throughput": _num(m.group(6)),
            "peak_rss_mb": float(m.group(7)),
        }
    store = rows.get("stream + store (portal)")
    if not store:
        return []
    whole = rows.get("whole document + dataclasses")
    stored_all = store["stored"].replace(",", "") == str(store["rows"])
    return [
        {
            "figure": f"§3.2 detail reply parsed and stored, {store['rows']:,} rows",
            "seconds": store["seconds"],
            "throughput": store["throughput"],
            "unit": "rows/s",
            "peak_rss_mb": store["peak_rss_mb"],
            "baseline": whole and {k: whole[k] for k in ("seconds", "throughput", "peak_rss_mb")},
            "target": "< 15 s, peak RSS < 150 MB",
            "met": store["seconds"] < 15 and store["peak_rss_mb"] < 150 and stored_all,
            "note": f"{store['cpu_seconds']:.1f} CPU s; baseline: the whole document parsed "
            "at once (not stored)",
        }
    ]


def parse_sync(out: str) -> list[dict]:
    """analytics_sync.py: the full run and the two incremental runs."""
    runs = {}
    for m in re.finditer(r"^(\d)\. [^\n]*?\s+([\d.]+)s\s+([\d,]+)\s+([\d,]+)\s+(\d+)", out, re.M):
        runs[m.group(1)] = (float(m.group(2)), int(_num(m.group(3))), int(_num(m.group(4))))
    if "1" not in runs:
        return []
    full = runs["1"]
    cpu = re.search(r"CPU seconds of the full sync: portal (\d+), sandbox (\d+)", out)
    result = [
        {
            "figure": f"statistics full sync, {full[2]:,} campaigns",
            "seconds": full[0],
            "throughput": full[2] / full[0],
            "unit": "campaigns/s",
            "target": "< 120 s, bounded concurrency",
            "met": full[0] < 120 and "full sync < 2 min: met" in out,
            "note": f"{full[1]:,} API calls"
            + (f"; CPU s: portal {cpu.group(1)}, sandbox {cpu.group(2)}" if cpu else ""),
        }
    ]
    for key, label in (("2", "at once"), ("3", "an hour later")):
        if key in runs:
            seconds, calls, _ = runs[key]
            result.append(
                {
                    "figure": f"statistics incremental sync ({label})",
                    "seconds": seconds,
                    "throughput": None,
                    "baseline": {"seconds": full[0], "throughput": None},
                    "target": "< 10 % of the full run's time and calls",
                    "met": seconds < 0.1 * full[0] and calls < 0.1 * full[1],
                    "note": f"{calls:,} API calls = {100 * calls / max(1, full[1]):.1f} % "
                    f"of {full[1]:,}",
                }
            )
    return result


def parse_dashboard(out: str) -> list[dict]:
    result = []
    for m in re.finditer(r"^(a year \(default[^\n]*?|the default 30 days)\s+([\d.]+)ms\s+"
                         r"([\d.]+)ms", out, re.M):  # fmt: skip
        result.append(
            {
                "figure": f"analytics dashboard: {m.group(1).strip()}",
                "seconds": float(m.group(3)) / 1000,
                "unit": "p95",
                "target": "p95 < 200 ms (issue 6)",
                "met": float(m.group(3)) < 200,
            }
        )
    return result


BENCHES = [
    Bench("import_prepare", ["bench/import_prepare.py"], 600,
          "1M-row CSV validated, deduplicated, suppressed, converted; naive baseline beside"),
    Bench("contacts_transfer", ["bench/contacts_transfer.py"], 600,
          "1M-row §4.9.3 streaming upload and 1M-row §4.6 export, naive baselines beside"),
    Bench("analytics_detail_parse", ["bench/analytics_detail_parse.py"], 900,
          "1M-row §3.2 reply parsed and stored (analytics)", parse=parse_detail,
          needs=["bench/analytics_detail_parse.py", "apps/analytics/detail_store.py"]),
    Bench("analytics_sync", ["bench/analytics_sync.py"], 900,
          "10,000 campaigns' statistics synced, then incrementally (analytics)",
          parse=parse_sync, needs=["bench/analytics_sync.py"]),
    Bench("pages_load", ["bench/pages_load.py"], 900,
          "gunicorn, 2 workers, 20 signed-in users (wrk for the ceiling); 10,000 campaigns, "
          "1,000 lists, a year"),
    Bench("analytics_dashboard", ["bench/analytics_dashboard.py", "--runs", "10"], 600,
          "analytics dashboard rendered in-process (issue 6)", parse=parse_dashboard,
          needs=["bench/analytics_dashboard.py"]),
    Bench("templates_content", ["bench/templates_content.py"], 300,
          "template lint, html_to_text, merge tags (issue 4)", extra=True),
    Bench("smtp_send", ["bench/smtp_send.py"], 300, "SMTP backend to the sandbox (issue 8)",
          extra=True),
    Bench("domains_sync", ["bench/domains_sync.py"], 300, "domain mirror (issue 7)", extra=True),
    Bench("sandbox_pages", ["bench/sandbox_pages.py"], 600, "sandbox §4.8 pages, 1M rows",
          extra=True),
    Bench("browser_suite", ["bench/browser_suite.py"], 1200,
          "the browser journeys in headless Chromium against CI's 10 minutes (issue 10)",
          extra=True),
]  # fmt: skip


def run_one(bench: Bench, env: dict) -> tuple[list[dict], dict]:
    LOGS.mkdir(parents=True, exist_ok=True)
    log = LOGS / f"{bench.name}.log"
    with tempfile.NamedTemporaryFile("w+", suffix=".jsonl", delete=False) as results:
        results_path = results.name
    load_before = load_average()
    start = time.perf_counter()
    with log.open("w", encoding="utf-8") as fh:
        proc = subprocess.Popen(
            [sys.executable, *bench.args],
            cwd=ROOT,
            stdout=fh,
            stderr=subprocess.STDOUT,
            env={**env, "BENCH_RESULTS": results_path},
            start_new_session=True,
        )
        deadline = time.monotonic() + bench.timeout
        status = None
        while status is None:
            pid, status_code, usage = os.wait4(proc.pid, os.WNOHANG)
            if pid:
                status = os.waitstatus_to_exitcode(status_code)
                break
            if time.monotonic() > deadline:
                os.killpg(proc.pid, 15)
                _, status_code, usage = os.wait4(proc.pid, 0)
                status = "timeout"
                break
            time.sleep(0.5)
        proc.returncode = status if isinstance(status, int) else -15
    wall = time.perf_counter() - start
    out = log.read_text(encoding="utf-8", errors="replace")
    records = [json.loads(line) for line in Path(results_path).read_text().splitlines() if line]
    os.unlink(results_path)
    if bench.parse and not records:
        records = [{"benchmark": bench.name, "load": load_average(), **r} for r in bench.parse(out)]
    meta = {
        "name": bench.name,
        "what": bench.what,
        "status": "ok" if status == 0 else f"failed ({status})",
        "wall_seconds": wall,
        # ru_maxrss of the process: its own peak or its biggest reaped child's, whichever is more.
        "tree_peak_rss_mb": usage.ru_maxrss / 1024,
        "load_before": load_before,
        "load_after": load_average(),
        "log": str(log.relative_to(ROOT)),
    }
    return records, meta


def machine() -> str:
    cpu = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    try:
        pg = subprocess.run(
            ["psql", BENCH_DB.rsplit("/", 1)[0] + "/postgres", "-Atc", "show server_version"],
            capture_output=True, text=True, timeout=10,
        ).stdout.strip() or "?"  # fmt: skip
    except (OSError, subprocess.SubprocessError):
        pg = "?"
    return (
        f"{cpu}, {len(os.sched_getaffinity(0))} cores, {mem:.0f} GiB RAM; "
        f"{platform.system()} {platform.release()}; Python {platform.python_version()}; "
        f"PostgreSQL {pg}"
    )


def _fmt(value, spec: str, empty: str = "—") -> str:
    return empty if value is None else format(value, spec)


def _ratio(r: dict) -> str:
    b = r.get("baseline") or {}
    if r.get("throughput") and b.get("throughput"):
        return f"{r['throughput'] / b['throughput']:.1f}× the baseline's rate"
    if r.get("seconds") and b.get("seconds"):
        return f"{100 * r['seconds'] / b['seconds']:.1f} % of its time"
    return "—"


def table(records: list[dict], metas: list[dict]) -> str:
    lines = [
        "| Benchmark | Figure | Time | Throughput | Peak RSS | Baseline (same run) | Ratio "
        "| Target | Met | Load (1 min) |",
        "|---|---|---:|---:|---:|---|---|---|:-:|---:|",
    ]
    for r in records:
        b = r.get("baseline") or {}
        baseline = "—"
        if b:
            parts = [
                _fmt(b.get("seconds"), ".2f") + " s" if b.get("seconds") is not None else "",
                f"{b['throughput']:,.0f}" if b.get("throughput") else "",
                f"{b['peak_rss_mb']:.0f} MB" if b.get("peak_rss_mb") is not None else "",
            ]
            baseline = ", ".join(p for p in parts if p) or "—"
        throughput = (
            f"{r['throughput']:,.0f} {r.get('unit') or ''}".strip() if r.get("throughput") else "—"
        )
        met = {True: "✅", False: "❌", None: "—"}[r.get("met")]
        rss = "—" if r.get("peak_rss_mb") is None else f"{r['peak_rss_mb']:.0f} MB"
        figure = r["figure"] + (f" ({r['note']})" if r.get("note") else "")
        lines.append(
            f"| {r['benchmark']} | {figure} | {_fmt(r.get('seconds'), '.2f')} s | {throughput} "
            f"| {rss} | {baseline} | {_ratio(r)} "
            f"| {r.get('target') or '—'} | {met} | {r.get('load', '—')} |"
        )
    lines += [
        "",
        "| Benchmark | What | Status | Wall time | Peak RSS (process tree) | Load before → after "
        "| Log |",
        "|---|---|---|---:|---:|---|---|",
    ]
    for m in metas:
        lines.append(
            f"| {m['name']} | {m['what']} | {m['status']} | {m['wall_seconds']:.0f} s "
            f"| {m['tree_peak_rss_mb']:.0f} MB | {m['load_before']} → {m['load_after']} "
            f"| `{m['log']}` |"
        )
    return "\n".join(lines)


def write_doc(text: str) -> None:
    doc = DOC.read_text(encoding="utf-8") if DOC.exists() else f"# Performance\n\n{BEGIN}\n{END}\n"
    if BEGIN not in doc:
        doc += f"\n{BEGIN}\n{END}\n"
    head, rest = doc.split(BEGIN, 1)
    tail = rest.split(END, 1)[1] if END in rest else ""
    DOC.write_text(f"{head}{BEGIN}\n{text}\n{END}{tail}", encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--only", help="comma-separated benchmark names")
    parser.add_argument("--all", action="store_true", help="also the per-feature extras")
    parser.add_argument("--no-write", action="store_true", help="print, do not write the doc")
    parser.add_argument("--list", action="store_true")
    args = parser.parse_args()
    chosen = [b for b in BENCHES if args.all or not b.extra]
    if args.only:
        names = set(args.only.split(","))
        chosen = [b for b in BENCHES if b.name in names]
    if args.list:
        for b in BENCHES:
            print(f"{b.name:<24} {'extra' if b.extra else 'issue 11':<9} {b.what}")
        return
    env = {**os.environ, "PYTHONPATH": str(ROOT), "PYTHONUNBUFFERED": "1"}
    env.setdefault("BENCH_DATABASE_URL", BENCH_DB)
    env["DATABASE_URL"] = env["BENCH_DATABASE_URL"]
    env.pop("REDIS_URL", None)
    started, began = time.perf_counter(), dt.datetime.now(dt.UTC)
    records, metas = [], []
    for bench in chosen:
        missing = [p for p in bench.needs if not (ROOT / p).exists()]
        if missing:
            print(f"-- {bench.name}: skipped, {', '.join(missing)} not there yet", flush=True)
            continue
        print(f"-- {bench.name} (load {load_average()}) …", flush=True)
        got, meta = run_one(bench, env)
        records += got
        metas.append(meta)
        print(
            f"   {meta['status']} in {meta['wall_seconds']:.0f} s, {len(got)} figure(s), "
            f"log {meta['log']}",
            flush=True,
        )
        for r in got:
            print(f"   {r['figure']}: {_fmt(r.get('seconds'), '.2f')} s, "
                  f"met={r.get('met')} ({r.get('note') or ''})", flush=True)  # fmt: skip
    total = time.perf_counter() - started
    header = (
        f"Generated by `make bench` (`bench/run.py`) on {began:%Y-%m-%d %H:%M} UTC in "
        f"{total / 60:.1f} minutes.\n\nMachine: {machine()}. Load average at the end: "
        f"{' / '.join(f'{x:.2f}' for x in os.getloadavg())} (1 / 5 / 15 min).\n"
    )
    text = header + "\n" + table(records, metas)
    print("\n" + text)
    if not args.no_write and not args.only:
        write_doc(text)
        print(f"\nwritten to {DOC.relative_to(ROOT)}")
    failed = [m["name"] for m in metas if m["status"] != "ok"]
    missed = [r["figure"] for r in records if r.get("met") is False]
    if failed or missed:
        print(f"\nfailed: {failed or 'none'}; targets missed: {missed or 'none'}")


if __name__ == "__main__":
    main()
