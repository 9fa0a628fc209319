"""Roles inside a team: who may look at domains and who may change them (owner)."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from apps.accounts.tests.factories import member
from apps.domains.models import Mailbox, SenderDomain

pytestmark = pytest.mark.django_db


@pytest.fixture
def team(demo, demo_account):
    demo.get(reverse("domains:index"))  # the mirror exists
    clients = {}
    for role in ("viewer", "editor", "sender", "owner"):
        client = Client()
        client.force_login(member(demo_account, username=f"{role}-member", role=role))
        clients[role] = client
    return clients


def write_requests(account):
    pending = SenderDomain.objects.get(account=account, domain="mail.demo-shop.cn")
    verified = SenderDomain.objects.get(account=account, domain="demo-shop.cn")
    box = Mailbox.objects.get(account=account, address="news@demo-shop.cn")
    return [
        ("post", reverse("domains:add"), {"domain": "role.example.com"}),
        ("post", reverse("domains:verify"), {"domains": [pending.pk]}),
        ("get", reverse("domains:delete", args=[pending.pk]), {}),
        ("post", reverse("domains:delete", args=[pending.pk]), {}),
        ("post", reverse("domains:mailbox-add", args=[verified.pk]), {"name": "x"}),
        ("get", reverse("domains:mailbox-password", args=[box.pk]), {}),
        ("post", reverse("domains:mailbox-password", args=[box.pk]), {}),
        ("get", reverse("domains:mailbox-delete", args=[box.pk]), {}),
        ("post", reverse("domains:mailbox-delete", args=[box.pk]), {}),
    ]


@pytest.mark.parametrize("role", ["viewer", "editor", "sender"])
def test_below_owner_may_look_but_not_change(team, demo_account, no_dns_delay, role):
    client = team[role]
    verified = SenderDomain.objects.get(account=demo_account, domain="demo-shop.cn")
    assert client.get(reverse("domains:index")).status_code == 200
    page = client.get(reverse("domains:detail", args=[verified.pk]))
    assert page.status_code == 200
    html = page.content.decode()
    assert "Add a mailbox" not in html and "Delete domain" not in html
    assert "Add a domain" not in client.get(reverse("domains:index")).content.decode()
    assert client.post(reverse("domains:refresh")).status_code == 302  # a read: allowed
    assert client.get(reverse("accounts:audit")).status_code == 200
    before = no_dns_delay.calls()[-1]["seq"]
    for method, url, data in write_requests(demo_account):
        response = getattr(client, method)(url, data)
        assert response.status_code == 403, (role, method, url)
        assert "Owner: everything, including domains" in response.content.decode()
    assert [c for c in no_dns_delay.calls(since=before) if c["script"] == "bs.php"] == []
    assert SenderDomain.objects.filter(domain="mail.demo-shop.cn").exists()


def test_owner_may_change(team, demo_account):
    client = team["owner"]
    assert "Add a domain" in client.get(reverse("domains:index")).content.decode()
    statuses = [
        getattr(client, method)(url, data).status_code
        for method, url, data in write_requests(demo_account)
    ]
    assert 403 not in statuses and 500 not in statuses
    assert SenderDomain.objects.filter(domain="role.example.com").exists()


def test_signed_out_users_are_sent_to_sign_in(demo_account):
    client = Client()
    for url in (
        reverse("domains:index"),
        reverse("accounts:audit"),
        reverse("accounts:subaccounts"),
    ):
        response = client.get(url)
        assert response.status_code == 302 and "/login/" in response["Location"]
