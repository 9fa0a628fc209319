"""Agents and administrators working on sub-accounts: the switcher, the scope of the domain and
mailbox pages, what is sent to the platform, and that nobody reaches a sub-account otherwise."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.urls import reverse

from apps.accounts.middleware import SESSION_KEY as ACCOUNT_KEY
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


def enter_credentials(client, customer_id, username, password):
    sub = SubAccount.objects.get(account__username="agent", customer_id=customer_id)
    return client.post(
        reverse("accounts:subaccount-credentials", args=[sub.pk]),
        {"username": username, "password": password},
    )


def active_account(client) -> PlatformAccount:
    return PlatformAccount.objects.get(pk=client.session[ACCOUNT_KEY])


def test_agent_walkthrough_in_a_sub_account(agent_client, agent_account, no_dns_delay):
    """§7 lets only the administrator act as `manager`: an agent works on a sub-account with
    the sub-account's own credentials (asked once, checked with §1.1), and then everything —
    not only domains — is the sub-account's."""
    since = last_seq(no_dns_delay)
    r = switch(agent_client, "1002")
    sub = SubAccount.objects.get(account=agent_account, customer_id="1002")
    assert r["Location"] == reverse("accounts:subaccount-credentials", args=[sub.pk])
    assert not [c for c in no_dns_delay.calls(since=since) if c["params"].get("user_type")]
    page = agent_client.get(r["Location"]).content.decode()
    assert "enter its platform username and password once" in page
    # Wrong password; another customer's credentials: refused, nothing stored.
    r = enter_credentials(agent_client, "1002", "shop-a", "wrong")
    assert (
        r.status_code == 400 and "did not accept this username and password" in r.content.decode()
    )
    r = enter_credentials(agent_client, "1002", "shop-b", "shop-b-pass")
    assert "belong to customer 1003, not to 1002" in r.content.decode()
    assert SubAccount.objects.get(pk=sub.pk).platform_account is None
    # The right ones: the sub-account becomes its own platform account, active for everything.
    r = enter_credentials(agent_client, "1002", "shop-a", "shop-a-pass")
    assert r.status_code == 302
    child = active_account(agent_client)
    assert (child.username, child.parent, child.platform_id) == ("shop-a", agent_account, 1002)
    assert child.get_password() == "shop-a-pass" and "shop-a-pass" not in child.password_encrypted
    assert SubAccount.objects.get(pk=sub.pk).platform_account == child

    since = last_seq(no_dns_delay)
    page = agent_client.get("/domains/").content.decode()
    assert "Sub-account: shop-a.cn (1002)" in page
    assert "shop-a.cn" in table(page) and "agent-sh.cn" not in table(page)
    agent_client.get("/contacts/")
    agent_client.get("/templates/")
    calls = [c for c in no_dns_delay.calls(since=since) if c["script"] != "sendstat"]
    assert calls and {c["username"] for c in calls} == {"shop-a"}
    assert not [c for c in calls if "customer_id" in c["params"] or "user_type" in c["params"]]

    since = last_seq(no_dns_delay)
    r = agent_client.post(reverse("domains:add"), {"domain": "promo.shop-a.cn"})
    added = SenderDomain.objects.get(domain="promo.shop-a.cn")
    assert (added.account, added.customer_id) == (child, "")
    (call,) = bs_calls(no_dns_delay, since, "customer-domain-add")  # §7.2 as the sub-account
    assert call["username"] == "shop-a" and call["params"]["domain"] == "promo.shop-a.cn"
    assert no_dns_delay.control("GET", "domains/promo.shop-a.cn")["customer_id"] == 1002
    no_dns_delay.control("POST", "domains/promo.shop-a.cn/publish")
    agent_client.post(reverse("domains:verify"), {"domains": [added.pk], "back": "detail"})
    since = last_seq(no_dns_delay)
    r = agent_client.post(reverse("domains:mailbox-add", args=[added.pk]), {"name": "vip"})
    assert re.search(r'data-testid="password">([^<]{20})<', r.content.decode())
    (call,) = bs_calls(no_dns_delay, since, "mailbox-add")
    assert call["params"] == {"mailbox": "vip@promo.shop-a.cn"} and call["username"] == "shop-a"

    switch_entries = AuditEntry.objects.filter(
        account=agent_account,
        action__in=["accounts.scope.switch", "accounts.subaccount.credentials"],
    )
    assert {(e.customer_id, e.outcome) for e in switch_entries} >= {
        ("1002", "ok"),
        ("1002", "refused"),
    }
    assert AuditEntry.objects.filter(account=child, action="domains.domain.add").exists()

    # Back to the own account; the sub-account's objects are 404 there.
    switch(agent_client, "")
    assert active_account(agent_client) == agent_account
    own = table(agent_client.get("/domains/").content.decode())
    assert "agent-sh.cn" in own and "promo.shop-a.cn" not in own
    assert agent_client.get(reverse("domains:detail", args=[added.pk])).status_code == 404
    # Switching again needs no credentials (§1.1 confirms the stored ones).
    r = switch(agent_client, "1002")
    assert r["Location"] == "/domains/" and active_account(agent_client) == child


def test_agent_cannot_switch_to_a_customer_it_does_not_own(
    agent_client, agent_account, no_dns_delay
):
    for customer_id in ("1001", "1004", "abc", "1"):
        switch(agent_client, customer_id)
        assert active_account(agent_client) == agent_account
    # A customer id added by hand waits for its credentials; without them nothing happens, and
    # an agent's add never uses §7's manager mode (the administrator's alone).
    since = last_seq(no_dns_delay)
    agent_client.post(reverse("accounts:subaccount-add"), {"customer_id": "1004"})
    sub = SubAccount.objects.get(account=agent_account, customer_id="1004")
    assert sub.needs_credentials and sub.confirmed_at is None
    assert not bs_calls(no_dns_delay, since)
    page = agent_client.get(reverse("accounts:subaccounts")).content.decode()
    assert 'data-testid="needs-credentials"' in page
    r = enter_credentials(agent_client, "1004", "shop-a", "shop-a-pass")
    assert "belong to customer 1002, not to 1004" in r.content.decode()
    assert active_account(agent_client) == agent_account


def test_stored_credentials_that_stop_working_are_asked_again(
    agent_client, agent_account, no_dns_delay
):
    enter_credentials(agent_client, "1002", "shop-a", "shop-a-pass")
    switch(agent_client, "")
    no_dns_delay.patch_account("shop-a", password="changed-pass")
    r = switch(agent_client, "1002")
    sub = SubAccount.objects.get(account=agent_account, customer_id="1002")
    assert r["Location"] == reverse("accounts:subaccount-credentials", args=[sub.pk])
    assert sub.needs_credentials and active_account(agent_client) == agent_account


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
    enter_credentials(first, "1002", "shop-a", "shop-a-pass")
    child = active_account(first)
    first.get("/domains/")
    shop_a = SenderDomain.objects.get(account=child, domain="shop-a.cn")
    # The second agent asks for the first agent's sub-account by every route.
    switch(second, "1002")
    assert active_account(second) == other
    session = second.session
    session[ACCOUNT_KEY] = child.pk  # a forged session: not its account, not its sub-account's
    session.save()
    assert second.get(reverse("domains:detail", args=[shop_a.pk])).status_code == 404
    page = second.get("/domains/").content.decode()
    assert "shop-a.cn" not in table(page) and agent != other


def test_ordinary_user_cannot_reach_a_sub_accounts_data(
    agent_client, agent_account, demo, demo_account, no_dns_delay
):
    enter_credentials(agent_client, "1002", "shop-a", "shop-a-pass")
    agent_client.get("/domains/")
    child = active_account(agent_client)
    shop_a = SenderDomain.objects.get(account=child, domain="shop-a.cn")
    box = Mailbox.objects.get(account=child, address="sale@shop-a.cn")
    # Switching: refused outright.
    r = switch(demo, "1002")
    assert r.status_code == 403
    assert AuditEntry.objects.get(account=demo_account, action="accounts.scope.switch").outcome == (
        "refused"
    )
    session = demo.session
    session[ACCOUNT_KEY] = child.pk
    session.save()
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
    enter_credentials(agent_client, "1002", "shop-a", "shop-a-pass")
    child = active_account(agent_client)
    switch(agent_client, "")
    PlatformAccount.objects.filter(pk=child.pk).update(platform_url="http://127.0.0.1:9/")
    switch(agent_client, "1002")  # confirmed before: allowed while the platform is away
    assert active_account(agent_client) == child


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
