"""The full-field list export: every §4.8 field through pages as it streams, the marketer's
names of the var fields, and what the portal knows (suppression), each column saying whence."""

from __future__ import annotations

import csv
import io

import pytest
from django.urls import reverse

from apps.accounts.clients import client_for_account
from apps.analytics.tests.factories import make_list
from apps.contacts import export_full
from apps.contacts.models import MailList, Suppression
from apps.contacts.services import list_sync


@pytest.mark.django_db
def test_every_field_through_pages_with_what_the_portal_knows(
    demo_client, demo_account, fresh_sandbox, monkeypatch
):
    monkeypatch.setattr(export_full, "PAGE_SIZE", 7)  # several §4.8 pages
    lines = [f"p{i}@x.cn;n{i}" for i in range(20)]
    list_id = make_list(demo_account, "Export test", lines)
    with client_for_account(demo_account) as client:
        client.contacts.addr_add(
            list_id=list_id, address="vip@x.cn", fullname="王小明", phone="13800000000",
            area="上海", var1="Gold",
        )  # fmt: skip
    list_sync(account=demo_account)
    MailList.objects.filter(account=demo_account, platform_id=list_id).update(
        var_labels={"var1": "Level"}
    )
    Suppression.objects.create(
        account=demo_account, email="p3@x.cn", reason=Suppression.Reason.HARD_BOUNCE
    )
    calls = len(fresh_sandbox.calls())
    response = demo_client.get(reverse("contacts:export", args=[list_id, "full", "csv"]))
    assert response.status_code == 200
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))
    header, body = rows[0], rows[1:]
    assert header[0] == "E-mail address (platform)" and "Level (platform)" in header
    assert header[-2:] == ["Suppressed (portal)", "Suppression reason (portal)"]
    assert len(body) == 21
    vip = next(r for r in body if r[0] == "vip@x.cn")
    assert vip[1:5] == ["王小明", "", "13800000000", "上海"]
    assert vip[header.index("Level (platform)")] == "Gold" and vip[-2] == "No"
    bounced = next(r for r in body if r[0] == "p3@x.cn")
    assert bounced[-2:] == ["Yes", "Hard bounce"]
    pages = [c for c in fresh_sandbox.calls(since=calls) if c["do"] == "ml-addr-list"]
    assert len(pages) == 3  # 21 addresses, 7 a page


@pytest.mark.django_db
def test_an_unreachable_platform_is_a_message_not_a_broken_file(
    demo_client, demo_account, fresh_sandbox
):
    list_sync(account=demo_account)
    fresh_sandbox.control(
        "POST", "faults", {"kind": "http_error", "script": "mloperate.php", "do": "ml-addr-list"}
    )
    response = demo_client.get(reverse("contacts:export", args=[501, "full", "csv"]))
    assert response.status_code == 302
