"""The one beat schedule of the portal. Every periodic job is listed here and nowhere else."""

from datetime import timedelta

BEAT_SCHEDULE = {
    # §1.2 quota and service status for every platform account.
    "accounts-refresh-service-info": {
        "task": "apps.accounts.tasks.accounts_refresh_all_task",
        "schedule": timedelta(minutes=10),
    },
}
