"""Syncing §2.2–§2.5 and §3 against the sandbox: numbers equal the platform's, a second run
changes nothing and asks only about what can have changed, broken replies keep the last good
data and are logged, and the detail is stored whole or not at all."""

from __future__ import annotations

import datetime as dt
import logging

import pytest
from django.utils import timezone

from apps.analytics import services
from apps.analytics.models import (
    CampaignReport,
    ClickRecord,
    DailyDeduction,
    DailyStats,
    DetailFetch,
    LinkStat,
    OpenRecord,
    TrackingPoint,
)
from apps.campaigns.models import Campaign
from apps.campaigns.tests.factories import mirror
from apps.umail.times import BEIJING

from .factories import mirror_campaigns, platform_json, platform_xml, send


@pytest.fixture
def demo(demo_client, demo_account, fresh_sandbox):
    mirror(demo_account)
    return demo_account


def due_now():
    return CampaignReport.objects.filter(services.due_q(timezone.now()))


def numbers(element, *names):
    return {n: int(element.findtext(n)) for n in names}


def assert_report_equals_platform(sandbox, report):
    campaign = report.campaign
    stask = platform_xml(sandbox, "stask.php", id=campaign.platform_id).find("task")
    over = platform_xml(sandbox, "track.php", do="overview", id=campaign.platform_id)
    assert report.stat_task_id == int(stask.findtext("task_id")) == int(over.findtext("task_id"))
    assert report.stat_task_id != campaign.platform_id
    assert report.track_id == int(over.findtext("track_id"))
    s = numbers(stask, "totalsum", "total", "success", "failed", "invalid", "actual")
    assert (report.planned, report.sent, report.delivered) == (
        s["totalsum"],
        s["total"],
        s["success"],
    )
    assert (report.failed, report.invalid, report.credits) == (
        s["failed"],
        s["invalid"],
        s["actual"],
    )
    e = numbers(stask, "email_not_exist", "over_quota", "user_reject", "rubbish")
    assert (report.not_exist, report.over_quota, report.user_reject, report.spam) == tuple(
        e.values()
    )
    o = numbers(over, "real_send_count", "open_unique", "open_total", "click_unique", "click_total")
    assert report.real_send_count == o["real_send_count"] == report.delivered
    assert (report.open_unique, report.open_total) == (o["open_unique"], o["open_total"])
    assert (report.click_unique, report.click_total) == (o["click_unique"], o["click_total"])
    assert f"{report.open_rate:.2f}%" == over.findtext("open_ratio")
    return over


@pytest.mark.django_db
def test_sync_mirrors_the_platform_and_a_second_run_changes_nothing(demo, fresh_sandbox):
    campaign = send(demo, fresh_sandbox, list_id=501, track=2)
    seeded = Campaign.objects.filter(account=demo, origin="platform").exclude(pk=campaign.pk)
    assert seeded.count() == 2
    first = services.reports_sync_due()
    assert first.failed == 0 and first.reports == 3
    report = CampaignReport.objects.get(campaign=campaign)
    over = assert_report_equals_platform(fresh_sandbox, report)
    assert report.open_unique > 0 and report.click_unique > 0
    links = {link.link_id: link for link in LinkStat.objects.filter(report=report)}
    platform_links = over.findall("link_statistic/link")
    assert len(links) == len(platform_links) > 0
    for element in platform_links:
        link = links[int(element.findtext("link_id"))]
        assert link.url == element.findtext("link")
        assert (link.click_unique, link.click_total) == (
            int(element.findtext("click_unique")),
            int(element.findtext("click_total")),
        )
    for other in CampaignReport.objects.filter(campaign__in=seeded):
        assert_report_equals_platform(fresh_sandbox, other)
    points = TrackingPoint.objects.filter(report=report)
    assert points.count() == 1
    # Nothing is due: the second run asks the platform nothing and changes nothing.
    before = list(CampaignReport.objects.order_by("pk").values())
    assert not due_now().exists()
    second = services.reports_sync_due()
    assert (second.reports, second.calls) == (0, 0)
    # Forced (every report due again): same numbers, no new time-series point.
    CampaignReport.objects.update(next_sync_at=timezone.now())
    third = services.reports_sync_due()
    assert third.reports == 3 and third.failed == 0
    after = list(CampaignReport.objects.order_by("pk").values())
    volatile = {"synced_at", "next_sync_at", "stats_synced_at", "tracking_synced_at"}
    assert [{k: v for k, v in r.items() if k not in volatile} for r in before] == [
        {k: v for k, v in r.items() if k not in volatile} for r in after
    ]
    assert points.count() == 1
    # §3.5 is asked again only when the clicks moved.
    assert third.calls == 3 + 3  # §2.4 and §3.1 for each (all three track), no §3.5
    report.refresh_from_db()
    assert not report.final  # opens may still come for FOLLOW_DAYS


@pytest.mark.django_db
def test_a_growing_campaign_gets_points_and_becomes_final(demo, fresh_sandbox):
    fresh_sandbox.control("POST", "delivery/settings", {"speed": 1})
    campaign = send(demo, fresh_sandbox, track=2, days=0.1)  # sending finished, opens begin
    services.reports_sync_due()
    report = CampaignReport.objects.get(campaign=campaign)
    early = report.open_unique
    fresh_sandbox.control(
        "POST", f"tasks/{campaign.platform_id}/fast-forward", {"seconds": 3 * 86400}
    )
    CampaignReport.objects.filter(pk=report.pk).update(next_sync_at=timezone.now())
    services.reports_sync_due()
    report.refresh_from_db()
    assert report.open_unique > early
    series = list(TrackingPoint.objects.filter(report=report).values_list("open_unique", flat=True))
    assert series == sorted(series) and len(series) == 2
    # Long after the end nothing can change: the report becomes final and is never due again.
    Campaign.objects.filter(pk=campaign.pk).update(
        time_end=timezone.now() - dt.timedelta(days=services.FOLLOW_DAYS + 1)
    )
    CampaignReport.objects.filter(pk=report.pk).update(next_sync_at=timezone.now())
    services.reports_sync_due()
    report.refresh_from_db()
    assert report.final
    assert not due_now().filter(pk=report.pk).exists()


@pytest.mark.django_db
def test_a_change_in_the_campaign_mirror_makes_a_report_due(demo, fresh_sandbox):
    fresh_sandbox.control("POST", "delivery/settings", {"speed": 1})
    campaign = send(demo, fresh_sandbox, days=0)  # waiting in the platform's queue
    counts = services.reports_sync_due()
    report = CampaignReport.objects.get(campaign=campaign)
    assert report.synced_at is not None and report.stats_synced_at is None  # nothing asked
    assert counts.skipped >= 1
    assert not due_now().filter(pk=report.pk).exists()
    Campaign.objects.filter(pk=campaign.pk).update(status=2, time_start=timezone.now())
    assert due_now().filter(pk=report.pk).exists()


@pytest.mark.django_db
@pytest.mark.parametrize("kind", ["malformed", "truncated", "html", "http_error"])
def test_a_broken_reply_keeps_the_last_good_numbers_and_is_logged(
    demo, fresh_sandbox, kind, caplog
):
    campaign = send(demo, fresh_sandbox, track=2)
    services.reports_sync_due()
    report = CampaignReport.objects.get(campaign=campaign)
    good = (report.delivered, report.open_unique, report.click_total, report.open_rate)
    fresh_sandbox.control("POST", f"tasks/{campaign.platform_id}/fast-forward", {"seconds": 86400})
    fresh_sandbox.control("POST", "faults", {"kind": kind, "script": "track.php", "times": 10})
    CampaignReport.objects.filter(pk=report.pk).update(next_sync_at=timezone.now())
    with caplog.at_level(logging.WARNING, logger="apps.analytics.services"):
        counts = services.reports_sync_due()
    fresh_sandbox.control("POST", "faults/clear")
    assert counts.failed >= 1
    report.refresh_from_db()
    assert (report.delivered, report.open_unique, report.click_total, report.open_rate) == good
    assert report.failures == 1 and report.last_error
    assert report.next_sync_at > timezone.now() + dt.timedelta(seconds=30)  # backed off
    assert f"campaign {campaign.pk} failed" in caplog.text
    assert TrackingPoint.objects.filter(report=report).count() == 1


@pytest.mark.django_db
def test_days_mirror_statistic_and_deduction(demo, fresh_sandbox):
    campaign = send(demo, fresh_sandbox, track=1)
    mirror_campaigns(demo)
    counts = services.days_sync(account=demo)
    assert counts.failed == 0
    for row in DailyStats.objects.filter(account=demo, synced_at__isnull=False):
        s = platform_xml(fresh_sandbox, "statistic.php", date=row.date.isoformat())
        assert (row.ws_qty, row.ws_count, row.actual_send, row.send_error, row.actual_deduc) == (
            int(s.findtext("ws_qty")),
            int(s.findtext("ws_count")),
            int(s.findtext("actual_send")),
            int(s.findtext("send_error")),
            int(s.findtext("actual_deduc")),
        )
        d = platform_xml(fresh_sandbox, "deduction.php", date=row.date.isoformat())
        kinds = {x.findtext("deduction"): int(x.findtext("total")) for x in d.findall("list")}
        assert (
            dict(
                DailyDeduction.objects.filter(account=demo, date=row.date).values_list(
                    "kind", "total"
                )
            )
            == kinds
        )
        assert row.deductions_total == sum(kinds.values())
    today = services.platform_day(campaign.send_time)
    day = DailyStats.objects.get(account=demo, date=today)
    assert day.ws_qty == 1 and day.actual_send > 0
    # Idempotent: again, the same rows.
    DailyStats.objects.update(next_sync_at=timezone.now())
    rows = list(DailyStats.objects.order_by("date").values("date", "ws_count", "actual_deduc"))
    services.days_sync(account=demo)
    assert (
        list(DailyStats.objects.order_by("date").values("date", "ws_count", "actual_deduc")) == rows
    )
    assert DailyDeduction.objects.filter(account=demo, date=today).count() == 1


@pytest.mark.django_db
def test_open_and_click_detail_are_stored_whole_or_not_at_all(demo, fresh_sandbox):
    campaign = send(demo, fresh_sandbox, track=2)
    services.reports_sync_due()
    report = CampaignReport.objects.get(campaign=campaign)
    fetch = services.detail_request(report=report, kind="opens")
    services.detail_fetch(fetch_id=fetch.pk)
    fetch.refresh_from_db()
    assert fetch.state == "done" and fetch.rows == report.open_unique
    openers = platform_xml(fresh_sandbox, "track.php", do="open-detail", id=campaign.platform_id)
    users = openers.findall("user")
    stored = {r.email: r for r in OpenRecord.objects.filter(fetch=fetch)}
    assert set(stored) == {u.findtext("email") for u in users}
    one = users[0]
    record = stored[one.findtext("email")]
    assert record.browser == one.findtext("browser") and record.addr_first == one.findtext(
        "addr_first"
    )
    assert record.open_total == int(one.findtext("open_total"))
    assert timezone.localtime(record.open_first, BEIJING).strftime(
        "%Y-%m-%d %H:%M:%S"
    ) == one.findtext("open_first")
    assert sum(n for _, n in fetch.summary["browser"]) == fetch.rows
    # A reply cut half-way stores nothing; the previous detail stays what is shown.
    fresh_sandbox.control(
        "POST",
        "faults",
        {"kind": "truncated", "script": "track.php", "do": "open-detail", "times": 5},
    )
    broken = services.detail_request(report=report, kind="opens")
    services.detail_fetch(fetch_id=broken.pk)
    fresh_sandbox.control("POST", "faults/clear")
    broken.refresh_from_db()
    assert broken.state == "failed" and broken.error
    assert OpenRecord.objects.filter(fetch=broken).count() == 0
    assert OpenRecord.objects.filter(fetch=fetch).count() == fetch.rows
    # Clicks: one row per recipient and link, adding up to §3.1.
    clicks = services.detail_request(report=report, kind="clicks")
    services.detail_fetch(fetch_id=clicks.pk)
    rows = ClickRecord.objects.filter(fetch=clicks)
    assert rows.count() == sum(link.click_unique for link in LinkStat.objects.filter(report=report))
    assert sum(r.click_total for r in rows) == report.click_total
    # A new complete fetch replaces the old one's rows.
    again = services.detail_request(report=report, kind="opens")
    services.detail_fetch(fetch_id=again.pk)
    assert not DetailFetch.objects.filter(pk=fetch.pk).exists()
    assert OpenRecord.objects.filter(fetch_id=fetch.pk).count() == 0


@pytest.mark.django_db
def test_failed_addresses_in_every_platform_format_agree(demo, fresh_sandbox):
    campaign = send(demo, fresh_sandbox, track=0)
    services.reports_sync_due()
    report = CampaignReport.objects.get(campaign=campaign)
    expected = platform_json(
        fresh_sandbox, "failexportall.php", task_id=report.stat_task_id, type="all"
    )
    want = [(i["email"], int(i["type"])) for i in expected]
    assert sum(1 for _, t in want if t == 1) == report.not_exist
    for source in ("xml", "json", "file", "text"):
        client, rows = services.failures_export(
            account=demo, fail_type=-1, source=source, report=report
        )
        try:
            got = [(r.email, r.type) for r in rows]
        finally:
            client.close()
        if source == "text":  # plain text has no types
            assert [e for e, _ in got] == [e for e, _ in want]
        else:
            assert got == want, source


@pytest.mark.django_db
def test_a_days_failures_of_type_1_are_asked_task_by_task(demo, fresh_sandbox):
    # §2.3.2 refuses types 1/2/3 with a date alone (L456-458, strict sandbox): the portal asks
    # per statistics task of the day (§2.4) and gets the same addresses.
    campaign = send(demo, fresh_sandbox, track=0)
    services.reports_sync_due()
    report = CampaignReport.objects.get(campaign=campaign)
    day = services.platform_day(campaign.send_time)
    since = fresh_sandbox.control("GET", "calls")["last_seq"]
    client, rows = services.failures_export(account=demo, fail_type=1, source="json", day=day)
    try:
        got = [r.email for r in rows]
    finally:
        client.close()
    assert len(got) == report.not_exist > 0
    asked = [c for c in fresh_sandbox.calls(since=since) if c["script"] == "failexportall.php"]
    assert asked and all("task_id" in c["params"] for c in asked)


@pytest.mark.django_db
def test_a_broken_day_reply_keeps_the_last_numbers(demo, fresh_sandbox, caplog):
    campaign = send(demo, fresh_sandbox, track=0)
    services.days_sync(account=demo)
    day = DailyStats.objects.get(account=demo, date=services.platform_day(campaign.send_time))
    good = (day.ws_count, day.actual_send, day.deductions_total)
    assert good[0] > 0
    DailyStats.objects.filter(pk=day.pk).update(next_sync_at=timezone.now())
    fresh_sandbox.control(
        "POST", "faults", {"kind": "truncated", "script": "deduction.php", "times": 10}
    )
    with caplog.at_level(logging.WARNING, logger="apps.analytics.services"):
        counts = services.days_sync(account=demo)
    fresh_sandbox.control("POST", "faults/clear")
    assert counts.failed >= 1
    day.refresh_from_db()
    assert (day.ws_count, day.actual_send, day.deductions_total) == good
    assert day.failures == 1 and day.last_error
    assert f"analytics sync of {day.date}" in caplog.text


@pytest.mark.django_db
def test_history_found_at_a_first_sync_is_final_and_costs_no_link_calls(demo, fresh_sandbox):
    made = fresh_sandbox.control("POST", "stats/generate", {"tasks": 2, "days": 60})
    mirror_campaigns(demo)
    counts = services.reports_sync_due()
    assert counts.failed == 0 and counts.reports == 4
    # §2.4 + §3.1 for the two old ones, + §3.5 only for the seeded one finished 3 days ago.
    assert counts.calls == 2 * 2 + 3 + 2
    for task_id in (made["first_id"], made["last_id"]):
        report = CampaignReport.objects.get(campaign__platform_id=task_id)
        assert report.final
        links = platform_xml(fresh_sandbox, "track.php", do="link-stat", id=task_id)
        stored = {link.link_id: link for link in LinkStat.objects.filter(report=report)}
        assert len(stored) == len(links.findall("link")) > 0
        for element in links.findall("link"):
            link = stored[int(element.findtext("link_id"))]
            assert (link.url, link.click_unique, link.click_total) == (
                element.findtext("link"),
                int(element.findtext("click_unique")),
                int(element.findtext("click_total")),
            )
    assert services.reports_sync_due().calls == 0
