"""A/B tests with a winner and resends to non-openers, against the sandbox's delivery."""

from __future__ import annotations

import pytest
from django.urls import reverse

from apps.accounts.clients import client_for_account
from apps.campaigns import services as campaigns
from apps.campaigns.models import Campaign
from apps.campaigns.tests.factories import mirror, page, task_of, url, wizard
from apps.experiments import services
from apps.experiments.models import ABTest, ResendJob
from apps.mailtemplates.models import MailTemplate
from tests.support import wait_until

pytestmark = pytest.mark.django_db
S = Campaign.LocalState
AB = {"ab_test": "on", "ab_percent": 40, "ab_wait_hours": 0}


def xurl(name, *args):
    return reverse(f"experiments:{name}", args=args)


@pytest.fixture
def demo(demo_client, demo_account, fresh_sandbox):
    mirror(demo_account)
    fresh_sandbox.control("POST", "delivery/settings", {"speed": 100000})
    return demo_client


def start_ab(client, **content):
    draft, _ = wizard(
        client,
        content={"name": "春季对比", "templates": [501, 502], **AB, **content},
        audience={"scope": "all"},
    )
    body = page(client.get(url("review", draft.pk)))
    assert "Variant 1: addresses 1–5" in body and "Variant 2: addresses 6–10" in body
    assert "from address 11 to the end" in body
    response = client.post(url("review", draft.pk))
    ab = ABTest.objects.get()
    assert response["Location"] == xurl("ab", ab.pk)
    return ab


def finished(ab):
    def all_done():
        services.abtest_refresh(ab=ab)
        return all(v.status == 3 for v in ab.variants)

    wait_until(all_done, timeout=30, interval=0.3)


def test_variants_go_to_the_test_slice_and_the_best_goes_to_the_rest(demo, fresh_sandbox):
    ab = start_ab(demo, ab_metric="opens", ab_mode="auto")
    a, b = ab.variants
    assert (a.ab_label, a.template_ids, a.send_qty_start, a.send_qty) == ("A", [501], 1, 5)
    assert (b.ab_label, b.template_ids, b.send_qty_start, b.send_qty) == ("B", [502], 6, 10)
    assert a.local_state == b.local_state == S.ACTIVE
    for variant in (a, b):
        task = task_of(fresh_sandbox, variant.platform_id)
        assert (task["send_qty_start"], task["send_qty"]) == (
            variant.send_qty_start,
            variant.send_qty,
        )
    assert not Campaign.objects.filter(local_state=S.DRAFT).exists()  # the draft became the test
    finished(ab)
    for variant in (a, b):
        fresh_sandbox.control("POST", f"tasks/{variant.platform_id}/fast-forward", {"seconds": 4e5})
    services.abtests_due()
    ab.refresh_from_db()
    assert ab.state == ABTest.State.SENDING_WINNER
    scores = dict(services.abtest_scores(ab=ab))
    assert scores[ab.winner] == max(scores.values())
    rest = ab.rest_campaign
    assert (rest.ab_role, rest.template_ids) == ("winner", ab.winner.template_ids)
    assert (rest.send_qty_start, rest.send_qty, rest.local_state) == (11, 0, S.ACTIVE)
    task = task_of(fresh_sandbox, rest.platform_id)
    assert (task["send_qty_start"], task["send_qty"], task["tpl_ids"]) == (
        11,
        0,
        str(ab.winner.template_ids[0]),
    )
    # The note gives each variant's rate and the metric it was judged by.
    assert all(f"{v.ab_label}: " in ab.decision_note for v in (a, b))
    assert str(ABTest.Metric.OPENS.label) in ab.decision_note
    body = page(demo.get(xurl("ab", ab.pk)))
    assert "Winner sent to the rest" in body and rest.display_name in body


def test_the_marketer_chooses_the_winner(demo, demo_account, fresh_sandbox):
    ab = start_ab(demo, ab_metric="clicks", ab_mode="manual")
    finished(ab)
    services.abtests_due()
    ab.refresh_from_db()
    assert ab.state == ABTest.State.READY and ab.rest_campaign is None
    body = page(demo.get(xurl("ab", ab.pk)))
    assert "Waiting for your choice" in body and "Send the chosen variant" in body
    b = ab.variants[1]
    demo.post(xurl("ab", ab.pk), {"winner": b.pk})
    ab.refresh_from_db()
    assert ab.winner == b and ab.rest_campaign.template_ids == [502]
    assert ab.rest_campaign.local_state == S.ACTIVE
    # Deciding again changes nothing.
    demo.post(xurl("ab", ab.pk), {"winner": ab.variants[0].pk})
    ab.refresh_from_db()
    assert ab.winner == b
    assert Campaign.objects.filter(ab_test=ab, ab_role="winner").count() == 1


def test_auto_waits_until_every_variant_has_finished(demo, demo_account, fresh_sandbox):
    fresh_sandbox.control("POST", "delivery/settings", {"speed": 1})
    ab = start_ab(demo, ab_metric="opens", ab_mode="auto")
    services.abtests_due()
    ab.refresh_from_db()
    assert ab.state == ABTest.State.TESTING and ab.rest_campaign is None


def test_a_subject_test_makes_one_template_per_subject(demo, demo_account, fresh_sandbox):
    draft, _ = wizard(
        demo,
        content={"name": "主题对比", "templates": [501], **AB, "ab_kind": "subjects"},
    )
    demo.post(url("review", draft.pk))
    ab = ABTest.objects.get()
    a, b = ab.variants
    copies = MailTemplate.objects.filter(platform_id__in=[*a.template_ids, *b.template_ids])
    assert sorted(len(t.subjects) for t in copies) == [1, 1]
    assert {t.subjects[0] for t in copies} == {
        "欢迎加入深圳示例科技",
        "{$fullname}，您的会员礼包已到账",
    }
    assert 501 not in a.template_ids + b.template_ids


def test_ab_needs_two_templates(demo):
    response = demo.post(url("new"), {"templates": [501], **AB})
    assert "needs two or more" in page(response)


def test_resend_to_non_openers_builds_the_list_and_a_draft(demo, demo_account, fresh_sandbox):
    fresh_sandbox.control("POST", "delivery/settings", {"speed": 100000, "open_rate": 0.5})
    campaign, _ = wizard(demo, audience={"scope": "range", "range_start": 3, "range_end": 22})
    demo.post(url("review", campaign.pk))
    campaign.refresh_from_db()
    fresh_sandbox.control("POST", f"tasks/{campaign.platform_id}/fast-forward", {"seconds": 4e5})
    campaigns.campaign_sync_one(campaign=campaign)
    assert campaign.status == 3
    with client_for_account(demo_account) as client:
        openers = {o.email for o in client.tracking.iter_open_detail(send_id=campaign.platform_id)}
        recipients = [a.address for a in client.contacts.iter_addresses(list_id=501)][2:22]
    assert 0 < len(openers) < 20
    response = demo.post(xurl("resend", campaign.pk), {"list_name": "没打开的 VIP"})
    job = ResendJob.objects.get()
    assert response["Location"] == xurl("resend-job", job.pk)
    services.resend_run(job_id=job.pk)  # what the worker runs
    job.refresh_from_db()
    assert job.state == ResendJob.State.DONE, job.error
    assert (job.openers, job.recipients) == (len(openers), 20)
    with client_for_account(demo_account) as client:
        built = {a.address for a in client.contacts.iter_addresses(list_id=job.new_list_id)}
    assert built == set(recipients) - openers
    assert job.added == len(built)
    draft = job.draft
    assert (draft.local_state, draft.list_id, draft.template_ids) == (
        S.DRAFT,
        job.new_list_id,
        [501],
    )
    assert (draft.send_qty_start, draft.send_qty) == (1, 0)
    body = page(demo.get(xurl("resend-job", job.pk)))
    assert "Check and send the campaign" in body
    assert services.resend_run(job_id=job.pk) is None  # a redelivered message does nothing


def test_resend_is_offered_only_for_finished_tracked_campaigns(demo, demo_account):
    from apps.campaigns.tests.factories import campaign as make_campaign

    waiting = make_campaign(demo_account, status=1)
    response = demo.post(xurl("resend", waiting.pk), {"list_name": "x"}, follow=True)
    assert "Only a finished campaign that tracked opens" in page(response)
    assert not ResendJob.objects.exists()
