"""The account overview: §1.1 and §1.2 as a marketer wants them, from the local mirror."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from apps.accounts.models import AccountService

from .factories import account_service, member, platform_account

OVERVIEW = reverse("accounts:overview")


@pytest.mark.django_db
def test_overview_shows_the_sandbox_quota_after_sign_in(client, fresh_sandbox):
    client.post(reverse("accounts:login"), {"username": "demo", "password": "demo-pass"})
    page = client.get(OVERVIEW).content.decode()
    assert "深圳示例科技有限公司" in page
    assert "张伟" in page
    assert "63,250" in page and "100,000" in page
    assert "63%" in page  # the gauge: available against bought
    assert "Bulk sending is enabled" in page
    assert "Total quota" in page  # service_type in words
    assert "platform&#x27;s own servers" in page or "platform's own servers" in page
    assert "expires in" not in page  # ~200 days left: no warning
    assert "up to date" in page


@pytest.mark.django_db
def test_expiry_warning_within_30_days(client, fresh_sandbox):
    client.post(reverse("accounts:login"), {"username": "other", "password": "other-pass"})
    page = client.get(OVERVIEW).content.decode()
    assert "expires in 20 days" in page


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("days", "text"),
    [(31, None), (30, "expires in 30 days"), (1, "expires tomorrow"), (-3, "expired on")],
)
def test_expiry_levels(client, days, text):
    account = platform_account()
    account_service(account, expiration_date=timezone.localdate() + dt.timedelta(days=days))
    client.force_login(member(account))
    page = client.get(OVERVIEW).content.decode()
    if text:
        assert text in page
    else:
        assert "expire" not in page.split("Bulk-mail service")[0]


@pytest.mark.django_db
def test_old_data_says_when_it_was_fetched(client):
    account = platform_account()
    account_service(account, fetched_at=timezone.now() - dt.timedelta(hours=2))
    client.force_login(member(account))
    page = client.get(OVERVIEW).content.decode()
    assert "fetched from the platform 2\xa0hours ago" in page


@pytest.mark.django_db
def test_overview_never_calls_the_platform(client, sandbox):
    account = platform_account(platform_url="http://127.0.0.1:9/")
    account_service(account)
    client.force_login(member(account))
    assert client.get(OVERVIEW).status_code == 200  # the platform is unreachable, the page is not


@pytest.mark.django_db
def test_refresh_failure_keeps_last_data_and_says_so(client):
    account = platform_account(platform_url="http://127.0.0.1:9/")
    account_service(account, qty_available=777)
    client.force_login(member(account))
    response = client.post(reverse("accounts:overview-refresh"), follow=True)
    page = response.content.decode()
    assert response.status_code == 200
    assert "could not be reached" in page and "Showing the last data fetched" in page
    assert "777" in page
    assert AccountService.objects.get(account=account).last_error


@pytest.mark.django_db
def test_refresh_fetches_from_the_platform(client, fresh_sandbox):
    client.post(reverse("accounts:login"), {"username": "demo", "password": "demo-pass"})
    fresh_sandbox.patch_account("demo", qty_available=5000)
    page = client.post(reverse("accounts:overview-refresh"), follow=True).content.decode()
    assert "5,000" in page and "refreshed" in page


@pytest.mark.django_db
def test_anonymous_is_sent_to_sign_in(client):
    response = client.get(OVERVIEW)
    assert response.status_code == 302 and response["Location"].startswith(
        reverse("accounts:login")
    )


@pytest.mark.django_db
def test_user_sees_only_their_own_account(client):
    mine, theirs = platform_account(company="Mine Ltd"), platform_account(company="Theirs Ltd")
    account_service(mine)
    account_service(theirs)
    client.force_login(member(mine))
    session = client.session
    session["edmportal_account_id"] = theirs.pk  # a tampered session cannot switch accounts
    session.save()
    page = client.get(OVERVIEW).content.decode()
    assert "Mine Ltd" in page and "Theirs Ltd" not in page


@pytest.mark.django_db
def test_staff_without_platform_account_gets_explanation(client, admin_user):
    client.force_login(admin_user)
    response = client.get(OVERVIEW)
    assert response.status_code == 403
    assert "No platform account" in response.content.decode()
