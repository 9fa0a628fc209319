"""The data migration behind "one owner per datum" (analytics 0004, campaigns 0003, experiments
0001): a database filled by the old schema (TrackingSnapshot, ids on Campaign, A/B tests and
resends in campaigns) is migrated forward and nothing is lost. Runs on PostgreSQL and SQLite."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from apps.accounts.tests.factories import platform_account

OLD = [
    ("analytics", "0003_detail_rows_without_db_constraint"),
    ("campaigns", "0002_field_labels"),
]


def _migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    executor.loader.build_graph()
    return executor.loader.project_state(targets).apps


def _leaves():
    executor = MigrationExecutor(connection)
    return executor.loader.graph.leaf_nodes()


@pytest.mark.django_db(transaction=True)
def test_old_snapshots_ids_and_ab_tests_survive_the_move():
    account = platform_account()
    leaves = _leaves()
    old = _migrate(OLD)
    try:
        Campaign = old.get_model("campaigns", "Campaign")
        Snapshot = old.get_model("campaigns", "TrackingSnapshot")
        Report = old.get_model("analytics", "CampaignReport")
        ABTest = old.get_model("campaigns", "ABTest")
        ResendJob = old.get_model("campaigns", "ResendJob")
        now = timezone.now()
        earlier = now - dt.timedelta(hours=3)

        def campaign(platform_id, **fields):
            return Campaign.objects.create(
                account_id=account.pk, platform_id=platform_id, local_state="active", **fields
            )

        only_snapshot = campaign(101, track_id=9001, stat_task_id=7001)
        stale_report = campaign(102)
        fresh_report = campaign(103)
        campaign(104, track_id=9004, stat_task_id=7004)
        numbers = dict(real_send_count=200, open_unique=50, click_unique=10, open_total=80)
        Snapshot.objects.create(
            campaign=only_snapshot, track_id=9001, stat_task_id=7001, fetched_at=now,
            open_ratio=Decimal("25.00"), click_ratio=Decimal("5.00"), **numbers,
        )  # fmt: skip
        Snapshot.objects.create(campaign=stale_report, fetched_at=now, track_id=9002, **numbers)
        Report.objects.create(
            account_id=account.pk, campaign=stale_report, open_unique=3, real_send_count=200,
            tracking_synced_at=earlier, stat_task_id=7002,
        )  # fmt: skip
        Snapshot.objects.create(campaign=fresh_report, fetched_at=earlier, **numbers)
        Report.objects.create(
            account_id=account.pk, campaign=fresh_report, open_unique=77, real_send_count=300,
            tracking_synced_at=now,
        )  # fmt: skip
        ab = ABTest.objects.create(account_id=account.pk, name="subject test", list_id=5)
        Campaign.objects.filter(pk=only_snapshot.pk).update(ab_test=ab, ab_role="variant")
        ResendJob.objects.create(account_id=account.pk, source=only_snapshot, list_name="again")
    finally:
        _migrate(leaves)

    from apps.analytics.models import CampaignReport
    from apps.campaigns.models import Campaign as NewCampaign
    from apps.experiments.models import ABTest as NewABTest
    from apps.experiments.models import ResendJob as NewResendJob

    reports = {r.campaign.platform_id: r for r in CampaignReport.objects.select_related("campaign")}
    moved = reports[101]  # a report made from the snapshot alone
    assert (moved.real_send_count, moved.open_unique, moved.click_unique) == (200, 50, 10)
    assert (moved.open_rate, moved.click_rate) == (Decimal("25.00"), Decimal("5.00"))
    assert (moved.track_id, moved.stat_task_id) == (9001, 7001)
    assert moved.unique_rate("opens") == 0.25
    # A snapshot newer than the report's tracking sync wins; ids the report lacked are filled.
    assert (reports[102].open_unique, reports[102].track_id) == (50, 9002)
    assert reports[102].stat_task_id == 7002
    # An older snapshot does not overwrite newer numbers.
    assert (reports[103].open_unique, reports[103].real_send_count) == (77, 300)
    # Ids that only the campaign row held.
    assert (reports[104].track_id, reports[104].stat_task_id) == (9004, 7004)
    # A/B tests and resends are experiments' now, same rows, same links.
    test = NewABTest.objects.get(name="subject test")
    assert [c.platform_id for c in test.campaigns.all()] == [101]
    assert NewCampaign.objects.get(platform_id=101).ab_test_id == test.pk
    assert NewResendJob.objects.get(list_name="again").source.platform_id == 101
