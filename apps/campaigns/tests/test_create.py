"""Creating campaigns through the wizard against the sandbox: what is sent, the review's
refusals, time zones, one click one campaign."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse
from django.utils import timezone

from apps.campaigns import services
from apps.campaigns.models import Campaign
from apps.contacts.models import MailList
from apps.mailtemplates.models import CheckResult, MailTemplate

from .factories import mirror, page, platform_tasks, task_of, url, wizard

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo(demo_client, demo_account, fresh_sandbox):
    mirror(demo_account)
    return demo_client


def test_wizard_creates_a_two_template_campaign_to_a_range(demo, demo_account, fresh_sandbox):
    campaign, _ = wizard(
        demo,
        content={"name": "春季 A/B", "templates": [501, 502]},
        audience={"scope": "range", "range_start": 3, "range_end": 22},
    )
    body = page(demo.get(url("review", campaign.pk)))
    assert 'data-testid="recipients">20<' in body
    assert "63,250" in body  # the quota left (§1.2)
    assert "The platform rotates the templates" in body
    assert "New campaigns left this hour: 100 of 100" in body
    response = demo.post(url("review", campaign.pk))
    campaign.refresh_from_db()
    assert response["Location"] == url("detail", campaign.pk)
    assert campaign.local_state == Campaign.LocalState.ACTIVE
    assert campaign.status == 1 and campaign.sn and campaign.planned_count == 20
    task = task_of(fresh_sandbox, campaign.platform_id)
    assert task["tpl_ids"] == "501,502"
    assert (task["list_id"], task["send_qty_start"], task["send_qty"]) == (501, 3, 22)
    assert (task["acct_type"], task["acct_address"]) == ("address", "notice@demo-shop.cn")
    assert (task["track_status"], task["subs_link"], task["immediate"]) == (2, 1, 1)
    assert task["sender_name"] == "深圳示例科技"
    # The send time went out as Beijing time and comes back equal.
    sent_at = dt.datetime.fromisoformat(task["send_time"]).replace(
        tzinfo=dt.timezone(dt.timedelta(hours=8))
    )
    assert sent_at == campaign.send_time
    body = page(demo.get(url("detail", campaign.pk)))
    assert "Waiting" in body and "Cancel sending" in body and "Hold" in body
    assert "Delete" in body and "Pause" not in body


def test_scheduled_campaign_in_the_users_zone_then_cancel(demo, demo_account, fresh_sandbox):
    tomorrow = timezone.localdate() + dt.timedelta(days=1)
    _user_zone(demo_account, "Europe/Berlin")
    with timezone.override("Europe/Berlin"):
        campaign, _ = wizard(
            demo,
            sender={"sender_kind": "domain", "send_domain": "demo-shop.cn", "send_account": ""},
            schedule={"when": "later", "send_at": f"{tomorrow.isoformat()}T09:30"},
        )
        demo.post(url("review", campaign.pk))
    campaign.refresh_from_db()
    expected = dt.datetime.combine(tomorrow, dt.time(9, 30), tzinfo=ZoneInfo("Europe/Berlin"))
    assert campaign.send_time == expected
    task = task_of(fresh_sandbox, campaign.platform_id)
    beijing = expected.astimezone(dt.timezone(dt.timedelta(hours=8)))
    assert task["send_time"] == beijing.strftime("%Y-%m-%d %H:%M:%S")
    assert (task["acct_type"], task["acct_domain"], task["immediate"]) == (
        "domain",
        "demo-shop.cn",
        0,
    )
    assert campaign.status == 1
    # Hold is documented (§6.3 send_status -1); cancel is not (see test_follow).
    demo.post(url("action", campaign.pk, "hold"))
    campaign.refresh_from_db()
    assert campaign.status == -1
    assert task_of(fresh_sandbox, campaign.platform_id)["status"] == -1
    assert "On hold" in page(demo.get(url("detail", campaign.pk)))


def _user_zone(account, zone: str) -> None:
    """The marketer's own time zone (a per-user setting where the portal has one)."""
    try:
        from apps.accounts.preferences import preference_update
    except ImportError:  # no per-user setting: the active zone is what timezone.override sets
        return
    user = account.members.get()
    preference_update(user=user, time_zone=zone)


def test_one_click_makes_one_campaign(demo, demo_account, fresh_sandbox):
    campaign, _ = wizard(demo)
    demo.post(url("review", campaign.pk))
    again = demo.post(url("review", campaign.pk))  # a double click, a reload, a second tab
    assert again["Location"] == url("detail", campaign.pk)
    campaign.refresh_from_db()
    # The seeded history runs at a fixed speed; everything else was created by this test.
    created = [t for t in platform_tasks(fresh_sandbox) if t["fixed_speed"] is None]
    assert [t["id"] for t in created] == [campaign.platform_id]
    assert Campaign.objects.filter(account=demo_account).exclude(origin="platform").count() == 1


def test_review_refuses_red_template_disabled_or_empty_list_and_short_quota(
    demo, demo_account, fresh_sandbox
):
    campaign, _ = wizard(demo)
    MailTemplate.objects.filter(account=demo_account, platform_id=501).update(
        check_result=CheckResult.RED
    )
    body = page(demo.get(url("review", campaign.pk)))
    assert "was rejected by the platform&#x27;s content check (red)" in body
    assert "disabled>" in body.replace(" disabled>", "disabled>")
    response = demo.post(url("review", campaign.pk), follow=True)
    assert "rejected by the platform" in page(response)
    campaign.refresh_from_db()
    assert campaign.local_state == Campaign.LocalState.DRAFT
    assert platform_tasks(fresh_sandbox)[0]["fixed_speed"] == 1  # nothing new on the platform

    MailTemplate.objects.filter(account=demo_account, platform_id=501).update(
        check_result=CheckResult.GREEN
    )
    MailList.objects.filter(account=demo_account, platform_id=501).update(status="disabled")
    assert "is disabled: enable it first" in page(demo.get(url("review", campaign.pk)))
    MailList.objects.filter(account=demo_account, platform_id=501).update(status="enabled", count=0)
    assert "is empty" in page(demo.get(url("review", campaign.pk)))
    MailList.objects.filter(account=demo_account, platform_id=501).update(count=25)
    demo_account.service.qty_available = 10
    demo_account.service.save()
    body = page(demo.get(url("review", campaign.pk)))
    assert "25 recipients but only 10 credits are left" in body
    with pytest.raises(services.CampaignRefused):
        services.campaign_submit(account=demo_account, user=None, campaign=campaign)
    assert len(platform_tasks(fresh_sandbox)) == 2  # the seeded history only


def test_audience_step_refuses_disabled_and_empty_lists_and_counts_the_range(demo):
    response = demo.post(url("new"), {"templates": [501]})
    pk = int(response["Location"].rstrip("/").split("/")[-3])
    body = page(demo.post(url("step", pk, "audience"), {"maillist": 503, "scope": "all"}))
    assert "This list is disabled" in body
    body = page(
        demo.post(
            url("step", pk, "audience"),
            {"maillist": 501, "scope": "range", "range_start": 9, "range_end": 3},
        )
    )
    assert "The range ends before it starts" in body
    count = page(
        demo.get(
            url("count"),
            {"maillist": 501, "scope": "range", "range_start": 11, "range_end": 0},
        )
    )
    assert "15 recipients (the list has 25 addresses)" in count
    count = page(demo.get(url("count"), {"maillist": 501, "scope": "range", "range_start": 30}))
    assert "0 recipients" in count and "nobody would receive it" in count


def test_senders_are_chosen_from_the_accounts_domains_and_mailboxes(demo):
    response = demo.post(url("new"), {"templates": [501]})
    pk = int(response["Location"].rstrip("/").split("/")[-3])
    body = page(demo.get(url("step", pk, "sender")))
    assert '<option value="notice@demo-shop.cn"' in body
    assert '<option value="news@demo-shop.cn"' in body
    assert '<option value="demo-shop.cn"' in body
    assert "mail.demo-shop.cn" not in body  # not verified
    assert "other-trade.cn" not in body  # another account's
    body = page(
        demo.post(
            url("step", pk, "sender"),
            {"sender_kind": "address", "send_account": "service@other-trade.cn",
             "sender_name": "x", "track_status": 0},
        )
    )  # fmt: skip
    assert "Select a valid choice" in body


def test_unsubscribe_link_off_warns(demo, demo_account):
    campaign, _ = wizard(demo, sender={"subs_link": None})
    assert campaign.subs_link is False
    body = page(demo.get(url("review", campaign.pk)))
    assert "Without an unsubscribe link" in body and ">No<" in body


def test_a_refusal_by_the_platform_keeps_the_draft_and_says_why(demo, demo_account, fresh_sandbox):
    campaign, _ = wizard(demo)
    # The platform's quota ran out meanwhile (the mirror still says there is enough).
    fresh_sandbox.patch_account("demo", qty_available=3)
    response = demo.post(url("review", campaign.pk), follow=True)
    body = page(response)
    assert "可用点数不足" in body
    campaign.refresh_from_db()
    assert campaign.local_state == Campaign.LocalState.REJECTED
    assert "retry" in services.allowed_actions(campaign)
    fresh_sandbox.patch_account("demo", qty_available=63250)
    demo.post(url("review", campaign.pk))
    campaign.refresh_from_db()
    assert campaign.local_state == Campaign.LocalState.ACTIVE


def test_viewers_cannot_create_and_other_accounts_ids_are_404(demo, demo_account, client):
    from apps.accounts.tests.factories import member, platform_account

    from .factories import campaign as make_campaign

    mine = make_campaign(demo_account)
    other = make_campaign(platform_account(username="someone"))
    for name in ("detail", "review", "delete"):
        assert demo.get(url(name, other.pk)).status_code == 404
    assert demo.get(reverse("experiments:resend", args=[other.pk])).status_code == 404
    assert demo.post(url("action", other.pk, "cancel")).status_code == 404
    assert demo.post(url("duplicate", other.pk)).status_code == 404
    assert demo.get(url("step", other.pk, "content")).status_code == 404
    assert demo.get(url("detail", mine.pk)).status_code == 200
    viewer = member(demo_account, role="viewer")
    client.force_login(viewer)
    assert client.get(url("index")).status_code == 200
    assert client.get(url("new")).status_code == 403
    assert client.post(url("action", mine.pk, "cancel")).status_code == 403
