"""Writes are never retried blindly: a create whose answer is lost is reconciled against the
platform's list operation, and nothing is ever created twice (apps/core/reconcile.py).

Each case drives the real page through Django's test client against the sandbox process:

* `timeout`: the platform holds the request past the portal's read timeout and then carries it
  out. The page says so; an immediate second attempt is refused without a call; once the
  platform has created the object, the next attempt adopts it instead of creating another.
* `truncated`: the platform creates the object and its answer is cut: the page adopts it at once.
* `http_error` (nothing created): the attempt after the grace period creates it, once.
"""

from __future__ import annotations

import pytest
from django.urls import reverse

from apps.accounts.clients import client_for_account
from apps.contacts.models import MailList
from apps.core import reconcile
from apps.core.models import AuditEntry
from apps.mailtemplates.models import MailTemplate
from tests.support import wait_until

pytestmark = [pytest.mark.django_db]

LIST_NAME = "重试不重复 <b>list</b>"
ADDRESS = "once.only@example.com"
TEMPLATE_NAME = "只上传一次"
TEMPLATE_HTML = (
    "<p>尊敬的 {$fullname}，您好！只上传一次。</p>"
    '<p><a href="https://example.com/shop">选购</a> <a href="https://example.com/u">退订</a></p>'
)


class Case:
    """One kind of create: how to send it through the page, and how many the platform holds."""

    name = ""
    script = ""
    do = ""

    def post(self, client):
        raise NotImplementedError

    def on_platform(self, account) -> int:
        raise NotImplementedError

    def in_mirror(self, account) -> int:
        raise NotImplementedError

    def succeeded(self, response) -> bool:
        return response.status_code == 302


class ListCase(Case):
    name, script, do = "list", "mloperate.php", "maillist-add"

    def post(self, client):
        return client.post(
            reverse("contacts:list-create"),
            {"subject": LIST_NAME, "description": "", "status": "enabled"},
        )

    def on_platform(self, account):
        with client_for_account(account) as client:
            return sum(1 for m in client.contacts.maillist_list() if m.subject == LIST_NAME)

    def in_mirror(self, account):
        return MailList.objects.filter(account=account, subject=LIST_NAME).count()


class AddressCase(Case):
    name, script, do = "address", "mloperate.php", "ml-addr-add"

    def post(self, client):
        return client.post(
            reverse("contacts:address-create", args=[502]),
            {"address": ADDRESS, "fullname": "只一次"},
        )

    def on_platform(self, account):
        with client_for_account(account) as client:
            page = client.contacts.addr_list(list_id=502, keyword=ADDRESS, page=1, limit=50)
        return sum(1 for a in page.addresses if a.address == ADDRESS)

    def in_mirror(self, account):
        # Addresses have no mirror; the list's count must have grown by exactly one.
        return MailList.objects.get(account=account, platform_id=502).count - 12


class TemplateCase(Case):
    name, script, do = "template", "template.php", "add-tpl"

    def post(self, client):
        return client.post(
            reverse("mailtemplates:create"),
            {
                "name": TEMPLATE_NAME,
                "subjects": ["只上传一次", "{$fullname}，你好"],
                "html": TEMPLATE_HTML,
                "text": "只上传一次",
                "encoding": "base64",
                "action": "save",
            },
        )

    def on_platform(self, account):
        with client_for_account(account) as client:
            return sum(1 for t in client.templates.list() if t.name == TEMPLATE_NAME)

    def in_mirror(self, account):
        return MailTemplate.objects.filter(account=account, name=TEMPLATE_NAME).count()


CASES = [ListCase(), AddressCase(), TemplateCase()]


def creates_sent(sandbox, case) -> int:
    return sum(1 for c in sandbox.calls() if c["script"] == case.script and c.get("do") == case.do)


@pytest.fixture
def ready(demo_client, demo_account):
    """The mirrors the pages need (lists for the address form, a template sync)."""
    from apps.contacts.services import list_sync
    from apps.mailtemplates.services import template_sync

    list_sync(account=demo_account)
    template_sync(account=demo_account)
    return demo_client, demo_account


def _page(response) -> str:
    assert response.status_code in (200, 302), response.status_code
    body = response.content.decode()
    assert "Traceback" not in body
    return body


@pytest.mark.reliability("fault", area="no duplicates")
@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_timeout_on_create_is_reconciled_never_duplicated(ready, inject, fresh_sandbox, case):
    client, account = ready
    script = case.script
    inject(kind="timeout", delay=3, script=script, do=case.do, times=1)

    first = case.post(client)
    assert not case.succeeded(first)
    assert "did not answer in time" in _page(first)

    # The platform is still working on it: a second attempt sends nothing and says why.
    second = case.post(client)
    assert not case.succeeded(second)
    assert "lost the platform" in _page(second)

    wait_until(lambda: case.on_platform(account) == 1, timeout=10)
    third = case.post(client)
    assert case.succeeded(third), _page(third)[:2000]

    assert case.on_platform(account) == 1
    assert case.in_mirror(account) == 1
    assert creates_sent(fresh_sandbox, case) == 1
    # The audit log tells the story: the lost answer, then the adoption.
    entries = AuditEntry.objects.filter(account=account, detail__fingerprint__isnull=False)
    assert [e.outcome for e in entries.order_by("created_at", "id")] == ["failed", "ok"]
    assert entries.order_by("-id").first().detail.get("reconciled") is True


@pytest.mark.reliability("fault", area="no duplicates")
@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_cut_answer_on_create_is_adopted_at_once(ready, inject, fresh_sandbox, case):
    client, account = ready
    inject(kind="truncated", script=case.script, do=case.do, times=1)
    response = case.post(client)
    assert case.succeeded(response), _page(response)[:2000]
    assert case.on_platform(account) == 1
    assert case.in_mirror(account) == 1
    assert creates_sent(fresh_sandbox, case) == 1


@pytest.mark.reliability("fault", area="no duplicates")
@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_create_refused_by_a_proxy_goes_ahead_after_the_grace_period(
    ready, inject, fresh_sandbox, case, monkeypatch
):
    client, account = ready
    inject(kind="http_error", status=502, script=case.script, do=case.do, times=1)
    assert not case.succeeded(case.post(client))
    assert case.on_platform(account) == 0
    assert "lost the platform" in _page(case.post(client))  # within the grace period
    monkeypatch.setattr(reconcile, "grace_seconds", lambda: 0.0)
    response = case.post(client)
    assert case.succeeded(response), _page(response)[:2000]
    assert case.on_platform(account) == 1
    assert case.in_mirror(account) == 1
    assert creates_sent(fresh_sandbox, case) == 2  # the refused one and the real one


@pytest.mark.reliability("fault", area="no duplicates")
@pytest.mark.parametrize("case", ["campaign"])
def test_timeout_on_campaign_create_is_searched_for_never_sent_twice(
    demo_client, demo_account, inject, fresh_sandbox, case
):
    """Campaigns keep their own states (apps/campaigns/services.py): a lost answer makes the
    campaign UNCONFIRMED, a second click sends nothing, and the search of §6.1 links it."""
    from apps.campaigns import services as campaigns
    from apps.campaigns.models import Campaign
    from apps.campaigns.tests.factories import mirror, platform_tasks, url, wizard

    mirror(demo_account)
    campaign, _ = wizard(demo_client, content={"name": "只创建一次"})
    inject(kind="timeout", delay=3, script="task.php", do="add-task", times=1)

    first = demo_client.post(url("review", campaign.pk), follow=True)
    assert "did not confirm in time" in _page(first)
    second = demo_client.post(url("review", campaign.pk), follow=True)
    assert "Traceback" not in _page(second)
    campaign.refresh_from_db()
    assert campaign.local_state == Campaign.LocalState.UNCONFIRMED

    def made():
        return [t for t in platform_tasks(fresh_sandbox) if t["fixed_speed"] is None]

    wait_until(lambda: len(made()) == 1, timeout=10)
    campaigns.campaign_reconcile(campaign_id=campaign.pk)  # the scheduled search, run now
    campaign.refresh_from_db()
    assert campaign.local_state == Campaign.LocalState.ACTIVE
    assert [t["id"] for t in made()] == [campaign.platform_id]
    assert sum(1 for c in fresh_sandbox.calls() if c.get("do") == "add-task") == 1
