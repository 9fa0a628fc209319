"""Benchmark: the 1M-row §4.9.3 upload and the 1M-row §4.6 address export, over real HTTP.

    .venv/bin/python bench/contacts_transfer.py [--rows 1000000] [--skip-baseline]

The sandbox runs as its own process (fresh state file outside the repository), so the memory
measured is the portal side's alone. Each way runs in a fresh Python process after Django is
set up; "growth" is its peak RSS minus its RSS just before the transfer began (idle).

* **upload** (issue 11, target: growth < 100 MB): a file of `--rows` lines in the platform's
  format through `ContactsAPI.addr_add_file` (a streamed multipart body). Baseline: what a
  team writes first, `requests.post(files=...)` with the file read into memory.
* **export** (target: >= 200,000 rows/s, constant memory): `--rows` addresses of one list
  (made by the sandbox's generator) streamed through `ContactsAPI.export_subscriptions` and
  `apps.core.exports.export_response` (CSV) and consumed as a download would be. Constant
  memory: the RSS after 10 % of the rows and at the end differ by less than 20 MB. Baseline:
  the whole §4.6 reply read at once, split, and the CSV built in memory.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.common import SandboxProcess, current_rss_mb, peak_rss_mb, record  # noqa: E402

AUTH = ("demo", "demo-pass")
UPLOAD_LIST, EXPORT_LIST = 501, 503


def write_upload_file(path: Path, rows: int) -> None:
    with path.open("w", encoding="utf-8") as fh:
        buf = []
        for i in range(rows):
            buf.append(f"up{i}@example{i % 50}.com;王伟{i % 1000};M;1990-01-01;1380000{i};北京市\n")
            if len(buf) >= 10_000:
                fh.write("".join(buf))
                buf.clear()
        fh.write("".join(buf))


def _client(url: str):
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "edmportal.settings.test")
    os.environ.setdefault("DATABASE_URL", "sqlite:///:memory:")
    import django

    django.setup()
    from apps.umail.client import UmailClient

    return UmailClient.connect(platform_url=url, username=AUTH[0], password=AUTH[1])


def child(kind: str, url: str, path: str, rows: int) -> dict:
    client = _client(url)
    import requests

    result: dict = {}
    if kind.startswith("upload"):
        idle = current_rss_mb()
        start = time.perf_counter()
        if kind == "upload":
            with open(path, "rb") as fh:
                import_id = client.contacts.addr_add_file(
                    list_id=UPLOAD_LIST, fileobj=fh, filename="contacts.txt"
                )
        else:
            with open(path, "rb") as fh:
                data = fh.read()  # the whole file in memory, as a first version would
            reply = requests.post(
                url + "mm-ms/apinew/mloperate.php",
                params={"do": "ml-addr-add-file", "list_id": UPLOAD_LIST},
                files={"file": ("contacts.txt", data, "text/plain")},
                auth=AUTH,
                timeout=600,
            )
            reply.raise_for_status()
            import_id = reply.text
        result.update(seconds=time.perf_counter() - start, rows=rows, id=str(import_id)[:40])
    else:
        from apps.core.exports import iter_csv

        idle = current_rss_mb()
        start = time.perf_counter()
        count, rss_early = 0, None
        if kind == "export":
            rows_iter = client.contacts.export_subscriptions(EXPORT_LIST)
            size = 0
            for chunk in iter_csv(rows_iter, ["E-mail address", "Name"]):
                size += len(chunk)
                count += chunk.count(b"\n")
                if rss_early is None and count >= rows // 10:
                    rss_early = current_rss_mb()
        else:
            import csv
            import io

            reply = requests.get(
                url + "mm-ms/apinew/mloperate.php",
                params={"do": "subscription-export", "id": EXPORT_LIST},
                auth=AUTH,
                timeout=600,
            )
            lines = reply.text.splitlines()
            rss_early = current_rss_mb()
            out = io.StringIO()
            writer = csv.writer(out)
            writer.writerow(["E-mail address", "Name"])
            for line in lines:
                writer.writerow(line.split("\t", 1))
            body = out.getvalue().encode("utf-8")
            count, size = body.count(b"\n"), len(body)
        result.update(
            seconds=time.perf_counter() - start,
            rows=count - 1,  # the header
            bytes=size,
            rss_growth_after_10pct=rss_early - idle,
            rss_end=current_rss_mb(),
        )
    result["idle_rss_mb"] = idle
    result["peak_rss_mb"] = peak_rss_mb()
    result["growth_mb"] = result["peak_rss_mb"] - idle
    return result


def measure(kind: str, url: str, path: Path, rows: int) -> dict:
    out = subprocess.run(
        [sys.executable, __file__, "--child", kind, url, str(path), "--rows", str(rows)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    if out.returncode:
        raise RuntimeError(f"{kind} failed:\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--skip-baseline", action="store_true")
    parser.add_argument("--child", nargs=3, metavar=("KIND", "URL", "PATH"))
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(*args.child, rows=args.rows)))
        return
    with tempfile.TemporaryDirectory(prefix="bench-transfer-") as tmp:
        tmp = Path(tmp)
        path = tmp / "contacts.txt"
        write_upload_file(path, args.rows)
        size_mb = path.stat().st_size / 2**20
        with SandboxProcess(tmp / "sandbox.sqlite3") as sandbox:
            # The upload is what is measured; the sandbox need not parse a million lines after.
            sandbox.control("contacts/settings", {"parse_seconds": 3600})
            upload = measure("upload", sandbox.url, path, args.rows)
            naive_up = None if args.skip_baseline else measure("upload-naive", sandbox.url, path,
                                                               args.rows)  # fmt: skip
            start = time.perf_counter()
            made = sandbox.control(
                "contacts/generate",
                {"username": "demo", "list_id": EXPORT_LIST, "count": args.rows},
            )
            generated = time.perf_counter() - start
            export = measure("export", sandbox.url, path, args.rows)
            naive_ex = None if args.skip_baseline else measure("export-naive", sandbox.url, path,
                                                               args.rows)  # fmt: skip

    print(f"upload file: {args.rows:,} lines, {size_mb:.0f} MiB; sandbox generated "
          f"{made['added']:,} addresses for the export in {generated:.0f} s\n")  # fmt: skip
    print(f"{'case':<38} {'seconds':>8} {'rows/s':>10} {'idle MB':>8} {'peak MB':>8} "
          f"{'growth MB':>10}")  # fmt: skip
    cases = [
        ("upload §4.9.3 (streamed)", upload),
        ("upload, naive (file in memory)", naive_up),
        ("export §4.6 → CSV (streamed)", export),
        ("export, naive (reply in memory)", naive_ex),
    ]
    for label, r in cases:
        if r:
            rate = r["rows"] / r["seconds"]
            print(f"{label:<38} {r['seconds']:>8.2f} {rate:>10,.0f} {r['idle_rss_mb']:>8.0f} "
                  f"{r['peak_rss_mb']:>8.0f} {r['growth_mb']:>10.0f}")  # fmt: skip

    def as_baseline(r):
        if not r:
            return None
        return {"seconds": r["seconds"], "throughput": r["rows"] / r["seconds"],
                "peak_rss_mb": r["peak_rss_mb"], "growth_mb": r["growth_mb"]}  # fmt: skip

    up_ok = upload["growth_mb"] < 100
    record(
        "contacts_transfer",
        "§4.9.3 streaming upload, 1M-row file",
        seconds=upload["seconds"],
        throughput=upload["rows"] / upload["seconds"],
        unit="rows/s",
        peak_rss_mb=upload["peak_rss_mb"],
        baseline=as_baseline(naive_up),
        target="peak RSS < idle + 100 MB",
        met=up_ok,
        note=f"grew {max(0, upload['growth_mb']):.0f} MB over idle {upload['idle_rss_mb']:.0f} MB"
        + (f"; naive grew {naive_up['growth_mb']:.0f} MB" if naive_up else ""),
    )
    drift = export["rss_end"] - (export["idle_rss_mb"] + export["rss_growth_after_10pct"])
    rate = export["rows"] / export["seconds"]
    # The demo list held a few seeded addresses before the generated ones.
    ex_ok = rate >= 200_000 and drift < 20 and export["rows"] >= args.rows
    record(
        "contacts_transfer",
        "§4.6 address export streamed to CSV, 1M rows",
        seconds=export["seconds"],
        throughput=rate,
        unit="rows/s",
        peak_rss_mb=export["peak_rss_mb"],
        baseline=as_baseline(naive_ex),
        target=">= 200,000 rows/s, constant memory",
        met=ex_ok,
        note=f"{export['rows']:,} rows; RSS from 10 % to the end {drift:+.1f} MB"
        + (f"; naive grew {naive_ex['growth_mb']:.0f} MB" if naive_ex else ""),
    )
    print(f"\nupload growth {upload['growth_mb']:.0f} MB (< 100): {'met' if up_ok else 'MISSED'}; "
          f"export {rate:,.0f} rows/s, RSS drift {drift:+.1f} MB after 10 %: "
          f"{'met' if ex_ok else 'MISSED'}")  # fmt: skip


if __name__ == "__main__":
    main()
