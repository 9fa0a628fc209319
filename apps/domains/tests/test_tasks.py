"""Background verification of unverified domains (with backoff) and the periodic sync."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from apps.domains import services
from apps.domains.models import DomainNotification, SenderDomain
from apps.domains.tasks import (
    domains_recheck_due_task,
    domains_recheck_task,
    domains_sync_all_task,
)
from edmportal.schedule import BEAT_SCHEDULE
from tests.support import wait_until


def test_beat_entries():
    recheck = BEAT_SCHEDULE["domains-recheck-unverified"]
    assert recheck["task"] == "apps.domains.tasks.domains_recheck_due_task"
    assert recheck["schedule"].total_seconds() == 60
    sync = BEAT_SCHEDULE["domains-sync"]
    assert sync["task"] == "apps.domains.tasks.domains_sync_all_task"


def test_backoff_grows_and_is_capped():
    now = timezone.now()
    gaps = [services.next_check_time(n, now) - now for n in range(12)]
    assert gaps[:4] == [dt.timedelta(minutes=m) for m in (1, 2, 4, 8)]
    assert gaps[-1] == services.RECHECK_MAX
    assert gaps == sorted(gaps)


@pytest.mark.django_db
def test_recheck_backs_off_until_the_records_are_published(demo, demo_account, no_dns_delay):
    demo.post(reverse("domains:add"), {"domain": "later.example.com"})
    domain = SenderDomain.objects.get(account=demo_account, domain="later.example.com")
    for attempt in (1, 2, 3):
        before = timezone.now()
        assert domains_recheck_task(demo_account.pk, [domain.pk]) == 0
        domain.refresh_from_db()
        assert domain.check_attempts == attempt
        wait = domain.next_check_at - before
        assert (
            services.RECHECK_BASE * 2**attempt
            <= wait
            < services.RECHECK_BASE * 2**attempt + (dt.timedelta(seconds=5))
        )
    assert not DomainNotification.objects.exists()
    no_dns_delay.control("POST", "domains/later.example.com/publish")
    assert domains_recheck_task(demo_account.pk, [domain.pk]) == 1
    domain.refresh_from_db()
    assert domain.verified and domain.next_check_at is None and domain.check_attempts == 0
    note = DomainNotification.objects.get()
    assert (note.domain, note.kind, note.customer_id) == (domain, "verified", "")
    # Idempotent: a repeat does nothing more.
    assert domains_recheck_task(demo_account.pk, [domain.pk]) == 0
    assert DomainNotification.objects.count() == 1


@pytest.mark.django_db
def test_due_task_leases_what_it_hands_out(demo, demo_account, no_dns_delay, monkeypatch):
    demo.post(reverse("domains:add"), {"domain": "due.example.com"})
    demo.post(reverse("domains:add"), {"domain": "notyet.example.com"})
    due = SenderDomain.objects.get(domain="due.example.com")
    due.next_check_at = timezone.now() - dt.timedelta(seconds=1)
    due.save()
    sent = []
    monkeypatch.setattr(domains_recheck_task, "delay", lambda *args: sent.append(args))
    assert domains_recheck_due_task() == 1
    assert sent == [(demo_account.pk, [due.pk])]
    due.refresh_from_db()
    assert due.next_check_at > timezone.now() + dt.timedelta(minutes=4)
    assert domains_recheck_due_task() == 0  # leased: not handed out twice


@pytest.mark.django_db(transaction=True)
def test_worker_verifies_and_the_marketer_is_notified_on_the_page(
    celery_worker, demo_client, no_dns_delay
):
    from apps.accounts.models import PlatformAccount

    account = PlatformAccount.objects.get(username="demo", user_type="")
    demo_client.post(reverse("domains:add"), {"domain": "worker.example.com"})
    domain = SenderDomain.objects.get(account=account, domain="worker.example.com")
    no_dns_delay.control("POST", "domains/worker.example.com/publish")
    SenderDomain.objects.filter(pk=domain.pk).update(next_check_at=timezone.now())

    domains_recheck_due_task.delay()

    wait_until(lambda: SenderDomain.objects.get(pk=domain.pk).verified, timeout=60)
    note = wait_until(lambda: DomainNotification.objects.filter(domain=domain).first())
    page = demo_client.get(reverse("domains:index")).content.decode()
    assert 'data-testid="notification"' in page and "worker.example.com was verified" in page
    status = demo_client.get(reverse("domains:status", args=[domain.pk])).content.decode()
    assert 'data-state="verified"' in status and "hx-get" not in status
    demo_client.post(reverse("domains:notification-dismiss", args=[note.pk]))
    assert (
        'data-testid="notification"'
        not in demo_client.get(reverse("domains:index")).content.decode()
    )


@pytest.mark.django_db(transaction=True)
def test_worker_syncs_every_scope_seen(celery_worker, demo_client, no_dns_delay):
    from apps.accounts.models import PlatformAccount

    account = PlatformAccount.objects.get(username="demo", user_type="")
    demo_client.get(reverse("domains:index"))
    # A mailbox appears on the platform without the portal (e.g. made in the console).
    from apps.umail.client import UmailClient

    with UmailClient.connect(
        platform_url=no_dns_delay.url, username="demo", password="demo-pass"
    ) as client:
        client.domains.mailbox_add(mailbox="console@demo-shop.cn", password="Console-pass-1")

    domains_sync_all_task.delay()  # beat's fan-out; the worker refreshes the scope:
    wait_until(
        lambda: SenderDomain.objects.get(account=account, domain="demo-shop.cn").mailbox_count == 3,
        timeout=60,
    )
