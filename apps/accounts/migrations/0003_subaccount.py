# Sub-accounts an agent or administrator account may act for (issue #7).

import django.core.validators
import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('accounts', '0002_signinattempt'),
    ]

    operations = [
        migrations.CreateModel(
            name='SubAccount',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('customer_id', models.CharField(help_text="The sub-account's id on the platform (customer_id).", max_length=32, validators=[django.core.validators.RegexValidator('^[1-9][0-9]{0,18}$', 'A customer id is a number.')], verbose_name='customer id')),
                ('label', models.CharField(blank=True, max_length=150, verbose_name='name')),
                ('source', models.CharField(choices=[('staff', 'Added by staff'), ('discovered', 'Found on the platform'), ('entered', 'Entered by the user')], default='staff', max_length=12, verbose_name='source')),
                ('confirmed_at', models.DateTimeField(blank=True, null=True, verbose_name='confirmed by the platform')),
                ('created_at', models.DateTimeField(auto_now_add=True)),
                ('account', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='sub_accounts', to='accounts.platformaccount')),
            ],
            options={
                'verbose_name': 'sub-account',
                'verbose_name_plural': 'sub-accounts',
                'ordering': ['account', 'label', 'customer_id'],
                'constraints': [models.UniqueConstraint(fields=('account', 'customer_id'), name='unique_sub_account')],
            },
        ),
    ]
