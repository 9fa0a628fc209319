"""Following campaigns: the §6.1 mirror, status changes offered and applied, the list page and
its filters, the calendar, the Celery jobs."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from apps.accounts.tests.factories import member, platform_account
from apps.campaigns import services
from apps.campaigns.models import Campaign, CampaignSync
from apps.campaigns.tasks import campaigns_sync_active_task
from tests.support import wait_until

from .factories import campaign as make_campaign
from .factories import mirror, page, task_of, url, wizard

S = Campaign.LocalState


@pytest.fixture
def demo(demo_client, demo_account, fresh_sandbox):
    mirror(demo_account)
    return demo_client


@pytest.mark.django_db
def test_the_list_mirrors_the_platform_including_console_made_tasks(demo, demo_account):
    body = page(demo.get(url("index")))  # first visit: a full sync
    seeded = Campaign.objects.filter(account=demo_account, origin="platform")
    assert seeded.count() == 2
    assert all(c.status == 3 and c.sn for c in seeded)
    assert "Finished" in body and "VIP 客户" in body and "Newsletter subscribers" in body
    assert "Synced with the platform" in body
    assert "Opens and clicks" in body  # the tracking mode column
    first = seeded.get(list_id=501)
    assert (first.planned_count, first.send_count + first.error_count) == (25, 25)
    assert first.sender_kind == "address" and first.send_account == "notice@demo-shop.cn"
    assert first.time_start < first.time_end < timezone.now()


@pytest.mark.django_db
def test_status_changes_are_offered_only_where_the_status_allows(demo_account):
    expected = {
        1: {"hold", "send_now", "cancel", "edit", "delete", "duplicate", "refresh"},
        -1: {"resume", "send_now", "cancel", "edit", "delete", "duplicate", "refresh"},
        2: {"pause", "cancel", "duplicate", "refresh"},
        -2: {"resume", "cancel", "duplicate", "refresh"},
        3: {"delete", "duplicate", "refresh", "resend"},
        -3: {"delete", "duplicate", "refresh", "resend"},
        7: {"duplicate", "refresh"},  # an unknown code: nothing risky
    }
    for status, actions in expected.items():
        c = make_campaign(demo_account, status=status, time_start=timezone.now())
        assert services.allowed_actions(c) == actions, status
    untracked = make_campaign(demo_account, status=3, track_status=0, time_start=timezone.now())
    assert "resend" not in services.allowed_actions(untracked)
    assert services.allowed_actions(make_campaign(demo_account, local_state=S.DRAFT)) == {
        "continue",
        "delete",
        "duplicate",
    }
    assert services.allowed_actions(make_campaign(demo_account, local_state=S.UNCONFIRMED)) == {
        "check"
    }
    lost = make_campaign(demo_account, local_state=S.LOST, platform_id=None)
    assert "retry" in services.allowed_actions(lost)
    unknown = make_campaign(demo_account, status=7)
    assert unknown.status_label == "Unknown status (7)"
    with pytest.raises(services.ActionNotAllowed):
        services.campaign_change_status(
            account=demo_account, user=None, campaign=unknown, action="pause"
        )


@pytest.mark.django_db
def test_documented_moves_and_a_refused_pause_or_cancel(demo, demo_account, fresh_sandbox):
    """Against the strict sandbox (the manual): hold / release / send now work; pause and
    cancel (the portal's guess) are refused, explained, and nothing is misreported."""
    fresh_sandbox.control("POST", "delivery/settings", {"speed": 1})  # nothing moves on its own
    campaign, _ = wizard(demo, content={"name": "Life cycle", "templates": [501]})
    demo.post(url("review", campaign.pk))
    campaign.refresh_from_db()

    def act(action):
        response = demo.post(url("action", campaign.pk, action), follow=True)
        campaign.refresh_from_db()
        return campaign.status, task_of(fresh_sandbox, campaign.platform_id)["status"], response

    assert act("hold")[:2] == (-1, -1)
    status, on_platform, response = act("cancel")
    assert (status, on_platform) == (-1, -1) and response.status_code == 200
    body = page(response)
    assert "refused to cancel" in body and "unchanged" in body
    assert "What the platform documents: Resume, Send now, Delete." in body
    assert act("resume")[:2] == (1, 1)
    # Send now (2): the platform queues it at once; the page shows what §6.1 says.
    status, on_platform, _response = act("send_now")
    assert status == on_platform
    assert fresh_sandbox.control("GET", f"tasks/{campaign.platform_id}")["immediate"] == 1
    fresh_sandbox.control("POST", f"tasks/{campaign.platform_id}/fast-forward", {"seconds": 60})
    services.campaign_sync_one(campaign=campaign)
    assert campaign.status == 2
    status, on_platform, response = act("pause")
    assert (status, on_platform) == (2, 2)
    assert "documents no way to stop it" in page(response)
    assert "Sending" in page(demo.get(url("detail", campaign.pk)))


@pytest.mark.django_db
def test_hold_resume_pause_resume_cancel_delete_on_the_platform(
    demo, demo_account, permissive_sandbox
):
    # A platform that accepts the portal's pause/cancel guess: the permissive profile.
    fresh_sandbox = permissive_sandbox
    fresh_sandbox.control("POST", "delivery/settings", {"speed": 1})  # nothing moves on its own
    campaign, _ = wizard(demo, content={"name": "Life cycle", "templates": [501]})
    demo.post(url("review", campaign.pk))
    campaign.refresh_from_db()

    def act(action):
        demo.post(url("action", campaign.pk, action))
        campaign.refresh_from_db()
        return campaign.status, task_of(fresh_sandbox, campaign.platform_id)["status"]

    assert act("hold") == (-1, -1)
    assert "Resume" in page(demo.get(url("detail", campaign.pk)))
    assert act("resume") == (1, 1)
    fresh_sandbox.control("POST", f"tasks/{campaign.platform_id}/fast-forward", {"seconds": 60})
    services.campaign_sync_one(campaign=campaign)
    assert campaign.status == 2
    body = page(demo.get(url("detail", campaign.pk)))
    assert "Pause" in body and "Hold" not in body and "Edit" not in body
    response = demo.post(url("action", campaign.pk, "hold"), follow=True)
    assert "cannot be put on hold" in page(response)
    assert act("pause") == (-2, -2)
    response = demo.get(url("delete", campaign.pk))
    assert "cannot be deleted: cancel it first" in page(response)
    assert act("resume") == (2, 2)
    assert act("cancel") == (-3, -3)
    demo.post(url("delete", campaign.pk))
    campaign.refresh_from_db()
    assert campaign.local_state == S.DELETED
    assert fresh_sandbox.control("GET", f"tasks/{campaign.platform_id}")["deleted"] == 1
    assert campaign.name not in page(demo.get(url("index")))
    assert campaign.name in page(demo.get(url("index"), {"state": "deleted"}))


@pytest.mark.django_db
def test_edit_a_waiting_campaign_through_the_wizard(demo, demo_account, fresh_sandbox):
    later = timezone.localtime() + dt.timedelta(days=2)
    campaign, _ = wizard(
        demo, schedule={"when": "later", "send_at": later.strftime("%Y-%m-%dT%H:%M")}
    )
    demo.post(url("review", campaign.pk))
    response = demo.post(url("edit", campaign.pk))
    draft = Campaign.objects.get(replaces=campaign)
    assert response["Location"] == url("step", draft.pk, "content")
    demo.post(url("step", draft.pk, "content"), {"name": "改过的", "templates": [502]})
    demo.post(url("step", draft.pk, "audience"), {"maillist": 502, "scope": "all"})
    assert "Review the changes" in page(demo.get(url("review", draft.pk)))
    demo.post(url("review", draft.pk))
    campaign.refresh_from_db()
    assert not Campaign.objects.filter(replaces=campaign).exists()
    assert (campaign.name, campaign.template_ids, campaign.list_id) == ("改过的", [502], 502)
    task = task_of(fresh_sandbox, campaign.platform_id)
    assert (task["tpl_ids"], task["list_id"], task["status"]) == ("502", 502, 1)
    assert Campaign.objects.filter(account=demo_account, origin="portal").count() == 1


@pytest.mark.django_db
def test_list_filters_by_status_and_dates_and_pages(demo, demo_account):
    CampaignSync.objects.create(account=demo_account, synced_at=timezone.now())
    now = timezone.now()
    make_campaign(
        demo_account, name="Past finished", status=3, send_time=now - dt.timedelta(days=40)
    )
    make_campaign(
        demo_account, name="Tomorrow waiting", status=1, send_time=now + dt.timedelta(days=1)
    )
    make_campaign(demo_account, name="Odd status", status=4, send_time=now)
    make_campaign(demo_account, name="A draft", local_state=S.DRAFT, platform_id=None)
    body = page(demo.get(url("index"), {"state": "1"}))
    assert "Tomorrow waiting" in body and "Past finished" not in body
    body = page(demo.get(url("index"), {"state": "other"}))
    assert "Odd status" in body and "Unknown status (4)" in body
    since = (timezone.localdate() - dt.timedelta(days=45)).isoformat()
    until = (timezone.localdate() - dt.timedelta(days=30)).isoformat()
    body = page(demo.get(url("index"), {"since": since, "until": until}))
    assert "Past finished" in body and "Tomorrow waiting" not in body
    assert "A draft" in page(demo.get(url("index"), {"state": "draft"}))
    for i in range(30):
        make_campaign(demo_account, name=f"Bulk {i:02d}", status=3)
    body = page(demo.get(url("index")))
    assert "page=2" in body


@pytest.mark.django_db
def test_calendar_shows_scheduled_and_past_sends(demo, demo_account):
    today = timezone.localdate()
    at = timezone.make_aware(dt.datetime.combine(today.replace(day=15), dt.time(10, 0)))
    make_campaign(demo_account, name="Mid-month send", status=1, send_time=at)
    make_campaign(
        demo_account,
        name="Started late",
        status=3,
        send_time=at - dt.timedelta(days=3),
        time_start=at - dt.timedelta(days=2),
    )
    body = page(demo.get(url("calendar-month", today.year, today.month)))
    assert "Mid-month send" in body and "Started late" in body
    assert body.count("<h1") == 1
    nxt = (today.replace(day=28) + dt.timedelta(days=10)).replace(day=1)
    assert "Mid-month send" not in page(demo.get(url("calendar-month", nxt.year, nxt.month)))
    assert demo.get(url("calendar-month", 2026, 13)).status_code == 404


@pytest.mark.django_db
def test_the_platform_down_shows_a_message_and_local_data(client):
    account = platform_account(platform_url="http://127.0.0.1:9/")
    make_campaign(account, name="Kept locally")
    client.force_login(member(account))
    body = page(client.get(url("index")))
    assert "Kept locally" in body and "could not be reached" in body
    c = Campaign.objects.get(name="Kept locally")
    response = client.post(url("action", c.pk, "cancel"), follow=True)
    assert "could not be reached" in page(response)
    response = client.post(url("campaign-refresh", c.pk), follow=True)
    assert "could not be reached" in page(response)


@pytest.mark.django_db(transaction=True)
@pytest.mark.worker
def test_watch_it_go_from_waiting_to_sending_to_finished(
    demo_client, demo_account, fresh_sandbox, celery_worker
):
    mirror(demo_account)
    fresh_sandbox.control(
        "POST", "delivery/settings", {"speed": 60, "start_delay": 120, "min_send_seconds": 720}
    )  # waiting 2 s, sending 12 s
    campaign, _ = wizard(demo_client, content={"templates": [501, 502]})
    demo_client.post(url("review", campaign.pk))
    campaign.refresh_from_db()
    assert campaign.status == 1
    seen, counts = [], []

    def live():
        demo_client.get(url("detail", campaign.pk), HTTP_HX_REQUEST="true")  # asks the worker
        campaign.refresh_from_db()
        if not seen or seen[-1] != campaign.status:
            seen.append(campaign.status)
        counts.append(campaign.send_count + campaign.error_count)
        return campaign.status == 3

    wait_until(live, timeout=60, interval=0.5)
    assert seen[0] == 1 and 2 in seen and seen[-1] == 3
    assert counts == sorted(counts) and len(set(counts)) > 2  # rising, seen several times
    assert any(0 < c < 25 for c in counts)  # seen part-way
    assert campaign.send_count + campaign.error_count == 25
    body = page(demo_client.get(url("detail", campaign.pk)))
    assert "Finished" in body and "hx-trigger" not in body.split('id="live-body"')[1][:200]


@pytest.mark.django_db(transaction=True)
@pytest.mark.worker
def test_the_beat_job_mirrors_active_campaigns(
    demo_client, demo_account, fresh_sandbox, celery_worker
):
    mirror(demo_account)
    fresh_sandbox.control("POST", "delivery/settings", {"speed": 1})  # waits 5 minutes
    campaign, _ = wizard(demo_client)
    demo_client.post(url("review", campaign.pk))
    campaign.refresh_from_db()
    assert campaign.status == 1
    before = campaign.synced_at
    fresh_sandbox.control("POST", "delivery/settings", {"speed": 100000})  # now it all happens
    assert campaigns_sync_active_task.delay().id  # what beat enqueues every minute

    def mirrored():
        campaign.refresh_from_db()
        return campaign.status == 3 and campaign.synced_at > before

    wait_until(mirrored, timeout=60)
    assert campaign.send_count + campaign.error_count == 25


@pytest.mark.django_db
def test_lists_and_templates_warn_about_campaigns_still_to_be_sent(demo_account):
    from apps.contacts.selectors import list_scheduled_campaigns
    from apps.mailtemplates.selectors import template_scheduled_campaigns

    waiting = make_campaign(demo_account, name="Waits", status=1, list_id=501, template_ids=[501])
    held = make_campaign(demo_account, name="Held", status=-1, list_id=502, template_ids=[502, 501])
    make_campaign(demo_account, name="Done", status=3, list_id=501, template_ids=[501])
    make_campaign(platform_account(username="x"), status=1, list_id=501, template_ids=[501])
    assert list_scheduled_campaigns(account=demo_account, list_id=501) == [waiting]
    assert set(template_scheduled_campaigns(account=demo_account, template_id=501)) == {
        waiting,
        held,
    }
    assert "Waits" in str(waiting)


@pytest.mark.django_db
def test_the_live_list_refresh_returns_the_table_only(demo, demo_account):
    make_campaign(demo_account, name="Live one", status=2)
    CampaignSync.objects.create(account=demo_account, synced_at=timezone.now())
    body = page(demo.get(url("index")))
    assert 'hx-trigger="every 4s"' in body  # something is sending: the table follows it
    partial = page(demo.get(url("index"), HTTP_HX_REQUEST="true"))
    assert "Live one" in partial and "<h1" not in partial


@pytest.mark.django_db
def test_a_task_deleted_in_the_console_is_marked_deleted(demo, demo_account, fresh_sandbox):
    from apps.accounts.clients import client_for_account

    page(demo.get(url("index")))
    seeded = Campaign.objects.filter(account=demo_account, origin="platform").order_by("pk")
    gone, kept = seeded[0], seeded[1]
    with client_for_account(demo_account) as client:
        client.tasks.del_task(gone.platform_id)  # as if in the platform's own console
    services.campaigns_sync_account(account=demo_account, full=True)
    gone.refresh_from_db()
    kept.refresh_from_db()
    assert gone.local_state == S.DELETED and "no longer has this task" in gone.submit_error
    assert kept.local_state == S.ACTIVE
