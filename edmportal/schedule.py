"""The one beat schedule of the portal. Every periodic job is listed here and nowhere else."""

from datetime import timedelta

from celery.schedules import crontab
from django.conf import settings

BEAT_SCHEDULE = {
    # §1.2 quota and service status for every platform account.
    "accounts-refresh-service-info": {
        "task": "apps.accounts.tasks.accounts_refresh_all_task",
        "schedule": timedelta(minutes=10),
    },
    # §4.1 every account's contact lists (names, counts, status) into the local mirror.
    "contacts-sync-lists": {
        "task": "apps.contacts.tasks.contacts_sync_all_lists_task",
        "schedule": timedelta(minutes=10),
    },
    # §4.9.4 imports whose next poll went missing (a worker died holding it).
    "contacts-import-resume": {
        "task": "apps.contacts.tasks.contacts_import_resume_task",
        "schedule": timedelta(minutes=1),
        "options": {"expires": 60},
    },
    # Rejected-row files of imports finished more than 30 days ago.
    "contacts-import-housekeeping": {
        "task": "apps.contacts.tasks.contacts_import_housekeeping_task",
        "schedule": timedelta(hours=6),
    },
    # §5.4 every account's template list (templates made in the platform's console appear).
    "mailtemplates-sync": {
        "task": "apps.mailtemplates.tasks.templates_sync_all_task",
        "schedule": timedelta(minutes=15),
    },
    # §6.1 campaigns still changing (waiting, sending, on hold, paused) and lost create replies.
    "campaigns-sync-active": {
        "task": "apps.campaigns.tasks.campaigns_sync_active_task",
        "schedule": timedelta(minutes=1),
        "options": {"expires": 60},
    },
    # §6.1 every account's whole task list: finished campaigns and ones made in the console.
    "campaigns-sync-all": {
        "task": "apps.campaigns.tasks.campaigns_sync_all_task",
        "schedule": timedelta(minutes=15),
    },
    # A/B tests whose wait is over: pick the winner (§3.1) and send it to the rest.
    "campaigns-ab-due": {
        "task": "apps.experiments.tasks.experiments_ab_due_task",
        "schedule": timedelta(minutes=1),
        "options": {"expires": 60},
    },
    # §2.4/§3.1/§3.5 of campaigns sending or recently finished, in bounded batches that
    # re-enqueue themselves while more are due (finished long ago: never again). Often, so that
    # moving numbers (a report due every ~50 s: apps/analytics/cadence.py) are < 2 min old; a
    # run with nothing due is two small queries.
    "analytics-sync-due": {
        "task": "apps.analytics.tasks.analytics_sync_due_task",
        "schedule": timedelta(seconds=20),
        "options": {"expires": 20},
    },
    # §2.2/§2.5 of the days still changing (and days a dashboard asked for), per account.
    "analytics-sync-days": {
        "task": "apps.analytics.tasks.analytics_days_sync_all_task",
        "schedule": timedelta(minutes=10),
        "options": {"expires": 600},
    },
    # §7.3 unverified sender domains whose next check (with backoff) is due.
    "domains-recheck-unverified": {
        "task": "apps.domains.tasks.domains_recheck_due_task",
        "schedule": timedelta(minutes=1),
        "options": {"expires": 60},
    },
    # §7.1/§7.7 domains and mailboxes of every scope whose domains page was opened.
    "domains-sync": {
        "task": "apps.domains.tasks.domains_sync_all_task",
        "schedule": timedelta(minutes=30),
    },
    # Proves beat, broker and a worker work end to end; /healthz reports its age.
    "ops-heartbeat": {
        "task": "apps.ops.tasks.ops_heartbeat_task",
        "schedule": timedelta(seconds=settings.OPS_HEARTBEAT_SECONDS),
        "options": {"expires": settings.OPS_HEARTBEAT_SECONDS},
    },
    # Retention: snapshots and finished job records past OPS_RETENTION_DAYS.
    "ops-prune-snapshots": {
        "task": "apps.ops.tasks.ops_prune_snapshots_task",
        "schedule": crontab(hour=3, minute=17),
    },
}
