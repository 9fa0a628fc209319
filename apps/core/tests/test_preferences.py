"""Language and time zone: from the browser, switched in the header, remembered per user."""

from __future__ import annotations

import datetime as dt

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from apps.accounts.models import UserPreference
from apps.accounts.preferences import preference_update, preferences_for
from apps.accounts.tests.factories import member, platform_account

pytestmark = pytest.mark.django_db

CHINESE = "账户概览"
ENGLISH = "Account overview"


def overview(client, **headers) -> str:
    response = client.get(reverse("accounts:overview"), **headers)
    assert response.status_code == 200
    return response.content.decode()


def sign_in(client=None, **headers):
    client = client or Client()
    response = client.post(
        "/login/", {"username": "demo", "password": "demo-pass", "user_type": ""}, **headers
    )
    assert response.status_code == 302
    return client


def test_the_browser_language_is_used_until_the_user_chooses(demo_client):
    assert ENGLISH in overview(demo_client)
    page = overview(demo_client, HTTP_ACCEPT_LANGUAGE="zh-CN,zh;q=0.9,en;q=0.5")
    assert CHINESE in page and '<html lang="zh-hans">' in page


def test_switching_in_the_header_is_remembered_for_the_user(demo_client, fresh_sandbox):
    page = overview(demo_client)
    assert 'action="/i18n/setlang/"' in page and 'data-testid="language-switcher"' in page
    response = demo_client.post(
        reverse("set_language"), {"language": "zh-hans", "next": "/contacts/"}
    )
    assert response.status_code == 302 and response["Location"] == "/contacts/"
    user = UserPreference.objects.get().user
    assert preferences_for(user=user).language == "zh-hans"
    # The choice wins over the browser's, in this browser ...
    assert CHINESE in overview(demo_client, HTTP_ACCEPT_LANGUAGE="en")
    # ... and in another one after signing in there, which also gets the language cookie.
    other = Client()
    response = other.post(
        "/login/",
        {"username": "demo", "password": "demo-pass", "user_type": ""},
        HTTP_ACCEPT_LANGUAGE="en-US",
    )
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "zh-hans"
    assert CHINESE in overview(other, HTTP_ACCEPT_LANGUAGE="en-US")
    # Switching back to English is remembered the same way.
    demo_client.post(reverse("set_language"), {"language": "en", "next": "/"})
    assert ENGLISH in overview(other, HTTP_ACCEPT_LANGUAGE="zh-CN")


def test_a_language_chosen_on_the_sign_in_page_is_kept_after_signing_in(fresh_sandbox):
    client = Client()
    page = client.get("/login/").content.decode()
    assert 'data-testid="language-switcher"' in page
    client.post(reverse("set_language"), {"language": "zh-hans", "next": "/login/"})
    assert "登录 edmportal" in client.get("/login/").content.decode()
    sign_in(client)
    assert UserPreference.objects.get().language == "zh-hans"
    assert CHINESE in overview(client)


def test_an_unknown_language_changes_nothing(demo_client):
    demo_client.post(reverse("set_language"), {"language": "xx", "next": "/"})
    assert not UserPreference.objects.exclude(language="").exists()
    assert ENGLISH in overview(demo_client)


def test_preferences_page_saves_language_and_time_zone(demo_client):
    page = demo_client.get(reverse("accounts:preferences")).content.decode()
    assert 'value="Asia/Shanghai" translate="no" selected' in page
    assert page.count("<h1") == 1
    response = demo_client.post(
        reverse("accounts:preferences"), {"language": "zh-hans", "time_zone": "Europe/Berlin"}
    )
    assert response.status_code == 302
    pref = UserPreference.objects.get()
    assert (pref.language, pref.time_zone) == ("zh-hans", "Europe/Berlin")
    page = demo_client.get(reverse("accounts:preferences")).content.decode()
    assert "您的偏好设置已保存。" in page  # the confirmation speaks the new language
    assert 'value="Europe/Berlin" translate="no" selected' in page


def test_invalid_preferences_are_refused_and_change_nothing(demo_client):
    response = demo_client.post(
        reverse("accounts:preferences"), {"language": "fr", "time_zone": "Mars/Olympus_Mons"}
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert page.count("invalid-feedback") == 2
    assert not UserPreference.objects.exclude(language="", time_zone="Asia/Shanghai").exists()
    user = get_user_model().objects.get(username="demo")
    with pytest.raises(ValueError):
        preference_update(user=user, language="x")
    with pytest.raises(ValueError):
        preference_update(user=user, time_zone="Asia/Atlantis")
    assert preferences_for(user=user).time_zone == "Asia/Shanghai"


def test_times_are_shown_in_the_users_zone(demo_client, demo_account):
    service = demo_account.service
    service.fetched_at = dt.datetime(2026, 3, 1, 4, 30, tzinfo=dt.UTC)  # 12:30 in Beijing
    service.save()
    # Older than the freshness window: the page prints the fetch time.
    page = overview(demo_client)
    assert "2026-03-01 12:30" in page
    user = get_user_model().objects.get(username="demo")
    preference_update(user=user, time_zone="America/New_York")
    assert "2026-02-28 23:30" in overview(demo_client)
    preference_update(user=user, time_zone="UTC")
    assert "2026-03-01 04:30" in overview(demo_client)


def test_the_zone_does_not_leak_into_the_next_request(demo_client):
    user = get_user_model().objects.get(username="demo")
    preference_update(user=user, time_zone="America/Los_Angeles")
    overview(demo_client)
    assert timezone.get_current_timezone_name() == settings.TIME_ZONE
    anonymous = Client().get("/login/")
    assert anonymous.status_code == 200


def test_a_team_members_preferences_are_their_own(demo_client, demo_account):
    colleague = member(demo_account, username="colleague", role="viewer")
    preference_update(user=colleague, language="zh-hans", time_zone="Asia/Tokyo")
    other = Client()
    other.force_login(colleague)
    assert CHINESE in overview(other)
    assert ENGLISH in overview(demo_client)


def test_a_zone_removed_from_the_system_falls_back_to_beijing_time():
    account = platform_account(username="tz-account")
    user = member(account, username="tz-user")
    UserPreference.objects.create(user=user, time_zone="Nowhere/Gone")
    assert preferences_for(user=user).time_zone == "Asia/Shanghai"


def test_notification_mails_are_written_in_the_owners_language(demo_client, demo_account):
    from apps.smtp.notifications import notify_domain_verified, notify_import_finished

    mail = notify_domain_verified(account=demo_account, domain="demo-shop.cn")
    assert mail.subject == "Domain verified: demo-shop.cn"
    preference_update(user=get_user_model().objects.get(username="demo"), language="zh-hans")
    mail = notify_import_finished(account=demo_account, list_name="VIP 客户", imported=980)
    assert mail.subject == "导入完成：VIP 客户"
    assert "已导入：980" in mail.body and "edmportal，来自 U-Mail 账户" in mail.body
    # A viewer's language does not decide for the account.
    viewer = member(demo_account, username="viewer-en", role="viewer")
    preference_update(user=viewer, language="en")
    assert notify_domain_verified(account=demo_account, domain="x.cn").subject.startswith("域名")
