"""analytics' CampaignReport becomes the one store of §3.1 numbers and track/task ids: what only
campaigns' TrackingSnapshot (or the Campaign row) held is copied into the report before
campaigns drops them (campaigns 0003). Nothing is lost: a report is created where none exists,
and a snapshot newer than the report's tracking sync wins."""

from django.db import migrations
from django.utils import timezone

NUMBERS = (
    "real_send_count",
    "error_send_count",
    "open_unique",
    "open_total",
    "click_unique",
    "click_total",
    "open_first",
    "open_last",
    "click_first",
    "click_last",
)


def snapshots_into_reports(apps, schema_editor):
    Campaign = apps.get_model("campaigns", "Campaign")
    TrackingSnapshot = apps.get_model("campaigns", "TrackingSnapshot")
    CampaignReport = apps.get_model("analytics", "CampaignReport")
    now = timezone.now()
    for snapshot in TrackingSnapshot.objects.select_related("campaign").iterator(chunk_size=500):
        campaign = snapshot.campaign
        report = CampaignReport.objects.filter(campaign_id=campaign.pk).first()
        if report is None:
            report = CampaignReport(
                campaign_id=campaign.pk, account_id=campaign.account_id, next_sync_at=now
            )
        newer = snapshot.fetched_at is not None and (
            report.tracking_synced_at is None or snapshot.fetched_at > report.tracking_synced_at
        )
        if newer:
            for name in NUMBERS:
                setattr(report, name, getattr(snapshot, name))
            report.open_rate = snapshot.open_ratio
            report.click_rate = snapshot.click_ratio
            report.tracking_synced_at = snapshot.fetched_at
        report.track_id = report.track_id or snapshot.track_id
        report.stat_task_id = report.stat_task_id or snapshot.stat_task_id
        report.save()
    # Ids §3.1 gave that only the campaign row kept.
    with_ids = Campaign.objects.exclude(track_id__isnull=True, stat_task_id__isnull=True)
    for campaign in with_ids.iterator(chunk_size=500):
        report, _created = CampaignReport.objects.get_or_create(
            campaign_id=campaign.pk,
            defaults={"account_id": campaign.account_id, "next_sync_at": now},
        )
        if (not report.track_id and campaign.track_id) or (
            not report.stat_task_id and campaign.stat_task_id
        ):
            report.track_id = report.track_id or campaign.track_id
            report.stat_task_id = report.stat_task_id or campaign.stat_task_id
            report.save(update_fields=["track_id", "stat_task_id"])


def reports_into_snapshots(apps, schema_editor):
    """Going back: a snapshot for every report that has §3.1 numbers, ids back on the campaign."""
    Campaign = apps.get_model("campaigns", "Campaign")
    TrackingSnapshot = apps.get_model("campaigns", "TrackingSnapshot")
    CampaignReport = apps.get_model("analytics", "CampaignReport")
    for report in CampaignReport.objects.iterator(chunk_size=500):
        Campaign.objects.filter(pk=report.campaign_id).update(
            track_id=report.track_id, stat_task_id=report.stat_task_id
        )
        if report.tracking_synced_at is None:
            continue
        defaults = {name: getattr(report, name) for name in NUMBERS}
        defaults.update(
            track_id=report.track_id,
            stat_task_id=report.stat_task_id,
            open_ratio=report.open_rate,
            click_ratio=report.click_rate,
            fetched_at=report.tracking_synced_at,
        )
        TrackingSnapshot.objects.update_or_create(campaign_id=report.campaign_id, defaults=defaults)


class Migration(migrations.Migration):
    dependencies = [
        ("analytics", "0003_detail_rows_without_db_constraint"),
        ("campaigns", "0002_field_labels"),
    ]

    operations = [
        migrations.RunPython(snapshots_into_reports, reports_into_snapshots, elidable=False),
    ]
