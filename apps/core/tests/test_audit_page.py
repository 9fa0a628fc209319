"""The Activity page: an account's audit log for its users."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from apps.accounts.models import SubAccount
from apps.accounts.tests.factories import member, platform_account
from apps.core.audit import record
from apps.core.models import AuditEntry

pytestmark = pytest.mark.django_db


def signed_in(account, role="viewer"):
    client = Client()
    client.force_login(member(account, role=role))
    return client


def rows(response) -> int:
    html = response.content.decode()
    start = html.index('data-testid="audit-table"')
    body = html[start : html.index("</table>", start)]
    return body.count("<tr") - 1  # minus the header row


def test_only_the_accounts_own_entries_and_no_passwords():
    mine, theirs = platform_account(), platform_account()
    user = member(mine, username="alice")
    record(
        account=mine,
        user=user,
        action="domains.mailbox.add",
        target="a@x.cn",
        detail={"mailbox": "a@x.cn", "pwd": "Secret-pass-99"},
    )
    record(account=theirs, action="domains.domain.add", target="theirs.example.com")
    client = Client()
    client.force_login(user)
    response = client.get(reverse("accounts:audit"))
    html = response.content.decode()
    assert response.status_code == 200 and html.count("<h1") == 1
    assert "a@x.cn" in html and "alice" in html and "domains.mailbox.add" in html
    assert "theirs.example.com" not in html
    assert "Secret-pass-99" not in html
    assert "Activity" in html  # the sidebar entry


def test_filters_and_paging():
    account = platform_account()
    client = signed_in(account)
    for i in range(60):
        record(account=account, action="contacts.list.create", target=f"list {i}")
    record(
        account=account,
        action="domains.domain.delete",
        target="refused.example.com",
        outcome=AuditEntry.Outcome.REFUSED,
        platform_status="del_domain_error",
        message="已经验证通过的域名不能删除",
    )
    old = record(account=account, action="domains.domain.add", target="old.example.com")
    AuditEntry.objects.filter(pk=old.pk).update(created_at=timezone.now() - dt.timedelta(days=40))

    assert rows(client.get(reverse("accounts:audit"))) == 50
    assert rows(client.get(reverse("accounts:audit") + "?page=2")) == 12
    refused = client.get(reverse("accounts:audit") + "?outcome=refused")
    html = refused.content.decode()
    assert (
        rows(refused) == 1 and "del_domain_error" in html and "已经验证通过的域名不能删除" in html
    )
    assert rows(client.get(reverse("accounts:audit") + "?action=domains.domain.add")) == 1
    since = (timezone.localdate() - dt.timedelta(days=1)).isoformat()
    assert rows(client.get(reverse("accounts:audit") + f"?since={since}")) == 50
    until = (timezone.localdate() - dt.timedelta(days=30)).isoformat()
    assert rows(client.get(reverse("accounts:audit") + f"?until={until}")) == 1
    # A made-up action is a form error, not a crash.
    assert client.get(reverse("accounts:audit") + "?action=nope&since=garbage").status_code == 200


def test_agent_sees_the_current_scope_by_default():
    agent = platform_account(user_type="agents")
    SubAccount.objects.create(
        account=agent, customer_id="1002", label="shop-a", confirmed_at=timezone.now()
    )
    record(account=agent, action="domains.domain.add", target="own.example.com")
    record(account=agent, action="domains.domain.add", target="sub.example.com", customer_id="1002")
    client = signed_in(agent)
    own = client.get(reverse("accounts:audit")).content.decode()
    assert "own.example.com" in own and "sub.example.com" not in own
    sub = client.get(reverse("accounts:audit") + "?sub_account=1002").content.decode()
    assert "sub.example.com" in sub and "own.example.com" not in sub
    every = client.get(reverse("accounts:audit") + "?sub_account=*").content.decode()
    assert "sub.example.com" in every and "own.example.com" in every
