"""The real path of live numbers: Celery beat (the project's schedule) and a worker process keep
a sending, tracked campaign's report within two minutes of the platform, with nobody asking.

The sandbox runs the campaign's clock fast (opens arrive over a few real minutes); the test
samples the platform's unique opens every few seconds and checks that the portal's store never
shows fewer than the platform had two minutes earlier, and that it moved several times."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.db import connection

from apps.analytics.models import CampaignReport
from apps.analytics.tests.factories import platform_xml, send
from apps.campaigns.tests.factories import mirror

ROOT = Path(__file__).resolve().parents[2]
WINDOW = 120  # seconds: how old the portal's numbers may be
RUN = 170  # seconds watched


@pytest.fixture
def celery_beat(celery_worker, sandbox, tmp_path):
    from django.conf import settings

    from conftest import _database_url

    log = tmp_path / "beat.log"
    env = dict(os.environ)
    env.update(
        DJANGO_SETTINGS_MODULE="edmportal.settings.test",
        DATABASE_URL=_database_url(connection.settings_dict),
        UMAIL_PLATFORM_URL=sandbox.url,
        CELERY_BROKER_URL=settings.CELERY_BROKER_URL,
    )
    proc = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "edmportal", "beat", "-l", "info",
         f"--schedule={tmp_path / 'beat-schedule'}"],
        cwd=ROOT, env=env, stdout=log.open("w"), stderr=subprocess.STDOUT,
    )  # fmt: skip
    yield proc
    proc.terminate()
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()


def platform_opens(sandbox, send_id) -> int:
    over = platform_xml(sandbox, "track.php", do="overview", id=send_id)
    return int(over.findtext("open_unique") or 0)


@pytest.mark.django_db(transaction=True)
@pytest.mark.worker
def test_beat_and_worker_keep_a_sending_campaign_within_two_minutes(
    demo_account, fresh_sandbox, celery_worker, celery_beat
):
    mirror(demo_account)
    # A simulated hour per real minute (the demo's speed): sent in seconds, opens arriving
    # for minutes (first opens come a mean of two simulated hours after delivery).
    fresh_sandbox.control("POST", "delivery/settings", {"speed": 60, "open_rate": 1})
    campaign = send(demo_account, fresh_sandbox, list_id=501, track=2, days=0)
    start = time.monotonic()
    samples: list[tuple[float, int]] = []  # (seconds since start, platform's unique opens)
    seen: list[int] = []
    late = []
    while (now := time.monotonic() - start) < RUN:
        samples.append((now, platform_opens(fresh_sandbox, campaign.platform_id)))
        report = CampaignReport.objects.filter(campaign=campaign).first()
        mine = report.open_unique if report else 0
        if not seen or seen[-1] != mine:
            seen.append(mine)
        if now >= WINDOW:
            before = max(v for t, v in samples if t <= now - WINDOW)
            if mine < before:
                late.append((round(now), mine, before))
        time.sleep(4)
    assert not late, f"the portal showed fewer opens than the platform 2 min earlier: {late}"
    assert samples[-1][1] > samples[0][1], "the platform's opens did not move (sandbox speed?)"
    assert len([v for v in seen if v]) >= 2, f"the report moved too rarely: {seen} {samples}"
