"""Benchmark: syncing the statistics of 10,000 campaigns from the sandbox, then again.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/edmportal_bench \
        .venv/bin/python bench/analytics_sync.py [--campaigns 10000] [--days 365] [--concurrency 4]

Targets (issue 6): a full sync of 10,000 campaigns in under 2 minutes with bounded
concurrency; a second, incremental run under 10 % of the first's time and API calls.

The sandbox runs as its own HTTP process (as in production: the portal talks to it over HTTP)
with `--campaigns` finished send tasks of `demo` spread over `--days` days
(`POST /_sandbox/stats/generate`; every third tracks opens only, one in ten nothing, the rest
opens and clicks). The campaigns app mirrors them (§6.1, timed apart: it is not analytics'
work). Then, with the portal's own services and a real database:

1. **full sync**: `reports_sync_due` batches (500 reports, `--concurrency` threads, one client
   per 50) until nothing is due — §2.4 (a day's batches in one call when several are due),
   §3.1 and §3.5 per campaign; plus §2.2/§2.5 for every day (`days_sync`);
2. **incremental, at once**: the same jobs again — finished campaigns are final or not due;
3. **incremental, an hour later**: the jobs run as if an hour had passed, so the campaigns
   still followed (finished within ANALYTICS_FOLLOW_DAYS) are due again.

API calls are counted by the services (each platform request they make).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
DEFAULT_DB = "postgres://postgres@127.0.0.1:5432/edmportal_bench"


def control(url: str, path: str, body: dict | None = None, timeout: float = 1800) -> dict:
    request = urllib.request.Request(  # noqa: S310 - the sandbox on loopback
        f"{url}_sandbox/{path}",
        data=json.dumps(body).encode() if body is not None else None,
        method="POST" if body is not None else "GET",
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
        return json.loads(response.read())


def cpu_seconds(pid: int | None = None) -> float:
    """User + system CPU seconds of a process (this one by default)."""
    if pid is None:
        usage = resource.getrusage(resource.RUSAGE_SELF)
        return usage.ru_utime + usage.ru_stime
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def ensure_database(url: str) -> None:
    if not url.startswith("postgres"):
        return
    import psycopg

    base, name = url.rsplit("/", 1)
    admin = base.replace("postgres://", "postgresql://") + "/postgres"
    with psycopg.connect(admin, autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--campaigns", type=int, default=10_000)
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--batch", type=int, default=500)
    args = parser.parse_args()
    database = os.environ.get("BENCH_DATABASE_URL") or os.environ.get("DATABASE_URL") or DEFAULT_DB
    ensure_database(database)
    os.environ.update(DJANGO_SETTINGS_MODULE="edmportal.settings.test", DATABASE_URL=database)
    os.environ.pop("REDIS_URL", None)

    tmp = Path(tempfile.mkdtemp(prefix="bench-sync-"))
    sandbox = subprocess.Popen(
        [sys.executable, "-m", "sandbox", "serve", "--port", "0", "--smtp-port", "-1",
         "--state", str(tmp / "sandbox.sqlite3"), "--seed"],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )  # fmt: skip
    url = sandbox.stdout.readline().split("listening on ", 1)[1].strip() + "/"
    try:
        run(args, url, sandbox.pid)
    finally:
        sandbox.terminate()
        sandbox.wait(timeout=20)


def run(args, url: str, sandbox_pid: int) -> None:
    started = time.perf_counter()
    made = control(url, "stats/generate", {"tasks": args.campaigns, "days": args.days})
    generate_seconds = time.perf_counter() - started
    assert made["finished"] == args.campaigns, made

    import logging

    import django

    django.setup()
    logging.getLogger("apps.analytics.services").setLevel(logging.ERROR)
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from django.utils import timezone

    from apps.accounts.models import PlatformAccount
    from apps.accounts.tests.factories import platform_account
    from apps.analytics import services
    from apps.analytics.models import CampaignReport, DailyStats
    from apps.campaigns.models import Campaign
    from apps.campaigns.services import campaigns_sync_account

    PlatformAccount.objects.filter(username="demo").delete()
    account = platform_account(username="demo", password="demo-pass", platform_url=url)  # noqa: S106
    started = time.perf_counter()
    campaigns_sync_account(account=account, full=True)
    mirror_seconds = time.perf_counter() - started
    total = Campaign.objects.filter(account=account, platform_id__isnull=False).count()

    cpu: dict[str, tuple[float, float]] = {}

    def sync(now=None) -> tuple[float, int, int, int]:
        calls = reports = failed = 0
        begun = time.perf_counter()
        cpu_before = (cpu_seconds(), cpu_seconds(sandbox_pid))
        while True:
            counts = services.reports_sync_due(
                limit=args.batch, concurrency=args.concurrency, now=now
            )
            calls += counts.calls
            reports += counts.reports
            failed += counts.failed
            if not counts.more:
                break
        if now is not None:  # the days job, as late as the reports
            DailyStats.objects.filter(account=account, final=False, next_sync_at__lte=now).update(
                next_sync_at=timezone.now()
            )
        while True:
            counts = services.days_sync(account=account, limit=100)
            calls += counts.calls
            failed += counts.failed
            if not counts.more:
                break
        cpu[len(cpu)] = (cpu_seconds() - cpu_before[0], cpu_seconds(sandbox_pid) - cpu_before[1])
        return time.perf_counter() - begun, calls, reports, failed

    full = sync()
    again = sync()
    later = sync(now=timezone.now() + dt.timedelta(hours=1))
    followed = CampaignReport.objects.filter(account=account, final=False).count()
    days = DailyStats.objects.filter(account=account, synced_at__isnull=False).count()

    print(f"\nsandbox: {made['created']:,} finished tasks over {args.days} days "
          f"(generated in {generate_seconds:.0f}s); campaigns mirrored (§6.1, campaigns app) "
          f"{total:,} in {mirror_seconds:.1f}s")  # fmt: skip
    follow = services.FOLLOW_DAYS
    print(f"concurrency {args.concurrency}, batches of {args.batch}; {days} days of §2.2/§2.5; "
          f"{followed} campaigns still followed (finished < {follow} days ago)\n")  # fmt: skip
    print(
        f"{'run':<34} {'seconds':>8} {'API calls':>10} {'reports':>8} {'failed':>7} {'vs full':>14}"
    )
    for label, (seconds, calls, reports, failed) in (
        ("1. full sync", full),
        ("2. incremental, at once", again),
        ("3. incremental, an hour later", later),
    ):
        ratio = "" if label.startswith("1") else (
            f"{100 * seconds / full[0]:4.1f}% / {100 * calls / max(1, full[1]):4.1f}%"
        )  # fmt: skip
        print(f"{label:<34} {seconds:>7.1f}s {calls:>10,} {reports:>8,} {failed:>7} {ratio:>14}")
    print(f"\nCPU seconds of the full sync: portal {cpu[0][0]:.0f}, sandbox {cpu[0][1]:.0f} "
          f"(PostgreSQL not counted)")  # fmt: skip
    ok_full = full[0] < 120 and full[2] == total and full[3] == 0
    ok_incr = all(r[0] < 0.1 * full[0] and r[1] < 0.1 * full[1] for r in (again, later))
    print(f"\ntargets: full sync < 2 min: {'met' if ok_full else 'MISSED'}; "
          f"incremental < 10 % of time and calls: {'met' if ok_incr else 'MISSED'} "
          f"(load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs)")  # fmt: skip
    PlatformAccount.objects.filter(pk=account.pk).delete()


if __name__ == "__main__":
    main()
