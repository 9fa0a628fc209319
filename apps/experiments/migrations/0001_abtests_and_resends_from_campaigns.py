"""A/B tests and resends to non-openers move from campaigns to experiments with their data: the
tables keep their names (campaigns_abtest, campaigns_resendjob), only Django's state moves."""

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ('accounts', '0005_userpreference'),
        ('campaigns', '0002_field_labels'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[],
            state_operations=[
                migrations.CreateModel(
                    name='ResendJob',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('list_name', models.CharField(max_length=255, verbose_name='new list name')),
                        ('state', models.CharField(choices=[('pending', 'Waiting to start'), ('running', 'Building the list'), ('done', 'List ready'), ('failed', 'Failed')], default='pending', max_length=10, verbose_name='state')),
                        ('new_list_id', models.BigIntegerField(blank=True, null=True, verbose_name='new list id')),
                        ('openers', models.BigIntegerField(default=0, verbose_name='openers')),
                        ('recipients', models.BigIntegerField(default=0, verbose_name='recipients')),
                        ('added', models.BigIntegerField(default=0, verbose_name='added')),
                        ('refused', models.BigIntegerField(default=0, verbose_name='left out')),
                        ('error', models.TextField(blank=True, verbose_name='error')),
                        ('created_at', models.DateTimeField(default=django.utils.timezone.now, verbose_name='created at')),
                        ('finished_at', models.DateTimeField(blank=True, null=True, verbose_name='finished at')),
                        ('account', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to='accounts.platformaccount', verbose_name='platform account')),
                        ('draft', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to='campaigns.campaign', verbose_name='draft campaign')),
                        ('source', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='resends', to='campaigns.campaign', verbose_name='source campaign')),
                        ('user', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, to=settings.AUTH_USER_MODEL, verbose_name='started by')),
                    ],
                    options={
                        'verbose_name': 'resend to non-openers',
                        'verbose_name_plural': 'resends to non-openers',
                        'db_table': 'campaigns_resendjob',
                        'ordering': ['-created_at', '-id'],
                    },
                ),
                migrations.CreateModel(
                    name='ABTest',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('name', models.CharField(blank=True, max_length=200, verbose_name='name')),
                        ('kind', models.CharField(choices=[('templates', 'Templates'), ('subjects', 'Subjects of one template')], default='templates', max_length=10, verbose_name='kind')),
                        ('list_id', models.BigIntegerField(verbose_name='list id')),
                        ('list_name', models.CharField(blank=True, max_length=255, verbose_name='list name')),
                        ('range_start', models.PositiveIntegerField(default=1, verbose_name='range start')),
                        ('range_end', models.PositiveIntegerField(default=0, verbose_name='range end')),
                        ('audience', models.BigIntegerField(default=0, verbose_name='audience')),
                        ('test_percent', models.PositiveSmallIntegerField(default=10, verbose_name='test slice (%)')),
                        ('test_end', models.PositiveIntegerField(default=0, verbose_name='end of the test slice')),
                        ('metric', models.CharField(choices=[('opens', 'Unique open rate'), ('clicks', 'Unique click rate')], default='opens', max_length=10, verbose_name='metric')),
                        ('mode', models.CharField(choices=[('auto', 'Automatically, by the metric'), ('manual', 'I choose')], default='auto', max_length=10, verbose_name='mode')),
                        ('wait_hours', models.DecimalField(decimal_places=2, default=4, max_digits=6, verbose_name='wait (hours)')),
                        ('decide_at', models.DateTimeField(blank=True, null=True, verbose_name='decide at')),
                        ('state', models.CharField(choices=[('testing', 'Testing the variants'), ('ready', 'Waiting for your choice'), ('sending', 'Winner sent to the rest'), ('done', 'Finished'), ('cancelled', 'Cancelled'), ('failed', 'Failed')], default='testing', max_length=10, verbose_name='state')),
                        ('decision_note', models.TextField(blank=True, verbose_name='decision note')),
                        ('decided_at', models.DateTimeField(blank=True, null=True, verbose_name='decided at')),
                        ('created_at', models.DateTimeField(default=django.utils.timezone.now, verbose_name='created at')),
                        ('account', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='ab_tests', to='accounts.platformaccount', verbose_name='platform account')),
                        ('created_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, to=settings.AUTH_USER_MODEL, verbose_name='created by')),
                        ('rest_campaign', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to='campaigns.campaign', verbose_name='campaign to the rest')),
                        ('winner', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to='campaigns.campaign', verbose_name='winner')),
                    ],
                    options={
                        'verbose_name': 'A/B test',
                        'db_table': 'campaigns_abtest',
                        'ordering': ['-created_at', '-id'],
                        'indexes': [models.Index(fields=['state', 'decide_at'], name='campaigns_a_state_50c9cd_idx')],
                    },
                ),
            ],
        ),
    ]
