"""Agents and administrators working on sub-accounts: the switcher, the scope of the domain and
mailbox pages, what is sent to the platform, and that nobody reaches a sub-account otherwise."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.urls import reverse

from apps.accounts.models import PlatformAccount, SubAccount
from apps.accounts.scope import SESSION_KEY
from apps.core.models import AuditEntry
from apps.domains.models import Mailbox, SenderDomain

from .conftest import sign_in

pytestmark = pytest.mark.django_db


def bs_calls(sandbox, since, do=None):
    rows = [c for c in sandbox.calls(since=since) if c["script"] == "bs.php"]
    return [c for c in rows if do is None or c["do"] == do]


def last_seq(sandbox):
    rows = sandbox.calls()
    return rows[-1]["seq"] if rows else 0


def table(page: str) -> str:
    """The domains table of a page (the header's switcher names sub-accounts too)."""
    start = page.index('data-testid="domain-table"')
    return page[start : page.index("</table>", start)]


def switch(client, customer_id, next_url="/domains/"):
    return client.post(
        reverse("accounts:scope-switch"), {"customer_id": customer_id, "next": next_url}
    )


def test_agent_sign_in_discovers_its_sub_accounts(agent_client, agent_account):
    subs = {s.customer_id: s for s in SubAccount.objects.filter(account=agent_account)}
    assert set(subs) == {"1002", "1003"}
    assert subs["1002"].label == "shop-a.cn" and subs["1002"].confirmed_at is not None
    assert subs["1002"].source == "discovered"
    page = agent_client.get(reverse("accounts:overview")).content.decode()
    assert 'data-testid="scope-switcher"' in page
    assert "shop-a.cn (1002)" in page and "shop-b.cn (1003)" in page
    assert 'data-testid="current-scope"' not in page  # own account


def test_ordinary_users_see_no_switcher(demo):
    page = demo.get(reverse("accounts:overview")).content.decode()
    assert 'data-testid="scope-switcher"' not in page
    assert demo.get(reverse("accounts:subaccounts")).status_code == 404


def test_agent_walkthrough_in_a_sub_account(agent_client, agent_account, no_dns_delay):
    """The issue's "done when": switch, add a domain, see its DNS records, verify it, add a
    mailbox, see the audit entries."""
    since = last_seq(no_dns_delay)
    r = switch(agent_client, "1002")
    assert r.status_code == 302 and r["Location"] == "/domains/"
    confirm = bs_calls(no_dns_delay, since, "domain-list")
    assert confirm[0]["params"] == {"customer_id": "1002", "user_type": "manager"}

    page = agent_client.get("/domains/").content.decode()
    assert 'data-testid="current-scope"' in page and "Sub-account: shop-a.cn (1002)" in page
    assert 'data-testid="scope-notice"' in page
    listed = set(
        SenderDomain.objects.filter(account=agent_account, customer_id="1002").values_list(
            "domain", flat=True
        )
    )
    assert listed == {"edm.bestedm.org", "shop-a.cn"}
    assert "agent-sh.cn" not in table(page) and "shop-b.cn" not in table(page)

    since = last_seq(no_dns_delay)
    r = agent_client.post(reverse("domains:add"), {"domain": "promo.shop-a.cn"})
    added = SenderDomain.objects.get(account=agent_account, domain="promo.shop-a.cn")
    assert added.customer_id == "1002" and added.owner_customer_id == 1002
    (call,) = bs_calls(no_dns_delay, since, "domain-add")  # §7.4, for the sub-account
    assert call["params"]["customer_id"] == "1002" and call["params"]["domain"] == "promo.shop-a.cn"
    assert no_dns_delay.control("GET", "domains/promo.shop-a.cn")["customer_id"] == 1002

    detail = agent_client.get(r["Location"]).content.decode()
    assert (
        "umail._domainkey.promo.shop-a.cn" in detail and "v=spf1 include:spf.bestedm.org" in detail
    )

    no_dns_delay.control("POST", "domains/promo.shop-a.cn/publish")
    agent_client.post(reverse("domains:verify"), {"domains": [added.pk], "back": "detail"})
    added.refresh_from_db()
    assert added.verified

    since = last_seq(no_dns_delay)
    r = agent_client.post(reverse("domains:mailbox-add", args=[added.pk]), {"name": "vip"})
    assert re.search(r'data-testid="password">([^<]{20})<', r.content.decode())
    (call,) = bs_calls(no_dns_delay, since, "mailbox-add")
    assert call["params"] == {
        "mailbox": "vip@promo.shop-a.cn",
        "customer_id": "1002",
        "user_type": "manager",
    }
    assert Mailbox.objects.get(address="vip@promo.shop-a.cn").customer_id == "1002"
    assert (
        "vip@promo.shop-a.cn" in no_dns_delay.control("GET", "domains/promo.shop-a.cn")["mailboxes"]
    )

    audit = agent_client.get(reverse("accounts:audit")).content.decode()
    for action in (
        "accounts.scope.switch",
        "domains.domain.add",
        "domains.domain.verify",
        "domains.mailbox.add",
    ):
        assert action in audit, action
    entries = AuditEntry.objects.filter(account=agent_account).exclude(
        action="accounts.scope.switch"
    )
    assert {e.customer_id for e in entries} == {"1002"}
    switch_entry = AuditEntry.objects.get(action="accounts.scope.switch")
    assert (switch_entry.customer_id, switch_entry.outcome) == ("1002", "ok")

    # Back to the own account: its own domains, and the sub-account's are 404 there.
    switch(agent_client, "")
    own = table(agent_client.get("/domains/").content.decode())
    assert "agent-sh.cn" in own and "promo.shop-a.cn" not in own and "shop-b.cn" not in own
    assert agent_client.get(reverse("domains:detail", args=[added.pk])).status_code == 404
    assert AuditEntry.objects.filter(action="accounts.scope.switch").count() == 2


def test_sub_account_mailbox_changes_send_the_scope(agent_client, agent_account, no_dns_delay):
    switch(agent_client, "1002")
    agent_client.get("/domains/")
    box = Mailbox.objects.get(account=agent_account, customer_id="1002", address="sale@shop-a.cn")
    since = last_seq(no_dns_delay)
    agent_client.post(reverse("domains:mailbox-password", args=[box.pk]), {"password": ""})
    agent_client.post(reverse("domains:mailbox-delete", args=[box.pk]))
    edit, delete = (
        bs_calls(no_dns_delay, since, "mailbox-edit"),
        bs_calls(no_dns_delay, since, "mailbox-del"),
    )
    for call in edit + delete:
        assert (call["params"]["customer_id"], call["params"]["user_type"]) == ("1002", "manager")
    assert no_dns_delay.control("GET", "domains/shop-a.cn")["mailboxes"] == []
    # §7.5 deletes a sub-account's verified domain.
    shop = SenderDomain.objects.get(account=agent_account, customer_id="1002", domain="shop-a.cn")
    since = last_seq(no_dns_delay)
    r = agent_client.post(reverse("domains:delete", args=[shop.pk]), {"confirm": "shop-a.cn"})
    assert r["Location"] == reverse("domains:index")
    (call,) = bs_calls(no_dns_delay, since, "domain-del")
    assert call["params"]["customer_id"] == "1002"


def test_agent_cannot_switch_to_a_customer_it_does_not_own(
    agent_client, agent_account, no_dns_delay
):
    for customer_id in ("1001", "1004", "abc", "1"):
        r = switch(agent_client, customer_id)
        assert r.status_code == 302
        assert agent_client.session.get(SESSION_KEY, {}).get("customer_id", "") == ""
    refused = AuditEntry.objects.filter(action="accounts.scope.switch", outcome="refused")
    assert refused.count() == 4
    # Even a sub-account row (e.g. added by mistake in admin) needs the platform's word.
    SubAccount.objects.create(account=agent_account, customer_id="1004", label="not mine")
    r = switch(agent_client, "1004")
    follow = agent_client.get(r["Location"]).content.decode()
    assert "does not let this account act for customer 1004" in follow
    assert agent_client.session.get(SESSION_KEY, {}).get("customer_id", "") == ""
    # Adding it by id is refused by the platform too.
    r = agent_client.post(reverse("accounts:subaccount-add"), {"customer_id": "1001"}, follow=True)
    assert "无权操作该客户" in r.content.decode()
    assert not SubAccount.objects.filter(account=agent_account, customer_id="1001").exists()


def test_a_tampered_session_falls_back_to_the_own_account(agent_client, agent_account):
    session = agent_client.session
    session[SESSION_KEY] = {"account": agent_account.pk, "customer_id": "1004"}
    session.save()
    page = agent_client.get("/domains/").content.decode()
    assert 'data-testid="current-scope"' not in page
    assert "agent-sh.cn" in table(page)


def test_second_agent_cannot_reach_the_first_agents_sub_accounts(fresh_sandbox, no_dns_delay):
    fresh_sandbox.patch_account("other", user_type="agents")
    fresh_sandbox.patch_account("shop-b", parent_id=1004)
    first = sign_in(Client(), "agent", "agent-pass", "agents")
    second = sign_in(Client(), "other", "other-pass", "agents")
    other = PlatformAccount.objects.get(username="other", user_type="agents")
    agent = PlatformAccount.objects.get(username="agent", user_type="agents")
    assert set(SubAccount.objects.filter(account=other).values_list("customer_id", flat=True)) == {
        "1003"
    }
    assert set(SubAccount.objects.filter(account=agent).values_list("customer_id", flat=True)) == {
        "1002"
    }
    # The second agent asks for the first agent's sub-account by every route.
    switch(second, "1002")
    assert second.session.get(SESSION_KEY, {}).get("customer_id", "") == ""
    r = second.post(reverse("accounts:subaccount-add"), {"customer_id": "1002"}, follow=True)
    assert "无权操作该客户" in r.content.decode()
    # Objects the first agent mirrored for its sub-account are 404 for the second.
    switch(first, "1002")
    first.get("/domains/")
    shop_a = SenderDomain.objects.get(account=agent, customer_id="1002", domain="shop-a.cn")
    assert second.get(reverse("domains:detail", args=[shop_a.pk])).status_code == 404
    switch(second, "1003")
    assert second.session[SESSION_KEY]["customer_id"] == "1003"
    assert second.get(reverse("domains:detail", args=[shop_a.pk])).status_code == 404


def test_ordinary_user_cannot_reach_a_sub_accounts_data(
    agent_client, agent_account, demo, demo_account, no_dns_delay
):
    switch(agent_client, "1002")
    agent_client.get("/domains/")
    shop_a = SenderDomain.objects.get(account=agent_account, customer_id="1002", domain="shop-a.cn")
    box = Mailbox.objects.get(account=agent_account, customer_id="1002")
    # Switching: refused outright.
    r = switch(demo, "1002")
    assert r.status_code == 403
    assert demo.session.get(SESSION_KEY, {}).get("customer_id", "") == ""
    assert AuditEntry.objects.get(account=demo_account, action="accounts.scope.switch").outcome == (
        "refused"
    )
    # A session pointing at the sub-account is ignored for an ordinary account.
    session = demo.session
    session[SESSION_KEY] = {"account": demo_account.pk, "customer_id": "1002"}
    session.save()
    page = table(demo.get("/domains/").content.decode())
    assert "shop-a.cn" not in page and "demo-shop.cn" in page
    # Ids in URLs: 404.
    for name, pk in (
        ("domains:detail", shop_a.pk),
        ("domains:delete", shop_a.pk),
        ("domains:mailbox-password", box.pk),
        ("domains:mailbox-delete", box.pk),
    ):
        assert demo.get(reverse(name, args=[pk])).status_code == 404, name
    # A customer_id smuggled into forms and URLs is never sent.
    since = last_seq(no_dns_delay)
    demo.post(
        reverse("domains:add") + "?customer_id=1002",
        {"domain": "sneaky.example.com", "customer_id": "1002", "user_type": "manager"},
    )
    demo.get("/domains/?customer_id=1002")
    for call in bs_calls(no_dns_delay, since):
        assert "customer_id" not in call["params"], call
    assert no_dns_delay.control("GET", "domains/sneaky.example.com")["customer_id"] == 1001
    assert SenderDomain.objects.get(domain="sneaky.example.com").account == demo_account


def test_administrator_enters_a_customer_id(fresh_sandbox, no_dns_delay):
    manager = sign_in(Client(), "manager", "manager-pass", "manager")
    account = PlatformAccount.objects.get(username="manager", user_type="manager")
    assert not SubAccount.objects.filter(account=account).exists()  # no discovery for managers
    r = manager.post(
        reverse("accounts:subaccount-add"), {"customer_id": "1004", "label": "北京另一家"}
    )
    assert r.status_code == 302
    sub = SubAccount.objects.get(account=account, customer_id="1004")
    assert sub.source == "entered" and sub.confirmed_at is not None
    r = manager.post(reverse("accounts:subaccount-add"), {"customer_id": "x1"})
    assert r.status_code == 400 and "A customer id is a number" in r.content.decode()
    switch(manager, "1004")
    manager.get("/domains/")
    assert set(
        SenderDomain.objects.filter(account=account, customer_id="1004").values_list(
            "domain", flat=True
        )
    ) == {"edm.bestedm.org", "other-trade.cn"}
    since = last_seq(no_dns_delay)
    manager.post(reverse("domains:add"), {"domain": "admin-added.example.com"})
    (call,) = bs_calls(no_dns_delay, since, "domain-add")
    assert call["params"]["customer_id"] == "1004"


def test_platform_down_at_switch_keeps_a_confirmed_sub_account(agent_client, agent_account):
    agent_account.platform_url = "http://127.0.0.1:9/"
    agent_account.save()
    switch(agent_client, "1002")  # confirmed at sign-in by discovery
    assert agent_client.session[SESSION_KEY]["customer_id"] == "1002"
    SubAccount.objects.create(account=agent_account, customer_id="1009", label="staff-added")
    switch(agent_client, "1009")  # never confirmed: refused while the platform is away
    assert agent_client.session[SESSION_KEY]["customer_id"] == "1002"
    assert AuditEntry.objects.filter(action="accounts.scope.switch", outcome="failed").count() == 1


def test_discovery_tells_the_agents_own_domains_apart(no_dns_delay):
    from apps.accounts.services import subaccounts_discover
    from apps.accounts.tests.factories import platform_account

    agent = platform_account(
        username="agent",
        password="agent-pass",
        user_type="agents",
        platform_url=no_dns_delay.url,
    )
    assert agent.platform_id is None
    found = subaccounts_discover(account=agent)
    assert sorted(s.customer_id for s in found) == ["1002", "1003"]
    agent.refresh_from_db()
    assert agent.platform_id == 100
    # Again: nothing duplicated, confirmations refreshed.
    assert len(subaccounts_discover(account=agent)) == 2
    assert SubAccount.objects.filter(account=agent).count() == 2
