"""The analytics issue's "done when", in Chromium: a tracked campaign finishes in the sandbox; its
report shows delivery, opens and clicks over time (a drawn chart) and per link, the open detail
downloads in the background, failed addresses export by type, and list hygiene removed the hard
bounces from the list. Then the dashboard draws its daily chart."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import expect

from apps.accounts.models import PlatformAccount
from apps.analytics import services
from apps.analytics.models import CampaignReport, HygieneRun
from apps.analytics.tests.factories import LINES, list_addresses, make_list, send
from apps.campaigns.models import Campaign
from tests.support import wait_until

from .conftest import accessibility_problems, nav, screenshot, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# How many points a drawn Chart.js canvas has (0 when nothing was drawn).
DRAWN = """(selector) => {
  const canvas = document.querySelector(selector);
  if (!canvas || !canvas.chart) return 0;
  return canvas.chart.data.datasets.reduce((n, d) => n + d.data.filter(v => v !== null).length, 0);
}"""


def test_a_finished_campaign_report_hygiene_and_dashboard(page, portal, sandbox, celery_worker):
    sandbox.control("POST", "delivery/settings", {"speed": 1})  # nothing moves unless told
    sign_in(page, portal)
    account = PlatformAccount.objects.get(username="demo", user_type="")
    services.hygiene_update_settings(
        account=account, user=None, enabled=True, remove_from_lists=True
    )
    list_id = make_list(account, "春季客户", LINES)
    before = list_addresses(sandbox, list_id)
    task_id = send(account, sandbox, list_id=list_id, track=2, days=0.02, mirror=False)
    nav(page, "Campaigns")  # the campaigns page mirrors the platform's tasks
    campaign = wait_until(lambda: Campaign.objects.filter(platform_id=task_id).first())

    page.goto(f"{portal}/analytics/campaigns/{campaign.pk}/")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Report")
    report = CampaignReport.objects.get(campaign=campaign)
    expect(page.get_by_test_id("delivered")).to_have_text(f"{report.delivered:,}")
    expect(page.get_by_test_id("growth-empty")).to_be_visible()  # one sync: no chart yet

    sandbox.control("POST", f"tasks/{task_id}/fast-forward", {"seconds": 3 * 86400})
    page.get_by_role("button", name="Refresh from the platform").click()
    expect(page.locator('canvas[data-chart="growth"]')).to_be_visible()
    page.wait_for_function(f"() => ({DRAWN})('canvas[data-chart=\"growth\"]') > 0")
    assert page.evaluate(DRAWN, 'canvas[data-chart="growth"]') >= 2
    report.refresh_from_db()
    expect(page.get_by_test_id("open-unique")).to_have_text(f"{report.open_unique:,}")
    expect(page.get_by_test_id("links-table")).to_be_visible()

    page.locator("#opens").get_by_role("button", name="Download from the platform").click()
    expect(page.get_by_test_id("opens-status")).to_contain_text("rows downloaded", timeout=60_000)
    page.reload()
    expect(page.get_by_test_id("aud-browser")).to_be_visible()
    assert not accessibility_problems(page)
    screenshot(page, "campaign-report")

    with page.expect_download() as download:
        page.get_by_label("Failure type").select_option("1")
        page.get_by_role("button", name="Export failed addresses").click()
    content = Path(download.value.path()).read_text(encoding="utf-8-sig")
    assert "bounce1@x.cn" in content and "full1@x.cn" not in content

    # Hygiene ran in the worker once the campaign was seen finished.
    run = wait_until(lambda: HygieneRun.objects.filter(report=report, state="done").first(), 60)
    assert "bounce1@x.cn" not in list_addresses(sandbox, list_id)
    assert len(before) - len(list_addresses(sandbox, list_id)) == run.removed > 0
    page.goto(f"{portal}/analytics/hygiene/{run.pk}/")
    expect(page.get_by_test_id("removed")).to_have_text(str(run.removed))

    services.days_sync(account=account)
    nav(page, "Analytics")
    expect(page.get_by_role("heading", level=1)).to_have_text("Analytics")
    page.wait_for_function(f"() => ({DRAWN})('canvas[data-chart=\"daily\"]') > 0")
    assert not accessibility_problems(page)
    screenshot(page, "analytics-dashboard")
