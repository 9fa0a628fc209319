"""Live numbers and layout polish in Chromium: a tracked campaign's page and report follow the
report store by themselves (htmx, nobody pressing Refresh) and say how fresh they are; long
names and the calendar fit the window; checked at 1366, 1920 and 375 px with screenshots."""

from __future__ import annotations

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from apps.accounts.models import PlatformAccount
from apps.analytics import services
from apps.analytics.models import CampaignReport
from apps.analytics.tests.factories import make_list, send
from apps.contacts.services import list_sync

from .conftest import screenshot, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SIZES = {"laptop": (1366, 768), "desktop": (1920, 1080), "phone": (375, 812)}


def overflow(page) -> int:
    return page.evaluate(
        "() => Math.max(document.documentElement.scrollWidth, document.body.scrollWidth)"
        " - window.innerWidth"
    )


def sync_as_beat_would(campaign) -> CampaignReport:
    CampaignReport.objects.filter(campaign=campaign).update(next_sync_at=timezone.now())
    services.reports_sync_due()
    return CampaignReport.objects.get(campaign=campaign)


def test_campaign_page_and_report_follow_the_numbers_by_themselves(page, portal, sandbox):
    sandbox.control("POST", "delivery/settings", {"speed": 1})  # nothing moves unless told
    sign_in(page, portal)
    account = PlatformAccount.objects.get(username="demo", user_type="")
    campaign = send(account, sandbox, list_id=501, track=2, days=0.01)
    report = sync_as_beat_would(campaign)

    page.goto(f"{portal}/campaigns/{campaign.pk}/")
    numbers = page.get_by_test_id("live-numbers")
    expect(numbers.get_by_test_id("open-unique")).to_contain_text(f"{report.open_unique:,}")
    expect(numbers.get_by_test_id("freshness-state")).to_have_attribute("data-state", "live")
    expect(numbers).to_contain_text("Numbers from the platform")

    # The platform moves on and the sync (beat's job) fetches it: the open page follows.
    sandbox.control("POST", f"tasks/{campaign.platform_id}/fast-forward", {"seconds": 86400})
    later = sync_as_beat_would(campaign)
    assert later.open_unique > report.open_unique
    expect(numbers.get_by_test_id("open-unique")).to_contain_text(
        f"{later.open_unique:,}", timeout=40_000
    )

    page.goto(f"{portal}/analytics/campaigns/{campaign.pk}/")
    expect(page.get_by_test_id("open-unique")).to_have_text(f"{later.open_unique:,}")
    sandbox.control("POST", f"tasks/{campaign.platform_id}/fast-forward", {"seconds": 2 * 86400})
    last = sync_as_beat_would(campaign)
    expect(page.get_by_test_id("open-total")).to_have_text(f"{last.open_total:,}", timeout=40_000)
    expect(page.locator('canvas[data-chart="growth"]')).to_be_visible()

    for name, (width, height) in SIZES.items():
        page.set_viewport_size({"width": width, "height": height})
        for where, url in (
            ("campaign", f"/campaigns/{campaign.pk}/"),
            ("report", f"/analytics/campaigns/{campaign.pk}/"),
        ):
            page.goto(f"{portal}{url}")
            expect(page.get_by_test_id("open-unique").first).to_be_visible()
            assert overflow(page) <= 0, f"{where} at {width} px is {overflow(page)} px too wide"
            screenshot(page, f"live-{where}-{name}")


def test_long_names_are_cut_and_the_calendar_fits(page, portal, sandbox):
    sign_in(page, portal)
    account = PlatformAccount.objects.get(username="demo", user_type="")
    long_name = "春" + "x" * 99
    list_id = make_list(account, long_name, ["a@x.cn;a"])
    list_sync(account=account)
    for name, (width, height) in SIZES.items():
        page.set_viewport_size({"width": width, "height": height})
        for path in ("/contacts/", f"/contacts/{list_id}/", "/campaigns/calendar/"):
            page.goto(f"{portal}{path}")
            page.wait_for_load_state("networkidle")
            assert overflow(page) <= 0, f"{path} at {width} px is {overflow(page)} px too wide"
        screenshot(page, f"calendar-{name}")
    page.set_viewport_size({"width": 1366, "height": 768})
    page.goto(f"{portal}/contacts/")
    link = page.get_by_role("link", name=long_name)
    expect(link).to_have_attribute("title", long_name)
    box = link.bounding_box()
    assert box and box["width"] < 600  # cut with an ellipsis, the full name on hover
    screenshot(page, "contacts-long-name")
