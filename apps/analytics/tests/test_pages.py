"""The analytics pages: the numbers shown are the sandbox's, charts get real data or say there
is none, exports contain what the platform lists, another account's ids are 404, and a failing
platform never gives an error page."""

from __future__ import annotations

import csv
import io
import json
import re
import zipfile

import pytest
from django.test import Client
from django.utils import timezone

from apps.accounts.tests.factories import member, platform_account
from apps.analytics import services
from apps.analytics.models import CampaignReport, DailyStats, OpenRecord
from apps.campaigns.tests.factories import campaign as make_campaign
from apps.campaigns.tests.factories import mirror

from .factories import platform_json, platform_xml, send, url


@pytest.fixture
def demo(demo_client, demo_account, fresh_sandbox):
    mirror(demo_account)
    return demo_client


def page(response) -> str:
    assert response.status_code == 200, response.status_code
    return response.content.decode()


def by_testid(body: str, name: str) -> str:
    match = re.search(rf'data-testid="{name}"[^>]*>([^<]*)<', body)
    assert match, name
    return match.group(1).strip().replace(",", "")


def json_data(body: str, element_id: str):
    match = re.search(
        rf'<script id="{element_id}" type="application/json">(.*?)</script>', body, re.S
    )
    assert match, element_id
    return json.loads(match.group(1))


def download(response) -> bytes:
    assert response.status_code == 200, response.content[:300]
    return b"".join(response.streaming_content)


def csv_rows(response) -> list[list[str]]:
    return list(csv.reader(io.StringIO(download(response).decode("utf-8-sig"))))


@pytest.mark.django_db
def test_report_page_shows_the_platforms_numbers(demo, demo_account, fresh_sandbox):
    fresh_sandbox.control("POST", "delivery/settings", {"speed": 1})  # nothing moves meanwhile
    campaign = send(demo_account, fresh_sandbox, track=2, days=0.02)  # sent; opens arriving
    body = page(demo.get(url("report", campaign.pk)))  # first visit syncs
    stask = platform_xml(fresh_sandbox, "stask.php", id=campaign.platform_id).find("task")
    over = platform_xml(fresh_sandbox, "track.php", do="overview", id=campaign.platform_id)
    assert by_testid(body, "planned") == stask.findtext("totalsum")
    assert by_testid(body, "sent") == stask.findtext("total")
    assert by_testid(body, "delivered") == stask.findtext("success")
    failed = int(stask.findtext("failed")) + int(stask.findtext("invalid"))
    assert by_testid(body, "failed") == str(failed)
    assert by_testid(body, "credits") == stask.findtext("actual")
    assert by_testid(body, "open-unique") == over.findtext("open_unique")
    assert by_testid(body, "open-total") == over.findtext("open_total")
    assert by_testid(body, "click-unique") == over.findtext("click_unique")
    assert by_testid(body, "open-rate") == over.findtext("open_ratio").replace("%", " %")
    assert "Numbers from the platform" in body
    for link in over.findall("link_statistic/link"):
        assert link.findtext("link") in body
    # One sync so far: the chart says why it is not drawn yet; after growth it is drawn.
    assert 'data-testid="growth-empty"' in body
    fresh_sandbox.control(
        "POST", f"tasks/{campaign.platform_id}/fast-forward", {"seconds": 3 * 86400}
    )
    demo.post(url("report-refresh", campaign.pk))
    body = page(demo.get(url("report", campaign.pk)))
    report = CampaignReport.objects.get(campaign=campaign)
    assert report.points.count() == 2
    data = json_data(body, "growth-data")
    assert data["series"]["open_unique"] == [p.open_unique for p in report.points.all()]
    assert data["series"]["open_total"][0] < data["series"]["open_total"][1] == report.open_total
    assert 'data-chart="growth"' in body and "chart.umd.min.js" in body


@pytest.mark.django_db
def test_detail_tables_search_and_export(demo, demo_account, fresh_sandbox):
    campaign = send(demo_account, fresh_sandbox, track=2)
    demo.get(url("report", campaign.pk))
    report = CampaignReport.objects.get(campaign=campaign)
    fetch = services.detail_request(report=report, kind="opens")
    services.detail_fetch(fetch_id=fetch.pk)
    body = page(demo.get(url("report", campaign.pk)))
    assert "Search the openers" in body and 'data-testid="aud-browser"' in body
    first = OpenRecord.objects.filter(fetch=fetch).order_by("id").first()
    listing = page(demo.get(url("detail", campaign.pk, "opens"), {"email": first.email}))
    assert first.email in listing
    others = OpenRecord.objects.filter(fetch=fetch).exclude(email__icontains=first.email)
    assert all(o.email not in listing for o in others[:5])
    rows = csv_rows(demo.get(url("detail-export", campaign.pk, "opens", "csv")))
    assert rows[0][0] == "e-mail"  # the column's verbose name, in the reader's language (en)
    assert {r[0] for r in rows[1:]} == set(
        OpenRecord.objects.filter(fetch=fetch).values_list("email", flat=True)
    )
    xlsx = download(demo.get(url("detail-export", campaign.pk, "opens", "xlsx")))
    sheet = zipfile.ZipFile(io.BytesIO(xlsx)).read("xl/worksheets/sheet1.xml").decode()
    assert first.email in sheet


@pytest.mark.django_db
def test_failure_and_tracked_exports(demo, demo_account, fresh_sandbox):
    campaign = send(demo_account, fresh_sandbox, track=2)
    demo.get(url("report", campaign.pk))
    report = CampaignReport.objects.get(campaign=campaign)
    expected = platform_json(
        fresh_sandbox, "failexportall.php", task_id=report.stat_task_id, type="all"
    )
    assert expected, "the sandbox drew no failure for list 501"
    for source in ("xml", "json", "file"):
        rows = csv_rows(
            demo.get(url("failures", campaign.pk), {"type": -1, "source": source, "fmt": "csv"})
        )
        assert [(r[0], r[2]) for r in rows[1:]] == [(i["email"], i["type"]) for i in expected], (
            source
        )
    one = expected[0]
    rows = csv_rows(
        demo.get(
            url("failures", campaign.pk), {"type": one["type"], "source": "text", "fmt": "csv"}
        )
    )
    assert one["email"] in {r[0] for r in rows[1:]}
    xlsx = download(
        demo.get(url("failures", campaign.pk), {"type": -1, "source": "xml", "fmt": "xlsx"})
    )
    assert (
        one["email"] in zipfile.ZipFile(io.BytesIO(xlsx)).read("xl/worksheets/sheet1.xml").decode()
    )
    tracked = csv_rows(demo.get(url("tracked", campaign.pk), {"who": "all", "fmt": "csv"}))
    assert tracked[0][0] == "email"
    assert len(tracked) - 1 == report.open_unique
    clickers = csv_rows(demo.get(url("tracked", campaign.pk), {"who": "clickers", "fmt": "csv"}))
    assert len(clickers) - 1 == report.click_unique


@pytest.mark.django_db
def test_exports_neutralise_formulas(demo, demo_account, fresh_sandbox):
    from apps.analytics.models import DetailFetch

    campaign = send(demo_account, fresh_sandbox, track=2)
    demo.get(url("report", campaign.pk))
    report = CampaignReport.objects.get(campaign=campaign)
    fetch = DetailFetch.objects.create(
        account=demo_account, report=report, kind="opens", state="done", finished_at=timezone.now()
    )
    OpenRecord.objects.create(
        fetch=fetch, email="x@y.cn", browser='=HYPERLINK("http://evil")', open_total=1
    )
    rows = csv_rows(demo.get(url("detail-export", campaign.pk, "opens", "csv")))
    assert rows[1][OpenRecordColumns.index("browser")].startswith("'=")


OpenRecordColumns = [
    "email",
    "open_total",
    "click_total",
    "open_first",
    "open_last",
    "click_first",
    "browser",
    "os",
    "addr_first",
    "ip_first",
]


@pytest.mark.django_db
def test_dashboard_charts_top_lists_and_comparison(demo, demo_account, fresh_sandbox):
    a = send(demo_account, fresh_sandbox, track=2)
    b = send(demo_account, fresh_sandbox, list_id=502, track=1)
    services.reports_sync_due()
    services.days_sync(account=demo_account)
    body = page(demo.get(url("index")))
    data = json_data(body, "daily-data")
    today = services.platform_day(a.send_time).isoformat()
    i = data["labels"].index(today)
    day = DailyStats.objects.get(account=demo_account, date=today)
    assert data["series"]["delivered"][i] == day.actual_send > 0
    assert data["series"]["credits"][i] == day.deductions_total
    assert 'data-chart="daily"' in body and "chart.umd.min.js" in body
    assert a.display_name in body and b.display_name in body  # top by open rate
    compared = page(demo.get(url("index"), {"a": a.pk, "b": b.pk}))
    assert 'data-testid="comparison"' in compared and 'data-chart="compare"' in compared
    series = json_data(compared, "compare-data")
    assert len(series["campaigns"]) == 2
    # A range without sends: the chart's empty state.
    empty = page(demo.get(url("index"), {"start": "2020-01-01", "end": "2020-01-31"}))
    assert 'data-testid="chart-empty"' in empty and 'data-chart="daily"' not in empty
    bad = page(demo.get(url("index"), {"start": "2020-02-01", "end": "2020-01-01"}))
    assert "The range must start before it ends." in bad


@pytest.mark.django_db
def test_another_accounts_campaign_is_404(demo, demo_account, fresh_sandbox):
    other = platform_account(username="someone-else")
    theirs = make_campaign(other, status=3, time_start=timezone.now())
    assert demo.get(url("report", theirs.pk)).status_code == 404
    assert demo.get(url("detail", theirs.pk, "opens")).status_code == 404
    assert demo.get(url("failures", theirs.pk), {"type": -1}).status_code == 404
    assert demo.post(url("detail-fetch", theirs.pk, "opens")).status_code == 404


@pytest.mark.django_db
def test_a_failing_platform_shows_a_message_and_the_last_data(
    demo, demo_account, fresh_sandbox, settings
):
    campaign = send(demo_account, fresh_sandbox, track=2)
    page(demo.get(url("report", campaign.pk)))
    report = CampaignReport.objects.get(campaign=campaign)
    settings.UMAIL_READ_TIMEOUT = 0.5
    for kind in ("timeout", "http_error", "malformed"):
        fresh_sandbox.control("POST", "faults", {"kind": kind, "times": 20, "delay": 1.5})
        response = demo.post(url("report-refresh", campaign.pk), follow=True)
        body = page(response)
        assert "could not be fetched" in body
        assert by_testid(body, "delivered") == str(report.delivered)
        export = demo.get(url("failures", campaign.pk), {"type": -1, "source": "xml", "fmt": "csv"})
        assert export.status_code == 302
        fresh_sandbox.control("POST", "faults/clear")


@pytest.mark.django_db
def test_viewers_read_but_cannot_change_hygiene(demo_account, fresh_sandbox):
    client = Client()
    client.force_login(member(demo_account, role="viewer"))
    assert "List hygiene" in page(client.get(url("hygiene")))
    response = client.post(
        url("hygiene"), {"enabled": "on", "remove_from_lists": "on"}, follow=True
    )
    assert "Only editors and above" in page(response)
    assert not services.hygiene_settings(account=demo_account).remove_from_lists
    theirs = make_campaign(demo_account, status=3, time_start=timezone.now())
    assert client.post(url("hygiene-rerun", theirs.pk)).status_code == 403


@pytest.mark.django_db
def test_a_broker_that_is_down_never_gives_an_error_page(
    demo, demo_account, fresh_sandbox, monkeypatch, django_capture_on_commit_callbacks
):
    from apps.analytics import tasks
    from apps.analytics.models import DetailFetch

    def down(*args, **kwargs):
        raise RuntimeError("Acquire on closed pool")

    for task in (
        tasks.detail_fetch_task,
        tasks.analytics_days_sync_task,
        tasks.hygiene_collect_task,
    ):
        monkeypatch.setattr(task, "delay", down)
    campaign = send(demo_account, fresh_sandbox, track=2)
    with django_capture_on_commit_callbacks(execute=True):
        assert demo.get(url("report", campaign.pk)).status_code == 200
        response = demo.post(url("detail-fetch", campaign.pk, "opens"), follow=True)
        assert demo.get(url("index")).status_code == 200
    assert response.status_code == 200
    fetch = DetailFetch.objects.get(report__campaign=campaign)
    assert fetch.state == "failed" and "queue could not be reached" in fetch.error
    assert "Download from the platform" in page(demo.get(url("report", campaign.pk)))
