"""Celery: the beat job that refreshes §1.2, run by a real worker process."""

import pytest

from apps.accounts.models import AccountService
from apps.accounts.tasks import accounts_refresh_all_task
from edmportal.schedule import BEAT_SCHEDULE
from tests.support import wait_until

from .factories import platform_account


def test_beat_refreshes_service_info_every_ten_minutes():
    entry = BEAT_SCHEDULE["accounts-refresh-service-info"]
    assert entry["task"] == "apps.accounts.tasks.accounts_refresh_all_task"
    assert entry["schedule"].total_seconds() == 600


@pytest.mark.django_db(transaction=True)
def test_worker_refreshes_every_account(celery_worker, fresh_sandbox):
    demo = platform_account(username="demo", password="demo-pass", platform_url=fresh_sandbox.url)
    other = platform_account(
        username="other", password="other-pass", platform_url=fresh_sandbox.url
    )
    fresh_sandbox.patch_account("demo", qty_available=4321)

    accounts_refresh_all_task.delay()

    def refreshed():
        rows = dict(AccountService.objects.values_list("account_id", "qty_available"))
        return rows.get(demo.pk) == 4321 and other.pk in rows

    wait_until(refreshed, timeout=60)
    assert AccountService.objects.get(account=demo).fetched_at is not None


@pytest.mark.django_db(transaction=True)
def test_worker_records_a_failure_a_person_can_see(celery_worker, sandbox):
    account = platform_account(username="demo", password="wrong", platform_url=sandbox.url)
    accounts_refresh_all_task.delay()
    service = wait_until(
        lambda: AccountService.objects.filter(account=account).exclude(last_error="").first(),
        timeout=60,
    )
    assert "username or password" in service.last_error
