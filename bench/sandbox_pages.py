"""Benchmark: §4.8 page queries of the sandbox with a million addresses in one list.

    .venv/bin/python bench/sandbox_pages.py [--rows 1000000]

Fills a fresh state file (outside the repository) through the sandbox's own insert path (FTS
triggers included), then times §4.8 calls through the WSGI app: first page, a deep page, the
total, keyword searches of 3+ characters (trigram index) and of 2 characters (scan), plus
§4.1 and a §4.9.3 parse of 100,000 lines.
"""

from __future__ import annotations

import argparse
import io
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from werkzeug.test import Client  # noqa: E402

from sandbox.app import create_app  # noqa: E402
from sandbox.contacts_import import worker_for  # noqa: E402

AUTH = ("demo", "demo-pass")
URL = "/mm-ms/apinew/mloperate.php"


def timed(client, query, repeat=5):
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        response = client.get(URL, query_string=query, auth=AUTH)
        samples.append((time.perf_counter() - start) * 1000)
        assert response.status_code == 200
    return statistics.median(samples), response.get_data(as_text=True)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=1_000_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        app = create_app(Path(tmp) / "state.sqlite3", seed_data=True)
        client = Client(app)
        start = time.perf_counter()
        r = client.post("/_sandbox/contacts/generate",
                        json={"username": "demo", "list_id": 503, "count": args.rows})  # fmt: skip
        print(f"inserted {r.json['added']:,} addresses in {time.perf_counter() - start:.1f} s\n")
        cases = [
            ("§4.1 maillist-list", {"do": "maillist-list"}),
            ("§4.8 page 1 (50)", {"do": "ml-addr-list", "list_id": 503, "page": 1}),
            ("§4.8 page 10,000 (50)", {"do": "ml-addr-list", "list_id": 503, "page": 10_000}),
            ("§4.8 last page", {"do": "ml-addr-list", "list_id": 503, "page": args.rows // 50}),
            ("§4.8 all lists, page 1", {"do": "ml-addr-list", "page": 1}),
            ("§4.8 keyword 'gen' ... '.12345@' (FTS)",
             {"do": "ml-addr-list", "list_id": 503, "page": 1, "keyword": ".12345@"}),
            ("§4.8 keyword 3+ chars, one match",
             {"do": "ml-addr-list", "list_id": 503, "page": 1, "keyword": "123456@load"}),
            ("§4.8 keyword 2 chars '张伟' (scan)",
             {"do": "ml-addr-list", "list_id": 503, "page": 1, "keyword": "张伟"}),
        ]  # fmt: skip
        print(f"{'query':44} {'median ms':>10}  total_num")
        for name, query in cases:
            ms, body = timed(client, query)
            total = body.split("<total_num>")[1].split("<")[0] if "<total_num>" in body else "-"
            print(f"{name:44} {ms:10.1f}  {total}")

        worker_for(app.store, app.clock).parse_seconds = 0
        lines = "\n".join(
            f"imp{i}@example.com;名字{i};M;1990-01-01;135;北京" for i in range(100_000)
        )
        start = time.perf_counter()
        upload = {"file": (io.BytesIO(lines.encode()), "100k.txt")}
        query = {"do": "ml-addr-add-file", "list_id": 501}
        r = client.post(URL, query_string=query, data=upload, auth=AUTH)
        import_id = r.get_data(as_text=True).split("CDATA[")[1].split("]")[0]
        while "no_complete" in client.get(
            URL, query_string={"do": "ml-addr-add-file-query", "id": import_id}, auth=AUTH
        ).get_data(as_text=True):
            time.sleep(0.1)
        print(f"\n§4.9.3 upload + parse of 100,000 lines: {time.perf_counter() - start:.1f} s")
        app.store.close()


if __name__ == "__main__":
    main()
