"""Benchmark: campaigns at scale, end to end over real HTTP.

    .venv/bin/python bench/campaigns_delivery.py [--sizes 10000,100000] [--open-rate 1]
                                                 [--campaigns 5000]

Starts the sandbox as a real HTTP server on a free port with a fresh state file (outside the
repository). For each size N it fills a list with N addresses, then times:

* add-task and the task's start (the sandbox copies the range and draws every recipient's fate),
* §6.1 task-list of the task and §3.1 overview once everything has been sent and opened,
* §3.2 open detail streamed through the portal's client (iterparse), with the peak memory the
  Python side allocated while reading it (tracemalloc) — `--open-rate 1` makes every delivered
  recipient an opener, so N = 1,000,000 gives a million-row reply.

Then it renders the campaign list page of an account with `--campaigns` local campaigns (the
portal uses a throwaway SQLite database) to show the list is read from the database, a page at a
time. No target is set by the issue for these; the numbers show how cost grows with size.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="10000,100000")
    parser.add_argument("--open-rate", type=float, default=1.0)
    parser.add_argument("--campaigns", type=int, default=5000)
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",") if s]

    tmp = Path(tempfile.mkdtemp(prefix="bench-campaigns-"))
    os.environ.update(
        DJANGO_SETTINGS_MODULE="edmportal.settings.test",
        DATABASE_URL=f"sqlite:///{tmp / 'portal.sqlite3'}",
    )
    os.environ.pop("REDIS_URL", None)

    import subprocess
    import urllib.request

    from sandbox import contacts_store as cs
    from sandbox.app import create_app

    # The state is prepared here, then the sandbox serves it as its own process (as in tests).
    state = tmp / "sandbox.sqlite3"
    app = create_app(state, seed_data=True)
    app.store.update_account("demo", {"qty_available": 10**9, "qty_buytotal": 10**9})
    conn = app.store.conn
    list_ids = {}
    for n in sizes:
        with app.store.transaction():
            list_ids[n] = conn.execute(
                "INSERT INTO maillists (account_id, subject, status, created_at) "
                "VALUES (1001, ?, 'enabled', '2026-01-01 00:00:00')",
                (f"bench {n}",),
            ).lastrowid
        cs.insert_addresses(
            conn,
            account_id=1001,
            list_id=list_ids[n],
            rows=({"address": f"r{i}@bench{i % 101}.example.com"} for i in range(n)),
            now="2026-01-01 00:00:00",
            batch=20_000,
            commit_each_batch=True,
        )
    app.store.close()
    proc = subprocess.Popen(
        [sys.executable, "-m", "sandbox", "serve", "--port", "0", "--smtp-port", "-1",
         "--state", str(state), "--speed", "1000000"],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )  # fmt: skip
    line = proc.stdout.readline()
    url = line.split("listening on ", 1)[1].strip() + "/"
    request = urllib.request.Request(  # noqa: S310 - the sandbox on loopback
        url + "_sandbox/delivery/settings",
        data=f'{{"open_rate": {args.open_rate}}}'.encode(),
        method="POST",
    )
    urllib.request.urlopen(request).close()  # noqa: S310

    import django

    django.setup()
    from apps.umail.client import UmailClient
    from apps.umail.send_tasks import TaskParams

    client = UmailClient.connect(platform_url=url, username="demo", password="demo-pass")  # noqa: S106
    client.transport.config = type(client.transport.config)(read_timeout=600.0)
    rows = []
    for n in sizes:
        list_id = list_ids[n]
        started = time.perf_counter()
        task_id = client.tasks.add_task(
            TaskParams(
                tpl_ids=(501, 502),
                maillist_id=list_id,
                time=dt.datetime.now(dt.UTC),
                send_account="notice@demo-shop.cn",
                status=2,
                track_status=2,
            )
        )
        added = time.perf_counter() - started
        time.sleep(0.05)
        started = time.perf_counter()
        task = client.tasks.get_task(task_id)  # the start happens on this call (or the engine's)
        start_seconds = time.perf_counter() - started
        time.sleep(4)  # every open and click is in (72 simulated hours at most)
        started = time.perf_counter()
        task = client.tasks.get_task(task_id)
        list_seconds = time.perf_counter() - started
        started = time.perf_counter()
        overview = client.tracking.overview(send_id=task_id)
        overview_seconds = time.perf_counter() - started
        tracemalloc.start()
        started = time.perf_counter()
        count = sum(1 for _ in client.tracking.iter_open_detail(send_id=task_id))
        detail_seconds = time.perf_counter() - started
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        assert count == overview.open_unique, (count, overview.open_unique)
        rows.append(
            (
                n,
                task.send_status,
                added,
                start_seconds,
                list_seconds,
                overview_seconds,
                count,
                detail_seconds,
                peak / 2**20,
            )
        )

    print()
    print(f"{'recipients':>10} {'status':>6} {'add-task':>9} {'start':>8} {'§6.1':>7} "
          f"{'§3.1':>7} {'openers':>9} {'§3.2':>8} {'peak MB':>8}")  # fmt: skip
    for n, status, a, s, li, o, c, d, p in rows:
        print(f"{n:>10,} {status:>6} {a:>8.3f}s {s:>7.2f}s {li:>6.3f}s {o:>6.3f}s {c:>9,} "
              f"{d:>7.2f}s {p:>8.1f}")  # fmt: skip
    print(f"  §3.2 throughput (largest): {rows[-1][6] / rows[-1][7]:,.0f} openers/s")

    proc.terminate()
    proc.wait(timeout=10)
    _list_page(args.campaigns)


def _list_page(count: int) -> None:
    from django.core.management import call_command
    from django.test import Client
    from django.utils import timezone

    call_command("migrate", verbosity=0)
    from apps.accounts.tests.factories import member, platform_account
    from apps.campaigns.models import Campaign, CampaignSync

    account = platform_account(username="bench")
    CampaignSync.objects.create(account=account, synced_at=timezone.now())
    now = timezone.now()
    Campaign.objects.bulk_create(
        [
            Campaign(
                account=account,
                name=f"Campaign {i}",
                template_ids=[1, 2],
                template_names=["A", "B"],
                list_id=5,
                list_name="List",
                local_state=Campaign.LocalState.ACTIVE,
                platform_id=i + 1,
                status=3,
                send_count=1000,
                send_time=now - timezone.timedelta(hours=i),
            )
            for i in range(count)
        ],
        batch_size=2000,
    )
    web = Client(HTTP_HOST="127.0.0.1")
    web.force_login(member(account))
    timings = []
    for query in ("", "?page=50", "?state=3&since=2020-01-01", "?q=Campaign 4"):
        started = time.perf_counter()
        response = web.get("/campaigns/" + query)
        timings.append(
            (query or "(first page)", response.status_code, time.perf_counter() - started)
        )
    print()
    print(f"campaign list with {count:,} campaigns (SQLite):")
    for query, status, seconds in timings:
        print(f"  {query:<28} HTTP {status}  {seconds * 1000:7.1f} ms")


if __name__ == "__main__":
    main()
