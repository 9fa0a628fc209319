"""Live numbers: the campaign page's, the report's and the A/B page's numbers come from the one
report store as htmx parts that refresh themselves while the numbers can change and say how
fresh they are; detail someone downloaded follows its report; a stale report is nudged."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from apps.accounts.tests.factories import platform_account
from apps.analytics import live, services
from apps.analytics.models import CampaignReport, DetailFetch
from apps.campaigns.tests.factories import campaign as make_campaign
from apps.campaigns.tests.factories import mirror

from .factories import send


@pytest.fixture
def sent(demo_client, demo_account, fresh_sandbox):
    mirror(demo_account)
    fresh_sandbox.control("POST", "delivery/settings", {"speed": 1})  # nothing moves meanwhile
    campaign = send(demo_account, fresh_sandbox, track=2, days=0.02)  # sent; opens arriving
    services.reports_sync_due()
    return campaign


def live_url(campaign, **query):
    base = reverse("analytics:live-numbers", args=[campaign.pk])
    return base + ("?" + "&".join(f"{k}={v}" for k, v in query.items()) if query else "")


@pytest.mark.django_db
def test_campaign_page_loads_the_reports_numbers_which_refresh_themselves(demo_client, sent):
    report = CampaignReport.objects.get(campaign=sent)
    page = demo_client.get(reverse("campaigns:detail", args=[sent.pk])).content.decode()
    assert live_url(sent) in page and 'hx-trigger="load"' in page
    part = demo_client.get(live_url(sent)).content.decode()
    assert f'data-testid="open-unique">{report.open_unique:,}' in part
    assert 'hx-trigger="every 15s"' in part
    assert 'data-state="live"' in part and "Numbers from the platform" in part
    full = demo_client.get(live_url(sent, part="report")).content.decode()
    assert 'id="report-numbers"' in full and 'data-testid="engagement"' in full
    # Final numbers no longer poll.
    CampaignReport.objects.filter(pk=report.pk).update(final=True)
    part = demo_client.get(live_url(sent)).content.decode()
    assert "hx-trigger" not in part and 'data-state="final"' in part


@pytest.mark.django_db
def test_another_accounts_campaign_is_not_found(demo_client, sent):
    other = make_campaign(platform_account(), platform_id=99999)
    assert demo_client.get(live_url(other)).status_code == 404
    variants = reverse("analytics:live-variants") + f"?c={other.pk}&c={sent.pk}"
    body = demo_client.get(variants).content.decode()
    assert other.display_name not in body
    assert reverse("analytics:report", args=[sent.pk]) in body


@pytest.mark.django_db
def test_downloaded_detail_is_downloaded_again_while_the_numbers_move(
    demo_client, sent, django_capture_on_commit_callbacks
):
    report = CampaignReport.objects.get(campaign=sent)
    CampaignReport.objects.filter(pk=report.pk).update(open_unique=report.open_unique + 5)
    old = timezone.now() - live.DETAIL_REFRESH - dt.timedelta(seconds=5)
    DetailFetch.objects.create(
        account=report.account,
        report=report,
        kind=DetailFetch.Kind.OPENS,
        state=DetailFetch.State.DONE,
        rows=report.open_unique,
        created_at=old,
        finished_at=old,
    )
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        assert live.details_refresh_moving() == 1
        assert live.details_refresh_moving() == 0  # one waiting already: not twice
    assert len(callbacks) == 1
    pending = DetailFetch.objects.filter(report=report, state=DetailFetch.State.PENDING)
    assert pending.count() == 1
    # Nobody asked for click detail: none is downloaded.
    assert not DetailFetch.objects.filter(report=report, kind=DetailFetch.Kind.CLICKS).exists()


@pytest.mark.django_db
def test_a_page_showing_an_overdue_report_asks_for_a_sync_once(
    demo_client, sent, django_capture_on_commit_callbacks
):
    from django.core.cache import cache

    cache.clear()
    report = CampaignReport.objects.get(campaign=sent)
    CampaignReport.objects.filter(pk=report.pk).update(
        next_sync_at=timezone.now() - dt.timedelta(minutes=10)
    )
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        demo_client.get(live_url(sent))
        demo_client.get(live_url(sent))
    assert len(callbacks) == 1


@pytest.mark.django_db
def test_variants_show_the_subject_under_test(demo_client, demo_account, sent):
    from apps.mailtemplates.models import MailTemplate

    template = MailTemplate.objects.get(account=demo_account, platform_id=sent.template_ids[0])
    variants = reverse("analytics:live-variants") + f"?c={sent.pk}"
    body = demo_client.get(variants).content.decode()
    assert template.subjects and template.subjects[0] in body
    assert 'hx-trigger="every 15s"' in body
