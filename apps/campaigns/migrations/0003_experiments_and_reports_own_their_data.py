"""One owner per datum: A/B tests and resends now belong to experiments (state only: the tables
stay), §3.1 numbers and track/task ids to analytics' CampaignReport (copied by analytics 0004,
then dropped here)."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("campaigns", "0002_field_labels"),
        ("experiments", "0001_abtests_and_resends_from_campaigns"),
        ("analytics", "0004_reports_take_tracking_snapshots"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[],
            state_operations=[
                migrations.AlterField(
                    model_name="campaign",
                    name="ab_test",
                    field=models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=models.deletion.SET_NULL,
                        related_name="campaigns",
                        to="experiments.abtest",
                        verbose_name="A/B test",
                    ),
                ),
                migrations.DeleteModel(name="ResendJob"),
                migrations.DeleteModel(name="ABTest"),
            ],
        ),
        migrations.DeleteModel(name="TrackingSnapshot"),
        migrations.RemoveField(model_name="campaign", name="stat_task_id"),
        migrations.RemoveField(model_name="campaign", name="track_id"),
    ]
