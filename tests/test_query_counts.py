"""Queries per page do not grow with the rows shown (no N+1) on the pages the load test browses.

The same pages as `bench/pages_load.py`: overview, campaign list, campaign report, list index and
a list's page, with 60 campaigns (with reports) and 60 lists mirrored, each page rendered with 5
and with 50 rows a page. Counts only, never time: speed is measured by `make bench`.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

pytestmark = pytest.mark.django_db

ROWS = 60
# A page's own queries (session, user, preferences, membership, sync state, counts, one page of
# rows, …) with a few to spare; what matters is that 5 and 50 rows cost the same.
MAX_QUERIES = {
    "overview": 12,
    "campaign list": 18,
    "campaign report": 20,
    "list index": 15,
    "list page": 14,
}


@pytest.fixture
def mirrored(demo_account):
    from apps.analytics.models import CampaignReport, DailyStats
    from apps.campaigns.models import Campaign, CampaignSync
    from apps.contacts.models import ContactsSync, MailList

    account, now = demo_account, timezone.now()
    campaigns = Campaign.objects.bulk_create(
        Campaign(
            account=account,
            name=f"活动 {i}",
            template_names=["Newsletter"],
            list_name="List",
            local_state=Campaign.LocalState.ACTIVE,
            platform_id=90_000 + i,
            status=3,
            track_status=2,
            send_time=now - dt.timedelta(hours=i),
            time_start=now - dt.timedelta(hours=i),
        )
        for i in range(ROWS)
    )
    CampaignReport.objects.bulk_create(
        CampaignReport(
            account=account, campaign=c, planned=1000, sent=1000, delivered=950,
            real_send_count=950, open_unique=300, click_unique=40, open_rate=31.58,
            click_rate=4.21, stats_synced_at=now, synced_at=now, final=True,
        )
        for c in campaigns
    )  # fmt: skip
    DailyStats.objects.bulk_create(
        DailyStats(account=account, date=now.date() - dt.timedelta(days=d), send_count=1000,
                   synced_at=now, final=True)
        for d in range(30)
    )  # fmt: skip
    # The sandbox's demo list 501 (25 addresses): its page reads §4.8 from the platform.
    MailList.objects.get_or_create(
        account=account, platform_id=501, defaults={"subject": "VIP 客户", "status": "enabled"}
    )
    MailList.objects.bulk_create(
        MailList(account=account, platform_id=80_000 + i, subject=f"分类 {i}", count=i,
                 status="enabled", synced_at=now)
        for i in range(ROWS)
    )  # fmt: skip
    # Fresh mirrors, as beat keeps them: the pages read them and call nothing.
    CampaignSync.objects.update_or_create(
        account=account, defaults={"synced_at": now, "full_synced_at": now}
    )
    ContactsSync.objects.update_or_create(account=account, defaults={"lists_synced_at": now})
    return {
        "overview": "/",
        "campaign list": "/campaigns/",
        "campaign report": f"/analytics/campaigns/{campaigns[0].pk}/",
        "list index": "/contacts/",
        "list page": "/contacts/501/",
    }


@pytest.mark.parametrize("page", list(MAX_QUERIES))
def test_queries_do_not_grow_with_rows_shown(
    page, mirrored, demo_client, django_assert_max_num_queries
):
    path = mirrored[page]
    demo_client.get(path)  # first visit: anything cached per process is cached
    counts = []
    for per_page in (5, 50):
        with (
            django_assert_max_num_queries(MAX_QUERIES[page]),
            CaptureQueriesContext(connection) as ctx,
        ):
            response = demo_client.get(path, {"per_page": per_page})
        assert response.status_code == 200, response.content[:300]
        counts.append(len(ctx.captured_queries))
    assert counts[0] == counts[1], f"{page}: {counts[0]} queries for 5 rows, {counts[1]} for 50"
