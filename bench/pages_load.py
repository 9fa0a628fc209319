"""Benchmark: the running portal under load — gunicorn, 2 workers, 20 signed-in users, wrk.

    .venv/bin/python bench/pages_load.py [--campaigns 10000] [--lists 1000] [--days 365]
                                         [--users 20] [--seconds 20] [--keep-data]

Target (issue 11): p95 under 300 ms and zero errors for overview, campaign list, campaign report
and list pages, with 10,000 campaigns, 1,000 lists and a year of daily statistics in PostgreSQL
(a private database, `BENCH_DATABASE_URL`, default `edmportal_bench`); the queries per page are
reported and must not grow with the rows shown.

1. **seed** (in a child process with the production settings gunicorn uses): one platform
   account pointed at a sandbox process, `--campaigns` campaigns with reports, `--lists` list
   mirrors (the first three are the sandbox's demo lists, so list pages page real §4.8
   replies), `--days` days of §2.2/§2.5/quota rows, `--users` team members each with a session;
2. **queries per page**: each page through Django's test client with 10 and then 100 rows a
   page (`?per_page=`); the count must be the same;
3. **load**: gunicorn (production settings, 2 workers, behind the proxy header
   `X-Forwarded-Proto: https`), `wrk` from loopback, `--users` connections each with its own
   member's session cookie: first every page mixed, then each page alone; every response must
   be a 200 (a redirect to sign-in counts as an error).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.common import BENCH_DB, SandboxProcess, free_port, load_average, record  # noqa: E402

SANDBOX_LISTS = (501, 502, 503)
ACCOUNT = "demo"


def ensure_database(url: str) -> None:
    import psycopg

    base, name = url.rsplit("/", 1)
    with psycopg.connect(
        base.replace("postgres://", "postgresql://") + "/postgres", autocommit=True
    ) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')


# -- child: seed and count queries (runs with gunicorn's environment) ---------------------------


def seed(args) -> dict:
    import datetime as dt
    import random

    import django

    django.setup()
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client
    from django.utils import timezone

    from apps.accounts.models import PlatformAccount
    from apps.accounts.tests.factories import member, platform_account
    from apps.analytics.models import CampaignReport, DailyDeduction, DailyStats, QuotaPoint
    from apps.analytics.services import platform_today
    from apps.campaigns.models import Campaign, CampaignSync
    from apps.contacts.models import ContactsSync, MailList

    started = time.perf_counter()
    call_command("migrate", verbosity=0)
    PlatformAccount.objects.filter(username=ACCOUNT).delete()
    get_user_model().objects.filter(username__startswith="bench-load-").delete()
    account = platform_account(
        username=ACCOUNT,
        password="demo-pass",  # noqa: S106 (the sandbox's demo account)
        platform_url=args.platform_url,
    )
    account.platform_id = 1001
    account.save()
    rng = random.Random(11)
    now, today = timezone.now(), platform_today()
    days = [today - dt.timedelta(days=i) for i in range(args.days)]
    stats = []
    for d in days:
        sent = rng.randint(20_000, 90_000)
        stats.append(
            DailyStats(
                account=account, date=d, ws_qty=rng.randint(10, 40), ws_count=sent,
                ws_error=sent // 60, actual_send=int(sent * 0.93), send_error=int(sent * 0.05),
                invalid_addr=sent // 100, format_error=sent // 500, send_count=sent,
                deduc_count=sent, actual_deduc=int(sent * 0.98),
                deductions_total=int(sent * 0.98), synced_at=now, final=True,
            )
        )  # fmt: skip
    DailyStats.objects.bulk_create(stats, batch_size=1000)
    DailyDeduction.objects.bulk_create(
        [DailyDeduction(account=account, date=d, kind="群发扣点", send_num=1, total=1000)
         for d in days], batch_size=1000)  # fmt: skip
    QuotaPoint.objects.bulk_create(
        [QuotaPoint(account=account, date=d, qty_available=10**7 - i * 20_000)
         for i, d in enumerate(days)], batch_size=1000)  # fmt: skip
    span = args.days * 86400
    campaigns = Campaign.objects.bulk_create(
        [
            Campaign(
                account=account, name=f"活动 Campaign {i}", template_names=["Newsletter"],
                list_name=f"List {i % args.lists}", local_state=Campaign.LocalState.ACTIVE,
                platform_id=i + 1, status=3, track_status=2 if i % 3 else 1,
                send_time=now - dt.timedelta(seconds=span * i / args.campaigns),
                time_start=now - dt.timedelta(seconds=span * i / args.campaigns),
            )
            for i in range(args.campaigns)
        ],
        batch_size=2000,
    )  # fmt: skip
    reports = []
    for c in campaigns:
        n = rng.randint(500, 50_000)
        o = int(n * rng.uniform(0.1, 0.4))
        k = int(o * rng.uniform(0.05, 0.3))
        reports.append(
            CampaignReport(
                account=account, campaign=c, planned=n, sent=n, delivered=int(n * 0.95),
                real_send_count=int(n * 0.95), open_unique=o, click_unique=k,
                open_rate=round(100 * o / (n * 0.95), 2), click_rate=round(100 * k / (n * 0.95), 2),
                stats_synced_at=now, synced_at=now, final=True,
            )
        )  # fmt: skip
    CampaignReport.objects.bulk_create(reports, batch_size=2000)
    lists = [
        MailList(account=account, platform_id=pid, subject=f"Demo list {pid}", count=0,
                 status="enabled", synced_at=now)
        for pid in SANDBOX_LISTS
    ] + [
        MailList(account=account, platform_id=10_000 + i, subject=f"会员分类 {i}",
                 count=rng.randint(0, 200_000), status="enabled", synced_at=now)
        for i in range(args.lists - len(SANDBOX_LISTS))
    ]  # fmt: skip
    MailList.objects.bulk_create(lists, batch_size=1000)
    # The mirrors are fresh (in production Celery beat keeps them so): pages must not sync.
    CampaignSync.objects.create(account=account, synced_at=now, full_synced_at=now)
    ContactsSync.objects.create(account=account, lists_synced_at=now)
    users = [member(account, username=f"bench-load-{i}") for i in range(args.users)]
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    seeded = time.perf_counter() - started

    pages = {
        "overview": "/",
        "campaign list": "/campaigns/",
        "campaign report": [
            f"/analytics/campaigns/{campaigns[i].pk}/"
            for i in sorted({3 % len(campaigns), len(campaigns) // 2, len(campaigns) - 1})
        ],
        "list index": "/contacts/",
        "list page": [f"/contacts/{pid}/" for pid in SANDBOX_LISTS],
    }
    # Sessions as a browser would hold them, one per member.
    cookies = []
    for user in users:
        client = Client()
        client.force_login(user)
        cookies.append(
            f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}"
        )

    # Queries per page with 10 and with 100 rows shown: N+1 would make the second bigger.
    from django.db import reset_queries
    from django.test.utils import CaptureQueriesContext

    client = Client(HTTP_HOST="127.0.0.1", HTTP_X_FORWARDED_PROTO="https")
    client.force_login(users[0])
    queries = {}
    for name, paths in pages.items():
        path = paths[0] if isinstance(paths, list) else paths
        counts = []
        for per_page in (10, 100):
            reset_queries()
            with CaptureQueriesContext(connection) as ctx:
                response = client.get(path, {"per_page": per_page})
            if response.status_code != 200:
                raise RuntimeError(f"{path} answered {response.status_code}")
            counts.append(len(ctx.captured_queries))
        queries[name] = counts
    return {
        "pages": pages,
        "cookies": cookies,
        "queries": queries,
        "seed_seconds": seeded,
        "campaigns": Campaign.objects.filter(account=account).count(),
        "lists": MailList.objects.filter(account=account).count(),
        "days": DailyStats.objects.filter(account=account).count(),
    }


# -- parent: gunicorn and wrk ---------------------------------------------------------------------

LUA = """
local paths = {%(paths)s}
local cookies = {%(cookies)s}
local threads = {}
local counter = 0

function setup(thread)
  thread:set("id", counter)
  counter = counter + 1
  table.insert(threads, thread)
end

function init(args)
  math.randomseed(id * 7919 + 11)
  n = 0
  bad = 0
  badstatus = 0
end

function request()
  n = n + 1
  local p = paths[(n %% #paths) + 1]
  local c = cookies[((n * 7 + id * 3) %% #cookies) + 1]
  return wrk.format("GET", p, {["Cookie"] = c, ["X-Forwarded-Proto"] = "https"})
end

function delay()
  -- a person reads the page before the next click: %(think_min)d to %(think_max)d ms
  if %(think_max)d == 0 then return 0 end
  return math.random(%(think_min)d, %(think_max)d)
end

function response(status, headers, body)
  if status ~= 200 then
    bad = bad + 1
    badstatus = status
  end
end

function done(summary, latency, requests)
  local b = 0
  local s = 0
  for _, t in ipairs(threads) do
    b = b + t:get("bad")
    if t:get("badstatus") ~= 0 then s = t:get("badstatus") end
  end
  io.write(string.format(
    "RESULT {\\"requests\\": %%d, \\"seconds\\": %%.3f, \\"p50\\": %%.1f, \\"p95\\": %%.1f, " ..
    "\\"p99\\": %%.1f, \\"max\\": %%.1f, \\"non200\\": %%d, \\"a_status\\": %%d, " ..
    "\\"connect\\": %%d, \\"read\\": %%d, \\"write\\": %%d, \\"timeout\\": %%d}\\n",
    summary.requests, summary.duration / 1e6, latency:percentile(50) / 1000,
    latency:percentile(95) / 1000, latency:percentile(99) / 1000, latency.max / 1000, b, s,
    summary.errors.connect, summary.errors.read, summary.errors.write, summary.errors.timeout))
end
"""


def tree_cpu_seconds(pid: int) -> float:
    """CPU seconds used so far by gunicorn's workers (the children of `pid`) and itself."""
    tick, total = os.sysconf("SC_CLK_TCK"), 0.0
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as fh:
                fields = fh.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(entry) == pid or int(fields[1]) == pid:  # fields[1] is the parent's pid
            total += (int(fields[11]) + int(fields[12])) / tick
    return total


def wrk(
    url: str,
    paths: list[str],
    cookies: list[str],
    *,
    users: int,
    seconds: int,
    think_ms: int,
    server_pid: int | None = None,
) -> dict:
    quote = lambda items: ", ".join(json.dumps(i) for i in items)  # noqa: E731 (Lua strings)
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as fh:
        fh.write(
            LUA
            % {
                "paths": quote(paths),
                "cookies": quote(cookies),
                "think_min": think_ms // 2,
                "think_max": think_ms * 3 // 2,
            }
        )
        script = fh.name
    cpu_before = tree_cpu_seconds(server_pid) if server_pid else 0.0
    try:
        out = subprocess.run(
            ["wrk", "-t2", f"-c{users}", f"-d{seconds}s", "--timeout", "10s", "-s", script, url],
            capture_output=True,
            text=True,
            timeout=seconds + 60,
        )
    finally:
        os.unlink(script)
    match = re.search(r"^RESULT (\{.*\})$", out.stdout, re.M)
    if not match:
        raise RuntimeError(f"wrk said:\n{out.stdout}\n{out.stderr}")
    result = json.loads(match.group(1))
    result["rps"] = result["requests"] / result["seconds"]
    # The server's CPU per request: what the page costs whatever else shares the machine.
    cpu = tree_cpu_seconds(server_pid) - cpu_before if server_pid else 0.0
    result["cpu_ms"] = 1000 * cpu / max(1, result["requests"])
    result["errors"] = result["non200"] + sum(
        result[k] for k in ("connect", "read", "write", "timeout")
    )
    return result


def browse(
    url: str,
    paths: list[str],
    cookies: list[str],
    *,
    users: int,
    seconds: int,
    think_ms: int,
    server_pid: int | None = None,
) -> dict:
    """`users` people browsing: each reads a page for a while (`think_ms` on average), then
    clicks: opens a connection, sends the request, reads the page. This is what a browser does
    facing a server that closes connections after each response, as gunicorn's sync workers do
    (wrk instead reconnects at once and keeps the new connection idle through the pause, which
    a sync worker sits on; wrk stays in use for the no-pause capacity run)."""
    import asyncio
    import random

    host, port = url.split("://", 1)[1].split(":")
    latencies: list[float] = []
    counts = {"non200": 0, "a_status": 0, "connect": 0, "read": 0, "write": 0, "timeout": 0}

    async def user(uid: int, stop_at: float) -> None:
        rng = random.Random(uid * 7919 + 11)  # noqa: S311 - think times, not secrets
        n = 0
        await asyncio.sleep(rng.uniform(0, think_ms * 1.5) / 1000)  # users arrive spread out
        while time.monotonic() < stop_at:
            n += 1
            path = paths[(n + uid) % len(paths)]
            cookie = cookies[(n * 7 + uid * 3) % len(cookies)]
            request = (
                f"GET {path} HTTP/1.1\r\nHost: {host}:{port}\r\nCookie: {cookie}\r\n"
                "X-Forwarded-Proto: https\r\nConnection: close\r\n\r\n"
            ).encode()
            started = time.monotonic()
            try:
                reader, writer = await asyncio.wait_for(
                    asyncio.open_connection(host, int(port)), 10
                )
            except (TimeoutError, OSError):
                counts["connect"] += 1
                continue
            try:
                writer.write(request)
                await writer.drain()
                reply = await asyncio.wait_for(reader.read(), 10)  # to the server's close
            except TimeoutError:
                counts["timeout"] += 1
                continue
            except OSError:
                counts["read"] += 1
                continue
            finally:
                writer.close()
            latencies.append((time.monotonic() - started) * 1000)
            status = int(reply.split(b" ", 2)[1]) if reply.startswith(b"HTTP/") else 0
            if status != 200:
                counts["non200"] += 1
                counts["a_status"] = status
            await asyncio.sleep(rng.uniform(think_ms * 0.5, think_ms * 1.5) / 1000)

    async def run() -> float:
        began = time.monotonic()
        stop_at = began + seconds
        await asyncio.gather(*(user(i, stop_at) for i in range(users)))
        return time.monotonic() - began

    cpu_before = tree_cpu_seconds(server_pid) if server_pid else 0.0
    elapsed = asyncio.run(run())
    cpu = tree_cpu_seconds(server_pid) - cpu_before if server_pid else 0.0
    ordered = sorted(latencies) or [0.0]

    def pct(q: float) -> float:
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))]

    result = {
        "requests": len(latencies),
        "seconds": elapsed,
        "p50": pct(0.50),
        "p95": pct(0.95),
        "p99": pct(0.99),
        "max": ordered[-1],
        **counts,
    }
    result["rps"] = result["requests"] / elapsed
    result["cpu_ms"] = 1000 * cpu / max(1, result["requests"])
    result["errors"] = sum(counts[k] for k in ("non200", "connect", "read", "write", "timeout"))
    return result


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--campaigns", type=int, default=10_000)
    parser.add_argument("--lists", type=int, default=1_000)
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--users", type=int, default=20)
    parser.add_argument("--seconds", type=int, default=30, help="of the mixed run")
    parser.add_argument("--page-seconds", type=int, default=15, help="of each page alone")
    parser.add_argument(
        "--think-ms", type=int, default=1000, help="mean pause between a user's clicks"
    )
    parser.add_argument("--seed-child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--platform-url", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.seed_child:
        print("SEED " + json.dumps(seed(args), ensure_ascii=False))
        return
    if not shutil.which("wrk"):
        sys.exit("wrk is needed: apt-get install -y wrk")
    url = os.environ.get("BENCH_DATABASE_URL") or BENCH_DB
    ensure_database(url)
    tmp = Path(tempfile.mkdtemp(prefix="bench-load-"))
    port = free_port()
    sandbox = SandboxProcess(tmp / "sandbox.sqlite3")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "CELERY_"))}
    env.update(
        DJANGO_SETTINGS_MODULE="edmportal.settings.prod",
        DJANGO_SECRET_KEY="bench-load-" + "k" * 60,
        EDMPORTAL_CREDENTIALS_KEYS=os.environ.get(
            "BENCH_CREDENTIALS_KEYS", "YmVuY2gtbG9hZC1rZXktMzItYnl0ZXMtbG9uZyEhISE="
        ),
        DJANGO_ALLOWED_HOSTS="127.0.0.1,testserver",
        DJANGO_STATIC_ROOT=str(tmp / "static"),
        DATABASE_URL=url,
        UMAIL_PLATFORM_URL=sandbox.url,
        PYTHONPATH=str(ROOT),
    )
    # A broker of its own (db 11, own key prefix): a page that enqueues must not wait on one.
    env["REDIS_URL"] = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/11")
    env["CELERY_REDIS_KEY_PREFIX"] = "bench-load:"
    web = None
    try:
        subprocess.run(
            [sys.executable, "manage.py", "collectstatic", "--noinput", "-v", "0"],
            cwd=ROOT, env=env, check=True, capture_output=True,
        )  # fmt: skip
        out = subprocess.run(
            [sys.executable, __file__, "--seed-child", "--platform-url", sandbox.url,
             "--campaigns", str(args.campaigns), "--lists", str(args.lists),
             "--days", str(args.days), "--users", str(args.users)],
            cwd=ROOT, env=env, capture_output=True, text=True,
        )  # fmt: skip
        match = re.search(r"^SEED (\{.*\})$", out.stdout, re.M)
        if out.returncode or not match:
            raise RuntimeError(f"seeding failed:\n{out.stdout[-2000:]}\n{out.stderr[-4000:]}")
        seeded = json.loads(match.group(1))
        web = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "edmportal.wsgi:application",
             # The rest from gunicorn.conf.py; no recycling: the CPU of the workers is measured.
             f"--bind=127.0.0.1:{port}", "--workers=2", "--max-requests=0"],
            cwd=ROOT, env=env, stdout=(tmp / "web.log").open("w"), stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(base + "/healthz", timeout=2):  # noqa: S310
                    break
            except OSError:
                if web.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError((tmp / "web.log").read_text()[-3000:]) from None
                time.sleep(0.3)

        pages = {k: v if isinstance(v, list) else [v] for k, v in seeded["pages"].items()}
        every = [p for paths in pages.values() for p in paths]
        cookies = seeded["cookies"]
        load = {"users": args.users, "think_ms": args.think_ms, "server_pid": web.pid}
        wrk(base, every, cookies, users=args.users, seconds=3, think_ms=0)  # warm-up
        runs = {"all pages, mixed": browse(base, every, cookies, seconds=args.seconds, **load)}
        for name, paths in pages.items():
            runs[name] = browse(base, paths, cookies, seconds=args.page_seconds, **load)
        # Capacity, not a target: the same users clicking with no pause at all.
        saturation = wrk(
            base, every, cookies, users=args.users, seconds=10, think_ms=0, server_pid=web.pid
        )
    finally:
        if web:
            os.killpg(web.pid, 15)
            web.wait(15)
        sandbox.stop()

    print(f"data: {seeded['campaigns']:,} campaigns, {seeded['lists']:,} lists, "
          f"{seeded['days']} days of statistics (seeded in {seeded['seed_seconds']:.0f} s); "
          f"gunicorn 2 workers, {args.users} signed-in users (a connection per click), each "
          f"pausing "
          f"{args.think_ms // 2}-{args.think_ms * 3 // 2} ms between clicks\n")  # fmt: skip
    print(f"{'pages':<20} {'requests':>9} {'req/s':>7} {'p50 ms':>7} {'p95 ms':>7} "
          f"{'p99 ms':>7} {'max ms':>7} {'errors':>6} {'CPU ms/req':>10} "
          f"{'queries (10 / 100 rows)':>24}")  # fmt: skip
    all_ok = True
    for name, r in runs.items():
        q = seeded["queries"].get(name)
        qtext = f"{q[0]} / {q[1]}" if q else "—"
        print(f"{name:<20} {r['requests']:>9,} {r['rps']:>7.1f} {r['p50']:>7.1f} "
              f"{r['p95']:>7.1f} {r['p99']:>7.1f} {r['max']:>7.1f} {r['errors']:>6} "
              f"{r['cpu_ms']:>10.1f} {qtext:>24}")  # fmt: skip
        ok = r["p95"] < 300 and r["errors"] == 0 and (not q or q[0] == q[1])
        all_ok = all_ok and ok
        note = (
            f"{r['requests']:,} requests, {r['errors']} errors, p50 {r['p50']:.0f} ms, "
            f"{r['cpu_ms']:.0f} CPU ms a request"
        )
        if r["non200"]:
            note += f" (e.g. HTTP {r['a_status']})"
        if q:
            note += f"; {q[0]} queries with 10 rows, {q[1]} with 100"
        record(
            "pages_load",
            f"{name}: p95, {args.users} users, gunicorn ×2",
            seconds=r["p95"] / 1000,
            throughput=r["rps"],
            unit="req/s",
            target="p95 < 300 ms, 0 errors, queries flat",
            met=ok,
            note=note,
        )
    print(f"\nno pause between clicks (capacity): {saturation['rps']:.1f} req/s, p50 "
          f"{saturation['p50']:.0f} ms, p95 {saturation['p95']:.0f} ms, "
          f"{saturation['errors']} errors")  # fmt: skip
    record(
        "pages_load",
        f"capacity: all pages, {args.users} users clicking without pause",
        seconds=saturation["p95"] / 1000,
        throughput=saturation["rps"],
        unit="req/s",
        target="(no target: the ceiling)",
        met=None,
        note=f"p50 {saturation['p50']:.0f} ms, {saturation['errors']} errors, "
        f"{saturation['cpu_ms']:.0f} CPU ms a request: 2 free cores would serve "
        f"{2000 / max(1, saturation['cpu_ms']):.0f} req/s",
    )
    print(f"\ntarget (p95 < 300 ms, zero errors, queries flat): {'met' if all_ok else 'MISSED'} "
          f"(load average {load_average()})")  # fmt: skip
    shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
