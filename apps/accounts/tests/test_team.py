"""Several portal users share one platform account: staff add them in admin with a role, they
sign in with their own password, and the views enforce their role."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse

from apps.accounts.models import Membership, PlatformAccount

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff_client():
    admin = get_user_model().objects.create_superuser("staff", "staff@example.com", "staff-pw-123")
    client = Client()
    client.force_login(admin)
    return client


def test_staff_add_a_team_member_with_a_role_in_admin(staff_client, demo_account):
    r = staff_client.post(
        reverse("admin:auth_user_add"),
        {
            "username": "colleague",
            "password1": "Colleague-pw-2026",
            "password2": "Colleague-pw-2026",
            "usable_password": "true",
        },
    )
    assert r.status_code == 302, r.content.decode()[:2000]
    colleague = get_user_model().objects.get(username="colleague")
    assert staff_client.get(reverse("admin:accounts_membership_add")).status_code == 200
    r = staff_client.post(
        reverse("admin:accounts_membership_add"),
        {"user": colleague.pk, "account": demo_account.pk, "role": "viewer"},
    )
    assert r.status_code == 302, r.content.decode()[:2000]
    assert Membership.objects.get(user=colleague).role == "viewer"

    # The colleague signs in with the portal password and works in the shared account.
    team = Client()
    r = team.post(
        reverse("accounts:team-login"), {"username": "colleague", "password": "Colleague-pw-2026"}
    )
    assert r.status_code == 302
    overview = team.get(reverse("accounts:overview"))
    assert overview.status_code == 200 and "深圳示例科技有限公司" in overview.content.decode()
    assert team.get(reverse("domains:index")).status_code == 200
    assert team.post(reverse("domains:add"), {"domain": "x.example.com"}).status_code == 403

    # Staff raise the role: the same request is now allowed.
    membership = Membership.objects.get(user=colleague)
    r = staff_client.post(
        reverse("admin:accounts_membership_change", args=[membership.pk]),
        {"user": colleague.pk, "account": demo_account.pk, "role": "owner"},
    )
    assert r.status_code == 302
    assert team.post(reverse("domains:add"), {"domain": "x.example.com"}).status_code == 302


def test_platform_users_cannot_use_the_team_sign_in(demo_client):
    client = Client()
    r = client.post(reverse("accounts:team-login"), {"username": "demo", "password": "demo-pass"})
    assert r.status_code == 200
    assert "_auth_user_id" not in client.session


def test_team_login_page_has_labels_and_one_heading(client):
    html = client.get(reverse("accounts:team-login")).content.decode()
    assert html.count("<h1") == 1 and html.count("<label") == 2
    assert reverse("accounts:team-login") in client.get(reverse("accounts:login")).content.decode()


def test_sub_accounts_in_admin(staff_client):
    agent = PlatformAccount.objects.create(username="agent", user_type="agents")
    r = staff_client.get(reverse("admin:accounts_platformaccount_change", args=[agent.pk]))
    assert r.status_code == 200 and "sub-account" in r.content.decode().lower()
    r = staff_client.post(
        reverse("admin:accounts_subaccount_add"),
        {"account": agent.pk, "customer_id": "12x", "label": "bad"},
    )
    assert r.status_code == 200 and "A customer id is a number" in r.content.decode()
    r = staff_client.post(
        reverse("admin:accounts_subaccount_add"),
        {"account": agent.pk, "customer_id": "1002", "label": "shop-a", "source": "staff"},
    )
    assert r.status_code == 302
    sub = agent.sub_accounts.get()
    assert (sub.customer_id, sub.source, sub.confirmed_at) == ("1002", "staff", None)
