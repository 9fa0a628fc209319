"""Benchmark: the analytics overview dashboard with a year of daily data and 10,000 campaigns.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/edmportal_bench \
        .venv/bin/python bench/analytics_dashboard.py [--campaigns 10000] [--days 365] [--runs 20]

Target (issue 6): the page renders in under 200 ms. The database (PostgreSQL by default; the
bench creates it if needed and empties it first) gets one account with `--days` days of §2.2,
§2.5 and quota rows and `--campaigns` campaigns with their reports, then the dashboard is
rendered through Django's test client (the whole view: queries, template, charts' JSON) for a
one-year range, the default 30 days, and a year with a comparison of two campaigns. Each is
rendered `--runs` times after one warm-up; the table gives median, 95th percentile and worst.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
DEFAULT_DB = "postgres://postgres@127.0.0.1:5432/edmportal_bench"


def ensure_database(url: str) -> None:
    if not url.startswith("postgres"):
        return
    import psycopg

    base, name = url.rsplit("/", 1)
    with psycopg.connect(
        base.replace("postgres://", "postgresql://") + "/postgres", autocommit=True
    ) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--campaigns", type=int, default=10_000)
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--runs", type=int, default=20)
    args = parser.parse_args()
    url = os.environ.get("BENCH_DATABASE_URL") or os.environ.get("DATABASE_URL") or DEFAULT_DB
    ensure_database(url)
    os.environ.update(DJANGO_SETTINGS_MODULE="edmportal.settings.test", DATABASE_URL=url)
    os.environ.pop("REDIS_URL", None)

    import django

    django.setup()
    import logging

    logging.getLogger("edmportal.access").setLevel(logging.WARNING)
    from django.core.management import call_command
    from django.db import connection

    call_command("migrate", verbosity=0)
    from django.contrib.auth import get_user_model
    from django.test import Client
    from django.utils import timezone

    from apps.accounts.models import PlatformAccount
    from apps.accounts.tests.factories import member, platform_account
    from apps.analytics.models import CampaignReport, DailyDeduction, DailyStats, QuotaPoint
    from apps.analytics.services import platform_today
    from apps.campaigns.models import Campaign

    PlatformAccount.objects.filter(username="bench-dashboard").delete()
    get_user_model().objects.filter(username="bench-dashboard-user").delete()
    account = platform_account(username="bench-dashboard")
    rng = random.Random(6)
    today = platform_today()
    started = time.perf_counter()
    days = [today - dt.timedelta(days=i) for i in range(args.days)]
    DailyStats.objects.bulk_create(
        [
            DailyStats(
                account=account,
                date=d,
                ws_qty=rng.randint(10, 40),
                ws_count=(sent := rng.randint(20_000, 90_000)),
                ws_error=sent // 60,
                actual_send=int(sent * 0.93),
                send_error=int(sent * 0.05),
                invalid_addr=sent // 100,
                format_error=sent // 500,
                send_count=sent,
                deduc_count=sent,
                actual_deduc=int(sent * 0.98),
                deductions_total=int(sent * 0.98),
                synced_at=timezone.now(),
                final=True,
            )
            for d in days
        ],
        batch_size=1000,
    )
    DailyDeduction.objects.bulk_create(
        [
            DailyDeduction(account=account, date=d, kind="群发扣点", send_num=1, total=1000)
            for d in days
        ],
        batch_size=1000,
    )
    QuotaPoint.objects.bulk_create(
        [
            QuotaPoint(account=account, date=d, qty_available=10**7 - i * 50_000)
            for i, d in enumerate(days)
        ],
        batch_size=1000,
    )
    now = timezone.now()
    span = args.days * 86400
    campaigns = Campaign.objects.bulk_create(
        [
            Campaign(
                account=account,
                name=f"Campaign {i}",
                template_names=["Newsletter"],
                list_name="List",
                local_state=Campaign.LocalState.ACTIVE,
                platform_id=i + 1,
                status=3,
                track_status=2 if i % 3 else 1,
                send_time=now - dt.timedelta(seconds=span * i / args.campaigns),
                time_start=now - dt.timedelta(seconds=span * i / args.campaigns),
            )
            for i in range(args.campaigns)
        ],
        batch_size=2000,
    )
    CampaignReport.objects.bulk_create(
        [
            CampaignReport(
                account=account,
                campaign=c,
                planned=(n := rng.randint(500, 50_000)),
                sent=n,
                delivered=int(n * 0.95),
                real_send_count=int(n * 0.95),
                open_unique=(o := int(n * rng.uniform(0.1, 0.4))),
                click_unique=(k := int(o * rng.uniform(0.05, 0.3))),
                open_rate=round(100 * o / (n * 0.95), 2),
                click_rate=round(100 * k / (n * 0.95), 2),
                stats_synced_at=now,
                synced_at=now,
                final=True,
            )
            for c in campaigns
        ],
        batch_size=2000,
    )
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    setup = time.perf_counter() - started

    web = Client(HTTP_HOST="127.0.0.1")
    web.force_login(member(account, username="bench-dashboard-user"))
    year = {
        "start": (today - dt.timedelta(days=args.days - 1)).isoformat(),
        "end": today.isoformat(),
    }
    a, b = campaigns[5].pk, campaigns[50].pk
    cases = [
        ("a year (default charts, top lists)", year),
        ("the default 30 days", {}),
        ("a year + comparison of two campaigns", {**year, "a": a, "b": b}),
    ]
    load = os.getloadavg()[0]
    head = f"{args.days} days, {args.campaigns:,} campaigns (setup {setup:.1f}s, load {load:.1f})"
    print(f"\n{connection.vendor}: {head}")
    print(f"{'page':<40} {'median':>8} {'p95':>8} {'worst':>8}  bytes   target")
    worst_median = 0.0
    for label, params in cases:
        response = web.get("/analytics/", params)  # warm-up (template and query caches)
        assert response.status_code == 200, response.status_code
        body = response.content.decode()
        assert 'data-chart="daily"' in body
        timings = []
        for _ in range(args.runs):
            started = time.perf_counter()
            response = web.get("/analytics/", params)
            timings.append((time.perf_counter() - started) * 1000)
            assert response.status_code == 200
        timings.sort()
        median = statistics.median(timings)
        p95 = timings[int(0.95 * (len(timings) - 1))]
        worst_median = max(worst_median, median)
        ok = "ok" if p95 < 200 else "MISSED"
        print(f"{label:<40} {median:>6.1f}ms {p95:>6.1f}ms {timings[-1]:>6.1f}ms "
              f"{len(response.content):>7}  <200ms {ok}")  # fmt: skip
    PlatformAccount.objects.filter(pk=account.pk).delete()


if __name__ == "__main__":
    main()
