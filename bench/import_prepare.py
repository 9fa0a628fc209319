"""Benchmark: local validation and conversion of a 1,000,000-row contacts CSV.

    .venv/bin/python bench/import_prepare.py [--rows 1000000] [--encoding utf-8|gb18030]
                                             [--skip-baseline]

Generates a CSV (~70 MB: header, Chinese names, 5 % invalid and 5 % duplicate addresses),
then runs, each in a fresh process on one core, (1) the portal's pipeline
(`apps.contacts.importing.sniff` + `prepare`) and (2) a naive per-row baseline (email-validator,
every row kept in a list in memory) and prints time, rows/s and peak RSS for both. Both check
every address against a 100,000-address suppression list (half of them in the file).

Targets (issue #3): the pipeline under 10 s for 1M rows (>= 100,000 rows/s) with peak RSS
under 200 MB.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.common import record  # noqa: E402

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗高"
GIVEN = "伟芳娜敏静磊洋艳勇军杰娟涛明超秀霞平刚桂"
AREAS = ["北京市朝阳区", "上海市浦东新区", "广州市天河区", "深圳市南山区", "杭州市西湖区"]
LEVELS = ["金卡", "银卡", "铜卡"]


def generate(path: Path, rows: int, encoding: str) -> None:
    rng = random.Random(3)
    with path.open("w", encoding=encoding, newline="") as fh:
        fh.write("邮箱,姓名,性别,生日,手机,地区,会员等级\n")
        buf = []
        for i in range(rows):
            kind = rng.random()
            if kind < 0.05:
                email = f"broken{i}.example.com"  # no @
            elif kind < 0.10 and i > 10:
                email = f"user{i - 7}@example{(i - 7) % 50}.com"  # a duplicate of an earlier row
            else:
                email = f"user{i}@example{i % 50}.com"
            name = SURNAMES[i % 20] + GIVEN[(i * 7) % 20] + (GIVEN[(i * 3) % 20] if i % 2 else "")
            buf.append(
                f"{email},{name},{'男' if i % 2 else '女'},19{70 + i % 30}-{1 + i % 12:02d}-"
                f"{1 + i % 28:02d},13{i % 10}{i:08d},{AREAS[i % 5]},{LEVELS[i % 3]}\n"
            )
            if len(buf) >= 10_000:
                fh.write("".join(buf))
                buf.clear()
        fh.write("".join(buf))


def suppression_list(rows: int, size: int = 100_000) -> list[str]:
    """`size` addresses: every other one is in the file (a valid row's address), every other not."""
    step = max(1, rows // size)
    return [
        f"user{i}@example{i % 50}.com" if n % 2 else f"gone{i}@elsewhere.example"
        for n, i in enumerate(range(0, step * size, step))
    ]


def run_pipeline(path: str, rows: int) -> dict:
    import django
    from django.conf import settings

    settings.configure(USE_I18N=False)
    django.setup()
    from apps.contacts.importing import email_key, prepare, sniff

    start = time.perf_counter()
    # As the import job does: the account's suppression list as 64-bit keys.
    suppressed = {email_key(e) for e in suppression_list(rows)}
    sniffed = sniff(Path(path))
    out = Path(path + ".platform.txt")
    rejects = Path(path + ".rejects.csv")
    result = prepare(
        Path(path),
        sniffed,
        mapping=sniffed.mapping,
        out_path=out,
        rejects_path=rejects,
        suppressed=suppressed,
    )
    seconds = time.perf_counter() - start
    return {
        "seconds": seconds,
        "rows": result.total,
        "good": result.good,
        "invalid": result.invalid,
        "duplicate": result.duplicate,
        "suppressed": result.suppressed,
        "encoding": sniffed.encoding,
        "mapping": sniffed.mapping,
    }


def run_baseline(path: str, encoding: str, rows_total: int) -> dict:
    import csv

    from email_validator import EmailNotValidError, validate_email

    start = time.perf_counter()
    suppressed = {e.lower() for e in suppression_list(rows_total)}
    with open(path, encoding=encoding, newline="") as fh:
        rows = list(csv.DictReader(fh))  # everything in memory
    good, invalid, duplicate, suppressed_rows, seen = [], [], [], [], []
    seen_set = set()
    for row in rows:
        try:
            email = validate_email(row["邮箱"], check_deliverability=False).normalized
        except EmailNotValidError:
            invalid.append(row)
            continue
        if email.lower() in seen_set:
            duplicate.append(row)
            continue
        if email.lower() in suppressed:
            suppressed_rows.append(row)
            continue
        seen.append(email.lower())
        seen_set.add(email.lower())
        good.append(row)
    with open(path + ".baseline.txt", "w", encoding="utf-8") as out:
        for row in good:
            out.write(f"{row['邮箱']};{row['姓名']}\n")
    return {
        "seconds": time.perf_counter() - start,
        "rows": len(rows),
        "good": len(good),
        "invalid": len(invalid),
        "duplicate": len(duplicate),
        "suppressed": len(suppressed_rows),
    }


def child(kind: str, path: str, encoding: str, rows: int) -> None:
    if len(os.sched_getaffinity(0)) > 1:
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})  # one core
    pipeline = kind == "pipeline"
    result = run_pipeline(path, rows) if pipeline else run_baseline(path, encoding, rows)
    usage = resource.getrusage(resource.RUSAGE_SELF)
    result["peak_rss_mb"] = usage.ru_maxrss / 1024
    # CPU time beside wall time: on a shared machine the wall clock includes waiting for a core.
    result["cpu_seconds"] = usage.ru_utime + usage.ru_stime
    print(json.dumps(result, ensure_ascii=False))


def measure(kind: str, path: Path, encoding: str, rows: int) -> dict:
    out = subprocess.run(
        [sys.executable, __file__, "--child", kind, str(path), "--encoding", encoding]
        + ["--rows", str(rows)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--encoding", default="utf-8", choices=["utf-8", "gb18030"])
    parser.add_argument("--skip-baseline", action="store_true")
    parser.add_argument("--child", nargs=2, metavar=("KIND", "PATH"))
    args = parser.parse_args()
    if args.child:
        child(args.child[0], args.child[1], args.encoding, args.rows)
        return
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "contacts.csv"
        start = time.perf_counter()
        generate(path, args.rows, args.encoding)
        size_mb = path.stat().st_size / 1e6
        print(
            f"generated {args.rows:,} rows, {size_mb:.1f} MB ({args.encoding}) "
            f"in {time.perf_counter() - start:.1f} s\n"
        )
        results = {
            "pipeline (apps.contacts.importing)": measure(
                "pipeline", path, args.encoding, args.rows
            )
        }
        if not args.skip_baseline:
            results["naive baseline (email-validator)"] = measure(
                "baseline", path, args.encoding, args.rows
            )
        print(
            f"{'':36} {'time s':>8} {'rows/s':>10} {'peak RSS MB':>12} {'good':>9} "
            f"{'invalid':>8} {'dup':>8} {'suppr':>8}"
        )
        for name, r in results.items():
            print(
                f"{name:36} {r['seconds']:8.2f} {r['rows'] / r['seconds']:10,.0f} "
                f"{r['peak_rss_mb']:12.0f} {r['good']:9,} {r['invalid']:8,} {r['duplicate']:8,} "
                f"{r['suppressed']:8,}"
            )
        pipeline = results["pipeline (apps.contacts.importing)"]
        print(f"\npipeline detected encoding {pipeline['encoding']}, mapping {pipeline['mapping']}")
        rate = pipeline["rows"] / pipeline["seconds"]
        ok = rate >= 100_000 and pipeline["peak_rss_mb"] < 200
        naive = results.get("naive baseline (email-validator)")
        record(
            "import_prepare",
            f"import preparation, {pipeline['rows']:,} rows, {size_mb:.0f} MB "
            f"({args.encoding}), one core",
            seconds=pipeline["seconds"],
            throughput=rate,
            unit="rows/s",
            peak_rss_mb=pipeline["peak_rss_mb"],
            baseline=naive
            and {
                "seconds": naive["seconds"],
                "throughput": naive["rows"] / naive["seconds"],
                "peak_rss_mb": naive["peak_rss_mb"],
            },
            target=">= 100,000 rows/s, peak RSS < 200 MB",
            met=ok,
            note=f"{pipeline['good']:,} good, {pipeline['invalid']:,} invalid, "
            f"{pipeline['duplicate']:,} duplicate, {pipeline['suppressed']:,} suppressed; "
            f"{pipeline['rows'] / pipeline['cpu_seconds']:,.0f} rows per CPU-second; "
            "listmonk's importer ~10,000 rows/s for reference",
        )
        print(f"target (>= 100,000 rows/s, < 200 MB): {'met' if ok else 'MISSED'}")


if __name__ == "__main__":
    main()
