"""Staff run the platform probe from admin on a platform account."""

from __future__ import annotations

import pytest
from django.urls import reverse

from apps.accounts.tests.factories import platform_account

pytestmark = pytest.mark.django_db


def test_staff_probe_a_platform_account_from_admin(admin_client, fresh_sandbox):
    account = platform_account(
        username="demo", password="demo-pass", platform_url=fresh_sandbox.url
    )
    since = fresh_sandbox.control("GET", "calls")["last_seq"]
    response = admin_client.post(
        reverse("admin:accounts_platformaccount_changelist"),
        {"action": "probe_platform", "_selected_action": [account.pk]},
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert 'data-testid="probe-report"' in page and "account.php customer-info" in page
    summary = page.split('data-testid="probe-summary"')[1]
    # §4.9.4 is skipped (no upload id) and not counted; everything else is understood.
    assert "26 of 26 operations understood" in summary
    methods = {c["method"] for c in fresh_sandbox.calls(since=since) if c["script"] != "bs.php"}
    assert methods <= {"GET", "POST"}
