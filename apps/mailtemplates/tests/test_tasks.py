"""The content-check poller in a real Celery worker, against the sandbox process."""

import time

import pytest

from apps.accounts.tests.factories import member, platform_account
from apps.mailtemplates import services
from apps.mailtemplates.models import CheckResult, MailTemplate
from apps.mailtemplates.tasks import templates_sync_all_task
from edmportal.schedule import BEAT_SCHEDULE
from tests.support import wait_until

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


def status_calls(sandbox, since, tpl_id):
    return [
        c
        for c in sandbox.calls(since=since)
        if c["do"] == "get-tpl-status" and c["params"].get("tpl_id") == str(tpl_id)
    ]


@pytest.fixture
def account(fresh_sandbox):
    account = platform_account(
        username="demo", password="demo-pass", platform_url=fresh_sandbox.url
    )
    return account


@pytest.fixture
def user(account):
    return member(account)


def test_beat_syncs_templates_every_fifteen_minutes():
    entry = BEAT_SCHEDULE["mailtemplates-sync"]
    assert entry["task"] == "apps.mailtemplates.tasks.templates_sync_all_task"
    assert entry["schedule"].total_seconds() == 900


def test_poller_stops_on_final_status(celery_worker, fresh_sandbox, account, user):
    fresh_sandbox.control("POST", "templates/check-delay", {"seconds": 2})
    since = fresh_sandbox.calls()[-1]["seq"] if fresh_sandbox.calls() else 0
    green = services.template_create(
        account=account, user=user, name="正常", subjects=["春季新品"], html="<p>新品上架</p>"
    )
    red = services.template_create(
        account=account,
        user=user,
        name="垃圾",
        subjects=["免费中奖"],
        html="<p>casino lottery, click here</p>",
    )
    done = wait_until(
        lambda: (
            MailTemplate.objects.filter(
                pk__in=[green.pk, red.pk], poll_state=MailTemplate.PollState.DONE
            ).count()
            == 2
        ),
        timeout=60,
    )
    assert done
    green.refresh_from_db()
    red.refresh_from_db()
    assert green.check_result == CheckResult.GREEN and green.size_kb == 1
    assert red.check_result == CheckResult.RED and red.rejected
    # It polled more than once (checking first), with backoff, and then stopped.
    calls = status_calls(fresh_sandbox, since, green.platform_id)
    assert 2 <= len(calls) <= 6
    time.sleep(3)
    assert len(status_calls(fresh_sandbox, since, green.platform_id)) == len(calls)


def test_poller_stops_at_its_time_limit(celery_worker, fresh_sandbox, account, user, settings):
    settings.MAILTEMPLATES_CHECK_TIME_LIMIT = 3  # the deadline is stored with the template
    fresh_sandbox.control("POST", "templates/check-delay", {"seconds": 3600})
    template = services.template_create(
        account=account, user=user, name="慢", subjects=["主题"], html="<p>内容</p>"
    )
    wait_until(
        lambda: (
            MailTemplate.objects.get(pk=template.pk).poll_state == MailTemplate.PollState.TIMED_OUT
        ),
        timeout=30,
    )
    template.refresh_from_db()
    assert template.check_result == CheckResult.UNKNOWN
    assert template.poll_finished_at is not None
    since = fresh_sandbox.calls()[-1]["seq"]
    time.sleep(3)
    assert status_calls(fresh_sandbox, since, template.platform_id) == []


def test_beat_job_syncs_every_account(celery_worker, fresh_sandbox, account):
    other = platform_account(
        username="other", password="other-pass", platform_url=fresh_sandbox.url
    )
    templates_sync_all_task.delay()
    wait_until(
        lambda: (
            set(MailTemplate.objects.values_list("account_id", "platform_id"))
            >= {(account.pk, 501), (account.pk, 502), (other.pk, 601)}
        ),
        timeout=60,
    )
    # The verdicts of the synced templates are then fetched by the poller.
    wait_until(
        lambda: (
            MailTemplate.objects.get(account=account, platform_id=502).check_result
            == CheckResult.YELLOW
        ),
        timeout=60,
    )
